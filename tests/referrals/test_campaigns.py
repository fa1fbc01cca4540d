"""Proactive call lists: the services, the selectors (progress in a fixed number of queries),
the pages, and the demo list."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linkwell.core.errors import ApplicationError
from linkwell.core.models import LogEntry, Role
from linkwell.directory.taxonomy import term_id
from linkwell.people.models import Consent, Person
from linkwell.referrals import campaign_selectors as selectors
from linkwell.referrals.campaigns import (
    call_make_referral,
    call_record,
    campaign_add_people,
    campaign_assign_callers,
    campaign_create,
    campaign_finish,
    campaign_update,
)
from linkwell.referrals.models import CallOutcome, Campaign, CampaignEntry, Referral
from tests.factories import PersonFactory


@pytest.fixture
def manager(member):
    return member(Role.MANAGER)


@pytest.fixture
def worker(member):
    return member(Role.LINK_WORKER)


def _campaign(scheme, manager, people=0, name="Winter calls", **kwargs):
    campaign = campaign_create(
        scheme=scheme, by=manager.user, name=name, script="Hello, how are you?", **kwargs
    )
    if people:
        campaign_add_people(
            campaign=campaign, people=PersonFactory.create_batch(people, scheme=scheme), by=None
        )
    return campaign


# --- Setting a list up ------------------------------------------------------------------------


def test_create_audits_and_refuses_a_name_already_used(scheme, manager):
    campaign = _campaign(scheme, manager)
    assert (campaign.scheme, campaign.created_by, campaign.state) == (
        scheme,
        manager.user,
        Campaign.State.ACTIVE,
    )
    assert LogEntry.objects.filter(action="campaign.created", object_id=str(campaign.pk)).exists()
    with pytest.raises(ValidationError) as caught:
        campaign_create(scheme=scheme, by=manager.user, name="  winter CALLS ")
    assert "already a call list with this name" in caught.value.message_dict["name"][0]


def test_only_a_manager_sets_up_a_list(scheme, worker):
    with pytest.raises(ApplicationError):
        campaign_create(scheme=scheme, by=worker.user, name="Mine")
    assert not Campaign.objects.exists()


def test_update_refuses_another_schemes_site(scheme, other_scheme, manager):
    campaign = _campaign(scheme, manager)
    with pytest.raises(ValidationError) as caught:
        campaign_update(
            campaign=campaign, by=manager.user, name="New", site=other_scheme.sites.first()
        )
    assert "site" in caught.value.message_dict
    campaign.refresh_from_db()
    assert campaign.name == "Winter calls"


def test_adding_people_is_idempotent(scheme, manager):
    campaign = _campaign(scheme, manager)
    people = PersonFactory.create_batch(3, scheme=scheme)
    assert campaign_add_people(campaign=campaign, people=people[:2], by=manager.user) == 2
    assert campaign_add_people(campaign=campaign, people=people, by=manager.user) == 1
    assert campaign_add_people(campaign=campaign, people=[p.pk for p in people], by=None) == 0
    assert campaign.entries.count() == 3


def test_adding_another_schemes_person_adds_nobody(scheme, other_scheme, manager):
    campaign = _campaign(scheme, manager)
    ours = PersonFactory(scheme=scheme)
    theirs = PersonFactory(scheme=other_scheme)
    with pytest.raises(ApplicationError) as caught:
        campaign_add_people(campaign=campaign, people=[ours, theirs], by=manager.user)
    assert caught.value.code == "campaign_person_not_found"
    assert not campaign.entries.exists()


def test_callers_share_the_calls_evenly(scheme, manager, member):
    campaign = _campaign(scheme, manager, people=10)
    a, b, c = (member(Role.LINK_WORKER).user for _ in range(3))
    given = campaign_assign_callers(campaign=campaign, callers=[a, b, c], by=manager.user)
    assert sorted(given.values()) == [3, 3, 4]
    counts = {
        u.pk: CampaignEntry.objects.filter(campaign=campaign, caller=u).count() for u in (a, b, c)
    }
    assert counts == given
    # More people arrive: they go to whoever has fewest calls still to make.
    campaign_add_people(
        campaign=campaign, people=PersonFactory.create_batch(2, scheme=scheme), by=None
    )
    given = campaign_assign_callers(campaign=campaign, callers=[a, b, c], by=manager.user)
    counts = {
        u.pk: CampaignEntry.objects.filter(campaign=campaign, caller=u).count() for u in (a, b, c)
    }
    assert sorted(counts.values()) == [4, 4, 4]
    assert sum(given.values()) == 2


def test_a_callers_removal_returns_only_calls_still_to_make(scheme, manager, member):
    campaign = _campaign(scheme, manager, people=4)
    a, b = member(Role.LINK_WORKER).user, member(Role.LINK_WORKER).user
    campaign_assign_callers(campaign=campaign, callers=[a, b], by=manager.user)
    made = CampaignEntry.objects.filter(campaign=campaign, caller=a).first()
    call_record(entry=made, by=a, outcome=CallOutcome.REACHED)
    campaign_assign_callers(campaign=campaign, callers=[b], by=manager.user)
    made.refresh_from_db()
    assert made.caller == a  # a call already made keeps its caller
    assert CampaignEntry.objects.filter(campaign=campaign, caller=b).count() == 3


@pytest.mark.parametrize("role", [Role.REFERRER, Role.ADMIN])
def test_callers_must_be_able_to_make_calls(scheme, other_scheme, manager, member, role):
    campaign = _campaign(scheme, manager, people=2)
    for user in (member(role).user, member(Role.LINK_WORKER, of=other_scheme).user):
        with pytest.raises(ApplicationError) as caught:
            campaign_assign_callers(campaign=campaign, callers=[user], by=manager.user)
        assert caught.value.code == "campaign_caller_not_allowed"
    assert not campaign.callers.exists()
    assert not CampaignEntry.objects.filter(caller__isnull=False).exists()


# --- Calls ------------------------------------------------------------------------------------


def test_a_call_counts_an_attempt_and_claims_the_person(scheme, manager, worker):
    campaign = _campaign(scheme, manager, people=1)
    entry = campaign.entries.get()
    call_record(entry=entry, by=worker.user, outcome=CallOutcome.NO_ANSWER, needs=["food"])
    entry = call_record(entry=entry, by=worker.user, outcome=CallOutcome.NO_ANSWER, note="x")
    entry.refresh_from_db()
    assert (entry.outcome, entry.attempts, entry.caller, entry.called_by, entry.note) == (
        CallOutcome.NO_ANSWER,
        2,
        worker.user,
        worker.user,
        "x",
    )
    assert not entry.needs.exists()  # needs are kept only when support is needed
    log = LogEntry.objects.filter(action="campaign.call_recorded", person_id=str(entry.person_id))
    assert log.count() == 2
    assert "note" not in str(log.first().data.get("outcome"))


def test_support_needed_needs_at_least_one_need(scheme, manager, worker):
    campaign = _campaign(scheme, manager, people=1)
    entry = campaign.entries.get()
    with pytest.raises(ValidationError) as caught:
        call_record(entry=entry, by=worker.user, outcome=CallOutcome.SUPPORT_NEEDED)
    assert "needs" in caught.value.message_dict
    entry.refresh_from_db()
    assert (entry.outcome, entry.attempts) == (CallOutcome.PENDING, 0)
    call_record(
        entry=entry,
        by=worker.user,
        outcome=CallOutcome.SUPPORT_NEEDED,
        needs=["loneliness", str(term_id("food"))],
    )
    assert sorted(entry.needs.values_list("code", flat=True)) == ["food", "loneliness"]


@pytest.mark.parametrize("outcome", [CallOutcome.PENDING, CallOutcome.REFERRAL_CREATED, "bogus"])
def test_outcomes_a_caller_cannot_record(scheme, manager, worker, outcome):
    entry = _campaign(scheme, manager, people=1).entries.get()
    with pytest.raises(ValidationError) as caught:
        call_record(entry=entry, by=worker.user, outcome=outcome)
    assert "outcome" in caught.value.message_dict


def test_a_finished_list_takes_no_calls(scheme, manager, worker):
    campaign = _campaign(scheme, manager, people=1)
    campaign_finish(campaign=campaign, by=manager.user)
    with pytest.raises(ApplicationError) as caught:
        call_record(entry=campaign.entries.get(), by=worker.user, outcome=CallOutcome.REACHED)
    assert caught.value.code == "campaign_finished"
    with pytest.raises(ApplicationError):
        campaign_finish(campaign=campaign, by=manager.user)


def test_a_referrer_cannot_record_calls(scheme, manager, member):
    entry = _campaign(scheme, manager, people=1).entries.get()
    with pytest.raises(ApplicationError):
        call_record(entry=entry, by=member(Role.REFERRER).user, outcome=CallOutcome.REACHED)


def test_make_a_referral_from_a_call(scheme, manager, worker):
    campaign = _campaign(scheme, manager, people=1)
    entry = campaign.entries.get()
    people_before = Person.objects.count()
    referral = call_make_referral(
        entry=entry,
        by=worker.user,
        needs=["loneliness", "physical-activity"],
        consent_to_contact=True,
        contact_channels=["phone", "sms"],
        note="Would like a walking group.",
    )
    entry.refresh_from_db()
    assert Person.objects.count() == people_before
    assert referral.person_id == entry.person_id
    assert (referral.channel, referral.source_type, referral.status) == (
        "campaign",
        "proactive",
        "received",
    )
    assert referral.campaign_entry == entry
    assert sorted(referral.reasons.values_list("code", flat=True)) == [
        "loneliness",
        "physical-activity",
    ]
    assert referral.referrer_name == worker.user.full_name
    consent = Consent.objects.get(person=entry.person, scope="contact", withdrawn_at__isnull=True)
    assert (consent.method, consent.channels, consent.recorded_by) == (
        "verbal",
        ["phone", "sms"],
        worker.user,
    )
    assert (entry.outcome, entry.attempts, entry.called_by) == (
        CallOutcome.REFERRAL_CREATED,
        1,
        worker.user,
    )
    assert sorted(entry.needs.values_list("code", flat=True)) == ["loneliness", "physical-activity"]
    assert LogEntry.objects.filter(
        action="campaign.referral_made", person_id=str(entry.person_id)
    ).exists()

    # A second referral from the same call is refused, and nothing changes.
    with pytest.raises(ApplicationError) as caught:
        call_make_referral(entry=entry, by=worker.user, needs=["food"], consent_to_contact=True)
    assert caught.value.code == "campaign_referral_exists"
    assert "already made" in caught.value.message
    # ... and so is recording a new outcome over it.
    with pytest.raises(ApplicationError):
        call_record(entry=entry, by=worker.user, outcome=CallOutcome.DECLINED)
    assert Referral.objects.filter(person=entry.person).count() == 1


def test_a_referral_after_a_recorded_call_is_not_a_second_attempt(scheme, manager, worker):
    entry = _campaign(scheme, manager, people=1).entries.get()
    call_record(entry=entry, by=worker.user, outcome=CallOutcome.SUPPORT_NEEDED, needs=["food"])
    call_make_referral(entry=entry, by=worker.user, needs=["food"], consent_to_contact=True)
    entry.refresh_from_db()
    assert (entry.outcome, entry.attempts) == (CallOutcome.REFERRAL_CREATED, 1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"consent_to_contact": False}, "consent"),
        ({"needs": []}, "needs"),
        ({"needs": ["not-a-need"]}, "needs"),
        ({"contact_channels": []}, "contact_channels"),
        ({"urgency": "whenever"}, "urgency"),
    ],
)
def test_a_referral_needs_consent_and_needs(scheme, manager, worker, kwargs, field):
    entry = _campaign(scheme, manager, people=1).entries.get()
    fields = {"needs": ["loneliness"], "consent_to_contact": True, **kwargs}
    with pytest.raises(ValidationError) as caught:
        call_make_referral(entry=entry, by=worker.user, **fields)
    assert field in caught.value.message_dict
    entry.refresh_from_db()
    assert (entry.outcome, entry.attempts) == (CallOutcome.PENDING, 0)
    assert not Referral.objects.exists()
    assert not Consent.objects.exists()


# --- Selectors --------------------------------------------------------------------------------


def _work(campaign, by, outcomes):
    for entry, outcome in zip(campaign.entries.all(), outcomes, strict=False):
        if outcome == CallOutcome.REFERRAL_CREATED:
            call_make_referral(entry=entry, by=by, needs=["food"], consent_to_contact=True)
        else:
            needs = ["food"] if outcome == CallOutcome.SUPPORT_NEEDED else []
            call_record(entry=entry, by=by, outcome=outcome, needs=needs)


def test_progress_counts(scheme, manager, worker):
    campaign = _campaign(scheme, manager, people=5)
    campaign_assign_callers(campaign=campaign, callers=[worker.user], by=manager.user)
    _work(
        campaign,
        worker.user,
        [CallOutcome.SUPPORT_NEEDED, CallOutcome.NO_ANSWER, CallOutcome.REFERRAL_CREATED],
    )
    [listed] = selectors.campaign_list(membership=worker)
    progress = listed.progress
    assert (progress.total, progress.called, progress.percent) == (5, 3, 60)
    assert progress.text == "3 of 5 called (60%)"
    assert progress.counts == {
        "pending": 2,
        "no_answer": 1,
        "reached": 0,
        "support_needed": 1,
        "referral_created": 1,
        "declined": 0,
    }
    # Still to call for the worker: two never called and one with no answer.
    assert progress.mine_to_call == 3


def test_campaign_list_query_count_is_constant(scheme, manager, worker, member):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            campaigns = selectors.campaign_list(membership=worker)
            for c in campaigns:
                list(c.callers.all())
        return len(ctx.captured_queries), len(campaigns)

    c1 = _campaign(scheme, manager, people=2, name="One")
    campaign_assign_callers(campaign=c1, callers=[worker.user], by=manager.user)
    small, n = queries()
    assert n == 1
    for i in range(4):
        c = _campaign(scheme, manager, people=6, name=f"More {i}")
        campaign_assign_callers(
            campaign=c, callers=[worker.user, member(Role.LINK_WORKER).user], by=manager.user
        )
        _work(c, worker.user, [CallOutcome.REACHED, CallOutcome.DECLINED])
    large, n = queries()
    assert n == 5
    assert large == small


def test_another_schemes_lists_are_not_seen(scheme, other_scheme, manager, member):
    _campaign(other_scheme, member(Role.MANAGER, of=other_scheme), name="Theirs")
    mine = _campaign(scheme, manager, name="Ours")
    assert [c.name for c in selectors.campaign_list(membership=manager)] == ["Ours"]
    theirs = Campaign.objects.get(name="Theirs")
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.campaign_detail(membership=manager, campaign_id=theirs.pk)
    with pytest.raises(Http404):
        selectors.campaign_entries(membership=manager, campaign=theirs)
    assert selectors.campaign_detail(membership=manager, campaign_id=mine.pk) == mine


def test_site_limited_members_see_their_sites_lists(scheme, manager, member):
    north, south = scheme.sites.order_by("name")
    _campaign(scheme, manager, name="North list", site=north)
    _campaign(scheme, manager, name="South list", site=south)
    _campaign(scheme, manager, name="Everywhere")
    limited = member(Role.LINK_WORKER)
    limited.sites.set([north])
    names = sorted(c.name for c in selectors.campaign_list(membership=limited))
    assert names == ["Everywhere", "North list"]


def test_people_search_by_name_nhs_number_and_postcode(scheme, other_scheme, manager):
    campaign = _campaign(scheme, manager)
    edna = PersonFactory(
        scheme=scheme, given_name="Edna", family_name="Price", nhs_number="9434765919"
    )
    PersonFactory(scheme=scheme, given_name="Bert", family_name="Jones", postcode="RV2 3BB")
    PersonFactory(scheme=other_scheme, given_name="Edna", family_name="Price")

    def found(query):
        people, _ = selectors.people_search(membership=manager, campaign=campaign, query=query)
        return sorted(p.full_name for p in people)

    assert found("edna pri") == ["Edna Price"]
    assert found("943 476 5919") == ["Edna Price"]
    assert found("rv23bb") == ["Bert Jones"]
    assert found("RV2") == ["Bert Jones"]
    campaign_add_people(campaign=campaign, people=[edna], by=manager.user)
    assert found("Edna") == []  # already on the list
    log = LogEntry.objects.filter(action="campaign.people_searched").latest("id")
    assert log.data["found"] == 0


# --- Pages ------------------------------------------------------------------------------------


def test_list_page_shows_progress(client_as, scheme):
    client = client_as(Role.MANAGER)
    campaign = _campaign(scheme, client.membership, people=4)
    _work(campaign, client.membership.user, [CallOutcome.REACHED, CallOutcome.DECLINED])
    page = client.get("/campaigns/").content.decode()
    assert "Winter calls" in page
    assert "2 of 4 called (50%)" in page
    assert 'aria-valuenow="2"' in page and 'aria-valuemax="4"' in page


def test_campaign_page_filters_and_shows_the_script(client_as, scheme, member):
    client = client_as(Role.LINK_WORKER)
    manager = member(Role.MANAGER)
    campaign = _campaign(scheme, manager, people=6)
    other = member(Role.LINK_WORKER).user
    campaign_assign_callers(
        campaign=campaign, callers=[client.membership.user, other], by=manager.user
    )
    mine = list(CampaignEntry.objects.filter(campaign=campaign, caller=client.membership.user))
    call_record(entry=mine[0], by=client.membership.user, outcome=CallOutcome.DECLINED)
    url = f"/campaigns/{campaign.pk}/"

    def names(query=""):
        response = client.get(url + query)
        assert response.status_code == 200
        return {e.person.full_name for e in response.context["page"].object_list}

    everyone = names()
    assert len(everyone) == 6
    assert names("?show=mine") == {e.person.full_name for e in mine}
    assert names("?outcome=pending") == everyone - {mine[0].person.full_name}
    assert names("?outcome=declined") == {mine[0].person.full_name}
    page = client.get(url).content.decode()
    assert "Hello, how are you?" in page
    assert "1 of 6 called (17%)" in page
    # With htmx, only the list of people comes back.
    partial = client.get(
        url + "?show=mine", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="campaign-entries"
    )
    assert partial.templates[0].name == "referrals/partials/campaign_entries.html"
    assert "<h1" not in partial.content.decode()


def test_campaign_page_query_count_is_constant(client_as, scheme, member):
    client = client_as(Role.MANAGER)
    campaign = _campaign(scheme, client.membership, people=2)
    callers = [member(Role.LINK_WORKER).user for _ in range(2)]
    campaign_assign_callers(campaign=campaign, callers=callers, by=client.membership.user)
    _work(campaign, callers[0], [CallOutcome.SUPPORT_NEEDED])
    url = f"/campaigns/{campaign.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    campaign_add_people(
        campaign=campaign, people=PersonFactory.create_batch(20, scheme=scheme), by=None
    )
    campaign_assign_callers(
        campaign=campaign,
        callers=[*callers, member(Role.LINK_WORKER).user],
        by=client.membership.user,
    )
    _work(campaign, callers[1], [CallOutcome.SUPPORT_NEEDED] * 2 + [CallOutcome.NO_ANSWER] * 5)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(response.context["page"].object_list) == 22
    assert len(large.captured_queries) == len(small.captured_queries)
    with CaptureQueriesContext(connection) as listing:
        client.get("/campaigns/")
    _campaign(scheme, client.membership, people=3, name="Another")
    with CaptureQueriesContext(connection) as listing_more:
        client.get("/campaigns/")
    assert len(listing_more.captured_queries) == len(listing.captured_queries)


def test_call_screen_records_a_call_and_moves_on(client_as, scheme, member):
    client = client_as(Role.LINK_WORKER)
    user = client.membership.user
    manager = member(Role.MANAGER)
    campaign = _campaign(scheme, manager, people=2)
    campaign_assign_callers(campaign=campaign, callers=[user], by=manager.user)
    first, second = campaign.entries.order_by("person__family_name", "person__given_name", "pk")
    url = f"/campaigns/{campaign.pk}/calls/{first.pk}/"
    page = client.get(url).content.decode()
    assert f'href="tel:{first.person.phone}"' in page
    assert "Hello, how are you?" in page
    assert LogEntry.objects.filter(
        action="campaign.entry_viewed", person_id=str(first.person_id), actor=user
    ).exists()

    response = client.post(url, {"outcome": "support_needed", "note": "Cold house"})
    assert response.status_code == 200
    assert "Choose at least one area" in response.content.decode()
    first.refresh_from_db()
    assert first.attempts == 0

    response = client.post(
        url,
        {"outcome": "support_needed", "needs": [str(term_id("money-debt"))], "note": "Cold house"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{campaign.pk}/calls/{second.pk}/"
    first.refresh_from_db()
    assert (first.outcome, first.attempts, first.note) == ("support_needed", 1, "Cold house")

    response = client.post(
        f"/campaigns/{campaign.pk}/calls/{second.pk}/", {"outcome": "no_answer"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/campaigns/{campaign.pk}/"
    assert "Nobody is left to call" in response.content.decode()


def test_make_a_referral_page_and_refusing_a_second(client_as, scheme, member):
    client = client_as(Role.LINK_WORKER)
    manager = member(Role.MANAGER)
    entry = _campaign(scheme, manager, people=1).entries.get()
    url = f"/campaigns/{entry.campaign_id}/calls/{entry.pk}/referral/"
    data = {
        "referral-needs": [str(term_id("loneliness"))],
        "referral-urgency": "routine",
        "referral-contact_channels": ["phone"],
        "referral-note": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "They agreed to be contacted" in response.content.decode()
    assert "Ask whether they agree to be contacted" in response.content.decode()
    assert not Referral.objects.exists()

    response = client.post(url, {**data, "referral-consent": "on"}, follow=True)
    assert "Referral made for" in response.content.decode()
    referral = Referral.objects.get()
    assert referral.campaign_entry == entry

    response = client.post(url, {**data, "referral-consent": "on"}, follow=True)
    assert "A referral was already made from this call" in response.content.decode()
    assert Referral.objects.count() == 1
    # The call screen says so, and offers no forms.
    page = client.get(f"/campaigns/{entry.campaign_id}/calls/{entry.pk}/").content.decode()
    assert 'data-testid="referral-made"' in page
    assert 'data-testid="call-form"' not in page


def test_manager_pages_set_up_a_list(client_as, scheme, member):
    client = client_as(Role.MANAGER)
    response = client.post(
        "/campaigns/new/", {"name": "Shielding calls", "script": "Hi", "description": ""}
    )
    campaign = Campaign.objects.get(name="Shielding calls")
    assert response["Location"] == f"/campaigns/{campaign.pk}/people/"
    assert client.post("/campaigns/new/", {"name": "shielding calls"}).status_code == 200

    ann = PersonFactory(scheme=scheme, given_name="Ann", family_name="Hughes")
    PersonFactory(scheme=scheme, given_name="Ann", family_name="Baker")
    page = client.get(f"/campaigns/{campaign.pk}/people/?q=ann")
    assert len(page.context["people"]) == 2
    response = client.post(f"/campaigns/{campaign.pk}/people/", {"q": "ann", "people": [ann.pk]})
    assert response.status_code == 302
    assert list(campaign.entries.values_list("person", flat=True)) == [ann.pk]
    response = client.post(f"/campaigns/{campaign.pk}/people/", {"q": "ann"})
    assert "Choose at least one person" in response.content.decode()

    caller = member(Role.LINK_WORKER).user
    response = client.post(f"/campaigns/{campaign.pk}/callers/", {"callers": [caller.pk]})
    assert response.status_code == 302
    assert campaign.entries.get().caller == caller

    response = client.post(f"/campaigns/{campaign.pk}/edit/", {"name": "Shielding: spring"})
    campaign.refresh_from_db()
    assert campaign.name == "Shielding: spring"

    assert client.get(f"/campaigns/{campaign.pk}/finish/").status_code == 200
    client.post(f"/campaigns/{campaign.pk}/finish/")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.FINISHED
    page = client.get(f"/campaigns/{campaign.pk}/calls/{campaign.entries.get().pk}/")
    assert "This list is finished" in page.content.decode()


def test_link_workers_work_lists_but_do_not_set_them_up(client_as, scheme, member):
    client = client_as(Role.LINK_WORKER)
    campaign = _campaign(scheme, member(Role.MANAGER))
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 200
    for url in ("new/", *(f"{campaign.pk}/{page}/" for page in ("edit", "people", "callers"))):
        assert client.get(f"/campaigns/{url}").status_code == 403
    assert client.post(f"/campaigns/{campaign.pk}/finish/").status_code == 403
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.ACTIVE


def test_an_entry_of_another_list_is_404(client_as, scheme, member):
    client = client_as(Role.LINK_WORKER)
    manager = member(Role.MANAGER)
    one = _campaign(scheme, manager, people=1, name="One")
    two = _campaign(scheme, manager, people=1, name="Two")
    entry = two.entries.get()
    assert client.get(f"/campaigns/{one.pk}/calls/{entry.pk}/").status_code == 404


# --- Demo -------------------------------------------------------------------------------------


def test_demo_campaign_is_half_done_and_loads_once(scheme, member):
    from linkwell.referrals.demo_campaigns import NAME, load_demo_campaign

    manager = member(Role.MANAGER)
    callers = [member(Role.LINK_WORKER), member(Role.LINK_WORKER), manager]
    people = PersonFactory.create_batch(40, scheme=scheme)
    campaign = load_demo_campaign(scheme=scheme, people=people, callers=callers, manager=manager)
    assert campaign.name == NAME and campaign.script
    entries = campaign.entries.all()
    assert entries.count() == 40
    called = entries.exclude(outcome=CallOutcome.PENDING)
    assert called.count() == 20
    assert 3 <= entries.filter(outcome=CallOutcome.REFERRAL_CREATED).count() <= 4
    referrals = Referral.objects.filter(campaign_entry__campaign=campaign, channel="campaign")
    assert referrals.count() == entries.filter(outcome=CallOutcome.REFERRAL_CREATED).count()
    no_answer = entries.filter(outcome=CallOutcome.NO_ANSWER)
    assert no_answer.exists() and set(no_answer.values_list("attempts", flat=True)) == {2}
    assert entries.filter(outcome=CallOutcome.DECLINED).exists()
    supported = entries.filter(outcome=CallOutcome.SUPPORT_NEEDED)
    assert supported.exists() and all(e.needs.exists() for e in supported)
    assert not entries.filter(caller__isnull=True).exists()

    before = list(entries.values_list("pk", "outcome", "attempts"))
    again = load_demo_campaign(scheme=scheme, people=people, callers=callers, manager=manager)
    assert again == campaign
    assert list(campaign.entries.values_list("pk", "outcome", "attempts")) == before
    assert Campaign.objects.count() == 1
