"""Onward referrals as FHIR R4 Tasks: a connection of kind referral, once sent, is a Task with
the connection's id that the scheme's team and the service's provider system can read, and that
the provider system can move (accepted, rejected with a reason, in-progress, completed, failed).
Statuses sharing a Task.status (started and attended some; dropped out, did not attend and no
answer in time) are told apart by businessStatus, a coding from CONNECTION_STATUS_SYSTEM whose
code is the connection's status; a provider system sends the same coding to say which it means.

- `task`: the Task for a connection, built through the R4B model.
- `fhir_connections` / `fhir_connection_get`: the connections a token's membership may read
  (the scheme's caseload staff: their cases'; a provider: those sent to the services of the
  organisations they keep, as in their inbox).
- `update_from_patch` / `update_from_put`: what a PATCH (JSON Patch) or PUT asks for, or a
  FhirError naming the element at fault.
- `check_if_match`: an `If-Match` header against the connection's version (the Task's
  meta.versionId and ETag), or a 412 FhirError.
- `task_update`: the move, through `connections.services.connection_move` (which audits it).

The HTTP side (tokens, the scheme header, JSON out) is in `linkwell.referrals.fhir.views`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pydantic
from django.db import transaction
from django.db.models import QuerySet
from fhir.resources.R4B.task import Task

from linkwell.casework.selectors import cases_for
from linkwell.connections import states
from linkwell.connections.models import Connection
from linkwell.connections.selectors import (
    HIDDEN_PERSON,
    needs_for_referral,
    provider_connections,
    service_need_areas,
)
from linkwell.connections.services import ConnectionChanged, connection_move
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import ACTIONS
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Membership
from linkwell.core.permissions import Perm, can
from linkwell.referrals.fhir import _BASE, MEDIA_TYPE
from linkwell.referrals.fhir.outcome import FhirError, Issue, issues_from_pydantic

CONNECTION_STATUS_SYSTEM = f"{_BASE}/CodeSystem/connection-status"
JSON_PATCH = "application/json-patch+json"
MAX_REASON = 300
# Why (in the provider's words) is shown for these; a withdrawal's reason is the team's own.
SHOWS_REASON = frozenset({Status.DECLINED, Status.DROPPED_OUT})

ACTIONS.update(
    {
        "fhir.connection_task_read": "Read an onward referral's FHIR Task",
        "fhir.connection_task_search": "Searched onward referrals' FHIR Tasks",
    }
)


# --- who may read --------------------------------------------------------------------------


def is_staff(membership: Membership) -> bool:
    """The scheme's caseload staff (link workers, managers): they read their cases' Tasks."""
    return can(membership, Perm.CASELOAD) and can(membership, Perm.PERSON_DATA)


def is_provider(membership: Membership) -> bool:
    return can(membership, Perm.DIRECTORY_EDIT_OWN)


def may_read_tasks(membership: Membership) -> bool:
    return is_staff(membership) or is_provider(membership)


def fhir_connections(membership: Membership) -> QuerySet[Connection]:
    """The sent referrals whose Task this membership may read (none for other roles)."""
    if is_provider(membership):
        qs = provider_connections(membership=membership)
    elif is_staff(membership):
        qs = Connection.objects.filter(
            kind=Kind.REFERRAL, case__in=cases_for(membership).values("pk")
        ).exclude(status=Status.PROPOSED)
    else:
        return Connection.objects.none()
    return qs.select_related("case__person", "case__scheme", "service").order_by(
        "-sent_at", "-created_at", "pk"
    )


def as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def fhir_connection_get(*, membership: Membership, connection_id) -> Connection | None:
    pk = as_uuid(connection_id)
    if pk is None:
        return None
    return fhir_connections(membership).filter(pk=pk).first()


def reference_id(value: str, resource_type: str) -> uuid.UUID | None:
    """A search's reference value ('ServiceRequest/<id>', '<id>' or a full URL ending so) as
    the id it names; None when it names no resource of this type."""
    value = (value or "").strip().rstrip("/")
    head, _, tail = value.rpartition("/")
    if head and head.rpartition("/")[2] != resource_type:
        return None
    return as_uuid(tail)


# --- search -------------------------------------------------------------------------------

SEARCH_PARAMS = ("focus", "owner", "status")
CONTROL_PARAMS = ("_count", "_offset", "_format")
MAX_COUNT = 100
_FHIR_TO_STATUSES: dict[str, set[str]] = {}
for _status, _fhir in states.FHIR_TASK_STATUS.items():
    _FHIR_TO_STATUSES.setdefault(_fhir, set()).add(_status)


@dataclass
class Found:
    """A page of a Task search: the connections, how many match in all, and the query."""

    connections: list[Connection]
    total: int
    focus: uuid.UUID | None
    statuses: set[str] | None
    count: int
    offset: int
    query: list[tuple[str, str]]

    def wants(self, fhir_status: str) -> bool:
        return self.statuses is None or fhir_status in self.statuses


def _number(params, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise FhirError(400, Issue("value", f"{name} must be a whole number from {low} to {high}."))
    return value


def search(membership: Membership, params) -> Found:
    """The connections matching focus (the case's originating ServiceRequest), owner (the
    service) and status (FHIR Task statuses, comma-separated) that this membership may read."""
    unknown = sorted(k for k in params if k not in SEARCH_PARAMS + CONTROL_PARAMS)
    if unknown or not (params.get("focus") or params.get("owner")):
        raise FhirError(
            400,
            Issue(
                "not-supported",
                "Search Tasks by focus=ServiceRequest/<id> and/or owner=HealthcareService/<id> "
                "(with status, _count, _offset)"
                + (f"; not by {', '.join(unknown)}." if unknown else "."),
            ),
        )
    count = _number(params, "_count", MAX_COUNT, 0, MAX_COUNT)
    offset = _number(params, "_offset", 0, 0, 10**9)
    qs = fhir_connections(membership)
    focus = None
    if params.get("focus"):
        focus = reference_id(params["focus"], "ServiceRequest")
        qs = qs.filter(case__referral_id=focus) if focus else qs.none()
    if params.get("owner"):
        owner = reference_id(params["owner"], "HealthcareService")
        qs = qs.filter(service_id=owner) if owner else qs.none()
        focus = None  # the referral's own Task is owned by the scheme, not a service
    statuses = None
    if params.get("status"):
        statuses = {s.strip() for s in params["status"].split(",") if s.strip()}
        wanted = set().union(*(_FHIR_TO_STATUSES.get(s, set()) for s in statuses))
        qs = qs.filter(status__in=sorted(wanted))
    total = qs.count()
    query = [(k, v) for k in SEARCH_PARAMS for v in params.getlist(k)]
    return Found(
        connections=list(qs[offset : offset + count]) if count else [],
        total=total,
        focus=focus,
        statuses=statuses,
        count=count,
        offset=offset,
        query=query,
    )


def searchset(resources: list[dict], found: Found, *, base_url: str) -> dict:
    """A searchset Bundle: each Task with its full URL, the total, self and next links."""
    from urllib.parse import urlencode

    from fhir.resources.R4B.bundle import Bundle

    base_url = base_url.rstrip("/")

    def link(relation: str, offset: int) -> dict:
        query = urlencode([*found.query, ("_count", found.count), ("_offset", offset)])
        return {"relation": relation, "url": f"{base_url}/Task?{query}"}

    links = [link("self", found.offset)]
    if found.count and found.offset + found.count < found.total:
        links.append(link("next", found.offset + found.count))
    data = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": found.total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base_url}/Task/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ]
        or None,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return Bundle.model_validate(data).model_dump(mode="json", by_alias=True, exclude_none=True)


# --- the Task ------------------------------------------------------------------------------


def _instant(moment) -> str:
    return moment.isoformat()


def _patient(connection: Connection) -> dict | None:
    """What was shared of the person (`connection.shared`): name, phone, email; no
    identifiers. None when nothing may be shown."""
    shared = set(connection.shared or [])
    person = connection.case.person
    patient: dict = {"resourceType": "Patient", "id": "patient"}
    if "name" in shared:
        patient["name"] = [
            {"use": "official", "family": person.family_name, "given": [person.given_name]}
        ]
    telecom = []
    if "phone" in shared and person.phone:
        telecom.append({"system": "phone", "value": person.phone})
    if "email" in shared and person.email:
        telecom.append({"system": "email", "value": person.email})
    if telecom:
        patient["telecom"] = telecom
    return patient if len(patient) > 2 else None


def _needs(connection: Connection) -> list[str]:
    if "needs" not in set(connection.shared or []):
        return []
    needs = getattr(connection.case, "shared_needs", None)
    if needs is None:
        needs = connection.case.needs.filter(severity__gt=0).select_related("area")
    areas = service_need_areas([connection.service_id]).get(connection.service_id, set())
    return needs_for_referral(needs, areas)


def task(connection: Connection, *, for_provider: bool = False) -> dict:
    """The Task for a sent referral (id = the connection's id), with the person as shared with
    the service (`connection.shared`); a provider no longer sees who it was for once it is
    withdrawn or expired, as in their inbox."""
    status = Status(connection.status)
    case = connection.case
    show_person = not (for_provider and status in HIDDEN_PERSON)
    patient = _patient(connection) if show_person else None
    needs = _needs(connection) if show_person else []
    data = {
        "resourceType": "Task",
        "id": str(connection.pk),
        "meta": {
            "versionId": str(connection.version),
            "lastUpdated": _instant(connection.status_changed_at),
        },
        "contained": [patient] if patient else None,
        "status": states.FHIR_TASK_STATUS[status],
        "statusReason": (
            {"text": connection.status_reason}
            if status in SHOWS_REASON and connection.status_reason
            else None
        ),
        "businessStatus": {
            "coding": [
                {
                    "system": CONNECTION_STATUS_SYSTEM,
                    "code": status.value,
                    "display": status.label,
                }
            ],
            "text": status.label,
        },
        "intent": "order",
        "description": (connection.message or None) if show_person else None,
        "focus": (
            {"reference": f"ServiceRequest/{case.referral_id}", "type": "ServiceRequest"}
            if case.referral_id
            else None
        ),
        "for": (
            {"reference": "#patient", "type": "Patient", "display": case.person.full_name}
            if patient and "name" in patient
            else ({"reference": "#patient", "type": "Patient"} if patient else None)
        ),
        "authoredOn": _instant(connection.sent_at) if connection.sent_at else None,
        "lastModified": _instant(connection.status_changed_at),
        "requester": {"type": "Organization", "display": case.scheme.name},
        "owner": {
            "reference": f"HealthcareService/{connection.service_id}",
            "type": "HealthcareService",
            "display": connection.service.name,
        },
        "reasonCode": {"text": ", ".join(needs)} if needs else None,
        "output": (
            [
                {
                    "type": {"text": "Outcome"},
                    "valueCodeableConcept": {
                        "coding": [
                            {
                                "system": CONNECTION_STATUS_SYSTEM,
                                "code": status.value,
                                "display": status.label,
                            }
                        ],
                        "text": status.label,
                    },
                },
                {
                    "type": {"text": "Completed on"},
                    "valueDateTime": _instant(connection.status_changed_at),
                },
            ]
            if status == Status.COMPLETED
            else None
        ),
    }
    resource = Task.model_validate({k: v for k, v in data.items() if v is not None})
    return resource.model_dump(mode="json", by_alias=True, exclude_none=True)


# --- an update ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskUpdate:
    """What a provider system asks: a FHIR Task status, which status it means (the code of a
    businessStatus coding from CONNECTION_STATUS_SYSTEM, None if it sent none), why, and (a
    JSON Patch 'test') the Task status it saw."""

    status: str
    reason: str = ""
    seen: str | None = None
    business_status: str | None = None


def _json(body: bytes):
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FhirError(400, Issue("structure", "The body is not valid JSON.")) from None


def _reason_text(value, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        text = value.get("text")
        if not text:
            codings = value.get("coding") or []
            text = next((c.get("display") for c in codings if isinstance(c, dict)), None)
        if isinstance(text, str):
            return text.strip()
    raise FhirError(422, Issue("value", f"{where} must be a CodeableConcept with text.", where))


def _business_status(value, where: str = "Task.businessStatus") -> str | None:
    """The code of a businessStatus's first coding from CONNECTION_STATUS_SYSTEM; None when it
    has none (another system's codes and text are the sender's own and are not read)."""
    if value is None:
        return None
    codings = value.get("coding", []) if isinstance(value, dict) else None
    if not isinstance(codings, list) or not all(isinstance(c, dict) for c in codings):
        raise FhirError(
            422,
            Issue(
                "value",
                f"{where} must be a CodeableConcept with a coding from {CONNECTION_STATUS_SYSTEM}.",
                where,
            ),
        )
    for coding in codings:
        if coding.get("system") == CONNECTION_STATUS_SYSTEM:
            code = coding.get("code")
            return code if isinstance(code, str) else ""
    return None


_PATCH_PATHS = {"/status", "/statusReason", "/statusReason/text", "/businessStatus"}


def update_from_patch(body: bytes) -> TaskUpdate:
    """A JSON Patch (RFC 6902): 'replace' (or 'add') /status, /businessStatus and
    /statusReason (or /statusReason/text); optionally 'test' /status with the status the
    sender saw."""
    ops = _json(body)
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        raise FhirError(
            400,
            Issue(
                "structure",
                "Send a JSON Patch: a list of operations like "
                '{"op": "replace", "path": "/status", "value": "accepted"}.',
            ),
        )
    status = seen = business_status = None
    reason = ""
    for index, op in enumerate(ops):
        kind, path = op.get("op"), op.get("path")
        where = f"Task{(path or '').replace('/', '.')}"
        if path not in _PATCH_PATHS:
            raise FhirError(
                422,
                Issue(
                    "not-supported",
                    f"Operation {index}: only /status, /businessStatus and /statusReason of "
                    f"a Task may be changed here, not {path!r}.",
                    where if path else None,
                ),
            )
        if kind == "test" and path == "/status":
            seen = op.get("value")
        elif kind in ("replace", "add"):
            if "value" not in op:
                raise FhirError(
                    400, Issue("structure", f"Operation {index} ({kind} {path}) needs a value.")
                )
            if path == "/status":
                status = op["value"]
            elif path == "/businessStatus":
                business_status = _business_status(op["value"])
            else:
                reason = _reason_text(op["value"], "Task.statusReason")
        else:
            raise FhirError(
                422,
                Issue(
                    "not-supported",
                    f"Operation {index}: use 'replace' (or 'add') on /status, /businessStatus "
                    "and /statusReason, or 'test' on /status.",
                    where,
                ),
            )
    if status is None:
        raise FhirError(
            422, Issue("required", "Say the Task's new status (/status).", "Task.status")
        )
    return TaskUpdate(status=status, reason=reason, seen=seen, business_status=business_status)


def update_from_put(body: bytes, *, task_id: str) -> TaskUpdate:
    """A whole Task (as read, with a new status): only status, businessStatus and
    statusReason are read."""
    data = _json(body)
    if not isinstance(data, dict) or data.get("resourceType") != "Task":
        raise FhirError(400, Issue("invalid", "Send a Task resource.", "resourceType"))
    if str(data.get("id", "")) != str(task_id):
        raise FhirError(
            400,
            Issue("invalid", "The Task's id must be the id in the address.", "Task.id"),
        )
    try:
        Task.model_validate(data)
    except pydantic.ValidationError as error:
        raise FhirError(400, issues_from_pydantic(error, "Task")) from None
    return TaskUpdate(
        status=data["status"],
        reason=_reason_text(data.get("statusReason"), "Task.statusReason"),
        business_status=_business_status(data.get("businessStatus")),
    )


def update_from_request(method: str, content_type: str, body: bytes, *, task_id: str):
    """PATCH: a JSON Patch (application/json-patch+json); PUT: a whole Task (FHIR JSON)."""
    if method == "PATCH":
        if content_type not in (JSON_PATCH, "application/json"):
            raise FhirError(
                415,
                Issue(
                    "not-supported",
                    f"Send a JSON Patch as {JSON_PATCH}, not {content_type or 'no content type'}.",
                ),
            )
        return update_from_patch(body)
    if content_type not in (MEDIA_TYPE, "application/json", "application/json+fhir"):
        raise FhirError(
            415,
            Issue(
                "not-supported",
                f"Send the Task as {MEDIA_TYPE} (or application/json), not "
                f"{content_type or 'no content type'}.",
            ),
        )
    return update_from_put(body, task_id=task_id)


def etag(version) -> str:
    return f'W/"{version}"'


def _if_match_versions(if_match: str) -> set[str]:
    """The versions an If-Match header names: W/"3", "3" (or a list of them); '*' is any."""
    versions = set()
    for tag in if_match.split(","):
        tag = tag.strip()
        if tag.startswith(("W/", "w/")):
            tag = tag[2:]
        versions.add(tag.strip().strip('"'))
    return versions


def check_if_match(version, if_match: str | None) -> None:
    """A 412 FhirError unless `If-Match` (when sent) names this version of the Task."""
    if if_match is None or not if_match.strip():
        return
    wanted = _if_match_versions(if_match)
    if "*" in wanted or str(version) in wanted:
        return
    raise FhirError(
        412,
        Issue(
            "conflict",
            f"The Task has changed since you read it: it is now version {version} (ETag "
            f"{etag(version)}), not {if_match.strip()} (If-Match). Read it again and decide "
            "again; nothing was changed.",
        ),
        headers={"ETag": etag(version)},
    )


def _codes(statuses) -> str:
    return " or ".join(repr(str(s)) for s in statuses)


def _meant(connection: Connection, update: TaskUpdate) -> str:
    """The connection status a Task update asks for: the one its businessStatus names among
    those its Task.status can mean; without one, the status it already has if that has this
    Task.status, else the Task.status's own meaning; or a FhirError (422) naming the field."""
    candidates = states.FROM_FHIR_TASK_STATUSES.get(update.status)
    if candidates is None:
        allowed = ", ".join(states.FROM_FHIR_TASK_STATUSES)
        raise FhirError(
            422,
            Issue(
                "code-invalid",
                f"A service may set a Task's status to {allowed}; not {update.status!r}.",
                "Task.status",
            ),
        )
    code = update.business_status
    if code is not None and code not in states.REFERRAL_STATUSES:
        raise FhirError(
            422,
            Issue(
                "code-invalid",
                f"{code!r} is not a code of {CONNECTION_STATUS_SYSTEM}.",
                "Task.businessStatus",
            ),
        )
    if code == connection.status and code not in candidates:
        code = None  # the businessStatus as read, left unchanged with a new status: not a choice
    if code is not None:
        if code not in candidates:
            raise FhirError(
                422,
                Issue(
                    "code-invalid",
                    f"With status '{update.status}', businessStatus must be "
                    f"{_codes(candidates)} (system {CONNECTION_STATUS_SYSTEM}); not {code!r}.",
                    "Task.businessStatus",
                ),
            )
        return code
    if connection.status in candidates:
        return connection.status
    default = states.FROM_FHIR_TASK_STATUS.get(update.status)
    if default is None:
        raise FhirError(
            422,
            Issue(
                "required",
                f"Say which with businessStatus when the status is '{update.status}': a "
                f"coding from {CONNECTION_STATUS_SYSTEM} with code {_codes(candidates)}.",
                "Task.businessStatus",
            ),
        )
    return default


def task_update(
    *, connection: Connection, update: TaskUpdate, by, if_match: str | None = None
) -> Connection:
    """Move the connection as the provider system asks, or FhirError saying why not (nothing
    changed). Asking for the status it already has changes nothing. With `if_match` (the
    If-Match header), the version is checked again with the row locked, so the move is made
    only to the version the sender read."""
    if if_match is None or not if_match.strip():
        return _task_update(connection=connection, update=update, by=by)
    with transaction.atomic():
        version = (
            Connection.objects.select_for_update()
            .filter(pk=connection.pk)
            .values_list("version", flat=True)
            .get()
        )
        check_if_match(version, if_match)
        return _task_update(connection=connection, update=update, by=by)


def _task_update(*, connection: Connection, update: TaskUpdate, by) -> Connection:
    current = states.FHIR_TASK_STATUS[connection.status]
    if update.seen is not None and update.seen != current:
        raise FhirError(
            409,
            Issue(
                "conflict",
                f"The Task's status is '{current}' "
                f"({connection.get_status_display()}), not '{update.seen}'. Nothing was "
                "changed.",
                "Task.status",
            ),
        )
    to = _meant(connection, update)
    if to in states.NEEDS_REASON and not update.reason:
        raise FhirError(
            422,
            Issue(
                "required",
                f"Say why in statusReason.text when the status is '{update.status}'"
                + (f" ({Status(to).label.lower()})." if update.status == "failed" else "."),
                "Task.statusReason",
            ),
        )
    if len(update.reason) > MAX_REASON:
        raise FhirError(
            422,
            Issue(
                "too-long",
                f"statusReason.text is longer than {MAX_REASON} characters.",
                "Task.statusReason",
            ),
        )
    if to == connection.status:
        return connection
    try:
        return connection_move(
            connection=connection,
            to=to,
            by=by,
            reason=update.reason,
            expected=connection.status,
            as_provider=True,
        )
    except ConnectionChanged as error:
        raise FhirError(409, Issue("conflict", error.message, "Task.status")) from None
    except ApplicationError as error:
        code = "business-rule" if error.status in (409, 422) else "forbidden"
        status = error.status if error.status in (403, 409) else 422
        raise FhirError(status, Issue(code, error.message, "Task.status")) from None
