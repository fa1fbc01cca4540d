"""A posted ServiceRequest, read into an `IntakeRequest` for `referral_intake`.

Two stages, each answering an OperationOutcome that names the element at fault:
1. `parse_service_request`: JSON, resourceType, and the R4 model's own rules (400).
2. `intake_from_service_request`: what Linkwell needs of it (subject, reasons, dates,
   consent...) (422). Nothing is written here; the caller hands the result to intake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time

import pydantic
from django.core.exceptions import ValidationError
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.servicerequest import ServiceRequest

from linkwell.core.models import Membership
from linkwell.core.permissions import Perm, can
from linkwell.people.models import ConsentMethod, ConsentScope, Person
from linkwell.people.services import clean_person_fields
from linkwell.people.validation import normalise_nhs_number
from linkwell.referrals.fhir import (
    CONSENT_SCOPE_SYSTEM,
    NEED_AREA_SYSTEM,
    NHS_NUMBER_SYSTEM,
    ORGANIZATION_TYPE_SYSTEM,
    RISK_FLAG_EXTENSION,
    SOURCE_TYPE_EXTENSION,
)
from linkwell.referrals.fhir.outcome import FhirError, Issue, issues_from_pydantic
from linkwell.referrals.fhir.reasons import NEED_AREA_CODES, need_areas_from_text
from linkwell.referrals.models import Channel, SourceType, Urgency
from linkwell.referrals.services import IntakeRequest

SR = "ServiceRequest"
MAX_BODY_BYTES = 1_000_000

# FHIR request priority -> Linkwell urgency (in order: each step up is more urgent).
PRIORITY_TO_URGENCY = {
    "routine": Urgency.ROUTINE,
    "urgent": Urgency.SOON,
    "asap": Urgency.URGENT,
    "stat": Urgency.URGENT,
}
REQUEST_INTENTS = {
    "proposal",
    "plan",
    "directive",
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
}
# Organization.type (HL7 organization-type) -> where the referral came from.
ORGANIZATION_TYPE_SOURCE = {
    "prov": SourceType.GP_PRACTICE,
    "govt": SourceType.COUNCIL,
    "edu": SourceType.SCHOOL,
    "cg": SourceType.VCSE,
    "reli": SourceType.VCSE,
}
RISK_FLAGS = ("safeguarding_concern", "lives_alone", "recent_bereavement")


def parse_service_request(body: bytes) -> tuple[ServiceRequest, dict]:
    """The body as an R4 ServiceRequest model and as the JSON received; else FhirError(400)."""
    if len(body) > MAX_BODY_BYTES:
        raise FhirError(413, Issue("too-long", "The resource is larger than 1 MB."))
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise FhirError(400, Issue("structure", "The body is not UTF-8 text.")) from None
    except json.JSONDecodeError as error:
        raise FhirError(
            400,
            Issue(
                "structure",
                f"The body is not valid JSON: {error.msg} (line {error.lineno}, "
                f"column {error.colno}).",
            ),
        ) from None
    if not isinstance(data, dict):
        raise FhirError(400, Issue("structure", "The body must be a JSON object: a FHIR resource."))
    kind = data.get("resourceType")
    if kind != SR:
        words = f"a {kind}" if isinstance(kind, str) and kind else "no resourceType"
        raise FhirError(
            400,
            Issue(
                "invalid",
                f"Expected a ServiceRequest, got {words}. Send a ServiceRequest to this endpoint.",
                "resourceType",
            ),
        )
    _check_contained_types(data)
    try:
        resource = ServiceRequest.model_validate(data)
    except pydantic.ValidationError as error:
        raise FhirError(400, issues_from_pydantic(error, SR)) from None
    except (TypeError, ValueError, KeyError) as error:  # the model's own odd failures
        raise FhirError(
            400, Issue("structure", f"The resource could not be read: {error}")
        ) from None
    return resource, data


def _check_contained_types(data: dict) -> None:
    contained = data.get("contained")
    if not isinstance(contained, list):
        return  # the model reports a wrong shape itself
    for index, item in enumerate(contained):
        where = f"{SR}.contained[{index}]"
        kind = item.get("resourceType") if isinstance(item, dict) else None
        if not isinstance(kind, str) or not kind:
            raise FhirError(400, Issue("required", f"{where} needs a resourceType.", where))
        try:
            get_fhir_model_class(kind)
        except (KeyError, ValueError, AttributeError):
            raise FhirError(
                400,
                Issue("invalid", f"{where}: {kind!r} is not a FHIR resource type.", where),
            ) from None


@dataclass
class _Reader:
    """Collects what intake needs, and every problem found, with where each came from."""

    resource: ServiceRequest
    membership: Membership
    issues: list[Issue] = field(default_factory=list)
    # intake field name -> FHIRPath of the element it was read from
    sources: dict[str, str] = field(default_factory=dict)

    def problem(self, code: str, words: str, expression: str | None) -> None:
        self.issues.append(Issue(code, words, expression))

    def contained(self, reference: str | None) -> tuple[int, object] | None:
        """('#p1') -> (index, resource) of the contained resource with id p1."""
        if not reference or not reference.startswith("#"):
            return None
        wanted = reference[1:]
        for index, item in enumerate(self.resource.contained or []):
            if item.id == wanted:
                return index, item
        return None


def intake_from_service_request(
    resource: ServiceRequest, raw: dict, *, membership: Membership
) -> tuple[IntakeRequest, dict[str, str]]:
    """The IntakeRequest this ServiceRequest asks for, and where each field came from (to name
    the element when intake itself finds a problem). Raises FhirError(422) listing every problem.
    """
    reader = _Reader(resource=resource, membership=membership)
    if resource.status != "active":
        reader.problem(
            "business-rule",
            f"Only an active request can be sent (status is {resource.status!r}).",
            f"{SR}.status",
        )
    if resource.intent not in REQUEST_INTENTS:
        reader.problem("code-invalid", f"Unknown intent {resource.intent!r}.", f"{SR}.intent")
    person = _person(reader)
    reasons = _reasons(reader)
    urgency = _urgency(reader)
    received_at = _received_at(reader)
    referrer = _referrer(reader)
    consents = _consents(reader)
    external_id = _external_id(reader)
    source_type = _source_type(reader, referrer.pop("_organization_type", None))
    flags = _risk_flags(reader)
    _check_person(reader, person)
    summary = "\n\n".join(n.text.strip() for n in resource.note or [] if n.text and n.text.strip())
    if reader.issues:
        raise FhirError(422, reader.issues)
    user = membership.user
    request = IntakeRequest(
        scheme=membership.scheme,
        channel=Channel.FHIR,
        from_staff=can(membership, Perm.REFERRAL_TRIAGE),
        source_type=source_type,
        person=person,
        reasons=reasons,
        consents=consents,
        summary=summary,
        urgency=urgency,
        received_at=received_at,
        referrer_name=referrer.get("name") or user.full_name,
        referrer_organisation=referrer.get("organisation", ""),
        referrer_email=referrer.get("email") or user.email,
        referrer_phone=referrer.get("phone", ""),
        external_id=external_id,
        fhir_request=raw,
        **flags,
    )
    reader.sources.setdefault("summary", f"{SR}.note")
    return request, reader.sources


# --- the person -----------------------------------------------------------------------------


def _person(reader: _Reader) -> dict:
    subject = reader.resource.subject
    found = reader.contained(subject.reference)
    if found is not None:
        index, patient = found
        if patient.get_resource_type() != "Patient":
            reader.problem(
                "invalid",
                "The subject must be a Patient.",
                f"{SR}.subject.reference",
            )
            return {}
        return _person_from_patient(reader, patient, f"{SR}.contained[{index}]")
    if subject.reference and subject.reference.startswith("#"):
        reader.problem(
            "not-found",
            f"The subject refers to {subject.reference}, but no contained resource has that id.",
            f"{SR}.subject.reference",
        )
        return {}
    identifier = subject.identifier
    if identifier is None or identifier.system != NHS_NUMBER_SYSTEM or not identifier.value:
        reader.problem(
            "required",
            "Say who is referred: contain the Patient in the request and refer to it "
            f"(subject.reference '#id'), or give their NHS number as subject.identifier with "
            f"system {NHS_NUMBER_SYSTEM}.",
            f"{SR}.subject",
        )
        return {}
    where = f"{SR}.subject.identifier.value"
    if not can(reader.membership, Perm.REFERRAL_TRIAGE):
        # Only the scheme's own staff may name someone by NHS number alone: from anyone else,
        # the answer would tell them who the scheme knows.
        reader.problem(
            "required",
            "Contain the Patient (name and date of birth) in the request and refer to it "
            "(subject.reference '#id').",
            f"{SR}.subject",
        )
        return {}
    try:
        nhs_number = normalise_nhs_number(identifier.value)
    except ValidationError as error:
        reader.problem("value", error.messages[0], where)
        return {}
    known = (
        Person.objects.filter(scheme=reader.membership.scheme, nhs_number=nhs_number)
        .only("given_name", "family_name", "nhs_number")
        .first()
    )
    if known is None:
        reader.problem(
            "not-found",
            "No one with this NHS number is known to this scheme yet. Send the patient's "
            "details as a contained Patient.",
            f"{SR}.subject",
        )
        return {}
    reader.sources["nhs_number"] = where
    return {
        "given_name": known.given_name,
        "family_name": known.family_name,
        "nhs_number": nhs_number,
    }


def _check_person(reader: _Reader, person: dict) -> None:
    """The person's details by the same rules intake applies, so that every problem is named in
    one answer (intake checks them again, in its transaction)."""
    if not person:
        return
    try:
        clean_person_fields(person)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                reader.problem("value", message, reader.sources.get(name))


def _person_from_patient(reader: _Reader, patient, where: str) -> dict:
    person: dict = {}
    sources = reader.sources

    for i, identifier in enumerate(patient.identifier or []):
        if identifier.system == NHS_NUMBER_SYSTEM and identifier.value:
            person["nhs_number"] = identifier.value
            sources["nhs_number"] = f"{where}.identifier[{i}].value"
            break

    names = patient.name or []
    chosen = next((n for n in names if n.use == "official"), None) or (names[0] if names else None)
    name_at = f"{where}.name[{names.index(chosen) if chosen else 0}]"
    given = (chosen.given or []) if chosen else []
    family = chosen.family if chosen else None
    if not given or not (given[0] or "").strip():
        reader.problem("required", "Give the patient's first name.", f"{name_at}.given")
    else:
        person["given_name"] = given[0]
    if not (family or "").strip():
        reader.problem("required", "Give the patient's last name.", f"{name_at}.family")
    else:
        person["family_name"] = family
    sources["given_name"] = f"{name_at}.given[0]"
    sources["family_name"] = f"{name_at}.family"
    usual = next((n for n in names if n.use in ("usual", "nickname") and n.given), None)
    if usual is not None and usual.given[0] != person.get("given_name"):
        person["preferred_name"] = usual.given[0]

    if patient.birthDate is not None:
        sources["date_of_birth"] = f"{where}.birthDate"
        if isinstance(patient.birthDate, date):
            person["date_of_birth"] = patient.birthDate
        else:
            reader.problem(
                "value",
                "Give the patient's full date of birth (year, month and day).",
                f"{where}.birthDate",
            )
    if patient.gender:
        person["gender"] = patient.gender

    phones = []
    for i, contact in enumerate(patient.telecom or []):
        if not contact.value:
            continue
        at = f"{where}.telecom[{i}].value"
        if contact.system in ("phone", "sms"):
            phones.append((contact.use != "mobile", i, contact.value, at))
        elif contact.system == "email" and "email" not in person:
            person["email"] = contact.value
            sources["email"] = at
    phones.sort()  # mobiles first, then in the order given
    for (_, _, value, at), name in zip(phones, ("phone", "phone_other"), strict=False):
        person[name] = value
        sources[name] = at

    addresses = patient.address or []
    home = next((a for a in addresses if a.use == "home"), None) or (
        addresses[0] if addresses else None
    )
    if home is not None:
        at = f"{where}.address[{addresses.index(home)}]"
        lines = [line for line in home.line or [] if line and line.strip()]
        if lines:
            person["address_line_1"] = lines[0]
            sources["address_line_1"] = f"{at}.line[0]"
        if len(lines) > 1:
            person["address_line_2"] = ", ".join(lines[1:])
            sources["address_line_2"] = f"{at}.line[1]"
        if home.city:
            person["town"] = home.city
            sources["town"] = f"{at}.city"
        if home.postalCode:
            person["postcode"] = home.postalCode
            sources["postcode"] = f"{at}.postalCode"

    for i, communication in enumerate(patient.communication or []):
        language = communication.language
        words = language.text or next((c.display for c in language.coding or [] if c.display), None)
        if words and (communication.preferred or i == 0):
            person["language"] = words
            sources["language"] = f"{where}.communication[{i}].language"

    practices = patient.generalPractitioner or []
    if practices and practices[0].display:
        person["gp_practice"] = practices[0].display
        sources["gp_practice"] = f"{where}.generalPractitioner[0].display"
    return person


# --- reasons, urgency, dates --------------------------------------------------------------


def _concept_codes(reader: _Reader, codings, text: str | None, where: str) -> list[str] | None:
    """Need-area codes for one CodeableConcept (its codings and text); None (and a problem
    noted) if it names none."""
    codes: list[str] = []
    for j, coding in enumerate(codings or []):
        if coding.system == NEED_AREA_SYSTEM:
            if coding.code in NEED_AREA_CODES:
                codes.append(coding.code)
            else:
                reader.problem(
                    "code-invalid",
                    f"{coding.code!r} is not a need area of {NEED_AREA_SYSTEM}. Use one of: "
                    f"{', '.join(sorted(NEED_AREA_CODES))}.",
                    f"{where}.coding[{j}].code",
                )
                return None
    if not codes:
        for coding in codings or []:
            codes += need_areas_from_text(coding.display or "")
    if not codes:
        codes = need_areas_from_text(text or "")
    if not codes:
        words = text or next(
            (c.display or c.code for c in codings or [] if c.display or c.code), ""
        )
        reader.problem(
            "code-invalid",
            f"This reason could not be matched to a need area: {words!r}. Use a coding from "
            f"{NEED_AREA_SYSTEM}, or words such as 'loneliness', 'debt' or 'housing'.",
            where,
        )
        return None
    return codes


def _reasons(reader: _Reader) -> list[str]:
    resource = reader.resource
    problems_before = len(reader.issues)
    codes: list[str] = []
    for i, concept in enumerate(resource.reasonCode or []):
        where = f"{SR}.reasonCode[{i}]"
        codes += _concept_codes(reader, concept.coding, concept.text, where) or []
    for i, reference in enumerate(resource.reasonReference or []):
        found = reader.contained(reference.reference)
        if found is not None:
            index, item = found
            concept = getattr(item, "code", None)
            if concept is None or not hasattr(concept, "coding"):
                reader.problem(
                    "invalid",
                    "A reason reference must point to a Condition or Observation with a code.",
                    f"{SR}.reasonReference[{i}]",
                )
                continue
            where = f"{SR}.contained[{index}].code"
            codes += _concept_codes(reader, concept.coding, concept.text, where) or []
        elif reference.reference and reference.reference.startswith("#"):
            reader.problem(
                "not-found",
                f"No contained resource has the id {reference.reference[1:]!r}.",
                f"{SR}.reasonReference[{i}].reference",
            )
        elif reference.display:
            where = f"{SR}.reasonReference[{i}].display"
            codes += _concept_codes(reader, [], reference.display, where) or []
        # A reference to a record elsewhere, without words, is kept with the request only.
    if not codes and len(reader.issues) == problems_before:
        reader.problem(
            "required",
            "Give at least one reason for the referral (reasonCode), such as a need area "
            f"from {NEED_AREA_SYSTEM}.",
            f"{SR}.reasonCode",
        )
    reader.sources["reasons"] = f"{SR}.reasonCode"
    return list(dict.fromkeys(codes))


def _urgency(reader: _Reader) -> str:
    priority = reader.resource.priority or "routine"
    if priority not in PRIORITY_TO_URGENCY:
        reader.problem(
            "code-invalid",
            f"Unknown priority {priority!r}: use routine, urgent, asap or stat.",
            f"{SR}.priority",
        )
        return Urgency.ROUTINE
    reader.sources["urgency"] = f"{SR}.priority"
    return PRIORITY_TO_URGENCY[priority]


def _received_at(reader: _Reader) -> datetime | None:
    value = reader.resource.authoredOn
    where = f"{SR}.authoredOn"
    reader.sources["received_at"] = where
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = timezone.make_aware(datetime.combine(value, time.min))
    else:
        reader.problem("value", "Give the full date the request was made, with the day.", where)
        return None
    if moment > timezone.now() + timezone.timedelta(minutes=5):
        reader.problem("value", "authoredOn cannot be in the future.", where)
        return None
    return moment


# --- who sent it, consent, identifier, source, flags ---------------------------------------


def _contact_details(item, where: str, sources: dict) -> dict:
    found = {}
    for i, contact in enumerate(getattr(item, "telecom", None) or []):
        if contact.system == "email" and contact.value and "email" not in found:
            found["email"] = contact.value
            sources["referrer_email"] = f"{where}.telecom[{i}].value"
        elif contact.system == "phone" and contact.value and "phone" not in found:
            found["phone"] = contact.value
            sources["referrer_phone"] = f"{where}.telecom[{i}].value"
    return found


def _human_name(names) -> str:
    for name in names or []:
        if name.text:
            return name.text
        parts = [*(name.prefix or []), *(name.given or []), name.family or ""]
        words = " ".join(p for p in parts if p)
        if words:
            return words
    return ""


def _referrer(reader: _Reader) -> dict:
    requester = reader.resource.requester
    if requester is None:
        return {}
    sources = reader.sources
    found = reader.contained(requester.reference)
    if found is None:
        if requester.reference and requester.reference.startswith("#"):
            reader.problem(
                "not-found",
                f"No contained resource has the id {requester.reference[1:]!r}.",
                f"{SR}.requester.reference",
            )
            return {}
        kind = requester.type or (requester.reference or "").split("/")[0]
        display = (requester.display or "").strip()
        sources["referrer_name"] = sources["referrer_organisation"] = f"{SR}.requester.display"
        if kind == "Organization":
            return {"organisation": display}
        return {"name": display}
    index, item = found
    where = f"{SR}.contained[{index}]"
    kind = item.get_resource_type()
    details: dict = _contact_details(item, where, sources)
    if kind == "Practitioner":
        details["name"] = _human_name(item.name)
        sources["referrer_name"] = f"{where}.name"
    elif kind == "Organization":
        details["organisation"] = item.name or ""
        sources["referrer_organisation"] = f"{where}.name"
        for concept in item.type or []:
            for coding in concept.coding or []:
                if coding.system == ORGANIZATION_TYPE_SYSTEM:
                    details.setdefault("_organization_type", coding.code)
    elif kind == "PractitionerRole":
        if item.practitioner is not None:
            details["name"] = item.practitioner.display or ""
            sources["referrer_name"] = f"{where}.practitioner.display"
        if item.organization is not None:
            details["organisation"] = item.organization.display or ""
            sources["referrer_organisation"] = f"{where}.organization.display"
    else:
        reader.problem(
            "invalid",
            "The requester must be a Practitioner, PractitionerRole or Organization.",
            f"{SR}.requester.reference",
        )
    return details


def _consents(reader: _Reader) -> dict[str, dict]:
    """What the person agreed to. The referrer's word that the person agreed to be contacted is
    the premise of a referral, so that is recorded unless a Consent says they refused it."""
    permitted: set[str] = {ConsentScope.CONTACT}
    for i, reference in enumerate(reader.resource.supportingInfo or []):
        found = reader.contained(reference.reference)
        if found is None or found[1].get_resource_type() != "Consent":
            continue
        index, consent = found
        where = f"{SR}.contained[{index}]"
        if consent.status != "active":
            continue
        scopes = []
        for j, concept in enumerate(consent.category or []):
            for k, coding in enumerate(concept.coding or []):
                if coding.system != CONSENT_SCOPE_SYSTEM:
                    continue
                if coding.code not in ConsentScope.values:
                    reader.problem(
                        "code-invalid",
                        f"{coding.code!r} is not one of {', '.join(ConsentScope.values)}.",
                        f"{where}.category[{j}].coding[{k}].code",
                    )
                else:
                    scopes.append(coding.code)
        if not scopes:
            reader.problem(
                "code-invalid",
                f"Say what the person agreed to with a category coding from "
                f"{CONSENT_SCOPE_SYSTEM} ({', '.join(ConsentScope.values)}).",
                f"{where}.category",
            )
            continue
        denied = consent.provision is not None and consent.provision.type == "deny"
        if denied:
            permitted -= set(scopes)
            if ConsentScope.CONTACT in scopes:
                reader.problem(
                    "business-rule",
                    "The person has not agreed to be contacted: a social prescribing referral "
                    "needs their agreement to be contacted.",
                    f"{where}.provision.type",
                )
        else:
            permitted |= set(scopes)
        reader.sources.setdefault("consents", f"{SR}.supportingInfo[{i}]")
    return {scope: {"method": ConsentMethod.REFERRER} for scope in sorted(permitted)}


def external_id_of(resource: ServiceRequest) -> str:
    """The sender's identifier, as stored: 'system|value' (or the value alone)."""
    for identifier in resource.identifier or []:
        if identifier.value:
            if identifier.system:
                return f"{identifier.system}|{identifier.value}"
            return identifier.value
    return ""


def _external_id(reader: _Reader) -> str:
    value = external_id_of(reader.resource)
    if not value:
        return ""
    index = next(i for i, ident in enumerate(reader.resource.identifier) if ident.value)
    if len(value) > 200:
        reader.problem(
            "too-long",
            "The identifier (system and value) is longer than 200 characters.",
            f"{SR}.identifier[{index}].value",
        )
        return ""
    reader.sources["external_id"] = f"{SR}.identifier[{index}]"
    return value


def _extension_values(reader: _Reader, url: str):
    for i, extension in enumerate(reader.resource.extension or []):
        if extension.url == url:
            yield i, extension


def _source_type(reader: _Reader, organization_type: str | None) -> str:
    for i, extension in _extension_values(reader, SOURCE_TYPE_EXTENSION):
        value = extension.valueCode
        if value not in SourceType.values:
            reader.problem(
                "code-invalid",
                f"Unknown source type {value!r}: use one of {', '.join(SourceType.values)}.",
                f"{SR}.extension[{i}].valueCode",
            )
            return SourceType.GP_PRACTICE
        return value
    return ORGANIZATION_TYPE_SOURCE.get(organization_type or "", SourceType.GP_PRACTICE)


def _risk_flags(reader: _Reader) -> dict[str, bool]:
    flags = {}
    for i, extension in _extension_values(reader, RISK_FLAG_EXTENSION):
        value = extension.valueCode
        if value not in RISK_FLAGS:
            reader.problem(
                "code-invalid",
                f"Unknown risk flag {value!r}: use one of {', '.join(RISK_FLAGS)}.",
                f"{SR}.extension[{i}].valueCode",
            )
            continue
        flags[value] = True
    return flags
