"""FHIR e-referral: POST /fhir/ServiceRequest, GET Task / ServiceRequest, metadata."""

import json
from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from linkwell.casework.services import case_open
from linkwell.core.models import ApiToken, LogEntry, Role
from linkwell.core.services import api_token_create, api_token_revoke
from linkwell.people.models import Consent, Person
from linkwell.referrals.fhir.reasons import need_areas_from_text
from linkwell.referrals.models import Referral, ReferralEvent
from linkwell.referrals.services import referral_move
from tests.factories import MembershipFactory, PersonFactory, ReferralFactory

NHS = "https://fhir.nhs.uk/Id/nhs-number"
NEED = "https://linkwell.org.uk/fhir/CodeSystem/need-area"
CONSENT = "https://linkwell.org.uk/fhir/CodeSystem/consent-scope"
VALID_NHS = "9434765919"
GP_SYSTEM = "https://gp.example.test/referrals"
FHIR_JSON = "application/fhir+json"


def service_request(**overrides):
    """A UK Core-shaped ServiceRequest for Aled, as a GP system would send it."""
    body = {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": GP_SYSTEM, "value": "R-1001"}],
        "contained": [
            {
                "resourceType": "Patient",
                "id": "aled",
                "identifier": [{"system": NHS, "value": "943 476 5919"}],
                "name": [{"use": "official", "family": "Pritchard", "given": ["Aled", "Rhys"]}],
                "birthDate": "2003-04-02",
                "gender": "male",
                "telecom": [
                    {"system": "phone", "value": "01632 960 001", "use": "home"},
                    {"system": "phone", "value": "07700 900982", "use": "mobile"},
                    {"system": "email", "value": "aled@example.test"},
                ],
                "address": [
                    {
                        "use": "home",
                        "line": ["1 Mill Lane"],
                        "city": "Riverside",
                        "postalCode": "rv1 1aa",
                    }
                ],
            },
            {
                "resourceType": "Practitioner",
                "id": "gp",
                "name": [{"prefix": ["Dr"], "given": ["Helen"], "family": "Morgan"}],
                "telecom": [{"system": "email", "value": "h.morgan@gp.example.test"}],
            },
        ],
        "status": "active",
        "intent": "order",
        "priority": "urgent",
        "subject": {"reference": "#aled"},
        "requester": {"reference": "#gp"},
        "authoredOn": (timezone.now() - timedelta(days=1)).replace(microsecond=0).isoformat(),
        "reasonCode": [
            {"coding": [{"system": NEED, "code": "mental-wellbeing"}]},
            {"text": "Unemployed and looking for work"},
        ],
        "note": [{"text": "Low mood since losing his job; no car."}],
    }
    body.update(overrides)
    return body


def token_for(membership):
    _, secret = api_token_create(user=membership.user, name="GP system")
    return secret


@pytest.fixture
def referrer(member):
    membership = member(Role.REFERRER)
    membership.token = token_for(membership)
    return membership


def post(body, token, *, content_type=FHIR_JSON, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client().post("/fhir/ServiceRequest", data=data, content_type=content_type, **headers)


def get(url, token, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client().get(url, **headers)


def stored():
    return (
        Person.objects.count(),
        Referral.objects.count(),
        Consent.objects.count(),
        ReferralEvent.objects.count(),
    )


def outcome(response):
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    OperationOutcome.model_validate(body)
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"]


def created(response):
    assert response.status_code == 201, response.content
    bundle = response.json()
    Bundle.model_validate(bundle)
    resources = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    return bundle, resources["ServiceRequest"], resources["Task"]


# --- metadata ---------------------------------------------------------------------------------


def test_metadata_is_an_r4_capability_statement_without_a_token(db):
    response = Client().get("/fhir/metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    CapabilityStatement.model_validate(body)
    assert (body["resourceType"], body["fhirVersion"], body["kind"]) == (
        "CapabilityStatement",
        "4.0.1",
        "instance",
    )
    resources = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert {i["code"] for i in resources["ServiceRequest"]["interaction"]} == {"create", "read"}
    task = resources["Task"]
    assert [i["code"] for i in task["interaction"]] == ["read", "search-type", "update", "patch"]
    assert [(p["name"], p["type"]) for p in task["searchParam"]] == [
        ("focus", "reference"),
        ("owner", "reference"),
        ("status", "token"),
    ]
    assert task["versioning"] == "versioned-update"  # meta.versionId, ETag, If-Match
    assert "If-Match" in task["documentation"]
    assert "Bundle" in body["rest"][0]["documentation"]
    assert "X-Linkwell-Scheme" in body["rest"][0]["security"]["description"]


# --- a referral received --------------------------------------------------------------------


def test_a_service_request_creates_the_person_and_referral(scheme, referrer):
    body = service_request()
    response = post(body, referrer.token)
    bundle, sent, task = created(response)

    referral = Referral.objects.get()
    assert response["Location"] == f"http://testserver/fhir/ServiceRequest/{referral.pk}"
    assert bundle["type"] == "collection"
    assert [e["fullUrl"] for e in bundle["entry"]] == [
        f"http://testserver/fhir/ServiceRequest/{referral.pk}",
        f"http://testserver/fhir/Task/{referral.pk}",
    ]
    assert sent["id"] == task["id"] == str(referral.pk)
    assert task["status"] == "requested"
    assert task["focus"]["reference"] == f"ServiceRequest/{referral.pk}"
    assert task["for"] == {"type": "Patient", "identifier": {"system": NHS, "value": VALID_NHS}}
    assert sent["subject"] == {"reference": "#patient", "type": "Patient"}
    assert sent["contained"][0]["identifier"][0] == {"system": NHS, "value": VALID_NHS}
    assert sorted(c["coding"][0]["code"] for c in sent["reasonCode"]) == [
        "employment-skills",
        "mental-wellbeing",
    ]
    assert sent["identifier"] == [{"system": GP_SYSTEM, "value": "R-1001"}]
    assert sent["priority"] == "urgent"

    person = referral.person
    assert (person.given_name, person.family_name, person.nhs_number) == (
        "Aled",
        "Pritchard",
        VALID_NHS,
    )
    assert person.date_of_birth == date(2003, 4, 2)
    assert (person.phone, person.phone_other) == ("+447700900982", "+441632960001")
    assert (person.postcode, person.town, person.email) == (
        "RV1 1AA",
        "Riverside",
        "aled@example.test",
    )
    assert (referral.channel, referral.source_type, referral.urgency) == (
        "fhir",
        "gp_practice",
        "soon",
    )
    assert referral.received_at == datetime.fromisoformat(body["authoredOn"])
    assert referral.summary == "Low mood since losing his job; no car."
    assert referral.external_id == f"{GP_SYSTEM}|R-1001"
    assert referral.referrer_name == "Dr Helen Morgan"
    assert referral.referrer_email == "h.morgan@gp.example.test"
    assert referral.referred_by == referrer.user
    assert referral.fhir_request == body
    consent = Consent.objects.get(person=person)
    assert (consent.scope, consent.method, consent.recorded_by) == (
        "contact",
        "referrer",
        referrer.user,
    )
    assert LogEntry.objects.filter(
        action="referral.received", object_id=str(referral.pk), actor=referrer.user
    ).exists()


def test_plain_json_is_accepted_too(scheme, referrer):
    created(post(service_request(), referrer.token, content_type="application/json"))


def test_the_same_identifier_twice_answers_the_referral_already_received(scheme, referrer):
    first = post(service_request(), referrer.token)
    _, sent, _ = created(first)
    before = stored()

    again = post(service_request(note=[{"text": "Sent again"}]), referrer.token)
    assert again.status_code == 200
    assert again["Location"] == first["Location"]
    assert again.json()["entry"][0]["resource"]["id"] == sent["id"]
    assert stored() == before
    assert Referral.objects.get().summary == "Low mood since losing his job; no car."
    assert LogEntry.objects.filter(action="fhir.service_request_repeated").count() == 1


def test_sending_again_after_a_move_shows_why_only_as_consent_allows(scheme, referrer, member):
    created(post(service_request(), referrer.token))
    referral = Referral.objects.get()
    referral_move(
        referral=referral, to="declined", by=member(Role.LINK_WORKER).user, reason="Feels better"
    )

    def task_sent_again():
        return post(service_request(), referrer.token).json()["entry"][1]["resource"]

    # As a read of the Task: the reason, in staff's words, only once the person agreed.
    assert task_sent_again()["status"] == "rejected"
    assert "statusReason" not in task_sent_again()
    Consent.objects.create(person=referral.person, scope="share_referrer", method="verbal")
    assert task_sent_again()["statusReason"] == {"text": "Feels better"}


def test_an_identifier_another_referrer_used_is_a_conflict(scheme, referrer, member):
    created(post(service_request(), referrer.token))
    other = member(Role.REFERRER)
    before = stored()
    response = post(service_request(), token_for(other))
    assert response.status_code == 409
    assert outcome(response)[0]["code"] == "duplicate"
    assert stored() == before


def test_a_known_nhs_number_from_a_referrer_is_set_aside_for_staff(scheme, referrer):
    known = PersonFactory(scheme=scheme, nhs_number=VALID_NHS, given_name="Aled", phone="")
    _, sent, _ = created(post(service_request(), referrer.token))
    referral = Referral.objects.get(pk=sent["id"])
    known.refresh_from_db()
    # The known record is neither shown nor written to; staff merge the two.
    assert referral.person != known and referral.person.needs_duplicate_check
    assert referral.nhs_number_given == VALID_NHS
    assert known.phone == "" and known.consents.count() == 0
    assert sent["contained"][0]["name"][0]["family"] == "Pritchard"


def test_a_known_nhs_number_from_the_schemes_staff_is_the_same_person(scheme, member):
    worker = member(Role.LINK_WORKER)
    known = PersonFactory(scheme=scheme, nhs_number=VALID_NHS, given_name="Aled", phone="")
    referral_id = created(post(service_request(), token_for(worker)))[1]["id"]
    assert Person.objects.count() == 1
    assert str(Referral.objects.get(person=known).pk) == referral_id
    known.refresh_from_db()
    assert known.phone == "+447700900982"  # blanks filled in


def test_subject_by_nhs_number_alone_is_for_the_schemes_staff_only(scheme, referrer, member):
    known = PersonFactory(scheme=scheme, nhs_number=VALID_NHS)
    body = service_request(
        contained=[], requester={"display": "Dr Helen Morgan", "type": "Practitioner"}
    )
    body["subject"] = {"identifier": {"system": NHS, "value": VALID_NHS}}
    # A referrer learns nothing about who is known: the same answer either way.
    refused = post(body, referrer.token)
    assert refused.status_code == 422
    assert outcome(refused)[0]["expression"] == ["ServiceRequest.subject"]
    assert Referral.objects.count() == 0

    _, sent, _ = created(post(body, token_for(member(Role.LINK_WORKER))))
    referral = Referral.objects.get()
    assert referral.person == known
    assert referral.referrer_name == "Dr Helen Morgan"
    assert sent["contained"][0]["name"][0]["family"] == known.family_name


@pytest.mark.parametrize(
    ("value", "code", "expression"),
    [
        ("1234567890", "value", "ServiceRequest.subject.identifier.value"),
        (VALID_NHS, "not-found", "ServiceRequest.subject"),
    ],
)
def test_staff_naming_someone_unknown_or_invalid_by_nhs_number(
    scheme, member, value, code, expression
):
    before = stored()
    response = post(_by_nhs_number(value), token_for(member(Role.LINK_WORKER)))
    assert response.status_code == 422
    issues = outcome(response)
    assert any(i["code"] == code and expression in i.get("expression", []) for i in issues)
    assert stored() == before


def test_a_likely_match_without_nhs_number_is_kept_as_someone_new(scheme, referrer):
    PersonFactory(
        scheme=scheme, given_name="Aled", family_name="Pritchard", date_of_birth=date(2003, 4, 2)
    )
    body = service_request()
    body["contained"][0]["identifier"] = []
    created(post(body, referrer.token))
    assert Person.objects.count() == 2


@pytest.mark.parametrize(
    ("priority", "urgency"),
    [("routine", "routine"), ("urgent", "soon"), ("asap", "urgent"), ("stat", "urgent")],
)
def test_priority_becomes_urgency_and_back(scheme, referrer, priority, urgency):
    _, sent, _ = created(post(service_request(priority=priority), referrer.token))
    assert Referral.objects.get().urgency == urgency
    assert sent["priority"] == ("asap" if priority == "stat" else priority)


def test_reasons_from_snomed_display_and_a_contained_condition(scheme, referrer):
    body = service_request(
        reasonCode=[
            {
                "coding": [
                    {"system": "http://snomed.info/sct", "code": "000000", "display": "Lonely"}
                ]
            }
        ],
        reasonReference=[{"reference": "#debt"}, {"reference": "Condition/elsewhere"}],
    )
    body["contained"].append(
        {
            "resourceType": "Condition",
            "id": "debt",
            "subject": {"reference": "#aled"},
            "code": {"text": "Rent arrears and debt"},
        }
    )
    created(post(body, referrer.token))
    assert sorted(Referral.objects.get().reasons.values_list("code", flat=True)) == [
        "loneliness",
        "money-debt",
    ]


def test_consent_given_in_a_contained_consent_is_recorded(scheme, referrer):
    body = service_request(supportingInfo=[{"reference": "#consent"}])
    body["contained"].append(
        {
            "resourceType": "Consent",
            "id": "consent",
            "status": "active",
            "scope": {"text": "patient-privacy"},
            "category": [
                {
                    "coding": [
                        {"system": CONSENT, "code": "share_referrer"},
                        {"system": CONSENT, "code": "reporting"},
                    ]
                }
            ],
            "patient": {"reference": "#aled"},
        }
    )
    created(post(body, referrer.token))
    consents = Consent.objects.filter(person__nhs_number=VALID_NHS)
    assert sorted(consents.values_list("scope", "method")) == [
        ("contact", "referrer"),
        ("reporting", "referrer"),
        ("share_referrer", "referrer"),
    ]


def test_source_type_from_the_requesting_organisation_or_extension(scheme, referrer):
    body = service_request(requester={"reference": "#council"})
    body["contained"][1] = {
        "resourceType": "Organization",
        "id": "council",
        "name": "Riverside Council Adult Social Care",
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "govt",
                    }
                ]
            }
        ],
    }
    created(post(body, referrer.token))
    referral = Referral.objects.get()
    assert referral.source_type == "council"
    assert referral.referrer_organisation == "Riverside Council Adult Social Care"
    assert referral.referrer_name == referrer.user.full_name  # the sender, by default

    body = service_request(
        identifier=[{"system": GP_SYSTEM, "value": "R-2"}],
        extension=[
            {
                "url": "https://linkwell.org.uk/fhir/StructureDefinition/referral-source-type",
                "valueCode": "school",
            },
            {
                "url": "https://linkwell.org.uk/fhir/StructureDefinition/referral-risk-flag",
                "valueCode": "lives_alone",
            },
        ],
    )
    created(post(body, referrer.token))
    second = Referral.objects.get(external_id=f"{GP_SYSTEM}|R-2")
    assert (second.source_type, second.lives_alone, second.safeguarding_concern) == (
        "school",
        True,
        False,
    )


def test_a_date_only_authored_on_is_that_day(scheme, referrer):
    created(post(service_request(authoredOn="2026-01-05"), referrer.token))
    received = timezone.localtime(Referral.objects.get().received_at)
    assert (received.date(), received.hour, received.minute) == (date(2026, 1, 5), 0, 0)


# --- the Task follows the referral -----------------------------------------------------------


def test_round_trip_the_task_follows_the_referral(scheme, referrer, member):
    _, _, task = created(post(service_request(), referrer.token))
    url = f"/fhir/Task/{task['id']}"

    response = get(url, referrer.token)
    assert response.status_code == 200
    body = response.json()
    Task.model_validate(body)
    assert (body["status"], body["businessStatus"]["text"]) == ("requested", "Received")
    assert "statusReason" not in body
    assert body["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == "871731000000106"

    referral = Referral.objects.get()
    worker = member(Role.LINK_WORKER).user
    referral_move(referral=referral, to="contacted", by=worker)
    body = get(url, referrer.token).json()
    assert (body["status"], body["businessStatus"]["text"]) == ("in-progress", "Contacted")
    assert body["executionPeriod"]["start"]

    later = timezone.now() + timedelta(minutes=1)
    referral_move(referral=referral, to="declined", by=worker, reason="Feels better now", at=later)
    body = get(url, referrer.token).json()
    assert body["status"] == "rejected"
    # Why, in staff's words, only once the person agreed to share with the referrer.
    assert "statusReason" not in body
    Consent.objects.create(person=referral.person, scope="share_referrer", method="verbal")
    body = get(url, referrer.token).json()
    assert body["statusReason"] == {"text": "Feels better now"}
    assert body["businessStatus"]["text"] == "Declined by the person"
    assert body["businessStatus"]["coding"][0]["code"] == "declined"
    assert datetime.fromisoformat(body["lastModified"]) == later
    assert body["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == "871711000000103"

    sent = get(f"/fhir/ServiceRequest/{task['id']}", referrer.token).json()
    ServiceRequest.model_validate(sent)
    assert sent["status"] == "revoked"
    assert set(
        LogEntry.objects.filter(actor=referrer.user, object_id=task["id"]).values_list(
            "action", flat=True
        )
    ) >= {"fhir.task_read", "fhir.service_request_read"}
    read = LogEntry.objects.filter(action="fhir.task_read").first()
    assert read.person_id == str(referral.person_id)


@pytest.mark.parametrize(
    ("path", "task_status", "service_request_status"),
    [
        (["triaged"], "received", "active"),
        (["waiting"], "accepted", "active"),
        (["contacted", "accepted"], "in-progress", "completed"),
        (["waiting", "unable_to_contact"], "failed", "revoked"),
        (["not_appropriate"], "rejected", "revoked"),
        (["withdrawn"], "cancelled", "revoked"),
    ],
)
def test_each_status_maps_to_a_task_status(
    scheme, referrer, member, path, task_status, service_request_status
):
    task_id = created(post(service_request(), referrer.token))[2]["id"]
    referral = Referral.objects.get()
    worker = member(Role.MANAGER).user
    for status in path:
        if status == "accepted":
            case_open(referral=referral, by=worker)
        else:
            referral = referral_move(referral=referral, to=status, by=worker, reason="Because")
    assert get(f"/fhir/Task/{task_id}", referrer.token).json()["status"] == task_status
    sent = get(f"/fhir/ServiceRequest/{task_id}", referrer.token).json()
    assert sent["status"] == service_request_status


def test_the_task_follows_the_case_to_its_end_as_consent_allows(scheme, referrer, member):
    """For a referral that came over FHIR, the case's milestones reach the sender's Task: the
    plan agreed and the outcome as outputs (only when the person agrees to share updates with
    the referrer), and the Task completed when the case closes."""
    from linkwell.casework.services import case_close
    from linkwell.connections.services import connection_offer
    from tests.directory.factories import listed_service

    task_id = created(post(service_request(), referrer.token))[2]["id"]
    url = f"/fhir/Task/{task_id}"
    referral = Referral.objects.get()
    worker = member(Role.LINK_WORKER).user
    referral = referral_move(referral=referral, to="contacted", by=worker)
    case = case_open(referral=referral, by=worker, worker=worker)

    def milestones(body):
        return {
            o["type"]["coding"][0]["code"]: o
            for o in body.get("output", [])
            if o["type"].get("coding", [{}])[0].get("system", "").endswith("case-milestone")
        }

    body = get(url, referrer.token).json()
    assert body["status"] == "in-progress" and milestones(body) == {}
    connection_offer(case=case, service=listed_service(), kind="signpost", by=worker)
    Consent.objects.create(person=referral.person, scope="share_referrer", method="verbal")
    body = get(url, referrer.token).json()
    Task.model_validate(body)
    assert body["status"] == "in-progress"
    assert set(milestones(body)) == {"plan-agreed"}
    assert milestones(body)["plan-agreed"]["valueDateTime"]

    case.refresh_from_db()
    closed_at = timezone.now() + timedelta(minutes=5)
    case_close(
        case=case,
        by=worker,
        version=case.version,
        reason="goals_met",
        tell_referrer=False,
        at=closed_at,
    )
    body = get(url, referrer.token).json()
    Task.model_validate(body)
    assert body["status"] == "completed"
    assert datetime.fromisoformat(body["executionPeriod"]["end"]) == closed_at
    assert datetime.fromisoformat(body["lastModified"]) == closed_at
    assert milestones(body)["case-closed"]["valueString"] == "Goals met"
    # The SNOMED CT code for the GP record stays first.
    assert body["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == "871731000000106"

    # Once the person withdraws their agreement, the referrer sees only that the work ended.
    Consent.objects.filter(person=referral.person).update(withdrawn_at=timezone.now())
    body = get(url, referrer.token).json()
    assert body["status"] == "completed" and milestones(body) == {}
    assert "Goals met" not in json.dumps(body)
    # The team always sees it all.
    staff = member(Role.MANAGER)
    body = get(url, token_for(staff)).json()
    assert set(milestones(body)) == {"plan-agreed", "case-closed"}


# --- bad resources: a precise OperationOutcome, nothing stored ------------------------------


def _without(key):
    body = service_request()
    del body[key]
    return body


def _patient(**changes):
    body = service_request()
    body["contained"][0].update(changes)
    return body


def _deny_contact():
    body = service_request(supportingInfo=[{"reference": "#c"}])
    body["contained"].append(
        {
            "resourceType": "Consent",
            "id": "c",
            "status": "active",
            "scope": {"text": "patient-privacy"},
            "category": [{"coding": [{"system": CONSENT, "code": "contact"}]}],
            "provision": {"type": "deny"},
        }
    )
    return body


def _by_nhs_number(value):
    body = service_request(contained=[], requester={"display": "Dr Morgan"})
    body["subject"] = {"identifier": {"system": NHS, "value": value}}
    return body


FUTURE = (timezone.now() + timedelta(days=2)).isoformat()
BAD = {
    "wrong resourceType": (
        lambda: {**service_request(), "resourceType": "Patient"},
        400,
        "invalid",
        "resourceType",
    ),
    "malformed JSON": (lambda: '{"resourceType": "ServiceRequest",', 400, "structure", None),
    "not an object": (lambda: "[1, 2]", 400, "structure", None),
    "missing subject": (lambda: _without("subject"), 400, "required", "ServiceRequest.subject"),
    "missing status": (lambda: _without("status"), 400, "required", "ServiceRequest.status"),
    "unknown element": (
        lambda: service_request(colour="blue"),
        400,
        "structure",
        "ServiceRequest.colour",
    ),
    "unknown contained type": (
        lambda: service_request(contained=[{"resourceType": "Wizard", "id": "x"}]),
        400,
        "invalid",
        "ServiceRequest.contained[0]",
    ),
    "malformed authoredOn": (
        lambda: service_request(authoredOn="2024-13-45"),
        400,
        "value",
        "ServiceRequest.authoredOn",
    ),
    "authoredOn in the future": (
        lambda: service_request(authoredOn=FUTURE),
        422,
        "value",
        "ServiceRequest.authoredOn",
    ),
    "invalid NHS number": (
        lambda: _patient(identifier=[{"system": NHS, "value": "943 476 5918"}]),
        422,
        "value",
        "ServiceRequest.contained[0].identifier[0].value",
    ),
    "NHS number alone, from a referrer": (
        lambda: _by_nhs_number(VALID_NHS),
        422,
        "required",
        "ServiceRequest.subject",
    ),
    "subject refers to nothing contained": (
        lambda: service_request(subject={"reference": "#nobody"}),
        422,
        "not-found",
        "ServiceRequest.subject.reference",
    ),
    "birth date in the future": (
        lambda: _patient(birthDate=(date.today() + timedelta(days=3)).isoformat()),
        422,
        "value",
        "ServiceRequest.contained[0].birthDate",
    ),
    "patient without a family name": (
        lambda: _patient(name=[{"given": ["Aled"]}]),
        422,
        "required",
        "ServiceRequest.contained[0].name[0].family",
    ),
    "bad phone": (
        lambda: _patient(telecom=[{"system": "phone", "value": "0770"}]),
        422,
        "value",
        "ServiceRequest.contained[0].telecom[0].value",
    ),
    "bad postcode": (
        lambda: _patient(address=[{"postalCode": "NOT A CODE"}]),
        422,
        "value",
        "ServiceRequest.contained[0].address[0].postalCode",
    ),
    "unknown reason": (
        lambda: service_request(reasonCode=[{"text": "Quantum entanglement"}]),
        422,
        "code-invalid",
        "ServiceRequest.reasonCode[0]",
    ),
    "unknown need-area code": (
        lambda: service_request(reasonCode=[{"coding": [{"system": NEED, "code": "flying"}]}]),
        422,
        "code-invalid",
        "ServiceRequest.reasonCode[0].coding[0].code",
    ),
    "missing reason": (
        lambda: _without("reasonCode"),
        422,
        "required",
        "ServiceRequest.reasonCode",
    ),
    "unknown priority": (
        lambda: service_request(priority="whenever"),
        422,
        "code-invalid",
        "ServiceRequest.priority",
    ),
    "draft status": (
        lambda: service_request(status="draft"),
        422,
        "business-rule",
        "ServiceRequest.status",
    ),
    "contact refused": (
        _deny_contact,
        422,
        "business-rule",
        "ServiceRequest.contained[2].provision.type",
    ),
    "requester email invalid": (
        lambda: service_request(
            requester={"reference": "#gp"},
            contained=[
                service_request()["contained"][0],
                {
                    "resourceType": "Practitioner",
                    "id": "gp",
                    "telecom": [{"system": "email", "value": "not an email"}],
                },
            ],
        ),
        422,
        "value",
        "ServiceRequest.contained[1].telecom[0].value",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_an_invalid_resource_gets_a_precise_outcome_and_nothing_is_stored(scheme, referrer, case):
    make, status, code, expression = BAD[case]
    before = stored()
    entries = LogEntry.objects.count()
    response = post(make(), referrer.token)
    assert response.status_code == status, response.content
    issues = outcome(response)
    assert issues[0]["severity"] == "error"
    assert issues[0]["diagnostics"]
    assert any(i["code"] == code for i in issues), issues
    if expression:
        assert expression in [e for i in issues for e in i.get("expression", [])], issues
    assert stored() == before
    assert LogEntry.objects.count() == entries


def test_several_problems_are_all_named(scheme, referrer):
    body = service_request(priority="whenever", reasonCode=[{"text": "nothing I know"}])
    body["contained"][0]["identifier"][0]["value"] = "1234567890"
    body["contained"][0]["address"][0]["postalCode"] = "nowhere"
    issues = outcome(post(body, referrer.token))
    assert {e for i in issues for e in i["expression"]} == {
        "ServiceRequest.priority",
        "ServiceRequest.reasonCode[0]",
        "ServiceRequest.contained[0].identifier[0].value",
        "ServiceRequest.contained[0].address[0].postalCode",
    }


# --- who may send and read -------------------------------------------------------------------


def test_no_token_or_a_bad_one_is_401(scheme, referrer):
    before = stored()
    for token in (None, "lw_not-a-real-token", "nonsense"):
        response = post(service_request(), token)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert outcome(response)[0]["code"] == "login"
    response = Client().post(
        "/fhir/ServiceRequest",
        data=json.dumps(service_request()),
        content_type=FHIR_JSON,
        HTTP_AUTHORIZATION=f"Basic {referrer.token}",
    )
    assert response.status_code == 401
    assert stored() == before


def test_a_revoked_token_is_401(scheme, referrer):
    token = ApiToken.objects.get(user=referrer.user)
    api_token_revoke(token=token, by=referrer.user)
    assert post(service_request(), referrer.token).status_code == 401
    assert Referral.objects.count() == 0


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PROVIDER, Role.COMMISSIONER])
def test_a_role_that_may_not_send_referrals_is_403(scheme, member, role):
    token = token_for(member(role))
    before = stored()
    response = post(service_request(), token)
    assert response.status_code == 403
    assert outcome(response)[0]["code"] == "forbidden"
    assert stored() == before
    created_elsewhere = ReferralFactory(scheme=scheme)
    assert get(f"/fhir/Task/{created_elsewhere.pk}", token).status_code == 403


@pytest.mark.parametrize("role", [Role.LINK_WORKER, Role.MANAGER])
def test_staff_who_may_send_can_send(scheme, member, role):
    created(post(service_request(), token_for(member(role))))
    assert Referral.objects.get().referred_by is None  # only referrers are "the referrer"


def test_the_scheme_header_chooses_among_several_schemes(scheme, other_scheme, referrer):
    MembershipFactory(user=referrer.user, scheme=other_scheme, role=Role.REFERRER)
    before = stored()
    response = post(service_request(), referrer.token)
    assert response.status_code == 400
    issue = outcome(response)[0]
    assert "X-Linkwell-Scheme" in issue["diagnostics"]
    assert "hillside" in issue["diagnostics"] and "riverside" in issue["diagnostics"]

    response = post(service_request(), referrer.token, HTTP_X_LINKWELL_SCHEME="nowhere")
    assert response.status_code == 403
    assert outcome(response)[0]["code"] == "forbidden"
    assert stored() == before

    created(post(service_request(), referrer.token, HTTP_X_LINKWELL_SCHEME="hillside"))
    assert Referral.objects.get().scheme == other_scheme


def test_a_scheme_header_naming_a_scheme_you_are_not_in_is_403(scheme, other_scheme, referrer):
    response = post(service_request(), referrer.token, HTTP_X_LINKWELL_SCHEME="hillside")
    assert response.status_code == 403
    assert other_scheme.name not in response.content.decode()
    assert Referral.objects.count() == 0


def test_wrong_content_type_is_415(scheme, referrer):
    response = post(json.dumps(service_request()), referrer.token, content_type="text/plain")
    assert response.status_code == 415
    assert outcome(response)[0]["code"] == "not-supported"
    assert stored() == (0, 0, 0, 0)


def _fhir_urls_with_ids():
    def walk(resolver, namespace=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = entry.namespace or ""
                yield from walk(entry, f"{namespace}:{ns}".strip(":") if ns else namespace)
            elif isinstance(entry, URLPattern) and entry.pattern.regex.groupindex:
                yield f"{namespace}:{entry.name}".strip(":")

    return sorted(n for n in walk(get_resolver()) if n.startswith("fhir:"))


FHIR_OBJECT_URLS = {"fhir:service_request": "ServiceRequest", "fhir:task": "Task"}


def test_every_fhir_url_with_an_id_is_covered_here():
    # tests/core/test_tenancy.py signs in with a session; these URLs take tokens only.
    assert _fhir_urls_with_ids() == sorted(FHIR_OBJECT_URLS)


@pytest.mark.parametrize("name", sorted(FHIR_OBJECT_URLS))
def test_another_schemes_referral_is_404(scheme, other_scheme, member, name):
    from django.urls import reverse

    theirs = ReferralFactory(scheme=other_scheme, status="waiting", status_reason="")
    state = Referral.objects.filter(pk=theirs.pk).values().get()
    for role in (Role.REFERRER, Role.LINK_WORKER, Role.MANAGER):
        token = token_for(member(role))
        response = get(reverse(name, args=[theirs.pk]), token)
        assert response.status_code == 404
        assert outcome(response)[0]["code"] == "not-found"
        content = response.content.decode()
        assert other_scheme.name not in content and theirs.person.family_name not in content
    assert Referral.objects.filter(pk=theirs.pk).values().get() == state
    assert not LogEntry.objects.filter(object_id=str(theirs.pk)).exists()


def test_the_own_schemes_referral_is_found_by_staff(scheme, member):
    """The 404s above are about the scheme, not a broken URL."""
    ours = ReferralFactory(scheme=scheme)
    token = token_for(member(Role.LINK_WORKER))
    for url in (f"/fhir/Task/{ours.pk}", f"/fhir/ServiceRequest/{ours.pk}"):
        assert get(url, token).status_code == 200


def test_a_referrer_reads_only_the_referrals_they_sent(scheme, referrer, member):
    mine = created(post(service_request(), referrer.token))[2]["id"]
    colleague = member(Role.REFERRER)
    theirs = created(
        post(
            service_request(identifier=[{"system": GP_SYSTEM, "value": "R-9"}]),
            token_for(colleague),
        )
    )[2]["id"]
    staff_entry = ReferralFactory(scheme=scheme)
    for url in (f"/fhir/Task/{theirs}", f"/fhir/Task/{staff_entry.pk}"):
        assert get(url, referrer.token).status_code == 404
    assert get(f"/fhir/Task/{mine}", referrer.token).status_code == 200
    assert get(f"/fhir/ServiceRequest/{theirs}", referrer.token).status_code == 404


def test_unknown_ids_paths_and_methods(scheme, referrer):
    for url in ("/fhir/Task/not-a-uuid", "/fhir/Task/00000000-0000-0000-0000-000000000000"):
        response = get(url, referrer.token)
        assert response.status_code == 404
        assert outcome(response)[0]["code"] == "not-found"
    response = get("/fhir/Patient/123", referrer.token)
    assert response.status_code == 404
    assert outcome(response)[0]["code"] == "not-supported"
    response = get("/fhir/ServiceRequest", referrer.token)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert outcome(response)[0]["code"] == "not-supported"


def test_reading_needs_a_token(scheme, referrer):
    task_id = created(post(service_request(), referrer.token))[2]["id"]
    assert get(f"/fhir/Task/{task_id}", None).status_code == 401


# --- the words for need areas -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("loneliness", ["loneliness"]),
        ("Loneliness and isolation", ["loneliness"]),
        ("Socially isolated", ["loneliness"]),
        ("Recently bereaved", ["bereavement"]),
        ("Debt and housing problems", ["money-debt", "housing"]),
        ("Carer for his mother", ["carers"]),
        ("Quantum entanglement", []),
        ("", []),
        ("Spare parts", []),  # 'arts' must start a word
    ],
)
def test_need_areas_from_words(text, codes):
    assert need_areas_from_text(text) == codes


@pytest.mark.parametrize("caught_by", ["validation", "database"])
def test_two_requests_with_one_identifier_at_once_store_one_referral(
    scheme, referrer, monkeypatch, caught_by
):
    """The second of two simultaneous requests loses the race at the identifier's unique
    constraint (checked when validating, or by the database when both validated at once) and
    is answered with the first one's referral."""
    from linkwell.referrals.fhir import views

    if caught_by == "database":
        monkeypatch.setattr(Referral, "validate_constraints", lambda self, exclude=None: None)

    created(post(service_request(), referrer.token))
    real = views.fhir_referral_by_identifier
    calls = []

    def not_yet_seen(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(views, "fhir_referral_by_identifier", not_yet_seen)
    before = stored()
    response = post(service_request(), referrer.token)
    assert response.status_code == 200
    assert len(calls) == 2
    assert stored() == before


def test_demo_fhir_referrals_arrive_through_intake_once(scheme, member):
    from linkwell.referrals.fhir.demo import seed_fhir_referrals

    manager = member(Role.MANAGER)
    made = seed_fhir_referrals(membership=manager)
    assert len(made) == 3
    assert {r.channel for r in made} == {"fhir"}
    assert all(r.fhir_request and r.external_id for r in made)
    assert Referral.objects.get(external_id__endswith="|D-2").reasons.get().code == "money-debt"
    assert seed_fhir_referrals(membership=manager) == []
    assert Referral.objects.count() == 3
