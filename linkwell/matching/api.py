"""API for matching: the ranked list of services for the person on a case (narrowed as the link
worker narrows it on the page), and for a profile given directly, with no person record.

Each match carries its score breakdown and a one-line reason; services that help but cannot be
offered come back as near-misses with why; needs nothing reachable meets come back as unmet
(and, for a search over a case's whole profile, are recorded for the gap report)."""

from uuid import UUID

from ninja import Router

from linkwell.casework.selectors import case_get
from linkwell.core.api import acting_user, api_membership
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Membership
from linkwell.core.permissions import Perm, require
from linkwell.core.schemas import ErrorOut
from linkwell.geo import PostcodeError, lookup_postcode, normalise_postcode
from linkwell.matching import selectors, services
from linkwell.matching.engine import MatchResult
from linkwell.matching.profile import MatchProfile, NeedWanted
from linkwell.matching.schemas import AdhocMatchIn, CaseMatchIn, MatchesOut, NeedIn

router = Router(tags=["matching"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class InvalidRequest(ApplicationError):
    """The request is well-formed but names something that is not there: 422, like a schema
    error, with the fields it is about."""

    status = 422

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("validation_error", "The request is not valid.", fields=fields)


def _answer(result: MatchResult, postcode_problem: str = "") -> dict:
    return {
        "matches": result.matches,
        "near_misses": result.near_misses,
        "unmet_needs": [
            {
                "area": unmet.need.code,
                "name": unmet.need.name,
                "reason": unmet.reason,
                "reason_label": unmet.reason_label,
            }
            for unmet in result.unmet
        ],
        "candidates": result.candidates,
        "eligible": result.eligible,
        "weights": result.weights,
        "postcode_problem": postcode_problem,
    }


def _looks_like_id(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4


def _is_id(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _case_areas(all_needs: list[NeedWanted], asked: list[str]) -> tuple:
    """The area ids of the case's needs named in `asked` (codes or term ids); () when they are
    all of them (the search is not narrowed). A name that is not one of them is a 422."""
    known = {}
    for need in all_needs:
        known[need.code] = known[str(need.area_id)] = need.area_id
    chosen, problems = [], {}
    for i, value in enumerate(asked):
        area = known.get(value.strip()) or known.get(value.strip().lower())
        if area is None:
            problems[f"needs.{i}"] = [f"'{value}' is not one of this case's needs."]
        elif area not in chosen:
            chosen.append(area)
    if problems:
        raise InvalidRequest(problems)
    return () if len(chosen) == len(all_needs) else tuple(chosen)


def _adhoc_needs(
    membership: Membership, asked: list[NeedIn], problems: dict
) -> tuple[NeedWanted, ...]:
    values = [n.area.strip() for n in asked]
    # A value shaped like an id that is not one is simply unknown (not a database error).
    lookups = [v for v in values if v and (not _looks_like_id(v) or _is_id(v))]
    terms = selectors.need_terms(membership=membership, codes_or_ids=lookups) if lookups else []
    known = {}
    for term in terms:
        known[term.code] = known[str(term.pk)] = term
    wanted: dict = {}
    for i, (value, need) in enumerate(zip(values, asked, strict=True)):
        term = known.get(value) or known.get(value.lower())
        if term is None:
            problems[f"needs.{i}.area"] = [f"'{need.area}' is not a need area."]
            continue
        earlier = wanted.get(term.pk)
        if earlier is None or earlier.severity < need.severity:
            wanted[term.pk] = NeedWanted(
                area_id=term.pk, code=term.code, name=term.name, severity=need.severity
            )
    return tuple(wanted.values())


def _adhoc_profile(membership: Membership, payload: AdhocMatchIn) -> MatchProfile:
    """The profile an ad-hoc request describes, or a 422 naming every field that is wrong."""
    problems: dict[str, list[str]] = {}
    needs = _adhoc_needs(membership, payload.needs, problems)
    words = payload.words.strip()
    if not words and not any(n.severity > 0 for n in needs) and not problems:
        problems["needs"] = ["Give at least one need (with a severity above 0) or some words."]
    latitude = longitude = None
    postcode = ""
    if payload.postcode.strip():
        try:
            point = lookup_postcode(payload.postcode)
        except PostcodeError as error:
            if error.code == "postcode.unavailable":
                raise  # 503: the lookup service failed, not the request
            problems["postcode"] = [error.message]
        else:
            latitude, longitude = point.latitude, point.longitude
            postcode = normalise_postcode(payload.postcode)
    if problems:
        raise InvalidRequest(problems)
    return MatchProfile(
        needs=needs,
        words=words,
        latitude=latitude,
        longitude=longitude,
        postcode=postcode,
        travel=payload.travel,
        max_distance_km=payload.max_distance_km,
        ways=frozenset(payload.ways),
        digital_access=payload.digital_access,
        device_loan_planned=payload.device_loan_planned,
        days=frozenset(payload.days),
        times=frozenset(payload.times),
        cost_limit=payload.cost_limit,
        age=payload.age,
        gender=payload.gender.strip(),
        language=payload.language.strip(),
        interpreter_needed=payload.interpreter_needed,
        accept_waiting_list=payload.accept_waiting_list,
        step_free=payload.step_free,
    )


@router.post(
    "/cases/{case_id}/matches",
    response={200: MatchesOut, **ERRORS},
    summary="Services for the person on a case, ranked, with reasons",
    description=(
        "Ranks the directory for the person's needs, words, place and preferences. Every field "
        "narrows the search and may be left out. A search over all of the case's needs records "
        "the needs nothing reachable meets, for the gap report (not on a closed case). Needs the "
        "caseload permission; reading the list is audited."
    ),
)
def case_matches(request, case_id: UUID, payload: CaseMatchIn):
    membership = api_membership(request)
    case = case_get(membership=membership, case_id=case_id)
    area_ids, built = (), None
    if payload.needs:
        built = selectors.case_profile(case=case)
        area_ids = _case_areas(built.all_needs, payload.needs)
    refinement = selectors.Refinement(
        area_ids=area_ids,
        travel=payload.travel,
        max_distance_km=payload.max_distance_km,
        ways=frozenset(payload.ways) if payload.ways else None,
        limit=payload.limit,
    )
    result, built = selectors.case_matches(
        membership=membership, case=case, refinement=refinement, built=built
    )
    services.search_recorded(
        case=case, result=result, built=built, refinement=refinement, by=acting_user(request)
    )
    return _answer(result, built.postcode_problem)


@router.post(
    "/matches",
    response={200: MatchesOut, **ERRORS},
    summary="Services for a profile given directly, ranked, with reasons",
    description=(
        "For someone with no record here: give at least one need or some words. Nothing is "
        "recorded; unmet needs are only listed."
    ),
)
def adhoc_matches(request, payload: AdhocMatchIn):
    membership = api_membership(request)
    require(membership, Perm.DIRECTORY_VIEW)  # before any lookup, so a 403 is a 403
    profile = _adhoc_profile(membership, payload)
    result = selectors.adhoc_matches(membership=membership, profile=profile, limit=payload.limit)
    return _answer(result)
