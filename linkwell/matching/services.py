"""Writes for matching: the person's preferences for finding support, the scheme's weights, the
unmet needs a search finds, and the directory's text and track records kept ready for ranking.
Each is one transaction; person data changes are audited (no free text in the audit data)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from linkwell.casework.models import Case, PlanSupport
from linkwell.casework.services import bump_version, check_version, open_case_for_update
from linkwell.casework.states import SupportDecision
from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Membership
from linkwell.core.permissions import Perm, require
from linkwell.directory.models import Attribute, Service
from linkwell.directory.search import DAYS
from linkwell.matching import text
from linkwell.matching.engine import MatchResult
from linkwell.matching.models import (
    FACTORS,
    CostLimit,
    MatchPreferences,
    MatchWeights,
    ServiceMatchText,
    ServiceTrackRecord,
    Travel,
    UnmetNeed,
)
from linkwell.matching.profile import TIMES, WAYS

ACTIONS.update(
    {
        "case.matches_viewed": "Looked for support for a person (matching)",
        "case.match_preferences_changed": "Changed what a person can manage, for matching",
        "case.unmet_need_recorded": "Recorded a need with nowhere to send the person",
        "case.unmet_need_resolved": "A need recorded as unmet found support",
        "matching.weights_changed": "Changed how matching weighs services",
    }
)


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError("invalid_preferences", message, fields={field: [message]})


def _clean_preferences(data: dict) -> dict:
    """`data` as preference values, or a clear error naming the field."""
    clean = {}
    if "travel" in data:
        if data["travel"] not in Travel.values:
            raise _invalid("travel", "Choose how the person can travel.")
        clean["travel"] = data["travel"]
    if "max_distance_km" in data:
        value = data["max_distance_km"]
        if value in (None, ""):
            clean["max_distance_km"] = None
        else:
            try:
                value = Decimal(str(value)).quantize(Decimal("0.1"))
            except (InvalidOperation, ValueError) as error:
                raise _invalid(
                    "max_distance_km", "Enter the distance as a number of kilometres."
                ) from error
            if not Decimal(0) <= value <= Decimal(200):
                raise _invalid("max_distance_km", "Enter a distance from 0 to 200 km.")
            clean["max_distance_km"] = value
    for flag in (*WAYS, "device_loan_planned", "step_free", "accept_waiting_list"):
        if flag in data:
            clean[flag] = bool(data[flag])
    for field, allowed, message in (
        ("days", DAYS, "Choose days from Monday to Sunday."),
        ("times", TIMES, "Choose morning, afternoon or evening."),
    ):
        if field in data:
            values = list(dict.fromkeys(data[field] or []))
            if any(v not in allowed for v in values):
                raise _invalid(field, message)
            clean[field] = [v for v in allowed if v in values]
    if "cost_limit" in data:
        if data["cost_limit"] not in CostLimit.values:
            raise _invalid("cost_limit", "Choose what the person can pay.")
        clean["cost_limit"] = data["cost_limit"]
    return clean


@transaction.atomic
def preferences_save(*, case: Case, by, data: dict, version: int | None = None) -> MatchPreferences:
    """Record what the person can manage for finding support. `version` is the one the editor
    saw (None for a first save); a stale edit is refused and nothing is overwritten."""
    case = open_case_for_update(case)
    clean = _clean_preferences(data)
    current = MatchPreferences.objects.select_for_update().filter(case=case).first()
    if current is None:
        from linkwell.matching.selectors import default_preferences

        current = default_preferences(case)
        current.version = 0
    elif version is not None:
        check_version(current, version, "search")
    for field, value in clean.items():
        setattr(current, field, value)
    if not any(getattr(current, w) for w in WAYS):
        raise _invalid("in_person", "Choose at least one way the person can take part.")
    current.version += 1
    current.updated_by = by if getattr(by, "is_authenticated", False) else None
    try:
        current.full_clean(exclude=["case"])
    except ValidationError as error:
        raise ApplicationError(
            "invalid_preferences", "Check the answers.", fields=error.message_dict
        ) from error
    current.save()
    log_action(by, "case.match_preferences_changed", current, {"fields": sorted(clean)})
    bump_version(case)
    return current


@transaction.atomic
def weights_save(*, membership: Membership, values: dict) -> MatchWeights:
    """Set how much each part of the score counts in the member's scheme."""
    require(membership, Perm.MATCHING_TUNE)
    weights = MatchWeights.objects.select_for_update().filter(scheme_id=membership.scheme_id)
    row = weights.first() or MatchWeights(scheme_id=membership.scheme_id)
    for factor in FACTORS:
        if factor not in values:
            continue
        try:
            value = float(values[factor])
        except (TypeError, ValueError) as error:
            raise ApplicationError(
                "invalid_weight",
                "Enter a number from 0 to 5.",
                fields={factor: ["Enter a number from 0 to 5."]},
            ) from error
        if not 0 <= value <= 5:
            raise ApplicationError(
                "invalid_weight",
                "Enter a number from 0 to 5.",
                fields={factor: ["Enter a number from 0 to 5."]},
            )
        setattr(row, factor, value)
    if not any(getattr(row, f) > 0 for f in FACTORS):
        raise ApplicationError(
            "weights_all_zero",
            "At least one part of the score must count for something.",
            fields={"__all__": ["At least one part of the score must count for something."]},
        )
    row.updated_by = membership.user
    row.save()
    log_action(
        membership.user,
        "matching.weights_changed",
        membership.scheme,
        {f: getattr(row, f) for f in FACTORS},
    )
    return row


def search_recorded(*, case: Case, result: MatchResult, built, refinement, by) -> list:
    """After a search on a case (page or API), keep its unmet needs in step, but only when the
    search was over the person's profile as recorded (not narrowed by need, travel, distance
    or ways) and their home postcode, when they have one, was found."""
    if refinement.narrows(built.all_needs):
        return []
    if case.person.postcode and result.profile.point is None:
        return []  # the lookup failed: every place would count as reachable
    return unmet_needs_record(case=case, result=result, by=by)


@transaction.atomic
def unmet_needs_record(*, case: Case, result: MatchResult, by) -> list[UnmetNeed]:
    """Keep the case's unmet needs in step with a search over the person's whole profile: a
    need nothing reachable meets is recorded (area, postcode district, why); one recorded
    before that a search now meets is resolved. Returns the needs newly recorded."""
    if case.is_closed:
        return []
    now = timezone.now()
    unmet = {u.need.area_id: u for u in result.unmet}
    open_rows = {
        row.area_id: row
        for row in UnmetNeed.objects.select_for_update().filter(case=case, resolved_at__isnull=True)
    }
    recorded = []
    for area_id, row in open_rows.items():
        # Met now, or no longer one of the person's needs.
        if area_id not in unmet:
            row.resolved_at = now
            row.save(update_fields=["resolved_at"])
            log_action(by, "case.unmet_need_resolved", row, {"area": str(area_id)})
    place = result.profile.district
    for area_id, found in unmet.items():
        row = open_rows.get(area_id)
        if row is not None:
            if row.reason != found.reason or row.place != place:
                row.reason, row.place = found.reason, place
                row.save(update_fields=["reason", "place"])
            continue
        try:
            with transaction.atomic():
                row = UnmetNeed.objects.create(
                    case=case,
                    scheme_id=case.scheme_id,
                    area_id=area_id,
                    place=place,
                    reason=found.reason,
                    by=by if getattr(by, "is_authenticated", False) else None,
                )
        except IntegrityError:
            continue  # a search at the same moment recorded it

        log_action(
            by,
            "case.unmet_need_recorded",
            row,
            {"area": str(area_id), "reason": found.reason, "place": place},
        )
        recorded.append(row)
    return recorded


# --- Kept ready for ranking --------------------------------------------------------------------


def _service_text(service: Service, terms: list[str]) -> tuple[str, ...]:
    # Not the organisation's name: "Sight loss support" by a diabetes group is not about
    # diabetes.
    return (service.name, service.alternate_name, service.description, " ".join(terms))


def match_text_refresh(*, service_ids: Iterable | None = None, batch: int = 500) -> int:
    """Rebuild the stored words (and, with the semantic extra, embeddings) of these services,
    or of every service; unchanged listings are skipped. Returns how many were rebuilt."""
    from linkwell.matching import semantic

    services = Service.objects.select_related("organization").order_by("pk")
    if service_ids is not None:
        ids = [str(i) for i in service_ids]
        if not ids:
            return 0
        services = services.filter(pk__in=ids)
    embed = semantic.is_available()
    rebuilt = 0
    chunk: list[Service] = []

    def flush(chunk: list[Service]) -> int:
        terms = defaultdict(list)
        for link_id, name in Attribute.objects.filter(
            link_entity="service", link_id__in=[s.pk for s in chunk]
        ).values_list("link_id", "taxonomy_term__name"):
            terms[link_id].append(name)
        existing = {
            row.service_id: row
            for row in ServiceMatchText.objects.filter(service_id__in=[s.pk for s in chunk])
        }
        changed = []
        for service in chunk:
            parts = _service_text(service, sorted(terms[service.pk]))
            digest = text.source_hash(*parts)
            row = existing.get(service.pk)
            if (
                row is not None
                and row.source_hash == digest
                and (not embed or row.embedding_model == semantic.MODEL_NAME)
            ):
                continue
            tokens = text.document(*parts)
            row = row or ServiceMatchText(service=service)
            row.tokens, row.token_count, row.source_hash = tokens, len(tokens.split()), digest
            changed.append((row, " ".join(p for p in parts[:3] if p)))
        if embed and changed:
            vectors = semantic.encode([words for _, words in changed])
            for (row, _), vector in zip(changed, vectors, strict=True):
                row.embedding, row.embedding_model = vector, semantic.MODEL_NAME
        with transaction.atomic():
            for row, _ in changed:
                row.save()
        return len(changed)

    for service in services.iterator(chunk_size=batch):
        chunk.append(service)
        if len(chunk) >= batch:
            rebuilt += flush(chunk)
            chunk = []
    if chunk:
        rebuilt += flush(chunk)
    return rebuilt


@transaction.atomic
def track_records_refresh(*, scheme=None) -> int:
    """Count again, per scheme and service, how the scheme's people have got on with it: how
    often they took it up when it was talked through (chosen, against every decision recorded)
    and, from referrals sent to it, how many it accepted and completed and how fast it
    answered. Returns how many services have a record."""
    from linkwell.connections.models import Connection
    from linkwell.connections.states import Kind
    from linkwell.connections.states import Status as Connected

    supports = PlanSupport.objects.filter(service__isnull=False)
    referrals = Connection.objects.filter(kind=Kind.REFERRAL, sent_at__isnull=False)
    if scheme is not None:
        supports = supports.filter(case__scheme=scheme)
        referrals = referrals.filter(scheme=scheme)
    counts: dict[tuple, dict] = defaultdict(dict)
    for row in supports.values("case__scheme_id", "service_id").annotate(
        offered=Count("id"), taken_up=Count("id", filter=Q(decision=SupportDecision.CHOSEN))
    ):
        counts[(row["case__scheme_id"], row["service_id"])].update(
            offered=row["offered"], taken_up=row["taken_up"]
        )
    went_ahead = [
        Connected.ACCEPTED,
        Connected.STARTED,
        Connected.ATTENDED_SOME,
        Connected.COMPLETED,
        Connected.DROPPED_OUT,
        Connected.DID_NOT_ATTEND,
    ]
    waited = ExpressionWrapper(F("answered_at") - F("sent_at"), output_field=DurationField())
    for row in referrals.values("scheme_id", "service_id").annotate(
        sent=Count("id"),
        accepted=Count("id", filter=Q(status__in=went_ahead)),
        completed=Count("id", filter=Q(status=Connected.COMPLETED)),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        waited=Sum(waited, filter=Q(answered_at__isnull=False)),
    ):
        waited_for = row["waited"] or timedelta(0)
        counts[(row["scheme_id"], row["service_id"])].update(
            sent=row["sent"],
            accepted=row["accepted"],
            completed=row["completed"],
            answered=row["answered"],
            answer_days_total=waited_for.total_seconds() / 86400,
        )
    now = timezone.now()
    existing = ServiceTrackRecord.objects.all()
    if scheme is not None:
        existing = existing.filter(scheme=scheme)
    zero = {f: 0 for f in ("offered", "taken_up", "sent", "accepted", "completed", "answered")}
    existing.update(**zero, answer_days_total=0, updated_at=now)
    for (scheme_id, service_id), values in counts.items():
        ServiceTrackRecord.objects.update_or_create(
            scheme_id=scheme_id,
            service_id=service_id,
            defaults={**zero, "answer_days_total": 0, **values, "updated_at": now},
        )
    return len(counts)
