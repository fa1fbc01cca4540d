"""Demo data: a few referrals as a GP system would send them over FHIR (invented people)."""

from __future__ import annotations

import json

from django.utils import timezone

from linkwell.core.models import Membership
from linkwell.referrals.fhir import NEED_AREA_SYSTEM, NHS_NUMBER_SYSTEM
from linkwell.referrals.fhir.inbound import intake_from_service_request, parse_service_request
from linkwell.referrals.models import Referral
from linkwell.referrals.services import DuplicateSuspected, referral_intake

DEMO_SYSTEM = "https://demo-gp.example.test/referrals"

# (id, given, family, birth date, NHS number (valid check digit), phone, days ago, priority,
# reasons)
PEOPLE = [
    (
        "D-1",
        "Gwen",
        "Ellis",
        "1944-03-12",
        "4010232137",
        "01632 960 411",
        3,
        "routine",
        ["loneliness"],
    ),
    (
        "D-2",
        "Tomasz",
        "Nowak",
        "1979-11-30",
        "9990001235",
        "07700 900 412",
        1,
        "urgent",
        ["Debt and arrears"],
    ),
    (
        "D-3",
        "Priya",
        "Shah",
        "1991-06-05",
        "",
        "07700 900 413",
        0,
        "routine",
        ["mental-wellbeing", "carers"],
    ),
]


def _service_request(row) -> dict:
    ref, given, family, born, nhs, phone, days_ago, priority, reasons = row
    patient = {
        "resourceType": "Patient",
        "id": "p",
        "name": [{"use": "official", "family": family, "given": [given]}],
        "birthDate": born,
        "telecom": [{"system": "phone", "value": phone}],
    }
    if nhs:
        patient["identifier"] = [{"system": NHS_NUMBER_SYSTEM, "value": nhs}]
    return {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": DEMO_SYSTEM, "value": ref}],
        "contained": [
            patient,
            {"resourceType": "Organization", "id": "gp", "name": "Riverside Medical Practice"},
        ],
        "status": "active",
        "intent": "order",
        "priority": priority,
        "subject": {"reference": "#p"},
        "requester": {"reference": "#gp"},
        "authoredOn": (timezone.now() - timezone.timedelta(days=days_ago)).isoformat(),
        "reasonCode": [
            {"coding": [{"system": NEED_AREA_SYSTEM, "code": r}]}
            if r.islower() and " " not in r
            else {"text": r}
            for r in reasons
        ],
        "note": [{"text": "Demo referral sent over FHIR (invented person)."}],
    }


def seed_fhir_referrals(*, membership: Membership) -> list[Referral]:
    """Receive the demo ServiceRequests as `membership`'s user would send them (a role that may
    send referrals). Already received ones (same identifier) are skipped."""
    made = []
    for row in PEOPLE:
        body = json.dumps(_service_request(row)).encode()
        resource, raw = parse_service_request(body)
        intake, _ = intake_from_service_request(resource, raw, membership=membership)
        if Referral.objects.filter(scheme=membership.scheme, external_id=intake.external_id):
            continue
        try:
            made.append(referral_intake(intake, by=membership.user))
        except DuplicateSuspected:
            intake.match_choice = "new"  # as the endpoint does: a likely match stays apart
            made.append(referral_intake(intake, by=membership.user))
    return made
