"""Writes to referrals: intake (every route calls `referral_intake`), status moves, triage,
assignment and contact attempts. Each is one transaction and is audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Membership, Role, Scheme, Site
from linkwell.core.permissions import Perm, member_can
from linkwell.directory.models import TaxonomyTerm
from linkwell.directory.taxonomy import NEED_AREAS_ID
from linkwell.notify.outbox import messages_hand_over
from linkwell.people.models import ConsentMethod, ConsentScope, Person
from linkwell.people.selectors import likely_matches
from linkwell.people.services import (
    clean_person_fields,
    consent_record,
    person_create,
    person_update,
)
from linkwell.referrals import states
from linkwell.referrals.models import (
    Channel,
    ContactAttempt,
    ContactOutcome,
    Referral,
    ReferralEvent,
    SourceType,
    Urgency,
)
from linkwell.referrals.states import Status

ACTIONS.update(
    {
        "person.created": "Added a person",
        "person.updated": "Changed a person's details",
        "person.viewed": "Viewed a person's record",
        "person.merged": "Merged two records of the same person",
        "person.kept_separate": "Kept a likely match as a separate person",
        "person.household_joined": "Linked a person to a household",
        "household.created": "Created a household",
        "consent.recorded": "Recorded consent",
        "consent.withdrawn": "Recorded that consent was withdrawn",
        "referral.received": "Received a referral",
        "referral.viewed": "Viewed a referral",
        "referral.moved": "Changed a referral's status",
        "referral.assigned": "Assigned a referral",
        "referral.updated": "Changed a referral",
        "referral.contact_attempted": "Logged a contact attempt",
        "referral.referrer_told": "Told the referrer the outcome",
        "referral.referrer_not_told": "Did not tell the referrer (no consent or address)",
    }
)


# Routes from outside the team: matches are never shown and never written into; staff settle
# them later on the referral's page.
UNSEEN_MATCH_CHANNELS = frozenset({Channel.FHIR, Channel.REFERRER_FORM, Channel.SELF_REFERRAL})
# The team's own bulk import: an NHS-number match is that person.
TRUSTED_MATCH_CHANNELS = frozenset({Channel.CSV})


class DuplicateSuspected(ApplicationError):
    """Intake found people who may be this person; the user must choose."""

    status = 409

    def __init__(self, matches):
        super().__init__(
            "person_possible_duplicate",
            "This person may already be known to the scheme. Choose whether this is the same "
            "person or someone else.",
        )
        self.matches = matches


@dataclass
class IntakeRequest:
    """Everything one referral brings, however it arrived."""

    scheme: Scheme
    channel: str
    source_type: str
    person: dict
    reasons: list  # TaxonomyTerm ids or codes
    consents: dict[str, dict] = field(default_factory=dict)  # scope -> {method, channels, ...}
    summary: str = ""
    urgency: str = Urgency.ROUTINE
    safeguarding_concern: bool = False
    lives_alone: bool = False
    recent_bereavement: bool = False
    site: Site | None = None
    referrer_name: str = ""
    referrer_organisation: str = ""
    referrer_email: str = ""
    referrer_phone: str = ""
    received_at: datetime | None = None
    external_id: str = ""
    fhir_request: dict | None = None
    # How to treat a likely match: None = ask (raise DuplicateSuspected); "new" = someone
    # else; a Person id = the same person (their record is kept, blanks filled in).
    match_choice: str | None = None
    ip_address: str | None = None  # where a public form came from, for the audit log
    offer_waiting_room: bool = True  # send the person their waiting-room link once stored
    # Sent by the scheme's own staff (a FHIR token of a link worker or manager): a known NHS
    # number is then that person, as in staff entry and the team's CSV import.
    from_staff: bool = False


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def need_area_terms(values: Iterable, *, scheme: Scheme | None = None) -> list[TaxonomyTerm]:
    """Need-area terms from terms, ids or codes; unknown values are an error, not dropped.
    Terms already loaded (an importer resolves them once per file) cost no query."""
    values = [v for v in values if isinstance(v, TaxonomyTerm) or str(v).strip()]
    if not values:
        raise ValidationError({"reasons": ["Choose at least one reason for the referral."]})
    terms = [v for v in values if isinstance(v, TaxonomyTerm)]
    scheme_id = scheme.pk if scheme is not None else None
    if any(t.taxonomy_id != NEED_AREAS_ID or t.scheme_id not in (None, scheme_id) for t in terms):
        raise ValidationError({"reasons": ["Choose reasons from the need areas."]})
    wanted = [str(v).strip() for v in values if not isinstance(v, TaxonomyTerm)]
    if wanted:
        ids = [v for v in wanted if _is_uuid(v)]
        terms += list(
            TaxonomyTerm.objects.filter(taxonomy_id=NEED_AREAS_ID)
            .filter(Q(scheme__isnull=True) | Q(scheme_id=scheme_id))
            .filter(Q(code__in=wanted) | Q(pk__in=ids))
        )
    known = {t.code for t in terms} | {str(t.pk) for t in terms}
    unknown = [v for v in wanted if v not in known]
    if unknown:
        raise ValidationError(
            {"reasons": [f"Unknown reason: {', '.join(unknown)}. Choose from the need areas."]}
        )
    return list({t.pk: t for t in terms}.values())


def _referral_fields_errors(req: IntakeRequest) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if req.source_type not in SourceType.values:
        errors["source_type"] = ["Choose where the referral came from."]
    if req.urgency not in Urgency.values:
        errors["urgency"] = ["Choose how urgent the referral is."]
    if req.channel not in Channel.values:
        errors["channel"] = ["Unknown intake route."]
    if req.received_at and req.received_at > timezone.now() + timezone.timedelta(minutes=5):
        errors["received_at"] = ["The date received cannot be in the future."]
    if req.site is not None and req.site.scheme_id != req.scheme.pk:
        errors["site"] = ["Choose one of this scheme's sites."]
    return errors


def _resolve_person(req: IntakeRequest, cleaned: dict, by) -> tuple[Person, str]:
    """The person this referral is for: a match the user chose, or a new record. Returns the
    person and the NHS number to keep on the referral when it was set aside."""
    if req.match_choice and req.match_choice != "new":
        person = Person.objects.filter(scheme=req.scheme, pk=req.match_choice).first()
        if person is None:
            raise ApplicationError("person_not_found", "The chosen person was not found.")
        person_update(person=person, by=by, data=cleaned, only_blanks=True)
        return person, ""
    matches = likely_matches(
        scheme=req.scheme,
        nhs_number=cleaned.get("nhs_number", ""),
        given_name=cleaned.get("given_name", ""),
        family_name=cleaned.get("family_name", ""),
        date_of_birth=cleaned.get("date_of_birth"),
        phone=cleaned.get("phone", ""),
    )
    certain = [m for m in matches if m.certain]
    trusted = req.channel in TRUSTED_MATCH_CHANNELS or (
        req.channel == Channel.FHIR and req.from_staff
    )
    if certain and req.match_choice is None and trusted:
        # The team's own import: a known NHS number is that person.
        person_update(person=certain[0].person, by=by, data=cleaned, only_blanks=True)
        return certain[0].person, ""
    if matches and req.match_choice is None:
        if req.channel in UNSEEN_MATCH_CHANNELS | TRUSTED_MATCH_CHANNELS:
            # A referrer, a sending system or the public is never shown who else the scheme
            # knows, and never writes into their record: a new record waits for staff to merge
            # it or keep it apart. An NHS number that is already someone's is kept on the
            # referral meanwhile (one record per NHS number).
            given = ""
            if certain:
                given = cleaned.pop("nhs_number")
            person = person_create(scheme=req.scheme, by=by, data=cleaned)
            person.needs_duplicate_check = True
            person.save(update_fields=["needs_duplicate_check"])
            return person, given
        raise DuplicateSuspected(matches)
    if certain:
        raise ApplicationError(
            "person_nhs_number_taken",
            "Someone in this scheme already has this NHS number: it is the same person.",
            fields={"nhs_number": ["Someone in this scheme already has this NHS number."]},
        )
    return person_create(scheme=req.scheme, by=by, data=cleaned), ""


@transaction.atomic
def referral_intake(req: IntakeRequest, *, by) -> Referral:
    """Take in one referral: validate everything first, then write the person (new or
    matched), their consents and the referral together. Nothing is stored on any error."""
    errors: dict[str, list[str]] = {}
    try:
        cleaned = clean_person_fields(req.person)
    except ValidationError as error:
        errors.update(error.message_dict)
        cleaned = {}
    for required in ("given_name", "family_name"):
        if not (req.person.get(required) or "").strip():
            errors.setdefault(required, []).append(
                "Enter the person's first name."
                if required == "given_name"
                else "Enter the person's last name."
            )
    try:
        reasons = need_area_terms(req.reasons, scheme=req.scheme)
    except ValidationError as error:
        errors.update(error.message_dict)
        reasons = []
    errors.update(_referral_fields_errors(req))
    if errors:
        raise ValidationError(errors)

    person, nhs_number_given = _resolve_person(req, cleaned, by)
    actor = by if getattr(by, "is_authenticated", False) else None
    referral = Referral(
        scheme=req.scheme,
        site=req.site,
        person=person,
        channel=req.channel,
        source_type=req.source_type,
        referred_by=actor if actor and _is_referrer(actor, req) else None,
        referrer_name=req.referrer_name.strip(),
        referrer_organisation=req.referrer_organisation.strip(),
        referrer_email=req.referrer_email.strip(),
        summary=req.summary.strip(),
        urgency=req.urgency,
        safeguarding_concern=req.safeguarding_concern,
        lives_alone=req.lives_alone,
        recent_bereavement=req.recent_bereavement,
        received_at=req.received_at or timezone.now(),
        status=Status.RECEIVED,
        snomed_code=states.SNOMED_REFERRED,
        external_id=req.external_id,
        nhs_number_given=nhs_number_given,
        fhir_request=req.fhir_request,
        created_by=actor,
    )
    try:
        referral.referrer_phone = (
            clean_person_fields({"phone": req.referrer_phone})["phone"]
            if req.referrer_phone
            else ""
        )
    except ValidationError as error:
        raise ValidationError({"referrer_phone": error.message_dict["phone"]}) from None
    referral.status_changed_at = referral.received_at
    # Field checks here; the database enforces the constraints, and the related records were
    # all just loaded, so neither is asked for again (this runs once per row of an import).
    referral.full_clean(exclude=[*RELATED, "reasons"], validate_constraints=False)
    referral.save()
    Referral.reasons.through.objects.bulk_create(
        Referral.reasons.through(referral_id=referral.pk, taxonomyterm_id=term.pk)
        for term in reasons
    )
    ReferralEvent.objects.create(
        referral=referral,
        to_status=Status.RECEIVED,
        snomed_code=states.SNOMED_REFERRED,
        by=actor,
        at=referral.received_at,
    )
    for scope, detail in req.consents.items():
        if scope not in ConsentScope.values:
            raise ValidationError({"consents": [f"Unknown consent: {scope}."]})
        consent_record(
            person=person,
            scope=scope,
            method=detail.get("method", ConsentMethod.VERBAL),
            channels=detail.get("channels", ()),
            providers=detail.get("providers", ""),
            by=by,
        )
    log_action(
        by,
        "referral.received",
        referral,
        {"channel": req.channel, "source_type": req.source_type, "urgency": req.urgency},
        actor_label="" if actor else f"via {Channel(req.channel).label}",
        ip_address=req.ip_address,
    )
    if req.offer_waiting_room:
        transaction.on_commit(lambda: _after_intake(referral.pk))
    return referral


def _after_intake(referral_id) -> None:
    """Once the referral is stored: offer the person their waiting room."""
    from linkwell.referrals import waiting_room

    offer = getattr(waiting_room, "offer_on_referral", None)
    if offer is not None:
        offer(referral_id=referral_id)


RELATED = [
    "scheme",
    "site",
    "person",
    "referred_by",
    "created_by",
    "assigned_to",
    "campaign_entry",
]


def _is_referrer(user, req: IntakeRequest) -> bool:
    """Whether the referral is the referrer's own (they follow it on their page). Only a
    referrer's form or a FHIR request from a referrer's token can be."""
    if req.channel not in (Channel.REFERRER_FORM, Channel.FHIR):
        return False
    return Membership.objects.filter(
        user=user, scheme=req.scheme, role=Role.REFERRER, is_active=True
    ).exists()


def _locked(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update().select_related("scheme", "person").get(pk=referral.pk)
    )


@transaction.atomic
def referral_move(
    *,
    referral: Referral,
    to: Status | str,
    by,
    reason: str = "",
    at: datetime | None = None,
    tell_referrer: bool = True,
    case_opening: bool = False,
) -> Referral:
    """Move the referral to `to` if the status machine allows it; else a clear error.

    Accepting is done by opening the person's case (`casework.services.case_open`), which
    passes `case_opening`: an accepted referral always has its case."""
    referral = _locked(referral)
    to = Status(to)
    if not states.can_move(referral.status, to):
        raise ApplicationError(
            "referral_illegal_move",
            f"A referral that is '{Status(referral.status).label}' cannot become '{to.label}'.",
        )
    if to == Status.ACCEPTED and not case_opening:
        raise ApplicationError(
            "referral_accept_opens_case",
            "Accept a referral by opening the person's case.",
        )
    reason = (reason or "").strip()
    if to in states.NEEDS_REASON and not reason:
        raise ApplicationError(
            "referral_reason_required",
            "Give a reason.",
            fields={"reason": ["Give a reason."]},
        )
    now = at or timezone.now()
    previous = referral.status
    referral.status = to
    referral.status_changed_at = now
    referral.status_reason = reason[:300]
    code = states.SNOMED_FOR_STATUS.get(to)
    if code:
        referral.snomed_code = code
    if to == Status.CONTACTED and referral.first_contact_at is None:
        referral.first_contact_at = now
    referral.save()
    ReferralEvent.objects.create(
        referral=referral,
        from_status=previous,
        to_status=to,
        reason=reason[:300],
        snomed_code=code or "",
        by=by if getattr(by, "is_authenticated", False) else None,
        at=now,
    )
    log_action(by, "referral.moved", referral, {"from": previous, "to": str(to)})
    if tell_referrer and to in (
        Status.CONTACTED,
        Status.UNABLE_TO_CONTACT,
        Status.DECLINED,
        Status.NOT_APPROPRIATE,
    ):
        from linkwell.referrals import feedback

        transaction.on_commit(lambda: feedback.tell_referrer(referral_id=referral.pk))
    return referral


def _require_worker(scheme: Scheme, user) -> None:
    if not member_can(scheme, user, Perm.CASELOAD):
        raise ApplicationError(
            "referral_assignee_not_worker",
            "Choose a link worker of this scheme.",
            fields={"assigned_to": ["Choose a link worker of this scheme."]},
        )


@transaction.atomic
def referral_assign(*, referral: Referral, to, by, at: datetime | None = None) -> Referral:
    """Triage: give the referral to a link worker; it joins their waiting list."""
    referral = _locked(referral)
    _require_worker(referral.scheme, to)
    if referral.status not in states.OPEN:
        raise ApplicationError("referral_closed", "This referral is closed; it cannot be assigned.")
    previous = referral.assigned_to
    referral.assigned_to = to
    referral.save(update_fields=["assigned_to", "updated_at"])
    log_action(
        by,
        "referral.assigned",
        referral,
        {"to": str(to.pk), "from": str(previous.pk) if previous else None},
    )
    # Letters to the referrer not yet delivered go to the new worker, who sees them if they fail.
    messages_hand_over(
        abouts=[(Referral._meta.label_lower, [referral.pk])],
        previous=previous,
        to=to,
        by=by,
        record=referral,
    )
    if referral.status == Status.RECEIVED:
        referral_move(referral=referral, to=Status.TRIAGED, by=by, at=at)
        referral.refresh_from_db()
    if referral.status == Status.TRIAGED:
        referral_move(referral=referral, to=Status.WAITING, by=by, at=at)
        referral.refresh_from_db()
    return referral


@transaction.atomic
def referral_assign_many(*, membership, referral_ids, to, by) -> int:
    """Assign several referrals at once (the triage queue's selection). Each must be one the
    member may see; any other id is an error and nothing is assigned."""
    from linkwell.referrals.selectors import referrals_for

    ids = {str(i) for i in referral_ids if _is_uuid(str(i))}
    if not ids or len(ids) != len(set(map(str, referral_ids))):
        raise ApplicationError("referral_not_found", "Some selected referrals were not found.")
    referrals = list(referrals_for(membership).filter(pk__in=ids))
    if len(referrals) != len(ids):
        raise ApplicationError("referral_not_found", "Some selected referrals were not found.")
    for referral in referrals:
        referral_assign(referral=referral, to=to, by=by)
    return len(referrals)


@transaction.atomic
def referral_update(*, referral: Referral, by, data: dict) -> Referral:
    """Triage edits: urgency, risk flags, site, reasons."""
    referral = _locked(referral)
    changed = []
    for name in ("urgency", "safeguarding_concern", "lives_alone", "recent_bereavement"):
        if name in data and data[name] != getattr(referral, name):
            setattr(referral, name, data[name])
            changed.append(name)
    if "site" in data and (data["site"].pk if data["site"] else None) != referral.site_id:
        if data["site"] is not None and data["site"].scheme_id != referral.scheme_id:
            raise ApplicationError("site_other_scheme", "Choose one of this scheme's sites.")
        referral.site = data["site"]
        changed.append("site")
    referral.full_clean(exclude=["reasons"])
    referral.save()
    if "reasons" in data:
        terms = need_area_terms(data["reasons"], scheme=referral.scheme)
        if {t.pk for t in terms} != set(referral.reasons.values_list("pk", flat=True)):
            referral.reasons.set(terms)
            changed.append("reasons")
    if changed:
        log_action(by, "referral.updated", referral, {"fields": changed})
    return referral


@transaction.atomic
def contact_attempt_record(
    *,
    referral: Referral,
    by,
    method: str,
    outcome: str,
    note: str = "",
    at: datetime | None = None,
) -> ContactAttempt:
    """Log one try at first contact. Reaching the person moves the referral to contacted."""
    referral = _locked(referral)
    now = timezone.now()
    live = at is None
    at = at or now
    errors = {}
    if at > now + timezone.timedelta(minutes=5):
        errors["at"] = ["The time of the attempt cannot be in the future."]
    if at < referral.received_at:
        errors["at"] = ["The attempt cannot be before the referral was received."]
    if errors:
        raise ValidationError(errors)
    if (
        referral.status not in states.NOT_YET_CONTACTED
        and referral.status != Status.UNABLE_TO_CONTACT
    ):
        raise ApplicationError(
            "referral_not_waiting",
            "This referral is not waiting for first contact.",
        )
    attempt = ContactAttempt(
        referral=referral, at=at, method=method, outcome=outcome, note=note.strip(), by=by
    )
    attempt.full_clean()
    attempt.save()
    log_action(
        by,
        "referral.contact_attempted",
        referral,
        {"method": method, "outcome": outcome},
    )
    if outcome == ContactOutcome.REACHED:
        # First contact is a milestone the referrer hears about, when it is recorded as it
        # happens (not when an earlier contact is recorded later, as imports and the demo do).
        referral_move(referral=referral, to=Status.CONTACTED, by=by, at=at, tell_referrer=live)
    return attempt
