"""Onward referrals over FHIR: a sent referral is a Task (GET /fhir/Task/{id}, searched by focus
and owner) for the scheme's caseload staff and the service's provider; the provider's system
moves it with PATCH (JSON Patch) or PUT, through the same state machine as the inbox."""

import json
from datetime import datetime

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task

from linkwell.casework.models import Need
from linkwell.connections import fhir as connection_fhir
from linkwell.connections import services
from linkwell.connections.models import Connection, ConnectionEvent
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import LogEntry
from linkwell.core.models import Role
from linkwell.core.services import api_token_create
from linkwell.directory.models import ReferralRoute
from tests.connections.conftest import sharing_case
from tests.directory.factories import OrganizationFactory, default_term, listed_service
from tests.factories import MembershipFactory, ReferralFactory

FHIR_JSON = "application/fhir+json"
JSON_PATCH = "application/json-patch+json"


def token_for(membership):
    _, secret = api_token_create(user=membership.user, name="Provider system")
    return secret


def _service(organization, name="Art group"):
    return listed_service(
        organization=organization, name=name, referral_route=ReferralRoute.LINKWELL
    )


def _sent(case, service, worker, *, message="Carol would like to try painting."):
    connection = services.connection_offer(
        case=case, service=service, kind=Kind.REFERRAL, by=worker, message=message
    )
    return services.connection_send(connection=connection, by=worker)


def get(url, token, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client().get(url, **headers)


def patch(connection_or_id, token, ops, *, content_type=JSON_PATCH):
    task_id = getattr(connection_or_id, "pk", connection_or_id)
    data = ops if isinstance(ops, str | bytes) else json.dumps(ops)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().patch(f"/fhir/Task/{task_id}", data=data, content_type=content_type, **headers)


def put(connection, token, body, *, content_type=FHIR_JSON):
    return Client().put(
        f"/fhir/Task/{connection.pk}",
        data=json.dumps(body),
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def replace(status, reason=None, *, seen=None):
    ops = [{"op": "test", "path": "/status", "value": seen}] if seen else []
    ops.append({"op": "replace", "path": "/status", "value": status})
    if reason is not None:
        ops.append({"op": "add", "path": "/statusReason", "value": {"text": reason}})
    return ops


def task_of(response, status=200):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    Task.model_validate(body)
    return body


def outcome(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    OperationOutcome.model_validate(body)
    return body["issue"]


def state(connection):
    return (
        Connection.objects.filter(pk=connection.pk).values("status", "version").get(),
        ConnectionEvent.objects.filter(connection=connection).count(),
    )


@pytest.fixture
def organization():
    return OrganizationFactory(name="Riverside Arts")


@pytest.fixture
def provider(scheme, organization):
    membership = MembershipFactory(scheme=scheme, role=Role.PROVIDER)
    organization.staff.add(membership.user)
    membership.token = token_for(membership)
    return membership


@pytest.fixture
def staff(scheme, worker):
    membership = worker.memberships.get(scheme=scheme)
    membership.token = token_for(membership)
    return membership


@pytest.fixture
def art(organization):
    return _service(organization)


@pytest.fixture
def referral(case, art, worker):
    Need.objects.create(case=case, area=default_term("loneliness"), severity=2)
    return _sent(case, art, worker)


# --- the Task ------------------------------------------------------------------------------


def test_a_sent_referral_is_a_task_for_the_team(staff, case, art, referral):
    response = get(f"/fhir/Task/{referral.pk}", staff.token)
    task = task_of(response)
    referral.refresh_from_db()

    assert task["id"] == str(referral.pk)
    assert (task["status"], task["intent"]) == ("requested", "order")
    assert task["businessStatus"]["text"] == "Sent, waiting for the service"
    assert task["businessStatus"]["coding"][0]["code"] == "sent"
    assert task["focus"] == {
        "reference": f"ServiceRequest/{case.referral_id}",
        "type": "ServiceRequest",
    }
    assert task["owner"] == {
        "reference": f"HealthcareService/{art.pk}",
        "type": "HealthcareService",
        "display": "Art group",
    }
    assert task["for"] == {
        "reference": "#patient",
        "type": "Patient",
        "display": case.person.full_name,
    }
    assert datetime.fromisoformat(task["authoredOn"]) == referral.sent_at
    assert datetime.fromisoformat(task["lastModified"]) == referral.status_changed_at
    assert task["meta"]["versionId"] == str(referral.version)
    assert response["ETag"] == f'W/"{referral.version}"'
    assert task["description"] == "Carol would like to try painting."
    assert task["reasonCode"] == {"text": "Loneliness and isolation"}  # needs, as shared
    assert "statusReason" not in task and "output" not in task
    assert LogEntry.objects.filter(
        action="fhir.connection_task_read", object_id=str(referral.pk), actor=staff.user
    ).exists()


def test_the_person_is_only_what_was_shared_never_an_identifier(scheme, staff, worker, art):
    case = sharing_case(
        scheme, worker, given_name="Dai", phone="", email="dai@example.org", nhs_number="9434765919"
    )
    connection = _sent(case, art, worker)
    assert connection.shared == ["name", "email", "needs"]
    task = task_of(get(f"/fhir/Task/{connection.pk}", staff.token))
    (patient,) = task["contained"]
    assert patient["telecom"] == [{"system": "email", "value": "dai@example.org"}]
    assert patient["name"][0]["given"] == ["Dai"]
    text = json.dumps(task)
    assert "identifier" not in text and "9434765919" not in text
    assert "birthDate" not in patient and "address" not in patient

    Connection.objects.filter(pk=connection.pk).update(shared=[])
    task = task_of(get(f"/fhir/Task/{connection.pk}", staff.token))
    assert "contained" not in task and "for" not in task and "reasonCode" not in task


def test_a_case_opened_without_a_referral_has_no_focus(scheme, staff, worker, art):
    case = sharing_case(scheme, worker)
    case.referral = None
    case.save(update_fields=["referral"])
    connection = _sent(case, art, worker)
    assert "focus" not in task_of(get(f"/fhir/Task/{connection.pk}", staff.token))


def test_the_provider_reads_it_and_stops_seeing_the_person_once_withdrawn(
    provider, staff, worker, referral
):
    task = task_of(get(f"/fhir/Task/{referral.pk}", provider.token))
    assert task["contained"][0]["name"][0]["given"] == ["Carol"]

    services.connection_move(
        connection=referral, to=Status.WITHDRAWN, by=worker, reason="Moved away"
    )
    task = task_of(get(f"/fhir/Task/{referral.pk}", provider.token))
    assert task["status"] == "cancelled"
    assert "contained" not in task and "for" not in task
    assert "statusReason" not in task  # the team's own words stay with the team
    assert "Carol" not in json.dumps(task)
    assert "contained" in task_of(get(f"/fhir/Task/{referral.pk}", staff.token))


def test_who_may_not_read_it(scheme, other_scheme, member, case, art, worker, referral):
    stranger = MembershipFactory(scheme=scheme, role=Role.PROVIDER)
    OrganizationFactory().staff.add(stranger.user)
    same_org_other_scheme = MembershipFactory(scheme=other_scheme, role=Role.PROVIDER)
    art.organization.staff.add(same_org_other_scheme.user)
    url = f"/fhir/Task/{referral.pk}"
    for membership in (
        stranger,
        same_org_other_scheme,
        member(Role.REFERRER),
        member(Role.LINK_WORKER, of=other_scheme),
    ):
        response = get(url, token_for(membership))
        assert outcome(response, 404)[0]["code"] == "not-found"
        assert "Carol" not in response.content.decode()
    for role in (Role.COMMISSIONER, Role.ADMIN):
        assert outcome(get(url, token_for(member(role))), 403)[0]["code"] == "forbidden"
    assert get(url, None).status_code == 401


def test_a_proposed_referral_or_a_signpost_has_no_task(scheme, staff, worker, art, organization):
    proposed = services.connection_offer(
        case=sharing_case(scheme, worker), service=art, kind=Kind.REFERRAL, by=worker
    )
    signpost = services.connection_offer(
        case=sharing_case(scheme, worker), service=art, kind=Kind.SIGNPOST, by=worker
    )
    for connection in (proposed, signpost):
        assert get(f"/fhir/Task/{connection.pk}", staff.token).status_code == 404


def test_the_inbound_referrals_task_still_answers(scheme, staff, provider, case):
    body = task_of(get(f"/fhir/Task/{case.referral_id}", staff.token))
    assert body["owner"] == {"type": "Organization", "display": scheme.name}
    # A provider may not read the scheme's referrals (as before); unknown ids are 404.
    assert get(f"/fhir/Task/{case.referral_id}", provider.token).status_code == 403
    missing = "00000000-0000-0000-0000-000000000000"
    assert outcome(get(f"/fhir/Task/{missing}", provider.token), 404)
    assert outcome(get("/fhir/Task/not-a-uuid", provider.token), 404)


# --- search --------------------------------------------------------------------------------


def test_search_by_focus_gives_the_tasks_each_caller_may_see(
    scheme, staff, provider, member, case, art, worker, referral
):
    gym = _service(OrganizationFactory(), name="Gym")
    elsewhere = _sent(case, gym, worker)
    focus = f"ServiceRequest/{case.referral_id}"

    response = get(f"/fhir/Task?focus={focus}", staff.token)
    assert response.status_code == 200
    bundle = response.json()
    Bundle.model_validate(bundle)
    assert (bundle["type"], bundle["total"]) == ("searchset", 3)
    ids = [e["resource"]["id"] for e in bundle["entry"]]
    # The referral's own Task first (its focus is the same ServiceRequest), then the onward ones.
    assert ids == [str(case.referral_id), str(elsewhere.pk), str(referral.pk)]
    assert bundle["entry"][1]["fullUrl"] == f"http://testserver/fhir/Task/{elsewhere.pk}"
    assert {e["search"]["mode"] for e in bundle["entry"]} == {"match"}

    bundle = get(f"/fhir/Task?focus={focus}", provider.token).json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(referral.pk)]
    full_url = f"http://testserver/fhir/{focus}"
    bundle = get(f"/fhir/Task?focus={full_url}", provider.token).json()
    assert bundle["total"] == 1

    bundle = get(f"/fhir/Task?focus={focus}", token_for(member(Role.REFERRER))).json()
    assert bundle["total"] == 0 and "entry" not in bundle
    assert LogEntry.objects.filter(action="fhir.connection_task_search").count() == 4


def test_search_by_owner_status_and_pages(scheme, provider, worker, art, organization):
    made = [_sent(sharing_case(scheme, worker, given_name=f"P{i}"), art, worker) for i in range(3)]
    services.connection_move(
        connection=made[0], to=Status.ACCEPTED, by=provider.user, as_provider=True
    )
    owner = f"HealthcareService/{art.pk}"
    bundle = get(f"/fhir/Task?owner={owner}&_count=2", provider.token).json()
    Bundle.model_validate(bundle)
    assert bundle["total"] == 3 and len(bundle["entry"]) == 2
    (next_link,) = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
    assert "_offset=2" in next_link
    rest = get(next_link.removeprefix("http://testserver"), provider.token).json()
    assert len(rest["entry"]) == 1 and not [
        link for link in rest["link"] if link["relation"] == "next"
    ]

    bundle = get(f"/fhir/Task?owner={owner}&status=accepted", provider.token).json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(made[0].pk)]
    other = _service(OrganizationFactory(), name="Gym")
    assert (
        get(f"/fhir/Task?owner=HealthcareService/{other.pk}", provider.token).json()["total"] == 0
    )


@pytest.mark.parametrize(
    "query", ["", "?subject=Patient/1", "?owner=HealthcareService/1&_count=500", "?_count=x"]
)
def test_a_search_it_does_not_take_is_400(provider, query):
    issues = outcome(get(f"/fhir/Task{query}", provider.token), 400)
    assert issues[0]["code"] in {"not-supported", "value"}


def test_search_needs_a_role_that_reads_tasks(member):
    response = get("/fhir/Task?focus=ServiceRequest/1", token_for(member(Role.COMMISSIONER)))
    assert outcome(response, 403)[0]["code"] == "forbidden"


# --- the provider's system moves it --------------------------------------------------------


def test_accept_then_start_then_complete(provider, staff, referral):
    task = task_of(patch(referral, provider.token, replace("accepted", seen="requested")))
    assert task["status"] == "accepted"
    assert task["businessStatus"]["text"] == "Accepted"
    referral.refresh_from_db()
    assert (referral.status, referral.answered_at is not None) == (Status.ACCEPTED, True)
    event = ConnectionEvent.objects.filter(connection=referral).last()
    assert (event.to_status, event.by) == (Status.ACCEPTED, provider.user)
    moved = LogEntry.objects.filter(action="connection.moved", object_id=str(referral.pk)).get()
    assert (moved.actor, moved.data["by_provider"]) == (provider.user, True)

    assert task_of(patch(referral, provider.token, replace("in-progress")))["status"] == (
        "in-progress"
    )
    task = task_of(patch(referral, provider.token, replace("completed")))
    assert task["status"] == "completed"
    assert [o["type"]["text"] for o in task["output"]] == ["Outcome", "Completed on"]
    assert task["output"][0]["valueCodeableConcept"]["coding"][0]["code"] == "completed"
    # The team sees the same.
    assert task_of(get(f"/fhir/Task/{referral.pk}", staff.token))["status"] == "completed"


def test_rejected_needs_a_reason(provider, referral):
    before = state(referral)
    issues = outcome(patch(referral, provider.token, replace("rejected")), 422)
    assert (issues[0]["code"], issues[0]["expression"]) == ("required", ["Task.statusReason"])
    assert state(referral) == before

    task = task_of(patch(referral, provider.token, replace("rejected", "No places until May")))
    assert task["status"] == "rejected"
    assert task["statusReason"] == {"text": "No places until May"}
    referral.refresh_from_db()
    assert (referral.status, referral.status_reason) == (Status.DECLINED, "No places until May")


def test_an_illegal_jump_is_409_and_changes_nothing(provider, referral):
    before = state(referral)
    issues = outcome(patch(referral, provider.token, replace("completed")), 409)
    assert issues[0]["code"] == "business-rule"
    assert issues[0]["expression"] == ["Task.status"]
    assert "cannot become" in issues[0]["diagnostics"]
    assert state(referral) == before


@pytest.mark.parametrize("status", ["cancelled", "requested", "draft", "received", "bogus"])
def test_a_status_a_service_may_not_set_is_422(provider, referral, status):
    before = state(referral)
    issues = outcome(patch(referral, provider.token, replace(status)), 422)
    assert (issues[0]["code"], issues[0]["expression"]) == ("code-invalid", ["Task.status"])
    assert state(referral) == before


def test_a_race_is_409(provider, referral, monkeypatch):
    # The sender saw it 'requested', but someone accepted it since.
    services.connection_move(
        connection=referral, to=Status.ACCEPTED, by=provider.user, as_provider=True
    )
    before = state(referral)
    issues = outcome(
        patch(referral, provider.token, replace("rejected", "Full", seen="requested")), 409
    )
    assert issues[0]["code"] == "conflict"
    assert state(referral) == before

    # Two answers at once: the other lands between this request's read and its write.
    second = _sent(
        sharing_case(referral.scheme, referral.created_by), referral.service, referral.created_by
    )
    real = connection_fhir.connection_move

    def after_another(**kwargs):
        real(
            connection=kwargs["connection"],
            to=Status.DECLINED,
            by=None,
            reason="Full",
            as_provider=True,
        )
        return real(**kwargs)

    monkeypatch.setattr(connection_fhir, "connection_move", after_another)
    issues = outcome(patch(second, provider.token, replace("accepted")), 409)
    assert issues[0]["code"] == "conflict"
    assert Connection.objects.get(pk=second.pk).status == Status.DECLINED


def test_asking_for_the_status_it_has_changes_nothing(provider, referral):
    task_of(patch(referral, provider.token, replace("accepted")))
    before = state(referral)
    assert task_of(patch(referral, provider.token, replace("accepted")))["status"] == "accepted"
    assert state(referral) == before


def test_another_provider_gets_404_and_the_team_403(scheme, member, staff, referral):
    stranger = MembershipFactory(scheme=scheme, role=Role.PROVIDER)
    OrganizationFactory().staff.add(stranger.user)
    before = state(referral)
    assert (
        outcome(patch(referral, token_for(stranger), replace("accepted")), 404)[0]["code"]
        == "not-found"
    )
    for token in (staff.token, token_for(member(Role.MANAGER)), token_for(member(Role.REFERRER))):
        assert outcome(patch(referral, token, replace("accepted")), 403)[0]["code"] == ("forbidden")
    assert state(referral) == before
    assert patch(referral, None, replace("accepted")).status_code == 401


def test_an_inbound_referrals_task_is_not_moved_here(provider, staff, case):
    assert patch(case.referral_id, provider.token, replace("accepted")).status_code == 404
    assert patch(case.referral_id, staff.token, replace("accepted")).status_code == 403


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("not json", JSON_PATCH, 400, "structure"),
        ({"status": "accepted"}, JSON_PATCH, 400, "structure"),
        ([{"op": "replace", "path": "/owner", "value": {}}], JSON_PATCH, 422, "not-supported"),
        ([{"op": "remove", "path": "/statusReason"}], JSON_PATCH, 422, "not-supported"),
        ([{"op": "replace", "path": "/status"}], JSON_PATCH, 400, "structure"),
        ([{"op": "test", "path": "/status", "value": "requested"}], JSON_PATCH, 422, "required"),
        (
            [
                {"op": "replace", "path": "/status", "value": "rejected"},
                {"op": "replace", "path": "/statusReason", "value": 7},
            ],
            JSON_PATCH,
            422,
            "value",
        ),
        ([{"op": "replace", "path": "/status", "value": "accepted"}], "text/plain", 415, None),
    ],
)
def test_a_bad_patch_says_what_is_wrong(provider, referral, body, content_type, status, code):
    before = state(referral)
    issues = outcome(patch(referral, provider.token, body, content_type=content_type), status)
    if code:
        assert issues[0]["code"] == code
    assert state(referral) == before


def test_a_reason_is_read_from_the_text_path_too(provider, referral):
    ops = [
        {"op": "replace", "path": "/status", "value": "rejected"},
        {"op": "add", "path": "/statusReason/text", "value": "Not for under 25s"},
    ]
    assert task_of(patch(referral, provider.token, ops))["statusReason"]["text"] == (
        "Not for under 25s"
    )


def test_put_a_whole_task_reads_only_its_status_and_reason(provider, referral):
    task = task_of(get(f"/fhir/Task/{referral.pk}", provider.token))
    task["status"] = "accepted"
    task["description"] = "Changed by the provider"  # ignored
    answer = task_of(put(referral, provider.token, task))
    assert answer["status"] == "accepted"
    assert answer["description"] == "Carol would like to try painting."

    answer["status"] = "completed"  # accepted -> completed skips starting
    assert outcome(put(referral, provider.token, answer), 409)[0]["code"] == "business-rule"
    answer["status"] = "in-progress"
    assert task_of(put(referral, provider.token, answer))["status"] == "in-progress"
    assert Connection.objects.get(pk=referral.pk).status == Status.STARTED


def test_a_bad_put_is_400(provider, referral):
    task = task_of(get(f"/fhir/Task/{referral.pk}", provider.token))
    before = state(referral)
    wrong_id = {**task, "id": "00000000-0000-0000-0000-000000000000", "status": "accepted"}
    assert outcome(put(referral, provider.token, wrong_id), 400)[0]["expression"] == ["Task.id"]
    no_intent = {k: v for k, v in task.items() if k != "intent"}
    assert outcome(put(referral, provider.token, no_intent), 400)[0]["code"] == "required"
    assert outcome(put(referral, provider.token, {"resourceType": "Patient"}), 400)
    assert outcome(put(referral, provider.token, task, content_type="text/plain"), 415)
    assert state(referral) == before


def test_delete_is_not_allowed(provider, referral):
    response = Client().delete(
        f"/fhir/Task/{referral.pk}", HTTP_AUTHORIZATION=f"Bearer {provider.token}"
    )
    assert outcome(response, 405)
    assert response["Allow"] == "GET, PATCH, PUT"


def test_another_schemes_referral_is_404_for_a_provider(other_scheme, provider):
    """Not a 403, which would say it exists."""
    theirs = ReferralFactory(scheme=other_scheme)
    assert outcome(get(f"/fhir/Task/{theirs.pk}", provider.token), 404)


# --- every status, and those sharing a Task.status ------------------------------------------

CONNECTION_STATUS = connection_fhir.CONNECTION_STATUS_SYSTEM
# How each status is reached (provider moves unless said), and how its Task reads.
PATHS = {
    Status.SENT: [],
    Status.ACCEPTED: [Status.ACCEPTED],
    Status.DECLINED: [(Status.DECLINED, "No places")],
    Status.STARTED: [Status.ACCEPTED, Status.STARTED],
    Status.ATTENDED_SOME: [Status.ACCEPTED, Status.STARTED, Status.ATTENDED_SOME],
    Status.COMPLETED: [Status.ACCEPTED, Status.STARTED, Status.COMPLETED],
    Status.DROPPED_OUT: [Status.ACCEPTED, Status.STARTED, (Status.DROPPED_OUT, "Moved away")],
    Status.DID_NOT_ATTEND: [Status.ACCEPTED, Status.DID_NOT_ATTEND],
    Status.WITHDRAWN: [("team", Status.WITHDRAWN, "Found work")],
    Status.EXPIRED: [("linkwell", Status.EXPIRED, "")],
}
READS = {
    Status.SENT: ("requested", None),
    Status.ACCEPTED: ("accepted", None),
    Status.DECLINED: ("rejected", "No places"),
    Status.STARTED: ("in-progress", None),
    Status.ATTENDED_SOME: ("in-progress", None),
    Status.COMPLETED: ("completed", None),
    Status.DROPPED_OUT: ("failed", "Moved away"),
    Status.DID_NOT_ATTEND: ("failed", None),
    Status.WITHDRAWN: ("cancelled", None),
    Status.EXPIRED: ("failed", None),
}


def walk(connection, steps, provider, worker):
    for step in steps:
        if isinstance(step, tuple) and step[0] == "team":
            services.connection_move(connection=connection, to=step[1], by=worker, reason=step[2])
        elif isinstance(step, tuple) and step[0] == "linkwell":
            services.connection_move(connection=connection, to=step[1], by_label="Linkwell")
        else:
            to, reason = step if isinstance(step, tuple) else (step, "")
            services.connection_move(
                connection=connection, to=to, by=provider.user, reason=reason, as_provider=True
            )
    return Connection.objects.get(pk=connection.pk)


@pytest.mark.parametrize("status", list(PATHS))
def test_every_sent_status_reads_as_a_task(staff, provider, worker, referral, status):
    connection = walk(referral, PATHS[status], provider, worker)
    assert connection.status == status
    task = task_of(get(f"/fhir/Task/{connection.pk}", staff.token))
    fhir_status, reason = READS[status]
    assert task["status"] == fhir_status
    assert task["businessStatus"] == {
        "coding": [{"system": CONNECTION_STATUS, "code": status.value, "display": status.label}],
        "text": status.label,
    }
    assert task.get("statusReason") == ({"text": reason} if reason else None)


def test_statuses_sharing_a_task_status_differ_in_business_status():
    from linkwell.connections import states

    by_task_status = {}
    for status, fhir_status in READS.items():
        by_task_status.setdefault(fhir_status[0], []).append(status)
    assert by_task_status["in-progress"] == [Status.STARTED, Status.ATTENDED_SOME]
    assert by_task_status["failed"] == [Status.DROPPED_OUT, Status.DID_NOT_ATTEND, Status.EXPIRED]
    assert {s: f for s, (f, _) in READS.items()} == {
        s: f for s, f in states.FHIR_TASK_STATUS.items() if s != Status.PROPOSED
    }
    # What a provider system may ask for, and how businessStatus picks among them.
    assert states.FROM_FHIR_TASK_STATUSES == {
        "accepted": (Status.ACCEPTED,),
        "rejected": (Status.DECLINED,),
        "in-progress": (Status.STARTED, Status.ATTENDED_SOME),
        "completed": (Status.COMPLETED,),
        "failed": (Status.DROPPED_OUT, Status.DID_NOT_ATTEND),
    }


def business(code, system=CONNECTION_STATUS):
    return {"coding": [{"system": system, "code": code}]}


def failed(code=None, reason=None):
    ops = replace("failed", reason)
    if code is not None:
        ops.append({"op": "replace", "path": "/businessStatus", "value": business(code)})
    return ops


def test_failed_did_not_attend_moves_it_and_records_the_event(provider, staff, referral):
    services.connection_move(
        connection=referral, to=Status.ACCEPTED, by=provider.user, as_provider=True
    )
    version = Connection.objects.get(pk=referral.pk).version
    response = patch(referral, provider.token, failed("did_not_attend"))
    task = task_of(response)
    assert task["status"] == "failed"
    assert task["businessStatus"]["coding"][0]["code"] == "did_not_attend"
    assert task["businessStatus"]["text"] == "Did not attend"
    assert "statusReason" not in task
    assert task["meta"]["versionId"] == str(version + 1)
    assert response["ETag"] == f'W/"{version + 1}"'

    referral.refresh_from_db()
    assert (referral.status, referral.version) == (Status.DID_NOT_ATTEND, version + 1)
    event = ConnectionEvent.objects.filter(connection=referral).last()
    assert (event.from_status, event.to_status, event.by) == (
        Status.ACCEPTED,
        Status.DID_NOT_ATTEND,
        provider.user,
    )
    moved = LogEntry.objects.filter(action="connection.moved", object_id=str(referral.pk))
    assert (moved.first().data["to"], moved.first().data["by_provider"]) == (
        Status.DID_NOT_ATTEND,
        True,
    )  # the newest entry
    # The team reads the same; a search for failed Tasks finds it.
    assert task_of(get(f"/fhir/Task/{referral.pk}", staff.token))["status"] == "failed"
    owner = f"HealthcareService/{referral.service_id}"
    bundle = get(f"/fhir/Task?owner={owner}&status=failed", provider.token).json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(referral.pk)]


def test_failed_dropped_out_needs_a_reason(provider, referral):
    walk(referral, [Status.ACCEPTED, Status.STARTED], provider, None)
    before = state(referral)
    issues = outcome(patch(referral, provider.token, failed("dropped_out")), 422)
    assert (issues[0]["code"], issues[0]["expression"]) == ("required", ["Task.statusReason"])
    assert "dropped out" in issues[0]["diagnostics"]
    assert state(referral) == before

    task = task_of(patch(referral, provider.token, failed("dropped_out", "Started a new job")))
    assert (task["status"], task["businessStatus"]["coding"][0]["code"]) == (
        "failed",
        "dropped_out",
    )
    assert task["statusReason"] == {"text": "Started a new job"}
    referral.refresh_from_db()
    assert (referral.status, referral.status_reason) == (Status.DROPPED_OUT, "Started a new job")
    event = ConnectionEvent.objects.filter(connection=referral).last()
    assert (event.to_status, event.reason) == (Status.DROPPED_OUT, "Started a new job")


@pytest.mark.parametrize(
    ("business_status", "code"),
    [
        (None, "required"),  # failed: which?
        (business("bogus"), "code-invalid"),  # not a connection status
        (business("completed"), "code-invalid"),  # a status, but not a failed one
        (business("expired"), "code-invalid"),  # failed, but not the provider's to say
        (business("dropped-out", system="https://example.org/ours"), "required"),  # not ours
        ({"text": "Did not attend"}, "required"),  # words are not read
        ("did_not_attend", "value"),  # not a CodeableConcept
    ],
)
def test_failed_without_a_business_status_it_can_mean_is_422(
    provider, referral, business_status, code
):
    walk(referral, [Status.ACCEPTED], provider, None)
    before = state(referral)
    ops = replace("failed", "Reason")
    if business_status is not None:
        ops.append({"op": "add", "path": "/businessStatus", "value": business_status})
    issues = outcome(patch(referral, provider.token, ops), 422)
    assert (issues[0]["code"], issues[0]["expression"]) == (code, ["Task.businessStatus"])
    if code == "required":
        assert "did_not_attend" in issues[0]["diagnostics"]
    assert state(referral) == before


def test_a_failed_move_the_state_machine_forbids_is_409(provider, referral):
    before = state(referral)  # sent: nobody can have dropped out or missed it yet
    issues = outcome(patch(referral, provider.token, failed("did_not_attend")), 409)
    assert (issues[0]["code"], issues[0]["expression"]) == ("business-rule", ["Task.status"])
    assert state(referral) == before
    walk(referral, [Status.ACCEPTED, Status.STARTED], provider, None)
    before = state(referral)  # started: they came, so not "did not attend"
    assert outcome(patch(referral, provider.token, failed("did_not_attend")), 409)
    assert state(referral) == before


def test_in_progress_with_attended_some(provider, referral):
    walk(referral, [Status.ACCEPTED], provider, None)
    task = task_of(patch(referral, provider.token, replace("in-progress")))  # no businessStatus
    assert task["businessStatus"]["coding"][0]["code"] == "started"

    ops = [
        *replace("in-progress"),
        {"op": "replace", "path": "/businessStatus", "value": business("attended_some")},
    ]
    task = task_of(patch(referral, provider.token, ops))
    assert (task["status"], task["businessStatus"]["text"]) == (
        "in-progress",
        "Attended some sessions",
    )
    assert Connection.objects.get(pk=referral.pk).status == Status.ATTENDED_SOME
    # In-progress again without a businessStatus: it already is, nothing changes.
    before = state(referral)
    assert task_of(patch(referral, provider.token, replace("in-progress")))["status"] == (
        "in-progress"
    )
    assert state(referral) == before
    # Back to "started" is not a move the state machine has.
    ops[1]["value"] = business("started")
    assert outcome(patch(referral, provider.token, ops), 409)[0]["code"] == "business-rule"
    assert state(referral) == before
    # A businessStatus that is not an in-progress one.
    ops[1]["value"] = business("did_not_attend")
    issues = outcome(patch(referral, provider.token, ops), 422)
    assert issues[0]["expression"] == ["Task.businessStatus"]
    assert state(referral) == before


def test_put_reads_the_business_status_and_ignores_it_as_read(provider, referral):
    walk(referral, [Status.ACCEPTED, Status.STARTED], provider, None)
    task = task_of(get(f"/fhir/Task/{referral.pk}", provider.token))
    assert task["businessStatus"]["coding"][0]["code"] == "started"
    before = state(referral)

    task["status"] = "failed"  # businessStatus left as read ("started"): which failure?
    issues = outcome(put(referral, provider.token, task), 422)
    assert (issues[0]["code"], issues[0]["expression"]) == ("required", ["Task.businessStatus"])
    assert state(referral) == before

    task["businessStatus"] = business("dropped_out")
    task["statusReason"] = {"text": "Too far to travel"}
    answer = task_of(put(referral, provider.token, task))
    assert (answer["status"], answer["businessStatus"]["coding"][0]["code"]) == (
        "failed",
        "dropped_out",
    )
    referral.refresh_from_db()
    assert (referral.status, referral.status_reason) == (Status.DROPPED_OUT, "Too far to travel")


def test_put_in_progress_as_read_from_accepted_is_started(provider, referral):
    walk(referral, [Status.ACCEPTED], provider, None)
    task = task_of(get(f"/fhir/Task/{referral.pk}", provider.token))
    task["status"] = "in-progress"  # businessStatus still "accepted", as read
    assert task_of(put(referral, provider.token, task))["businessStatus"]["coding"][0]["code"] == (
        "started"
    )
    assert Connection.objects.get(pk=referral.pk).status == Status.STARTED


# --- versions: meta.versionId, ETag and If-Match ----------------------------------------------


def patch_if(connection, token, ops, if_match, **kwargs):
    return Client().patch(
        f"/fhir/Task/{connection.pk}",
        data=json.dumps(ops),
        content_type=JSON_PATCH,
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IF_MATCH=if_match,
    )


def test_if_match_with_the_current_version_moves_it(provider, referral):
    response = get(f"/fhir/Task/{referral.pk}", provider.token)
    version = task_of(response)["meta"]["versionId"]
    assert response["ETag"] == f'W/"{version}"'

    response = patch_if(referral, provider.token, replace("accepted"), response["ETag"])
    task = task_of(response)
    assert task["status"] == "accepted"
    assert task["meta"]["versionId"] == str(int(version) + 1)
    assert response["ETag"] == f'W/"{int(version) + 1}"'
    # The strong form and '*' match too.
    task = task_of(
        patch_if(referral, provider.token, replace("in-progress"), f'"{int(version) + 1}"')
    )
    assert task["status"] == "in-progress"
    assert task_of(patch_if(referral, provider.token, replace("completed"), "*"))["status"] == (
        "completed"
    )


def test_a_stale_if_match_is_412_and_changes_nothing(provider, worker, referral):
    etag = get(f"/fhir/Task/{referral.pk}", provider.token)["ETag"]
    services.connection_move(
        connection=referral, to=Status.ACCEPTED, by=provider.user, as_provider=True
    )  # someone else answered since it was read
    before = state(referral)

    response = patch_if(referral, provider.token, replace("rejected", "Full"), etag)
    issues = outcome(response, 412)
    assert issues[0]["code"] == "conflict"
    assert f"now version {before[0]['version']}" in issues[0]["diagnostics"]
    assert response["ETag"] == f'W/"{before[0]["version"]}"'  # the version to read and retry
    assert state(referral) == before
    assert Connection.objects.get(pk=referral.pk).status == Status.ACCEPTED

    # A precondition comes before the body: a stale version is 412 even with a bad body.
    assert outcome(patch_if(referral, provider.token, [{"op": "bogus"}], etag), 412)
    # PUT honours it too.
    task = task_of(get(f"/fhir/Task/{referral.pk}", provider.token))
    task["status"] = "in-progress"
    response = Client().put(
        f"/fhir/Task/{referral.pk}",
        data=json.dumps(task),
        content_type=FHIR_JSON,
        HTTP_AUTHORIZATION=f"Bearer {provider.token}",
        HTTP_IF_MATCH=etag,
    )
    assert outcome(response, 412)[0]["code"] == "conflict"
    assert state(referral) == before
    # Without If-Match, as before: the move is made.
    assert task_of(patch(referral, provider.token, replace("in-progress")))["status"] == (
        "in-progress"
    )


def test_if_match_is_checked_again_with_the_row_locked(provider, referral):
    """The version changes between the request's first read and its write: still 412."""
    stale = Connection.objects.get(pk=referral.pk)
    if_match = f'W/"{stale.version}"'
    services.connection_move(
        connection=referral, to=Status.ACCEPTED, by=provider.user, as_provider=True
    )
    before = state(referral)
    with pytest.raises(connection_fhir.FhirError) as raised:
        connection_fhir.task_update(
            connection=stale,
            update=connection_fhir.TaskUpdate(status="rejected", reason="Full"),
            by=provider.user,
            if_match=if_match,
        )
    assert raised.value.status == 412
    assert state(referral) == before


def test_the_capability_statement_lists_the_task_search_params_there_are():
    from linkwell.referrals.fhir.outbound import capability_statement

    statement = capability_statement(base_url="http://testserver/fhir/")
    (task,) = [r for r in statement["rest"][0]["resource"] if r["type"] == "Task"]
    assert tuple(p["name"] for p in task["searchParam"]) == connection_fhir.SEARCH_PARAMS
    assert {i["code"] for i in task["interaction"]} == {"read", "search-type", "update", "patch"}
