"""The demo data: one scheme with two sites and a user per role, safe to load twice."""

from datetime import timedelta

from django.core.management import call_command
from django.db.models import F
from django.test import Client

from linkwell.core.management.commands.seed_demo import DEMO_PEOPLE, demo_email
from linkwell.core.models import LogEntry, Membership, Role, Scheme, Site, User


def _counts():
    from linkwell.casework import models as casework
    from linkwell.people.models import Consent, Person
    from linkwell.referrals.models import CampaignEntry, Referral, WaitingRoomLink
    from linkwell.resources.models import Resource

    return [
        m.objects.count()
        for m in (
            User,
            Scheme,
            Site,
            Membership,
            LogEntry,
            Person,
            Referral,
            Consent,
            CampaignEntry,
            WaitingRoomLink,
            Resource,
            casework.Case,
            casework.CaseAssignment,
            casework.Contact,
            casework.Need,
            casework.Goal,
            casework.GoalProgress,
            casework.PlanSupport,
            casework.Note,
            casework.FollowUp,
        )
    ]


def test_seed_demo_is_idempotent_and_every_login_works(db, settings, capsys):
    settings.LINKWELL_DEMO_PASSWORD = "a-demo-password-for-tests"
    call_command("seed_demo")
    counts = _counts()
    call_command("seed_demo")
    assert counts == _counts()
    demo = Scheme.objects.get(slug="demo")
    assert demo.sites.count() == 2
    assert demo.require_two_factor is False
    assert {m.role for m in demo.memberships.all()} == set(Role)
    out = capsys.readouterr().out
    for role in DEMO_PEOPLE:
        assert demo_email(role) in out
        client = Client()
        response = client.post(
            "/sign-in/", {"username": demo_email(role), "password": "a-demo-password-for-tests"}
        )
        assert response["Location"] == "/", role
        assert client.get("/").status_code == 200
    # The manager works in two schemes, to show switching.
    assert User.objects.get(email=demo_email(Role.MANAGER)).memberships.count() == 2


def test_seed_demo_refuses_a_production_deployment(db, settings):
    import pytest
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production deployment"):
        call_command("seed_demo")
    settings.LINKWELL_DEMO_PASSWORD = "linkwell-demo-2026"
    with pytest.raises(CommandError, match="LINKWELL_DEMO_PASSWORD"):
        call_command("seed_demo", allow_production=True)
    assert not Scheme.objects.exists()


def test_seed_demo_builds_a_realistic_directory(db):
    from datetime import timedelta

    from django.utils import timezone

    from linkwell.directory.models import Organization, Service
    from linkwell.geo.models import Postcode

    call_command("seed_demo")
    services = Service.objects.filter(owner_scheme__slug="demo")
    assert 140 <= services.count() <= 170
    assert 55 <= Organization.objects.count() <= 70
    assert services.filter(capacity="full").exists()
    assert services.filter(capacity="waiting_list", typical_wait_weeks__isnull=False).exists()
    stale = services.filter(last_verified_at__lt=timezone.now() - timedelta(days=180))
    assert 10 <= stale.count() <= services.count() // 3
    # Every location's postcode is in the demo gazetteer, so distance search works offline.
    postcodes = set(Postcode.objects.values_list("postcode", flat=True))
    used = set(
        services.values_list("service_at_locations__location__addresses__postal_code", flat=True)
    )
    assert used <= postcodes
    provider = User.objects.get(email=demo_email(Role.PROVIDER))
    assert provider.provider_organizations.exists()


def test_seed_demo_has_the_referral_pathway(db, capsys):
    from django.db.models import Count

    from linkwell.referrals.models import CallOutcome, Campaign, Referral
    from linkwell.referrals.states import Status
    from linkwell.resources.models import Resource

    call_command("seed_demo")
    demo = Scheme.objects.get(slug="demo")
    referrals = Referral.objects.filter(scheme=demo)
    assert 280 <= referrals.count() <= 360
    assert set(referrals.values_list("status", flat=True)) == set(Status)
    by_site = dict(referrals.values_list("site__name").annotate(n=Count("id")))
    assert min(by_site["North Riverside PCN"], by_site["Riverside Town Centre"]) > 100
    stories = {
        ("Aled", "Pritchard"),
        ("Carol", "Jenkins"),
        ("Tess", "Morgan"),
        ("Bashir", "Rahimi"),
        ("Edna", "Hughes"),
    }
    found = set(referrals.values_list("person__given_name", "person__family_name"))
    assert stories <= found
    tess = referrals.get(person__given_name="Tess").person
    assert tess.household.members.count() == 4
    # The referrer has referrals of their own to follow.
    assert referrals.filter(referred_by__email=demo_email(Role.REFERRER)).count() >= 20
    campaign = Campaign.objects.get(scheme=demo)
    outcomes = list(campaign.entries.values_list("outcome", flat=True))
    called = [o for o in outcomes if o != CallOutcome.PENDING]
    assert len(outcomes) == 40 and len(called) == 20
    assert CallOutcome.REFERRAL_CREATED in called
    assert Resource.objects.filter(scheme=demo, is_demo=True).count() >= 15
    assert "/waiting-room/" in capsys.readouterr().out


STORIES = [
    ("Aled", "Pritchard"),
    ("Carol", "Jenkins"),
    ("Tess", "Morgan"),
    ("Bashir", "Rahimi"),
    ("Edna", "Hughes"),
]


def test_seed_demo_tells_the_case_stories_through_the_casework_services(db, capsys):
    from django.db.models import Min
    from django.utils import timezone

    from linkwell.casework.models import Case, Contact, Need
    from linkwell.casework.states import (
        CaseStatus,
        FollowUpKind,
        FollowUpStatus,
        GoalStatus,
        Recurrence,
        SupportDecision,
    )
    from linkwell.referrals.states import Status

    call_command("seed_demo")
    demo = Scheme.objects.get(slug="demo")
    worker = User.objects.get(email=demo_email(Role.LINK_WORKER))
    now = timezone.now()
    cases = {}
    for given, family in STORIES:
        case = Case.objects.get(scheme=demo, person__given_name=given, person__family_name=family)
        cases[given] = case
        assert case.worker == worker, given
        assert case.status != CaseStatus.CLOSED, given
        assert case.referral.status == Status.ACCEPTED, given
        contacts = list(case.contacts.all())
        assert contacts, given
        assert all(case.opened_at <= c.at <= now for c in contacts), given
        assessment = case.assessments.get()
        assert assessment.completed_at and assessment.what_matters, given
        needs = list(case.needs.all())
        assert len(needs) >= 3 and all(n.in_their_words for n in needs), given
        assert case.goals.exists(), given
        assert case.supports.filter(decision=SupportDecision.CHOSEN).count() >= 3, given
        # Each story has something due next (Bashir: his final review).
        assert case.followups.filter(status=FollowUpStatus.DUE).exists(), given
    # History spread over the weeks since the referral, not all written today.
    assert cases["Aled"].contacts.count() >= 6
    assert cases["Aled"].contacts.filter(at__lt=now - timedelta(days=28)).exists()
    aled_calls = cases["Aled"].followups.filter(recurrence=Recurrence.WEEKLY)
    assert aled_calls.filter(status=FollowUpStatus.DONE).count() >= 4
    assert aled_calls.filter(status=FollowUpStatus.DUE).count() == 1
    carol_checks = cases["Carol"].followups.filter(kind=FollowUpKind.CHECK_REFERRAL)
    # Her four "is it on track" calls, and those her referrals scheduled when they were sent.
    assert carol_checks.exclude(status=FollowUpStatus.DUE).count() >= 4
    # Tess: her children are part of the case, and the support she declined is kept, with why,
    # in her words.
    tess = cases["Tess"]
    assert tess.household_members.count() == 3
    declined = tess.supports.get(decision=SupportDecision.DECLINED)
    assert "take the kids" in declined.in_their_words
    # Mr B: a safeguarding note, setbacks (a pause), and goals achieved or partly at the end.
    bashir = cases["Bashir"]
    assert bashir.notes.filter(is_safeguarding=True).count() == 1
    assert bashir.events.filter(to_status=CaseStatus.PAUSED).exists()
    assert bashir.status == CaseStatus.CLOSING
    assert bashir.goals.filter(status=GoalStatus.ACHIEVED).exists()
    assert bashir.goals.filter(status=GoalStatus.PARTLY).exists()
    assert bashir.supports.filter(decision=SupportDecision.CHOSEN).count() >= 8
    assert bashir.contacts.count() >= 10
    # Edna's case was opened from her contacted referral; she walks with her neighbour.
    assert cases["Edna"].goals.filter(text__icontains="walks with my neighbour").exists()
    # Edna has no mobile or internet, but a landline the team rings her on.
    edna = cases["Edna"]
    assert edna.person.phone.startswith("+441632") and edna.person.digital_access == "none"
    assert {c.method for c in edna.contacts.all()} == {"home_visit"}
    assert set(edna.referral.attempts.values_list("method", flat=True)) == {"phone"}
    # Mr B's weekly calls were made on the day they were due; his safeguarding note does not
    # repeat its tag.
    weekly = bashir.followups.filter(recurrence=Recurrence.WEEKLY, status=FollowUpStatus.DONE)
    assert weekly.count() >= 10
    for call in weekly:
        assert abs((timezone.localtime(call.completed_at).date() - call.due_on).days) <= 1
    assert not bashir.notes.get(is_safeguarding=True).text.lower().startswith("safeguarding")
    # What the team did happened in working hours, never ahead of now; consent was given
    # with the referral, before anyone rang.
    from linkwell.people.models import Consent
    from linkwell.referrals.models import ContactAttempt

    for at in [
        *ContactAttempt.objects.filter(referral__scheme=demo).values_list("at", flat=True),
        *Contact.objects.filter(case__scheme=demo).values_list("at", flat=True),
    ]:
        assert at <= now
        assert 9 <= timezone.localtime(at).hour < 17, timezone.localtime(at)
    first_try = dict(
        ContactAttempt.objects.filter(referral__scheme=demo)
        .values("referral__person")
        .annotate(first=Min("at"))
        .values_list("referral__person", "first")
    )
    # (Consent to share with services is asked when the person chooses a support, later.)
    consents = Consent.objects.filter(person__scheme=demo, person__in=list(first_try)).exclude(
        scope="share_providers"
    )
    assert consents.exists()
    for person, recorded in consents.values_list("person", "recorded_at"):
        assert recorded <= first_try[person]
    # Every referral sent had the person's consent to share, given by then.
    from linkwell.connections.models import Connection

    sent = Connection.objects.filter(scheme=demo, sent_at__isnull=False)
    assert sent.count() > 20
    # Referrals in every state a sent one can be in before the nudges run, each reason given.
    assert set(sent.values_list("status", flat=True)) == {
        "sent",
        "accepted",
        "declined",
        "started",
        "attended_some",
        "completed",
        "dropped_out",
        "did_not_attend",
        "withdrawn",
    }
    assert (
        not sent.filter(status__in=["declined", "dropped_out", "withdrawn"])
        .filter(events__to_status=F("status"), events__reason="")
        .exists()
    )
    # One referral the demo link worker wrote but has not sent: the person is thinking about it.
    [proposed] = Connection.objects.filter(scheme=demo, sent_at__isnull=True, kind="referral")
    assert proposed.status == "proposed"
    assert proposed.case.worker.email == demo_email(Role.LINK_WORKER)
    assert proposed.case.supports.filter(service=proposed.service, decision="considering").exists()
    for person, sent_at in sent.values_list("case__person", "sent_at"):
        assert Consent.objects.filter(
            person=person, scope="share_providers", recorded_at__lte=sent_at
        ).exists()
    # Each referral's email to its service is in the outbox; one the demo link worker sent was
    # refused, and is shown to them; no private link is kept in a stored message.
    from linkwell.notify.models import OutgoingMessage
    from linkwell.notify.selectors import messages_not_sent

    assert OutgoingMessage.objects.filter(scheme=demo).count() == sent.count()
    funmi = Membership.objects.get(scheme=demo, user__email=demo_email(Role.LINK_WORKER))
    [refused] = messages_not_sent(membership=funmi)
    assert refused.link.startswith("/cases/") and "Not a valid email address" in refused.last_error
    assert not OutgoingMessage.objects.filter(secret=True).exclude(body="").exists()
    # A case's words fit the person: nobody who lives alone is on their sister's sofa.
    sofa = Need.objects.filter(case__scheme=demo, in_their_words__icontains="sister's sofa")
    assert not sofa.filter(case__referral__lives_alone=True).exists()
    assert not sofa.filter(case__person__date_of_birth__lt=now.date() - timedelta(days=65 * 365))
    # Everything was written through the services: each contact has its audit entry.
    contacts = Contact.objects.filter(case__scheme=demo).count()
    assert LogEntry.objects.filter(scheme=demo, action="case.contact_recorded").count() == contacts
    assert "Cases:" in capsys.readouterr().out


def test_seed_demo_gives_the_demo_link_worker_a_caseload(db):
    from django.db.models import Count
    from django.utils import timezone

    from linkwell.casework.models import Case, FollowUp
    from linkwell.casework.selectors import cases_for
    from linkwell.casework.states import ON_CASELOAD, CaseStatus, ClosingReason, FollowUpStatus

    call_command("seed_demo")
    demo = Scheme.objects.get(slug="demo")
    worker = User.objects.get(email=demo_email(Role.LINK_WORKER))
    cases = Case.objects.filter(scheme=demo)
    theirs = cases.filter(worker=worker, status__in=ON_CASELOAD)
    assert 35 <= theirs.count() <= 45
    due = FollowUp.objects.filter(case__in=theirs, status=FollowUpStatus.DUE)
    overdue = due.filter(due_on__lt=timezone.localdate())
    assert 1 <= overdue.count() <= 12
    assert overdue.values("case").distinct().count() < theirs.count()
    # Some of their cases have nothing scheduled; some were handed over from a colleague.
    assert theirs.exclude(followups__status=FollowUpStatus.DUE).exists()
    assert theirs.filter(assignments__previous_worker__isnull=False).exists()
    # Histories vary: from one contact to eight or more.
    contacts = sorted(theirs.annotate(n=Count("contacts")).values_list("n", flat=True))
    assert contacts[0] <= 2 and contacts[-1] >= 8
    # The other link workers share the rest.
    for handle in ("kwame", "sian"):
        assert cases.filter(worker__email__startswith=handle, status__in=ON_CASELOAD).count() > 15
    # Each link worker holds cases at the sites they work at, so they can open every one.
    for membership in Membership.objects.filter(scheme=demo, role=Role.LINK_WORKER):
        held = cases.filter(worker=membership.user)
        assert held.exists()
        assert cases_for(membership).filter(worker=membership.user).count() == held.count()
    # About thirty older cases are closed, mostly with goals met, and no referrer was written to.
    closed = cases.filter(status=CaseStatus.CLOSED)
    assert 25 <= closed.count() <= 40
    reasons = dict(closed.values_list("closing_reason").annotate(n=Count("id")))
    assert reasons[ClosingReason.GOALS_MET] > closed.count() // 2
    assert len(reasons) >= 4
    assert not cases.filter(referrer_told_at__isnull=False).exists()
