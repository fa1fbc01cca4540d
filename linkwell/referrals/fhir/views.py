"""The FHIR endpoint's views: token authentication only, JSON in and out, errors as
OperationOutcome. Thin: parsing is in `inbound`, building in `outbound`, writing in
`referrals.services.referral_intake`."""

from __future__ import annotations

import json
from functools import wraps

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from linkwell.connections import fhir as connection_fhir
from linkwell.core.audit import client_ip, log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Membership, User
from linkwell.core.permissions import Perm, can
from linkwell.core.services import api_token_authenticate
from linkwell.people.models import ConsentScope
from linkwell.people.selectors import has_consent
from linkwell.referrals.fhir import MEDIA_TYPE, SCHEME_HEADER, outbound
from linkwell.referrals.fhir.inbound import (
    external_id_of,
    intake_from_service_request,
    parse_service_request,
)
from linkwell.referrals.fhir.outcome import FhirError, Issue, operation_outcome
from linkwell.referrals.fhir.selectors import (
    fhir_referral_by_identifier,
    fhir_referral_get,
    fhir_referrals,
    may_read,
)
from linkwell.referrals.models import Referral
from linkwell.referrals.services import DuplicateSuspected, IntakeRequest, referral_intake

ACCEPTED_CONTENT_TYPES = {MEDIA_TYPE, "application/json", "application/json+fhir"}
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="fhir"'}


def fhir_response(resource: dict, *, status: int = 200, headers: dict | None = None):
    response = HttpResponse(
        json.dumps(resource), status=status, content_type=f"{MEDIA_TYPE}; charset=utf-8"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def fhir_endpoint(*methods: str):
    """CSRF-exempt (no cookies are used), the listed methods only, FhirError -> OperationOutcome."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise FhirError(
                        405,
                        Issue(
                            "not-supported",
                            f"{request.method} is not supported here; use {', '.join(methods)}.",
                        ),
                        headers={"Allow": ", ".join(methods)},
                    )
                return view(request, *args, **kwargs)
            except FhirError as error:
                return fhir_response(
                    operation_outcome(error.issues), status=error.status, headers=error.headers
                )

        return wrapper

    return decorate


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")


def _token_user(request: HttpRequest) -> User:
    kind, _, secret = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() != "bearer" or not secret.strip():
        raise FhirError(
            401,
            Issue("login", "Send a personal API token: 'Authorization: Bearer <token>'."),
            headers=_CHALLENGE,
        )
    user = api_token_authenticate(secret.strip())
    if user is None:
        raise FhirError(
            401,
            Issue(
                "login",
                "This API token is not valid: it may be mistyped or revoked, or its account "
                "closed.",
            ),
            headers=_CHALLENGE,
        )
    return user


def _membership(request: HttpRequest, user: User) -> Membership:
    """The scheme the request acts in: the user's only one, or the one the header names."""
    memberships = list(
        Membership.objects.filter(user=user, is_active=True)
        .select_related("scheme", "user")
        .order_by("scheme__slug")
    )
    slug = request.headers.get(SCHEME_HEADER, "").strip()
    if slug:
        for membership in memberships:
            if membership.scheme.slug == slug:
                return membership
        raise FhirError(
            403,
            Issue(
                "forbidden",
                f"Your account is not a member of a scheme {slug!r} (header {SCHEME_HEADER}).",
            ),
        )
    if not memberships:
        raise FhirError(403, Issue("forbidden", "Your account is not a member of any scheme."))
    if len(memberships) > 1:
        slugs = ", ".join(m.scheme.slug for m in memberships)
        raise FhirError(
            400,
            Issue(
                "required",
                f"Your account is in several schemes: name one with the header "
                f"'{SCHEME_HEADER}: <slug>' (yours: {slugs}).",
            ),
        )
    return memberships[0]


def _forbidden(what: str) -> FhirError:
    return FhirError(403, Issue("forbidden", f"Your role in this scheme does not allow {what}."))


@fhir_endpoint("GET")
def metadata(request: HttpRequest):
    return fhir_response(outbound.capability_statement(base_url=_base_url(request)))


def _bundle_response(request, referral: Referral, *, status: int, share_detail: bool = True):
    location = request.build_absolute_uri(reverse("fhir:service_request", args=[referral.pk]))
    return fhir_response(
        outbound.created_bundle(referral, base_url=_base_url(request), share_detail=share_detail),
        status=status,
        headers={"Location": location},
    )


def _repeat(request, membership: Membership, referral: Referral):
    """The same identifier again: the referral already received, if this user may see it."""
    visible = fhir_referrals(membership).filter(pk=referral.pk).first()
    if visible is None:
        raise FhirError(
            409,
            Issue(
                "duplicate",
                "A referral with this identifier was already received from another sender.",
                "ServiceRequest.identifier",
            ),
        )
    log_action(
        membership.user, "fhir.service_request_repeated", visible, ip_address=client_ip(request)
    )
    # Sent again later, its Task may have moved on: shown as a read of it would be.
    return _bundle_response(
        request, visible, status=200, share_detail=_shares_detail(membership, visible)
    )


def _intake_issues(error: ValidationError | ApplicationError, sources: dict) -> list[Issue]:
    if isinstance(error, ApplicationError):
        fields = error.fields or {"": [error.message]}
        code = "business-rule"
    else:
        fields = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        code = "value"
    issues = []
    for name, messages in fields.items():
        for message in messages:
            issues.append(Issue(code, message, sources.get(name)))
    return issues


def _intake(intake: IntakeRequest, user: User, sources: dict) -> Referral:
    try:
        try:
            return referral_intake(intake, by=user)
        except DuplicateSuspected:
            # A machine cannot be asked whether a likely (not certain) match is the same
            # person: keep them apart; staff see the likely matches on the person's record.
            intake.match_choice = "new"
            return referral_intake(intake, by=user)
    except (ValidationError, ApplicationError) as error:
        raise FhirError(422, _intake_issues(error, sources)) from None


@fhir_endpoint("POST")
def service_request_create(request: HttpRequest):
    user = _token_user(request)
    membership = _membership(request, user)
    if not can(membership, Perm.REFERRAL_SEND):
        raise _forbidden("sending referrals")
    if request.content_type not in ACCEPTED_CONTENT_TYPES:
        raise FhirError(
            415,
            Issue(
                "not-supported",
                f"Send the resource as {MEDIA_TYPE} (or application/json), not "
                f"{request.content_type or 'no content type'}.",
            ),
        )
    resource, raw = parse_service_request(request.body)
    external_id = external_id_of(resource)
    existing = fhir_referral_by_identifier(membership=membership, external_id=external_id)
    if existing is not None:
        return _repeat(request, membership, existing)
    intake, sources = intake_from_service_request(resource, raw, membership=membership)
    try:
        referral = _intake(intake, user, sources)
    except (IntegrityError, FhirError):
        # Sent twice at once: the other request stored it first (the identifier's unique
        # constraint said so, when validating or when saving).
        existing = fhir_referral_by_identifier(membership=membership, external_id=external_id)
        if existing is None:
            raise
        return _repeat(request, membership, existing)
    referral = fhir_referral_get(membership=membership, referral_id=referral.pk) or referral
    return _bundle_response(request, referral, status=201)


def _readable(request: HttpRequest, referral_id: str, kind: str) -> tuple[User, Referral]:
    user = _token_user(request)
    membership = _membership(request, user)
    if not may_read(membership):
        raise _forbidden("reading referrals")
    referral = fhir_referral_get(membership=membership, referral_id=referral_id)
    if referral is None:
        raise FhirError(404, Issue("not-found", f"There is no {kind} with this id for you."))
    return user, referral


def _shares_detail(membership: Membership, referral: Referral) -> bool:
    """Whether this reader is shown why a referral moved and what its case reached: the
    scheme's own staff always; a referrer while the person agrees now to share with them."""
    return can(membership, Perm.REFERRAL_TRIAGE) or has_consent(
        referral.person, ConsentScope.SHARE_REFERRER
    )


@fhir_endpoint("GET")
def service_request_read(request: HttpRequest, referral_id: str):
    user, referral = _readable(request, referral_id, "ServiceRequest")
    log_action(user, "fhir.service_request_read", referral, ip_address=client_ip(request))
    return fhir_response(outbound.service_request(referral))


def _connection_task(membership: Membership, connection):
    """An onward referral's Task (linkwell.connections.fhir), its version as the ETag."""
    resource = connection_fhir.task(
        connection, for_provider=connection_fhir.is_provider(membership)
    )
    etag = connection_fhir.etag(resource["meta"]["versionId"])
    return fhir_response(resource, headers={"ETag": etag})


@fhir_endpoint("GET", "PATCH", "PUT")
def task_read(request: HttpRequest, referral_id: str):
    """A referral's Task (its id), or an onward referral's (a connection's id) for the scheme's
    caseload staff and the service's provider; PATCH/PUT: the provider moves the latter."""
    user = _token_user(request)
    membership = _membership(request, user)
    if request.method != "GET":
        return _connection_task_update(request, membership, referral_id)
    referral = may_read(membership) and fhir_referral_get(
        membership=membership, referral_id=referral_id
    )
    if referral:
        log_action(user, "fhir.task_read", referral, ip_address=client_ip(request))
        share = _shares_detail(membership, referral)
        return fhir_response(outbound.task(referral, share_detail=share))
    if connection_fhir.may_read_tasks(membership):
        connection = connection_fhir.fhir_connection_get(
            membership=membership, connection_id=referral_id
        )
        if connection is not None:
            log_action(user, "fhir.connection_task_read", connection, ip_address=client_ip(request))
            return _connection_task(membership, connection)
    if not may_read(membership):
        pk = connection_fhir.as_uuid(referral_id)
        referral_here = Referral.objects.filter(scheme=membership.scheme, pk=pk).exists()
        if referral_here or not connection_fhir.may_read_tasks(membership):
            raise _forbidden("reading referrals")
    raise FhirError(404, Issue("not-found", "There is no Task with this id for you."))


def _connection_task_update(request: HttpRequest, membership: Membership, task_id: str):
    if not connection_fhir.is_provider(membership):
        raise FhirError(
            403,
            Issue(
                "forbidden",
                "Only the service's own staff update a Task here; the team changes an onward "
                "referral on the case's page.",
            ),
        )
    connection = connection_fhir.fhir_connection_get(membership=membership, connection_id=task_id)
    if connection is None:
        raise FhirError(404, Issue("not-found", "There is no Task with this id for you."))
    # If-Match is a precondition: a stale version is 412 before the body is looked at.
    if_match = request.headers.get("If-Match")
    connection_fhir.check_if_match(connection.version, if_match)
    update = connection_fhir.update_from_request(
        request.method, request.content_type, request.body, task_id=task_id
    )
    connection_fhir.task_update(
        connection=connection, update=update, by=membership.user, if_match=if_match
    )
    connection = connection_fhir.fhir_connection_get(membership=membership, connection_id=task_id)
    return _connection_task(membership, connection)


@fhir_endpoint("GET")
def task_search(request: HttpRequest):
    """GET /fhir/Task?focus=ServiceRequest/<id> and/or owner=HealthcareService/<id>: a
    searchset Bundle of the Tasks the caller may read (linkwell.connections.fhir.search)."""
    user = _token_user(request)
    membership = _membership(request, user)
    if not (may_read(membership) or connection_fhir.may_read_tasks(membership)):
        raise _forbidden("reading referrals")
    found = connection_fhir.search(membership, request.GET)
    resources = [
        connection_fhir.task(c, for_provider=connection_fhir.is_provider(membership))
        for c in found.connections
    ]
    referral = None
    if found.focus and found.offset == 0 and may_read(membership):
        referral = fhir_referral_get(membership=membership, referral_id=found.focus)
    if referral is not None:  # the referral's own Task: its focus is the same ServiceRequest
        own = outbound.task(referral, share_detail=_shares_detail(membership, referral))
        if found.wants(own["status"]):
            resources.insert(0, own)
            found.total += 1
    log_action(
        user,
        "fhir.connection_task_search",
        None,
        {
            "tasks": [r["id"] for r in resources],
            "people": sorted(
                {str(c.case.person_id) for c in found.connections}
                | ({str(referral.person_id)} if referral is not None else set())
            ),
        },
        scheme=membership.scheme,
        ip_address=client_ip(request),
    )
    return fhir_response(connection_fhir.searchset(resources, found, base_url=_base_url(request)))


@fhir_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_supported(request: HttpRequest, path: str = ""):
    raise FhirError(
        404,
        Issue(
            "not-supported",
            "This FHIR endpoint supports POST ServiceRequest, GET ServiceRequest/[id], "
            "GET Task/[id], GET Task?focus=, PATCH and PUT Task/[id] and GET metadata.",
        ),
    )
