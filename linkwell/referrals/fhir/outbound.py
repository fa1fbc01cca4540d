"""The referral as FHIR: its ServiceRequest, the Task that follows its status, the Bundle the
create answers with, and the CapabilityStatement. Each is built through its R4 model."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from linkwell.casework.states import ClosingReason
from linkwell.referrals import states
from linkwell.referrals.fhir import (
    CONSENT_SCOPE_SYSTEM,
    FHIR_VERSION,
    MEDIA_TYPE,
    NEED_AREA_SYSTEM,
    NHS_NUMBER_SYSTEM,
    PERSON_ID_SYSTEM,
    REFERRAL_STATUS_SYSTEM,
    RISK_FLAG_EXTENSION,
    SCHEME_HEADER,
    SNOMED_SYSTEM,
    SOURCE_TYPE_EXTENSION,
    UK_CORE_SERVICE_REQUEST,
)
from linkwell.referrals.models import Referral, Urgency
from linkwell.referrals.states import Status

URGENCY_TO_PRIORITY = {
    Urgency.ROUTINE: "routine",
    Urgency.SOON: "urgent",
    Urgency.URGENT: "asap",
}
PATIENT_GENDERS = {"male", "female", "other", "unknown"}
CAPABILITY_DATE = "2026-12-06"
SEARCH_PARAMETER = "http://hl7.org/fhir/SearchParameter"
CASE_MILESTONE_SYSTEM = "https://linkwell.org.uk/fhir/CodeSystem/case-milestone"
MILESTONE_PLAN = {"system": CASE_MILESTONE_SYSTEM, "code": "plan-agreed", "display": "Plan agreed"}
MILESTONE_CLOSED = {"system": CASE_MILESTONE_SYSTEM, "code": "case-closed", "display": "Outcome"}


def _dump(model) -> dict:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _instant(moment) -> str:
    return moment.isoformat()


def service_request_status(referral: Referral) -> str:
    if referral.status in states.OPEN:
        return "active"
    if referral.status == Status.ACCEPTED:
        return "completed"
    return "revoked"


def _patient_reference(referral: Referral) -> dict:
    person = referral.person
    if person.nhs_number:
        identifier = {"system": NHS_NUMBER_SYSTEM, "value": person.nhs_number}
    else:
        identifier = {"system": PERSON_ID_SYSTEM, "value": str(person.pk)}
    return {"type": "Patient", "identifier": identifier}


def _requester(referral: Referral) -> dict | None:
    if referral.referrer_name:
        return {"type": "Practitioner", "display": referral.referrer_name}
    if referral.referrer_organisation:
        return {"type": "Organization", "display": referral.referrer_organisation}
    return None


def _patient(referral: Referral) -> dict:
    person = referral.person
    identifiers = [{"system": PERSON_ID_SYSTEM, "value": str(person.pk)}]
    if person.nhs_number:
        identifiers.insert(0, {"system": NHS_NUMBER_SYSTEM, "value": person.nhs_number})
    patient = {
        "resourceType": "Patient",
        "id": "patient",
        "identifier": identifiers,
        "name": [{"use": "official", "family": person.family_name, "given": [person.given_name]}],
    }
    if person.date_of_birth:
        patient["birthDate"] = person.date_of_birth.isoformat()
    if person.gender.lower() in PATIENT_GENDERS:
        patient["gender"] = person.gender.lower()
    return patient


def _identifiers(referral: Referral) -> list[dict]:
    if not referral.external_id:
        return []
    system, _, value = referral.external_id.rpartition("|")
    return [{"system": system, "value": value} if system else {"value": value}]


def service_request(referral: Referral, *, reasons=None) -> dict:
    """The referral as an R4 ServiceRequest (id = the referral's id), its Patient contained."""
    reasons = referral.reasons.all() if reasons is None else reasons
    data = {
        "resourceType": "ServiceRequest",
        "id": str(referral.pk),
        "meta": {"lastUpdated": _instant(referral.updated_at)},
        "contained": [_patient(referral)],
        "identifier": _identifiers(referral) or None,
        "status": service_request_status(referral),
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": SNOMED_SYSTEM,
                    "code": states.SNOMED_REFERRED,
                    "display": states.SNOMED_LABELS[states.SNOMED_REFERRED],
                }
            ]
        },
        "priority": URGENCY_TO_PRIORITY[Urgency(referral.urgency)],
        "subject": {"reference": "#patient", "type": "Patient"},
        "authoredOn": _instant(referral.received_at),
        "requester": _requester(referral),
        "performer": [{"type": "Organization", "display": referral.scheme.name}],
        "reasonCode": [
            {
                "coding": [{"system": NEED_AREA_SYSTEM, "code": term.code, "display": term.name}],
                "text": term.name,
            }
            for term in reasons
        ],
        "note": [{"text": referral.summary}] if referral.summary else None,
    }
    return _dump(ServiceRequest.model_validate({k: v for k, v in data.items() if v is not None}))


def _case_of(referral: Referral):
    try:
        return referral.case
    except ObjectDoesNotExist:
        return None


def _milestones(referral: Referral, case, *, share_detail: bool) -> list[dict]:
    """What the case the referral became has reached, as Task outputs: the plan agreed (the
    first support offered) and how the work ended. Only with `share_detail`."""
    if case is None or not share_detail:
        return []
    outputs = []
    plan_agreed_at = getattr(referral, "plan_agreed_at", None)
    if plan_agreed_at:
        outputs.append(
            {
                "type": {"coding": [{**MILESTONE_PLAN}], "text": MILESTONE_PLAN["display"]},
                "valueDateTime": _instant(plan_agreed_at),
            }
        )
    if case.closed_at and case.closing_reason:
        outputs.append(
            {
                "type": {"coding": [{**MILESTONE_CLOSED}], "text": MILESTONE_CLOSED["display"]},
                "valueString": ClosingReason(case.closing_reason).label,
            }
        )
    return outputs


def task(referral: Referral, *, share_detail: bool = True) -> dict:
    """The Task that follows the referral: its status, why, and when it last changed; once it
    became a case, the case's milestones (completed when the case closes). Why (in staff's
    words) and the milestones' detail only with `share_detail`: for a referrer, when the
    person agreed to it."""
    status = Status(referral.status)
    case = _case_of(referral) if status == Status.ACCEPTED else None
    closed = case is not None and case.closed_at is not None
    changed = max(referral.status_changed_at, case.closed_at) if closed else None
    data = {
        "resourceType": "Task",
        "id": str(referral.pk),
        "meta": {
            "lastUpdated": _instant(
                max(referral.updated_at, case.updated_at) if case else referral.updated_at
            )
        },
        "identifier": _identifiers(referral) or None,
        "basedOn": [{"reference": f"ServiceRequest/{referral.pk}"}],
        "status": "completed" if closed else states.FHIR_TASK_STATUS[status],
        "statusReason": (
            {"text": referral.status_reason} if referral.status_reason and share_detail else None
        ),
        "businessStatus": {
            "coding": [
                {"system": REFERRAL_STATUS_SYSTEM, "code": status.value, "display": status.label}
            ],
            "text": status.label,
        },
        "intent": "order",
        "priority": URGENCY_TO_PRIORITY[Urgency(referral.urgency)],
        "focus": {"reference": f"ServiceRequest/{referral.pk}", "type": "ServiceRequest"},
        "for": _patient_reference(referral),
        "authoredOn": _instant(referral.received_at),
        "lastModified": _instant(changed or referral.status_changed_at),
        "requester": _requester(referral),
        "owner": {"type": "Organization", "display": referral.scheme.name},
        "executionPeriod": (
            {
                "start": _instant(referral.first_contact_at or (case and case.opened_at)),
                **({"end": _instant(case.closed_at)} if closed else {}),
            }
            if referral.first_contact_at or case
            else None
        ),
        "output": (
            [
                {
                    "type": {"text": "SNOMED CT code for the GP record"},
                    "valueCodeableConcept": {
                        "coding": [
                            {
                                "system": SNOMED_SYSTEM,
                                "code": referral.snomed_code,
                                **(
                                    {"display": states.SNOMED_LABELS[referral.snomed_code]}
                                    if referral.snomed_code in states.SNOMED_LABELS
                                    else {}
                                ),
                            }
                        ]
                    },
                }
            ]
            if referral.snomed_code
            else []
        )
        + _milestones(referral, case, share_detail=share_detail)
        or None,
    }
    return _dump(Task.model_validate({k: v for k, v in data.items() if v is not None}))


def created_bundle(referral: Referral, *, base_url: str, share_detail: bool = True) -> dict:
    """What POST /fhir/ServiceRequest answers: a collection Bundle of the ServiceRequest and
    its Task, each with its full URL."""
    base_url = base_url.rstrip("/")
    data = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(referral.updated_at),
        "entry": [
            {
                "fullUrl": f"{base_url}/ServiceRequest/{referral.pk}",
                "resource": service_request(referral),
            },
            {
                "fullUrl": f"{base_url}/Task/{referral.pk}",
                "resource": task(referral, share_detail=share_detail),
            },
        ],
    }
    return _dump(Bundle.model_validate(data))


def capability_statement(*, base_url: str) -> dict:
    from linkwell.connections.fhir import CONNECTION_STATUS_SYSTEM  # it imports this package

    data = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": "Linkwell",
        "kind": "instance",
        "software": {"name": "Linkwell"},
        "implementation": {
            "description": "Linkwell social prescribing: FHIR e-referral",
            "url": base_url.rstrip("/"),
        },
        "fhirVersion": FHIR_VERSION,
        "format": [MEDIA_TYPE, "application/json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Send a referral for social prescribing as a ServiceRequest; follow what "
                    "happens to it by reading the Task with the same id. POST answers 201 with "
                    "a Bundle (type collection) holding the ServiceRequest as stored and its "
                    "Task, and a Location header naming the ServiceRequest. Sending a request "
                    "with the same identifier again answers 200 with the same Bundle and stores "
                    "nothing new. Errors answer an OperationOutcome naming the element."
                ),
                "security": {
                    "cors": False,
                    "description": (
                        "A personal API token: 'Authorization: Bearer <token>'. The token's "
                        "user must be a member of the scheme with a role that may send "
                        "referrals. A user in several schemes names one with the header "
                        f"'{SCHEME_HEADER}: <scheme slug>'. A referrer reads only the "
                        "referrals they sent."
                    ),
                },
                "resource": [
                    {
                        "type": "ServiceRequest",
                        "supportedProfile": [UK_CORE_SERVICE_REQUEST],
                        "documentation": (
                            "subject: a contained Patient (names, birthDate, NHS number "
                            f"{NHS_NUMBER_SYSTEM}, telecom, address) or an identifier with the "
                            "NHS number of someone the scheme knows. reasonCode: codings from "
                            f"{NEED_AREA_SYSTEM} or words naming a need area (required). "
                            "priority: routine, urgent (-> soon), asap or stat (-> urgent). "
                            "authoredOn: when the referral was made (not in the future). note: "
                            "the summary. identifier: the sender's id (a repeat is not a new "
                            "referral). supportingInfo: contained Consent resources with "
                            f"category codings from {CONSENT_SCOPE_SYSTEM}; consent to be "
                            "contacted is recorded as given to the referrer unless a Consent "
                            f"denies it. Extensions: {SOURCE_TYPE_EXTENSION} (valueCode), "
                            f"{RISK_FLAG_EXTENSION} (valueCode)."
                        ),
                        "interaction": [
                            {"code": "create", "documentation": "Send a referral."},
                            {"code": "read", "documentation": "The referral as stored."},
                        ],
                        "versioning": "no-version",
                        "readHistory": False,
                        "updateCreate": False,
                        "conditionalCreate": False,
                    },
                    {
                        "type": "Task",
                        "documentation": (
                            "The Task with the referral's id follows its status: requested, "
                            "received, accepted, in-progress, rejected, failed or cancelled; "
                            "businessStatus gives Linkwell's own status, statusReason the "
                            "reason given, output the SNOMED CT code for the GP record. An "
                            "onward referral to a directory service is a Task of its own (its "
                            "id; owner: the HealthcareService) that the service's staff move "
                            "with PATCH (JSON Patch on /status, /businessStatus, "
                            "/statusReason) or PUT: accepted, rejected (statusReason required), "
                            "in-progress, completed, failed; businessStatus, a coding from "
                            f"{CONNECTION_STATUS_SYSTEM}, says which status is meant where "
                            "several share a Task.status (in-progress: started or "
                            "attended_some; failed: dropped_out, with statusReason, or "
                            "did_not_attend). An onward referral's Task has meta.versionId and "
                            'an ETag W/"<versionId>"; PATCH and PUT honour If-Match (412 if '
                            "it is not the current version)."
                        ),
                        "interaction": [
                            {
                                "code": "read",
                                "documentation": "A referral's or an onward referral's Task.",
                            },
                            {
                                "code": "search-type",
                                "documentation": "By focus and/or owner (required), with "
                                "status, _count (0-100) and _offset.",
                            },
                            {
                                "code": "update",
                                "documentation": "An onward referral's Task, by the service: "
                                "only status, businessStatus and statusReason are read.",
                            },
                            {
                                "code": "patch",
                                "documentation": "An onward referral's Task, by the service: "
                                "a JSON Patch (application/json-patch+json).",
                            },
                        ],
                        "versioning": "versioned-update",
                        "readHistory": False,
                        "updateCreate": False,
                        "conditionalUpdate": False,
                        "searchParam": [
                            {
                                "name": "focus",
                                "definition": f"{SEARCH_PARAMETER}/Task-focus",
                                "type": "reference",
                                "documentation": "ServiceRequest/<id>: the referral's own Task "
                                "and the onward referrals made from its case.",
                            },
                            {
                                "name": "owner",
                                "definition": f"{SEARCH_PARAMETER}/Task-owner",
                                "type": "reference",
                                "documentation": "HealthcareService/<id>: the onward referrals "
                                "to one directory service.",
                            },
                            {
                                "name": "status",
                                "definition": f"{SEARCH_PARAMETER}/Task-status",
                                "type": "token",
                                "documentation": "Task statuses, comma-separated.",
                            },
                        ],
                    },
                ],
            }
        ],
    }
    return _dump(CapabilityStatement.model_validate(data))
