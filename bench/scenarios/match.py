"""Matching at directory scale: the top 10 services, with reasons, for three people near the
centre of the bench directory, against the bare candidate query.

In process, no HTTP: for each profile, `engine.match_services(visible_services(membership=<the
bench link worker's membership>), profile, scheme_id=<the bench scheme>, limit=10)` (weights,
scheme averages, the candidate query, schedules for the few that could still reach the top 10,
the hard filters, BM25 over the candidates' stored words, the scores and the reasons), and its
floor, `engine.candidate_rows(...)` with the same arguments: the one SQL query whose rows the
ranking reads. Each profile prints two JSON lines: `match_<profile>` (with the floor's median
and the ratio) and `candidates_<profile>` (the floor on its own, for its p95); the number of
candidates and eligible services and the ratio of the p95s go to stderr.

The profiles (all at B1 1AA, the centre of the bench directory):

- `lonely_bus`: three needs (loneliness, mental wellbeing, physical activity), in their own
  words "lonely since my wife died, scared of falling", by bus, free on Tuesday and Thursday
  mornings; 81, a man.
- `offline_walker`: no internet and no device on loan, on foot only; two needs (food, money
  and debt), a few words about the bills.
- `driver_five_needs`: drives; five needs (mental wellbeing, carers, long-term conditions, arts
  and creativity, nature and gardening), no words, any day.

The stored words (`ServiceMatchText`) and track records come from the generator's
`match_index` builder; the run stops if a service has no stored words, since text relevance
would then be measured on the fallback (name and organisation) rather than on what a deployment
keeps ready.
"""

import sys

from bench.generator import SCHEME_SLUG, first_member
from bench.runner import RunConfig, emit, measure
from linkwell.core.models import Membership, Role
from linkwell.directory import taxonomy
from linkwell.directory.models import Service
from linkwell.directory.selectors import visible_services
from linkwell.geo.models import Postcode
from linkwell.matching import engine
from linkwell.matching.models import CostLimit, ServiceMatchText, Travel
from linkwell.matching.profile import MatchProfile, NeedWanted

LIMIT = 10
POSTCODE = "B1 1AA"
AREA_NAMES = dict(taxonomy.NEED_AREAS)


def _needs(*codes: str) -> tuple[NeedWanted, ...]:
    return tuple(
        NeedWanted(area_id=taxonomy.term_id(code), code=code, name=AREA_NAMES[code])
        for code in codes
    )


def profiles() -> dict[str, MatchProfile]:
    place = Postcode.objects.get(postcode=POSTCODE)
    at = {"latitude": place.latitude, "longitude": place.longitude, "postcode": POSTCODE}
    return {
        "lonely_bus": MatchProfile(
            needs=_needs("loneliness", "mental-wellbeing", "physical-activity"),
            words="lonely since my wife died, scared of falling",
            travel=Travel.BUS,
            days=frozenset({"TU", "TH"}),
            times=frozenset({"morning"}),
            age=81,
            gender="male",
            **at,
        ),
        "offline_walker": MatchProfile(
            needs=_needs("food", "money-debt"),
            words="struggling to pay the bills and feed the kids",
            travel=Travel.WALK,
            digital_access=False,
            device_loan_planned=False,
            cost_limit=CostLimit.FREE,
            **at,
        ),
        "driver_five_needs": MatchProfile(
            needs=_needs(
                "mental-wellbeing",
                "carers",
                "long-term-conditions",
                "arts-creativity",
                "nature-gardening",
            ),
            travel=Travel.CAR,
            **at,
        ),
    }


def bench_membership() -> Membership:
    """The bench link worker's membership of the bench scheme."""
    worker = first_member(Role.LINK_WORKER)
    return Membership.objects.get(user=worker, scheme__slug=SCHEME_SLUG)


def _check_stored_words() -> None:
    services = Service.objects.count()
    stored = ServiceMatchText.objects.count()
    if stored < services:
        raise SystemExit(
            f"match: only {stored} of {services} services have stored words; rebuild the bench "
            "data (--rebuild) so that the match_index builder makes them"
        )


def run(config: RunConfig) -> None:
    _check_stored_words()
    membership = bench_membership()
    scheme_id = membership.scheme_id
    for key, profile in profiles().items():

        def floor(profile=profile):
            services = visible_services(membership=membership)
            return engine.candidate_rows(services, profile, scheme_id=scheme_id)

        def match(profile=profile):
            services = visible_services(membership=membership)
            return engine.match_services(services, profile, scheme_id=scheme_id, limit=LIMIT)

        result = match()
        if not result.matches:
            raise SystemExit(f"match: no matches for {key}: the bench data is not as expected")
        bare = measure(floor, runs=config.runs, warmup=config.warmup)
        timing = measure(match, runs=config.runs, warmup=config.warmup)
        emit(config, f"match_{key}", timing, bare)
        emit(config, f"candidates_{key}", bare)
        p95_ratio = round(timing.p95_ms / bare.p95_ms, 2) if bare.p95_ms else None
        print(
            f"match: {key}: {result.candidates} candidates, {result.eligible} eligible, "
            f"{len(result.matches)} matches, {len(result.near_misses)} near-misses; "
            f"p95 {timing.p95_ms} ms against the floor's {bare.p95_ms} ms ({p95_ratio}x); "
            f"top: {result.matches[0].name} ({result.matches[0].score}): "
            f"{result.matches[0].reasons}",
            file=sys.stderr,
            flush=True,
        )
