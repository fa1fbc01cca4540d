"""The JSON API at /api/v1/: composes each app's router, with one error envelope.

Every error answers `{"code": ..., "message": ..., "fields": {...}}` with its HTTP status.
Authentication: a personal token (`Authorization: Bearer lw_...`) or the browser session.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI, Redoc
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from linkwell.core.api import router as core_router
from linkwell.core.api_auth import PersonalToken, VerifiedSession
from linkwell.core.errors import ApplicationError
from linkwell.matching.api import router as matching_router

api = NinjaAPI(
    title="Linkwell API",
    version="1",
    description=(
        "Social prescribing: schemes, referrals, casework, the community directory. "
        "Errors answer {code, message, fields}."
    ),
    auth=[PersonalToken(), VerifiedSession()],
    urls_namespace="api",
    # Redoc, with the error colour on its dark sample panel lightened to meet WCAG AA contrast.
    docs=Redoc(
        settings={"theme": {"colors": {"responses": {"error": {"tabTextColor": "#ff8a80"}}}}}
    ),
)


def _error(request, status: int, code: str, message: str, fields=None):
    return api.create_response(
        request, {"code": code, "message": message, "fields": fields or {}}, status=status
    )


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", []) if part not in ("body", "payload")]
        fields.setdefault(".".join(loc) or "__all__", []).append(error.get("msg", "Invalid"))
    return _error(request, 422, "validation_error", "The request is not valid.", fields)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(
        request, 401, "unauthenticated", "Sign in, or send a valid token as 'Bearer <token>'."
    )


@api.exception_handler(AuthorizationError)
@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, "forbidden", str(exc) or "Your role does not allow this.")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", "Not found.")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code = {
        400: "bad_request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        429: "throttled",
    }.get(exc.status_code, "error")
    return _error(request, exc.status_code, code, str(exc))


@api.exception_handler(ApplicationError)
def _application_error(request, exc: ApplicationError):
    return _error(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    else:
        fields = {"__all__": list(exc.messages)}
    return _error(request, 400, "validation_error", "The data is not valid.", fields)


api.add_router("/", core_router)
api.add_router("/", matching_router)
