"""The demo's matching: the directory's stored words, the scheme's track records from the demo
plans, what each case-story person can manage (as their stories tell it), a couple of listings
that serve only some districts, and the unmet needs a first search of every open case finds."""

from __future__ import annotations

from django.db.models import Q

from linkwell.casework.models import Case
from linkwell.casework.states import CaseStatus
from linkwell.core.models import Membership, Role
from linkwell.directory.models import Service
from linkwell.matching import selectors, services
from linkwell.matching.models import CostLimit, MatchPreferences, Travel, UnmetNeed

# (given name, family name or None): what they can manage, from their stories in DOMAIN.md.
STORY_PREFERENCES = {
    # Rural, poor transport: phone and online options; a short walk at most.
    "Aled": {
        "travel": Travel.WALK,
        "max_distance_km": 2,
        "home_visit": False,
        "days": ["MO", "TU", "WE", "TH", "FR"],
        "cost_limit": CostLimit.FREE,
    },
    # Off work: free on weekdays, by bus; can pay a little.
    "Carol": {
        "travel": Travel.BUS,
        "days": ["MO", "TU", "WE", "TH", "FR"],
        "times": ["morning", "afternoon"],
        "cost_limit": CostLimit.CONTRIBUTION,
    },
    # Single parent of three: school hours only, no money to spare.
    "Tess": {
        "travel": Travel.BUS,
        "days": ["MO", "TU", "WE", "TH", "FR"],
        "times": ["morning"],
        "cost_limit": CostLimit.FREE,
    },
    # Debt and housing: free only; buses; happy with a waiting list.
    "Bashir": {"travel": Travel.BUS, "cost_limit": CostLimit.FREE},
    # Afraid of falling outdoors, no internet: short walks, phone and home visits.
    "Edna": {
        "travel": Travel.WALK,
        "max_distance_km": 1.5,
        "online": False,
        "times": ["morning", "afternoon"],
        "cost_limit": CostLimit.CONTRIBUTION,
        "accept_waiting_list": False,
    },
}
# People with no digital access who cannot get out (housebound), as some ordinary cases are:
# where provision is missing shows first for them.
HOUSEBOUND = {
    "travel": Travel.NONE,
    "in_person": False,
    "online": False,
    "cost_limit": CostLimit.FREE,
}
HOUSEBOUND_CASES = 8
# Listings that serve only some postcode districts, to show "only for …" near-misses.
DISTRICT_LISTINGS = {"Home visiting befriender": "RV1, RV2, RV3"}


def load_demo_matching(*, scheme, worker) -> dict:
    """Build what matching needs for the demo, again safely on a second run."""
    for name, area in DISTRICT_LISTINGS.items():
        Service.objects.filter(name=name, area_served="").update(area_served=area)
    words = services.match_text_refresh()
    records = services.track_records_refresh(scheme=scheme)
    open_cases = list(
        Case.objects.filter(scheme=scheme)
        .exclude(status=CaseStatus.CLOSED)
        .select_related("person", "scheme")
        .order_by("opened_at", "id")
    )
    first_run = not MatchPreferences.objects.filter(case__scheme=scheme).exists()
    offline = [
        c
        for c in open_cases
        if c.person.given_name not in STORY_PREFERENCES and c.person.digital_access == "none"
    ][:HOUSEBOUND_CASES]
    for case in open_cases:
        said = STORY_PREFERENCES.get(case.person.given_name)
        if said is None and case in offline:
            said = HOUSEBOUND
        if said is None or MatchPreferences.objects.filter(case=case).exists():
            continue
        services.preferences_save(case=case, by=case.worker or worker, data=said)
    unmet = 0
    if first_run:
        members = {
            m.user_id: m
            for m in Membership.objects.filter(
                scheme=scheme, is_active=True, role__in=[Role.LINK_WORKER, Role.MANAGER]
            ).select_related("user", "scheme")
        }
        fallback = next(m for m in members.values() if m.user_id == worker.pk)
        for case in open_cases:
            member = members.get(case.worker_id, fallback)
            result, _ = selectors.case_matches(membership=member, case=case)
            unmet += len(services.unmet_needs_record(case=case, result=result, by=member.user))
    open_unmet = UnmetNeed.objects.filter(scheme=scheme).filter(Q(resolved_at__isnull=True))
    return {"words": words, "records": records, "unmet": unmet or open_unmet.count()}
