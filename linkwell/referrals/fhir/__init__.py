"""FHIR R4 e-referral: a GP or other system sends a ServiceRequest, follows the Task.

- `inbound`: reads a posted ServiceRequest into an `IntakeRequest` (or says precisely what is
  wrong, as an OperationOutcome).
- `outbound`: the referral as a ServiceRequest, its Task, a Bundle, the CapabilityStatement.
- `selectors`: the scoped reads (a referrer sees only what they sent; another scheme's is 404).
- `views`: plain Django views at /fhir/, token authentication only. See docs/fhir.md.

Resources are parsed and built with `fhir.resources.R4B` (R4-shaped models).
"""

from linkwell.core.audit import ACTIONS

MEDIA_TYPE = "application/fhir+json"
FHIR_VERSION = "4.0.1"

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
SNOMED_SYSTEM = "http://snomed.info/sct"
ORGANIZATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/organization-type"
UK_CORE_SERVICE_REQUEST = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-ServiceRequest"

_BASE = "https://linkwell.org.uk/fhir"
NEED_AREA_SYSTEM = f"{_BASE}/CodeSystem/need-area"
CONSENT_SCOPE_SYSTEM = f"{_BASE}/CodeSystem/consent-scope"
REFERRAL_STATUS_SYSTEM = f"{_BASE}/CodeSystem/referral-status"
PERSON_ID_SYSTEM = f"{_BASE}/Id/person"
SOURCE_TYPE_EXTENSION = f"{_BASE}/StructureDefinition/referral-source-type"
RISK_FLAG_EXTENSION = f"{_BASE}/StructureDefinition/referral-risk-flag"

SCHEME_HEADER = "X-Linkwell-Scheme"

ACTIONS.update(
    {
        "fhir.service_request_read": "Read a referral as a FHIR ServiceRequest",
        "fhir.task_read": "Read a referral's FHIR Task (its status)",
        "fhir.service_request_repeated": (
            "Sent a FHIR ServiceRequest again (answered with the referral already received)"
        ),
    }
)
