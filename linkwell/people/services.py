"""Writes to person data: creating and updating a person, consent given and withdrawn,
households. Every write is validated, runs in a transaction, and is audited."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from linkwell.core.audit import log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Scheme
from linkwell.people.models import Consent, ConsentMethod, ConsentScope, Household, Person
from linkwell.people.validation import (
    check_date_of_birth,
    normalise_nhs_number,
    normalise_phone,
)

# Fields a person record takes from intake; the rest are system fields.
PERSON_FIELDS = [
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "gender",
    "nhs_number",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "phone",
    "phone_other",
    "email",
    "preferred_contact_method",
    "preferred_contact_times",
    "language",
    "interpreter_needed",
    "accessibility_needs",
    "digital_access",
    "digital_confidence",
    "gp_practice",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
    "household_role",
]


def clean_person_fields(data: dict) -> dict:
    """Normalise what was typed (NHS number, phones, postcode) and raise one ValidationError
    naming every field that is wrong."""
    from linkwell.geo import PostcodeError, validate_postcode

    cleaned = {k: v for k, v in data.items() if k in PERSON_FIELDS}
    errors: dict[str, list[str]] = {}
    for field, normalise in (
        ("nhs_number", normalise_nhs_number),
        ("phone", normalise_phone),
        ("phone_other", normalise_phone),
        ("emergency_contact_phone", normalise_phone),
    ):
        if field in cleaned:
            try:
                cleaned[field] = normalise(cleaned[field] or "")
            except ValidationError as error:
                errors[field] = error.messages
    if cleaned.get("postcode"):
        try:
            cleaned["postcode"] = validate_postcode(cleaned["postcode"])
        except PostcodeError as error:
            errors["postcode"] = [error.message]
    try:
        check_date_of_birth(cleaned.get("date_of_birth"))
    except ValidationError as error:
        errors["date_of_birth"] = error.messages
    for field in ("given_name", "family_name"):
        if field in cleaned:
            cleaned[field] = (cleaned[field] or "").strip()
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def person_create(*, scheme: Scheme, by, data: dict) -> Person:
    person = Person(scheme=scheme, **clean_person_fields(data))
    # The database enforces the constraints; the scheme was just loaded.
    person.full_clean(
        exclude=["scheme", "household"], validate_unique=False, validate_constraints=False
    )
    if (
        person.nhs_number
        and Person.objects.filter(scheme=scheme, nhs_number=person.nhs_number).exists()
    ):
        raise ApplicationError(
            "person_nhs_number_taken",
            "Someone in this scheme already has this NHS number.",
            fields={"nhs_number": ["Someone in this scheme already has this NHS number."]},
        )
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Someone else stored this NHS number a moment ago.
        raise ApplicationError(
            "person_nhs_number_taken",
            "Someone in this scheme already has this NHS number.",
            fields={"nhs_number": ["Someone in this scheme already has this NHS number."]},
        ) from None
    log_action(by, "person.created", person)
    return person


@transaction.atomic
def person_update(*, person: Person, by, data: dict, only_blanks: bool = False) -> list[str]:
    """Change a person's details; with `only_blanks`, fill only what the record lacks (how a
    new referral's details are merged into the person already known). Returns what changed."""
    cleaned = clean_person_fields(data)
    changed = []
    for field, value in cleaned.items():
        current = getattr(person, field)
        if value in ("", None) or value == current:
            continue
        if only_blanks and current not in ("", None):
            continue
        setattr(person, field, value)
        changed.append(field)
    if changed:
        person.full_clean(validate_unique=False)
        person.save()
        log_action(by, "person.updated", person, {"fields": changed})
    return changed


@transaction.atomic
def consent_record(
    *,
    person: Person,
    scope: ConsentScope | str,
    method: ConsentMethod | str,
    by,
    channels: Iterable[str] = (),
    providers: str = "",
) -> Consent:
    """Record that the person agrees to `scope`. A consent already in force for the scope is
    replaced (withdrawn by the new record) so the history shows both."""
    now = timezone.now()
    current = Consent.objects.select_for_update().filter(
        person=person, scope=scope, withdrawn_at__isnull=True
    )
    for old in current:
        old.withdrawn_at = now
        old.withdrawn_by = by if getattr(by, "is_authenticated", False) else None
        old.withdrawal_reason = "Replaced by a newer consent record"
        old.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    consent = Consent(
        person=person,
        scope=scope,
        method=method,
        channels=sorted(set(channels)),
        providers=providers,
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
        recorded_at=now,
    )
    consent.full_clean(
        exclude=["person", "recorded_by", "withdrawn_by"],
        validate_unique=False,
        validate_constraints=False,
    )
    consent.save()
    log_action(
        by,
        "consent.recorded",
        consent,
        {"scope": str(scope), "method": str(method), "channels": consent.channels},
        scheme=person.scheme,
    )
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, by, reason: str = "") -> Consent:
    """The person withdrew this consent. Kept, dated; every later use sees it gone."""
    consent = (
        Consent.objects.select_for_update().select_related("person__scheme").get(pk=consent.pk)
    )
    if consent.withdrawn_at is not None:
        raise ApplicationError("consent_already_withdrawn", "This consent was already withdrawn.")
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = by
    consent.withdrawal_reason = reason.strip()[:300]
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    log_action(
        by,
        "consent.withdrawn",
        consent,
        {"scope": consent.scope},
        scheme=consent.person.scheme,
    )
    if consent.scope == ConsentScope.CONTACT:
        # No consent to contact: the waiting-room links stop working at once.
        from linkwell.referrals.models import WaitingRoomLink

        WaitingRoomLink.objects.filter(
            referral__person=consent.person, revoked_at__isnull=True
        ).update(revoked_at=consent.withdrawn_at, revoked_by=by)
    return consent


@transaction.atomic
def household_join(
    *, person: Person, by, household: Household | None = None, name: str = "", role: str = ""
) -> Household:
    """Put the person in a household (a new one named `name` when none is given)."""
    if household is None:
        household = Household.objects.create(
            scheme=person.scheme, name=name or f"{person.family_name} household"
        )
        log_action(by, "household.created", household)
    elif household.scheme_id != person.scheme_id:
        raise ApplicationError("household_other_scheme", "That household is not in this scheme.")
    person.household = household
    if role:
        person.household_role = role
    person.full_clean(validate_unique=False)
    person.save(update_fields=["household", "household_role", "updated_at"])
    log_action(by, "person.household_joined", person, {"household": str(household.pk)})
    return household


def _merge_cases(duplicate: Person, into: Person) -> None:
    """Move the duplicate's cases across (one open case per person: if both have one, a link
    worker closes one first), and where a case involves the duplicate as a household member,
    it involves the kept record instead."""
    from linkwell.casework.models import Case
    from linkwell.casework.states import CaseStatus

    open_cases = Case.objects.filter(person__in=[duplicate, into]).exclude(status=CaseStatus.CLOSED)
    if open_cases.count() > 1:
        raise ApplicationError(
            "person_merge_open_cases",
            "Both records have an open case. Close one of them before merging the records.",
        )
    Case.objects.filter(person=duplicate).update(person=into)
    involved = Case.household_members.through.objects
    for row in involved.filter(person=duplicate):
        if row.case.person_id != into.pk:
            involved.get_or_create(case_id=row.case_id, person=into)
    involved.filter(person=duplicate).delete()


@transaction.atomic
def person_merge(*, duplicate: Person, into: Person, by) -> Person:
    """`duplicate` is the same person as `into`: move everything of theirs across, fill the
    kept record's blanks, and remove the duplicate record (the log keeps what happened)."""
    from linkwell.referrals.models import CampaignEntry, Referral

    if duplicate.pk == into.pk or duplicate.scheme_id != into.scheme_id:
        raise ApplicationError("person_merge_invalid", "These records cannot be merged.")
    if duplicate.nhs_number and into.nhs_number and duplicate.nhs_number != into.nhs_number:
        raise ApplicationError(
            "person_merge_nhs_conflict",
            "These records have different NHS numbers: they are different people.",
        )
    Referral.objects.filter(person=duplicate).update(person=into)
    _merge_cases(duplicate, into)
    # One consent in force per purpose: where both records have one, the newer stands and the
    # older is kept as withdrawn (replaced), before they are put together.
    now = timezone.now()
    in_force = Consent.objects.filter(
        person__in=[duplicate, into], withdrawn_at__isnull=True
    ).order_by("-recorded_at")
    seen = set()
    for consent in in_force:
        if consent.scope in seen:
            consent.withdrawn_at = max(now, consent.recorded_at)
            consent.withdrawal_reason = "Replaced when two records of the person were merged"
            consent.save(update_fields=["withdrawn_at", "withdrawal_reason"])
        seen.add(consent.scope)
    Consent.objects.filter(person=duplicate).update(person=into)
    # A person on the same call list twice keeps the kept record's entry.
    listed = CampaignEntry.objects.filter(person=into).values_list("campaign_id", flat=True)
    CampaignEntry.objects.filter(person=duplicate).exclude(campaign_id__in=listed).update(
        person=into
    )
    data = {f: getattr(duplicate, f) for f in PERSON_FIELDS if f != "nhs_number"}
    data["nhs_number"] = duplicate.nhs_number
    for field, value in data.items():
        if value not in ("", None) and getattr(into, field) in ("", None):
            setattr(into, field, value)
    if into.household_id is None and duplicate.household_id:
        into.household_id = duplicate.household_id
    into.needs_duplicate_check = False
    duplicate_id = str(duplicate.pk)
    duplicate.delete()
    into.save()
    log_action(by, "person.merged", into, {"merged_record": duplicate_id})
    return into


@transaction.atomic
def person_keep_separate(*, person: Person, by) -> Person:
    """Staff looked at the likely matches: this is someone else."""
    person.needs_duplicate_check = False
    person.save(update_fields=["needs_duplicate_check", "updated_at"])
    log_action(by, "person.kept_separate", person)
    return person


@transaction.atomic
def household_join_by_name(*, person: Person, by, name: str, role: str = "") -> Household:
    """Put the person in the scheme's household called `name`, made if there is none: how a
    family referred together is linked, one member at a time."""
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError(
            "household_name_required",
            "Enter the household's name.",
            fields={"name": ["Enter the household's name, like Morgan family"]},
        )
    household = (
        Household.objects.filter(scheme=person.scheme, name__iexact=name)
        .order_by("created_at")
        .first()
    )
    return household_join(person=person, by=by, household=household, name=name, role=role)
