"""The referral pages: referrer form, staff entry with duplicates, triage, waiting list, one
referral's page (contact attempts, status, consent, merging), and the referrer's own list."""

from datetime import date, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linkwell.core.models import LogEntry, Role
from linkwell.directory.taxonomy import term_id
from linkwell.notify.outbox import messages_send_due
from linkwell.people.models import Consent, Person
from linkwell.referrals.models import ContactAttempt, Referral
from tests.factories import PersonFactory, ReferralFactory

VALID_NHS = "9434765919"


def _referrer_post(**overrides):
    data = {
        "given_name": "Carol",
        "family_name": "Jenkins",
        "date_of_birth": "1970-05-01",
        "nhs_number": "",
        "phone": "07700 900123",
        "postcode": "RV2 1AA",
        "reasons": [str(term_id("mental-wellbeing")), str(term_id("employment-skills"))],
        "summary": "Off work, low mood",
        "urgency": "routine",
        "source_type": "gp_practice",
        "consent_contact": "on",
        "consent_share_referrer": "on",
    }
    data.update(overrides)
    return data


def test_referrer_sends_a_referral_and_sees_only_their_own(client_as, member, scheme):
    client = client_as(Role.REFERRER)
    response = client.post("/referrals/new/", _referrer_post())
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.referred_by == client.membership.user
    assert referral.channel == "referrer_form"
    assert set(Consent.objects.values_list("scope", "method")) == {
        ("contact", "referrer"),
        ("share_referrer", "referrer"),
    }
    # Someone else's referral in the same scheme is not in their list.
    ReferralFactory(scheme=scheme, person=PersonFactory(scheme=scheme, given_name="Zed"))
    page = client.get("/referrals/sent/").content.decode()
    assert "Carol Jenkins" in page and "Zed" not in page
    # ...and the team's pages stay closed to them.
    assert client.get(f"/referrals/{referral.pk}/").status_code == 403
    assert client.get("/referrals/triage/").status_code == 403


def test_referrer_form_errors_are_shown_at_the_field_and_nothing_is_stored(client_as):
    client = client_as(Role.REFERRER)
    response = client.post(
        "/referrals/new/",
        _referrer_post(
            reasons=[], nhs_number="943 476 5918", date_of_birth="2999-01-01", consent_contact=""
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    for message in [
        "Choose at least one reason for the referral",
        "This NHS number is not valid",
        "Date of birth must be in the past",
        "Confirm that they agreed to be contacted",
    ]:
        assert message in page
    assert Referral.objects.count() == Person.objects.count() == 0


def test_referrer_never_sees_who_else_the_scheme_knows(client_as, scheme):
    known = PersonFactory(
        scheme=scheme, given_name="Carol", family_name="Jenkins", date_of_birth=date(1970, 5, 1)
    )
    client = client_as(Role.REFERRER)
    response = client.post("/referrals/new/", _referrer_post())
    assert response.status_code == 302
    new = Referral.objects.get().person
    assert new != known and new.needs_duplicate_check


def _staff_post(**overrides):
    data = {
        "source_type": "council",
        "referrer_name": "Sam Council",
        "received_on": timezone.localdate().isoformat(),
        "given_name": "Tess",
        "family_name": "Morgan",
        "date_of_birth": "1988-02-03",
        "nhs_number": "",
        "phone": "07700 900456",
        "preferred_contact_method": "phone",
        "language": "English",
        "digital_access": "smartphone",
        "reasons": [str(term_id("carers")), str(term_id("money-debt"))],
        "urgency": "soon",
        "consents": ["contact", "share_referrer"],
        "contact_channels": ["phone"],
        "consent_method": "verbal",
    }
    data.update(overrides)
    return data


def test_staff_entry_asks_about_a_likely_match_then_merges(client_as, scheme):
    known = PersonFactory(
        scheme=scheme, given_name="Tess", family_name="Morgan", date_of_birth=date(1988, 2, 3)
    )
    client = client_as(Role.LINK_WORKER)
    response = client.post("/referrals/new/", _staff_post())
    page = response.content.decode()
    assert "This person may already be known" in page
    assert "Is this the same person?" in page
    assert Referral.objects.count() == 0

    response = client.post("/referrals/new/", _staff_post(match_choice=str(known.pk)))
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.person == known
    assert Person.objects.count() == 1


def test_staff_entry_refuses_a_future_received_date(client_as):
    client = client_as(Role.LINK_WORKER)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post("/referrals/new/", _staff_post(received_on=tomorrow))
    assert "The date received cannot be in the future" in response.content.decode()
    assert Referral.objects.count() == 0


def test_triage_queue_lists_unassigned_urgent_first_and_assigns(client_as, scheme, member):
    client = client_as(Role.MANAGER)
    worker = member(Role.LINK_WORKER).user
    old = ReferralFactory(scheme=scheme, received_at=timezone.now() - timedelta(days=9))
    urgent = ReferralFactory(scheme=scheme, urgency="urgent")
    page = client.get("/referrals/triage/")
    rows = [r for r, _ in page.context["rows"]]
    assert rows == [urgent, old]
    assert page.context["rows"][1][1] == 9  # age in days

    response = client.post(
        "/referrals/triage/assign/",
        {"assign-assigned_to": str(worker.pk), "referral": [str(old.pk)]},
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert (old.status, old.assigned_to) == ("waiting", worker)
    loads = {load.user: load.open for load in client.get("/referrals/triage/").context["loads"]}
    assert loads[worker] == 1
    assert [r for r, _ in client.get("/referrals/triage/").context["rows"]] == [urgent]


def test_triage_queue_query_count_does_not_grow(client_as, scheme):
    client = client_as(Role.MANAGER)
    ReferralFactory.create_batch(3, scheme=scheme, reasons=["loneliness", "housing"])
    with CaptureQueriesContext(connection) as few:
        assert client.get("/referrals/triage/").status_code == 200
    ReferralFactory.create_batch(20, scheme=scheme, reasons=["loneliness", "housing"])
    with CaptureQueriesContext(connection) as many:
        assert client.get("/referrals/triage/").status_code == 200
    assert len(many) == len(few)


def test_another_schemes_referral_is_not_found(client_as, other_scheme):
    theirs = ReferralFactory(scheme=other_scheme)
    client = client_as(Role.MANAGER)
    assert client.get(f"/referrals/{theirs.pk}/").status_code == 404
    assert (
        client.post(f"/referrals/{theirs.pk}/status/", {"move-to": "withdrawn"}).status_code == 404
    )


def test_contact_attempts_suggest_unable_to_contact_and_the_referrer_is_told(
    client_as, scheme, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_BACKEND = "email"
    client = client_as(Role.LINK_WORKER)
    referral = ReferralFactory(scheme=scheme, status="waiting", assigned_to=client.membership.user)
    Consent.objects.create(person=referral.person, scope="share_referrer", method="verbal")
    url = f"/referrals/{referral.pk}/"
    for outcome in ["no_answer", "voicemail", "no_answer"]:
        response = client.post(
            url + "attempts/", {"attempt-method": "phone", "attempt-outcome": outcome}
        )
        assert response.status_code == 302
    page = client.get(url)
    assert page.context["suggest_unable"] is True
    assert 'data-testid="suggest-unable"' in page.content.decode()

    refused = client.post(url + "status/", {"move-to": "unable_to_contact"})
    assert refused.status_code == 400 and "Give a reason" in refused.content.decode()
    with_reason = {"move-to": "unable_to_contact", "move-reason": "Three calls, no answer"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url + "status/", with_reason)
    referral.refresh_from_db()
    assert referral.status == "unable_to_contact"
    assert referral.referrer_told_at is None  # queued, not yet sent
    messages_send_due()  # the outbox's background task
    referral.refresh_from_db()
    assert referral.referrer_told_at is not None
    assert mailoutbox[-1].to == ["gp@example.test"]
    assert "unable to contact" in mailoutbox[-1].body


def test_reaching_the_person_moves_the_referral_to_contacted(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    referral = ReferralFactory(
        scheme=scheme,
        status="waiting",
        received_at=timezone.now() - timedelta(days=4),
    )
    client.post(
        f"/referrals/{referral.pk}/attempts/",
        {"attempt-method": "phone", "attempt-outcome": "reached", "attempt-note": "Spoke to her"},
    )
    referral.refresh_from_db()
    assert referral.status == "contacted"
    assert referral.first_contact_at is not None
    assert ContactAttempt.objects.get().note == "Spoke to her"


def test_an_illegal_status_move_is_refused_with_nothing_changed(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    referral = ReferralFactory(scheme=scheme)
    response = client.post(f"/referrals/{referral.pk}/status/", {"move-to": "accepted"})
    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.status == "received"


def test_consent_withdrawal_is_recorded_not_deleted(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    referral = ReferralFactory(scheme=scheme)
    client.post(
        f"/referrals/{referral.pk}/consent/",
        {"consent-scope": "contact", "consent-method": "verbal", "consent-channels": ["phone"]},
    )
    consent = Consent.objects.get()
    assert consent.in_force and consent.channels == ["phone"]
    client.post(
        f"/referrals/{referral.pk}/consent/{consent.pk}/withdraw/",
        {"reason": "Does not want calls"},
    )
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert consent.withdrawal_reason == "Does not want calls"
    assert Consent.objects.count() == 1
    assert LogEntry.objects.filter(action="consent.withdrawn").count() == 1


def test_staff_merge_a_likely_duplicate_or_keep_it_separate(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    known = PersonFactory(
        scheme=scheme, given_name="Ann", family_name="Lee", date_of_birth=date(1950, 1, 1)
    )
    duplicate = PersonFactory(
        scheme=scheme,
        given_name="Ann",
        family_name="Lee",
        date_of_birth=date(1950, 1, 1),
        email="ann@example.test",
        needs_duplicate_check=True,
    )
    referral = ReferralFactory(scheme=scheme, person=duplicate)
    page = client.get(f"/referrals/{referral.pk}/")
    assert [m.person for m in page.context["possible_duplicates"]] == [known]

    client.post(f"/referrals/{referral.pk}/duplicate/", {"choice": str(known.pk)})
    referral.refresh_from_db()
    known.refresh_from_db()
    assert referral.person == known
    assert known.email == "ann@example.test"
    assert not Person.objects.filter(pk=duplicate.pk).exists()

    other = PersonFactory(
        scheme=scheme,
        given_name="Ann",
        family_name="Lee",
        date_of_birth=date(1950, 1, 1),
        needs_duplicate_check=True,
    )
    second = ReferralFactory(scheme=scheme, person=other)
    client.post(f"/referrals/{second.pk}/duplicate/", {"choice": "separate"})
    other.refresh_from_db()
    assert not other.needs_duplicate_check
    assert Person.objects.count() == 2


def test_viewing_a_referral_is_audited(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    referral = ReferralFactory(scheme=scheme)
    client.get(f"/referrals/{referral.pk}/")
    entry = LogEntry.objects.get(action="referral.viewed")
    assert entry.person_id == str(referral.person_id)
    assert entry.actor == client.membership.user


def test_waiting_times_median_and_90th_percentile_by_site(client_as, scheme):
    client = client_as(Role.MANAGER)
    north = scheme.sites.get(name="North")
    now = timezone.now()
    for days in [1, 2, 3, 4, 10]:
        ReferralFactory(
            scheme=scheme,
            site=north,
            status="contacted",
            received_at=now - timedelta(days=20),
            first_contact_at=now - timedelta(days=20 - days),
        )
    ReferralFactory(scheme=scheme, status="waiting", received_at=now - timedelta(days=15))
    figures = {f.label: f for f in client.get("/").context["referrals"]["waiting_figures"]}
    assert figures["North"].median_days == 3.0
    assert figures["North"].p90_days == 10.0
    assert figures["North"].contacted == 5
    assert figures["All sites"].waiting == 1
    assert figures["All sites"].oldest_waiting_days == 15
    assert figures["South"].median_days is None


def test_a_family_is_linked_into_one_household(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    mother = ReferralFactory(scheme=scheme, person=PersonFactory(scheme=scheme, given_name="Tess"))
    child = ReferralFactory(scheme=scheme, person=PersonFactory(scheme=scheme, given_name="Kai"))
    refused = client.post(f"/referrals/{mother.pk}/household/", {"household-name": " "})
    assert refused.status_code == 400
    assert "Enter the household" in refused.content.decode()
    client.post(
        f"/referrals/{mother.pk}/household/",
        {"household-name": "Morgan family", "household-role": "adult"},
    )
    client.post(
        f"/referrals/{child.pk}/household/",
        {"household-name": "morgan  family", "household-role": "child"},
    )
    mother.person.refresh_from_db()
    child.person.refresh_from_db()
    assert mother.person.household == child.person.household
    assert (mother.person.household_role, child.person.household_role) == ("adult", "child")
    page = client.get(f"/referrals/{mother.pk}/").content.decode()
    assert "also Kai" in page


def test_an_outside_referral_never_writes_into_a_known_persons_record(client_as, scheme):
    known = PersonFactory(
        scheme=scheme, nhs_number=VALID_NHS, given_name="Carol", family_name="Jenkins", email=""
    )
    client = client_as(Role.REFERRER)
    response = client.post(
        "/referrals/new/", _referrer_post(nhs_number="943 476 5919", given_name="Caroline")
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    known.refresh_from_db()
    assert referral.person != known
    assert (known.given_name, known.email, known.consents.count()) == ("Carol", "", 0)
    assert referral.nhs_number_given == VALID_NHS
    assert referral.person.nhs_number == "" and referral.person.needs_duplicate_check
    # The referrer's list shows what they typed, not the known record.
    assert "Caroline Jenkins" in client.get("/referrals/sent/").content.decode()

    # Staff see the likely match, and merging puts the referral with the known person.
    staff = client_as(Role.LINK_WORKER)
    page = staff.get(f"/referrals/{referral.pk}/")
    assert [m.person for m in page.context["possible_duplicates"]] == [known]
    staff.post(f"/referrals/{referral.pk}/duplicate/", {"choice": str(known.pk)})
    referral.refresh_from_db()
    assert referral.person == known


def test_merging_keeps_one_consent_in_force_per_purpose(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    known = PersonFactory(
        scheme=scheme, given_name="Ann", family_name="Lee", date_of_birth=date(1950, 1, 1)
    )
    duplicate = PersonFactory(
        scheme=scheme,
        given_name="Ann",
        family_name="Lee",
        date_of_birth=date(1950, 1, 1),
        needs_duplicate_check=True,
    )
    old = Consent.objects.create(
        person=known,
        scope="contact",
        method="verbal",
        recorded_at=timezone.now() - timedelta(days=30),
    )
    new = Consent.objects.create(
        person=duplicate, scope="contact", method="online", channels=["sms"]
    )
    referral = ReferralFactory(scheme=scheme, person=duplicate)
    response = client.post(f"/referrals/{referral.pk}/duplicate/", {"choice": str(known.pk)})
    assert response.status_code == 302
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.person == known and new.in_force
    assert old.withdrawn_at is not None and "merged" in old.withdrawal_reason


def test_the_referrer_sees_the_reason_only_with_consent(client_as, scheme):
    client = client_as(Role.REFERRER)
    referral = ReferralFactory(
        scheme=scheme,
        referred_by=client.membership.user,
        status="declined",
        status_reason="Getting help from her daughter",
    )
    assert "Getting help from her daughter" not in client.get("/referrals/sent/").content.decode()
    Consent.objects.create(person=referral.person, scope="share_referrer", method="verbal")
    assert "Getting help from her daughter" in client.get("/referrals/sent/").content.decode()


def test_triage_corrects_urgency_flags_site_and_reasons(client_as, scheme):
    client = client_as(Role.MANAGER)
    referral = ReferralFactory(scheme=scheme)
    north = scheme.sites.get(name="North")
    response = client.post(
        f"/referrals/{referral.pk}/edit/",
        {
            "edit-urgency": "urgent",
            "edit-risk_flags": ["safeguarding_concern"],
            "edit-site": str(north.pk),
            "edit-reasons": [str(term_id("housing"))],
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.urgency, referral.safeguarding_concern, referral.site) == (
        "urgent",
        True,
        north,
    )
    assert list(referral.reasons.values_list("code", flat=True)) == ["housing"]
    refused = client.post(f"/referrals/{referral.pk}/edit/", {"edit-urgency": "urgent"})
    assert refused.status_code == 400
    assert "Choose at least one reason" in refused.content.decode()


def test_assigning_a_selection_with_another_schemes_referral_assigns_nothing(
    client_as, scheme, other_scheme, member
):
    client = client_as(Role.MANAGER)
    worker = member(Role.LINK_WORKER).user
    mine = ReferralFactory(scheme=scheme)
    theirs = ReferralFactory(scheme=other_scheme)
    client.post(
        "/referrals/triage/assign/",
        {"assign-assigned_to": str(worker.pk), "referral": [str(mine.pk), str(theirs.pk)]},
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.assigned_to is None and theirs.assigned_to is None
    # Nor to someone who is not a link worker here.
    outsider = member(Role.LINK_WORKER, of=other_scheme).user
    client.post(
        "/referrals/triage/assign/",
        {"assign-assigned_to": str(outsider.pk), "referral": [str(mine.pk)]},
    )
    mine.refresh_from_db()
    assert mine.assigned_to is None


def test_a_manager_limited_to_a_site_sees_that_sites_waiting_times(member, scheme):
    from django.test import Client

    from tests.conftest import sign_in

    north, south = scheme.sites.get(name="North"), scheme.sites.get(name="South")
    manager = member(Role.MANAGER)
    manager.sites.set([north])
    ReferralFactory(scheme=scheme, site=north, status="waiting")
    ReferralFactory(scheme=scheme, site=south, status="waiting")
    ReferralFactory(scheme=scheme, site=south, status="waiting")
    client = sign_in(Client(), manager.user)
    figures = {f.label: f for f in client.get("/").context["referrals"]["waiting_figures"]}
    assert set(figures) == {"Your sites", "North"}
    assert figures["Your sites"].waiting == figures["North"].waiting == 1


def test_a_site_limited_worker_can_open_a_referral_given_to_them_at_another_site(member, scheme):
    from tests.conftest import sign_in

    north, south = scheme.sites.order_by("name")
    limited = member(Role.LINK_WORKER)
    limited.sites.set([north])
    theirs = ReferralFactory(scheme=scheme, site=south, assigned_to=limited.user)
    someone_elses = ReferralFactory(scheme=scheme, site=south)
    client = sign_in(Client(), limited.user)
    assert client.get(f"/referrals/{theirs.pk}/").status_code == 200
    assert client.get(f"/referrals/{someone_elses.pk}/").status_code == 404
