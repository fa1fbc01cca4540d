"""The find-support pages: the ranked list on a case, narrowing it, the person's decisions, what
they can manage, the scheme's weights and the gaps report."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linkwell.casework import services as case_services
from linkwell.casework.models import PlanSupport
from linkwell.core.audit import LogEntry
from linkwell.core.models import Role
from linkwell.directory.models import Capacity
from linkwell.directory.taxonomy import term_id
from linkwell.geo.models import Postcode
from linkwell.matching.models import MatchPreferences, MatchWeights, UnmetNeed
from linkwell.matching.services import match_text_refresh
from linkwell.people.models import Consent, ConsentMethod, ConsentScope
from tests.directory.factories import CENTRE, listed_service
from tests.factories import CaseFactory, PersonFactory

# About 1.1 km, 3.6 km and 8 km north of the centre.
NEAR = (CENTRE[0] + 0.01, CENTRE[1])
MID = (CENTRE[0] + 0.032, CENTRE[1])
FAR = (CENTRE[0] + 0.072, CENTRE[1])


@pytest.fixture
def worker(client_as):
    return client_as(Role.LINK_WORKER)


@pytest.fixture
def case(worker, scheme):
    Postcode.objects.create(
        postcode="B1 1AA", latitude=CENTRE[0], longitude=CENTRE[1], source="demo"
    )
    person = PersonFactory(
        scheme=scheme, given_name="Edna", family_name="Hughes", postcode="B1 1AA"
    )
    case = CaseFactory(scheme=scheme, person=person, worker=worker.membership.user)
    by = worker.membership.user
    case_services.need_set(
        case=case,
        by=by,
        area=case_services.need_area(term_id("loneliness")),
        severity=3,
        in_their_words="So lonely",
    )
    case_services.need_set(
        case=case,
        by=by,
        area=case_services.need_area(term_id("physical-activity")),
        severity=2,
        in_their_words="Scared of falling since my hip",
    )
    return case


def _find(case, **params):
    return reverse("matching:find_support", args=[case.pk])


def _directory():
    friends = listed_service(name="Friendship club", terms=("loneliness",), at=NEAR, in_person=True)
    balance = listed_service(
        name="Strength and balance class",
        description="Gentle exercise to prevent falls.",
        terms=("physical-activity", "loneliness"),
        at=NEAR,
        in_person=True,
    )
    full = listed_service(
        name="Lunch club", terms=("loneliness",), at=NEAR, in_person=True, capacity=Capacity.FULL
    )
    match_text_refresh()
    return friends, balance, full


def test_the_list_ranks_services_with_reasons_and_shows_near_misses(worker, case):
    _directory()
    response = worker.get(_find(case))
    assert response.status_code == 200
    html = response.content.decode()
    matches = response.context["result"].matches
    assert [m.name for m in matches] == ["Strength and balance class", "Friendship club"]
    assert "0.7 miles by bus" in html
    assert "helps with loneliness and isolation and physical activity" in html
    assert 'data-testid="breakdown"' in html
    near = response.context["result"].near_misses
    assert [(n.name, n.why) for n in near] == [("Lunch club", "full")]
    assert LogEntry.objects.filter(action="case.matches_viewed", object_id=str(case.pk)).exists()


def test_another_schemes_case_is_not_found_and_other_roles_are_refused(
    client_as, case, other_scheme
):
    outsider = client_as(Role.LINK_WORKER, of=other_scheme)
    assert outsider.get(_find(case)).status_code == 404
    referrer = client_as(Role.REFERRER)
    assert referrer.get(_find(case)).status_code == 403


def test_narrowing_to_one_need_and_to_walking_distance(worker, case):
    _directory()
    listed_service(name="Far walking group", terms=("physical-activity",), at=FAR, in_person=True)
    listed_service(name="Park walk", terms=("physical-activity",), at=MID, in_person=True)
    match_text_refresh()
    url = _find(case)
    response = worker.get(url, {"needs": str(term_id("physical-activity"))})
    names = [m.name for m in response.context["result"].matches]
    assert "Friendship club" not in names
    assert "Far walking group" in names
    walking = worker.get(url, {"travel": "walk"})
    names = [m.name for m in walking.context["result"].matches]
    assert "Far walking group" not in names
    assert "Park walk" not in names
    # Just past walking distance, it is shown as a near-miss with the distance.
    near = {n.name: n.why for n in walking.context["result"].near_misses}
    assert near["Park walk"] == "too far (2.2 miles)"


def test_a_bad_refinement_is_shown_next_to_its_field(worker, case):
    _directory()
    response = worker.get(_find(case), {"distance": "-3"})
    assert response.status_code == 200
    assert "Enter a distance of 0 km or more" in response.content.decode()
    assert response.context["result"].matches  # the unrefined list still shows


def test_shortlisting_and_choosing_record_the_persons_decision(worker, case):
    friends, balance, _ = _directory()
    url = reverse("matching:decide", args=[case.pk])
    response = worker.post(url, {"service": str(balance.pk), "decision": "considering"})
    assert response.status_code == 302
    assert PlanSupport.objects.get(case=case, service=balance).decision == "considering"
    worker.post(url, {"service": str(balance.pk), "decision": "chosen"})
    assert PlanSupport.objects.get(case=case, service=balance).decision == "chosen"
    page = worker.get(_find(case)).content.decode()
    assert ">Chosen<" in page
    # Declining needs the person's words, so it cannot be done in one click.
    worker.post(url, {"service": str(friends.pk), "decision": "declined"})
    assert not PlanSupport.objects.filter(case=case, service=friends).exists()


def test_declining_asks_for_the_persons_words(worker, case):
    friends, _, _ = _directory()
    url = reverse("matching:decline", args=[case.pk, friends.pk])
    assert worker.get(url).status_code == 200
    refused = worker.post(url, {"service": str(friends.pk), "decision": "declined"})
    assert refused.status_code == 400
    assert "in their own words" in refused.content.decode()
    assert not PlanSupport.objects.filter(case=case, service=friends).exists()
    done = worker.post(
        url,
        {"service": str(friends.pk), "decision": "declined", "in_their_words": "Too many people"},
    )
    assert done.status_code == 302
    support = PlanSupport.objects.get(case=case, service=friends)
    assert (support.decision, support.in_their_words) == ("declined", "Too many people")


def test_a_service_the_member_cannot_see_is_not_found(worker, case, other_scheme):
    hidden = listed_service(name="Private", is_public=False, owner_scheme=other_scheme)
    url = reverse("matching:decide", args=[case.pk])
    assert worker.post(url, {"service": str(hidden.pk), "decision": "chosen"}).status_code == 404
    assert worker.get(reverse("matching:decline", args=[case.pk, hidden.pk])).status_code == 404


def test_what_the_person_can_manage_is_saved_and_used(worker, case):
    _directory()
    url = reverse("matching:preferences", args=[case.pk])
    assert worker.get(url).status_code == 200
    missing = worker.post(url, {"travel": "walk", "cost_limit": "free"})
    assert missing.status_code == 400
    assert "Choose at least one way they can take part" in missing.content.decode()
    assert not MatchPreferences.objects.filter(case=case).exists()
    saved = worker.post(
        url,
        {
            "travel": "none",
            "ways": ["by_phone"],
            "cost_limit": "free",
            "days": ["TU"],
            "times": ["morning"],
        },
    )
    assert saved.status_code == 302
    preferences = MatchPreferences.objects.get(case=case)
    assert (preferences.travel, preferences.in_person, preferences.by_phone) == (
        "none",
        False,
        True,
    )
    assert preferences.days == ["TU"]
    # Nothing in person is possible now: the in-person services become near-misses.
    result = worker.get(_find(case)).context["result"]
    assert result.matches == []
    assert {n.why for n in result.near_misses} >= {"in person only"}


def test_a_stale_preferences_edit_is_refused(worker, case):
    url = reverse("matching:preferences", args=[case.pk])
    data = {"travel": "bus", "ways": ["in_person"], "cost_limit": "free"}
    worker.post(url, data)
    version = MatchPreferences.objects.get(case=case).version
    worker.post(url, {**data, "version": version})
    stale = worker.post(url, {**data, "travel": "car", "version": version})
    assert stale.status_code == 400
    assert "Someone else changed this" in stale.content.decode()
    assert MatchPreferences.objects.get(case=case).travel == "bus"


def test_a_need_nothing_reachable_meets_is_recorded_then_resolved(worker, case, scheme):
    listed_service(name="Friendship club", terms=("loneliness",), at=NEAR, in_person=True)
    match_text_refresh()
    page = worker.get(_find(case))
    assert page.status_code == 200
    unmet = UnmetNeed.objects.get(case=case)
    assert (unmet.area_id, unmet.place, unmet.reason) == (
        term_id("physical-activity"),
        "B1",
        "nothing_listed",
    )
    assert "Recorded for the gaps report" in page.content.decode()
    # Searching again records nothing twice; once something helps, the need is resolved.
    worker.get(_find(case))
    assert UnmetNeed.objects.filter(case=case).count() == 1
    listed_service(name="Chair yoga", terms=("physical-activity",), at=NEAR, in_person=True)
    match_text_refresh()
    worker.get(_find(case))
    unmet.refresh_from_db()
    assert unmet.resolved_at is not None
    assert LogEntry.objects.filter(action="case.unmet_need_resolved").count() == 1


def test_the_page_runs_the_same_number_of_queries_whatever_the_directory(worker, case):
    _directory()
    worker.get(_find(case))
    with CaptureQueriesContext(connection) as small:
        worker.get(_find(case))
    for i in range(25):
        listed_service(name=f"Group {i}", terms=("loneliness",), at=NEAR, in_person=True)
    match_text_refresh()
    with CaptureQueriesContext(connection) as large:
        response = worker.get(_find(case))
    assert len(response.context["result"].matches) == 10
    assert len(large.captured_queries) == len(small.captured_queries)


def test_managers_tune_the_weights(client_as, scheme):
    manager = client_as(Role.MANAGER)
    url = reverse("matching:weights")
    assert manager.get(url).status_code == 200
    values = {
        "need": 4,
        "text": 1,
        "distance": 3,
        "schedule": 0,
        "cost": 1,
        "capacity": 1,
        "freshness": 0,
        "track_record": 2,
    }
    assert manager.post(url, values).status_code == 302
    weights = MatchWeights.objects.get(scheme=scheme)
    assert (weights.need, weights.schedule, weights.distance) == (4, 0, 3)
    zero = manager.post(url, dict.fromkeys(values, 0))
    assert zero.status_code == 400
    assert "must count for something" in zero.content.decode()
    too_big = manager.post(url, {**values, "need": 9})
    assert too_big.status_code == 400
    assert MatchWeights.objects.get(scheme=scheme).need == 4
    assert client_as(Role.LINK_WORKER).get(url).status_code == 403


def test_weights_change_the_order(worker, case, scheme):
    near_far = listed_service(
        name="Near friendship club", terms=("loneliness",), at=NEAR, in_person=True
    )
    both = listed_service(
        name="Far balance and friends",
        terms=("loneliness", "physical-activity"),
        at=FAR,
        in_person=True,
    )
    match_text_refresh()
    first = worker.get(_find(case)).context["result"].matches[0]
    assert first.service_id == both.pk
    MatchWeights.objects.create(scheme=scheme, need=0.5, text=0, distance=5)
    first = worker.get(_find(case)).context["result"].matches[0]
    assert first.service_id == near_far.pk


def test_the_gaps_report_counts_people_and_hides_small_numbers_from_commissioners(
    client_as, case, scheme
):
    UnmetNeed.objects.create(
        case=case, scheme=scheme, area_id=term_id("housing"), place="B1", reason="too_far"
    )
    # Counted only with the person's consent to anonymised reports, in force now.
    assert client_as(Role.MANAGER).get(reverse("matching:gaps")).context["rows"] == []
    consent = Consent.objects.create(
        person=case.person, scope=ConsentScope.REPORTING, method=ConsentMethod.VERBAL
    )
    manager = client_as(Role.MANAGER).get(reverse("matching:gaps"))
    assert manager.status_code == 200
    rows = manager.context["rows"]
    assert [(r["area__name"], r["place"], r["people_shown"]) for r in rows] == [
        ("Housing", "B1", "1")
    ]
    commissioner = client_as(Role.COMMISSIONER).get(reverse("matching:gaps"))
    assert commissioner.context["rows"][0]["people_shown"] == "fewer than 3"
    assert "Edna" not in commissioner.content.decode()
    assert client_as(Role.LINK_WORKER).get(reverse("matching:gaps")).status_code == 403
    consent.withdrawn_at = timezone.now()
    consent.save()
    assert client_as(Role.MANAGER).get(reverse("matching:gaps")).context["rows"] == []


def test_step_free_access_comes_from_the_persons_accessibility_needs(worker, case):
    case.person.accessibility_needs = "Uses a wheelchair outdoors"
    case.person.save()
    response = worker.get(reverse("matching:preferences", args=[case.pk]))
    assert response.context["form"].initial["step_free"] is True
    response = worker.get(_find(case))
    assert response.context["profile"].step_free is True


def test_a_narrowed_search_leaves_unmet_needs_as_they_were(worker, case):
    listed_service(name="Friendship club", terms=("loneliness",), at=NEAR, in_person=True)
    match_text_refresh()
    # Ticking "online" only (the person's recorded ways are wider) must not record anything.
    worker.get(_find(case), {"ways": ["online"]})
    worker.get(_find(case), {"travel": "car", "distance": "50"})
    assert not UnmetNeed.objects.filter(case=case).exists()
    worker.get(_find(case))
    assert UnmetNeed.objects.filter(case=case, resolved_at__isnull=True).count() == 1


def test_an_unmet_need_no_longer_recorded_is_resolved(worker, case):
    listed_service(name="Friendship club", terms=("loneliness",), at=NEAR, in_person=True)
    match_text_refresh()
    worker.get(_find(case))
    unmet = UnmetNeed.objects.get(case=case, resolved_at__isnull=True)
    need = case.needs.get(area_id=unmet.area_id)
    case_services.need_set(
        case=case, by=None, area=need.area, severity=0, in_their_words="", version=need.version
    )
    worker.get(_find(case))
    unmet.refresh_from_db()
    assert unmet.resolved_at is not None


def test_a_failed_postcode_lookup_records_nothing(worker, case):
    listed_service(name="Friendship club", terms=("loneliness",), at=NEAR, in_person=True)
    match_text_refresh()
    case.person.postcode = "ZZ9 9ZZ"  # valid shape, not in the postcode table
    case.person.save()
    response = worker.get(_find(case))
    assert response.context["built"].postcode_problem
    assert not UnmetNeed.objects.filter(case=case).exists()


def test_reading_the_preferences_and_decline_pages_is_audited(worker, case):
    friends, _, _ = _directory()
    worker.get(reverse("matching:preferences", args=[case.pk]))
    worker.get(reverse("matching:decline", args=[case.pk, friends.pk]))
    assert LogEntry.objects.filter(action="case.viewed", object_id=str(case.pk)).count() == 2


def test_an_expired_referral_shows_and_the_list_offers_the_next_best(worker, case, scheme):
    import datetime

    from linkwell.connections import services as connection_services
    from linkwell.directory.models import ReferralRoute

    friends, _, _ = _directory()
    Consent.objects.create(
        person=case.person, scope=ConsentScope.SHARE_PROVIDERS, method=ConsentMethod.VERBAL
    )
    friends.referral_route = ReferralRoute.LINKWELL
    friends.save()
    weeks_ago = timezone.now() - datetime.timedelta(days=20)
    offered = connection_services.connection_offer(
        case=case, service=friends, kind="referral", by=None, at=weeks_ago
    )
    sent = connection_services.connection_send(connection=offered, by=None, at=weeks_ago)
    connection_services.connection_move(connection=sent, to="expired", by_label="Linkwell")
    page = worker.get(_find(case))
    html = page.content.decode()
    assert "The referral to Friendship club had no answer in time" in html
    assert "Referral: No answer in time" in html
    assert page.context["fell_through"] == [sent]
