"""The open Open Referral UK feed at /oruk/: the public directory, read-only, for anyone.

Other directories, councils' portals and apps read Linkwell's public listings here in the UK's
open standard (ORUK 3.0, the UK profile of HSDS 3.0). No key is needed and every answer carries
`Access-Control-Allow-Origin: *`, as the profile requires. Only services that are active or
temporarily closed, and marked public, are listed; any other answers 404.

Lists use the profile's paged envelope; filters combine with AND. Errors answer
`{"code": ..., "message": ..., "fields": {...}}` like /api/v1.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, time
from functools import wraps
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, reverse
from ninja import Field, NinjaAPI, Query, Redoc, Schema
from ninja.errors import HttpError, ValidationError
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from linkwell.core.errors import ApplicationError
from linkwell.directory import hsds, search
from linkwell.directory.models import ServiceAtLocation, Taxonomy, TaxonomyTerm

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PROXIMITY_M = 200_000
ALLOWED_METHODS = "GET, OPTIONS"


class OpenFeedAPI(NinjaAPI):
    """A NinjaAPI whose every URL answers CORS preflights and allows any origin, and refuses
    anything but reading with the error envelope."""

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        return [_open_to_every_origin(p) for p in patterns], app_name, namespace


oruk_api = OpenFeedAPI(
    title="Linkwell Open Referral UK API",
    version="HSDS-UK-3.0",
    description=(
        "The public community directory in the Open Referral UK 3.0 standard (the UK profile of "
        "HSDS 3.0). Read-only; no key needed; CORS open to every origin. Lists are paged "
        "(`page`, `per_page` up to 200) and their filters combine with AND. "
        "Errors answer {code, message, fields}."
    ),
    urls_namespace="oruk",
    docs=Redoc(
        settings={"theme": {"colors": {"responses": {"error": {"tabTextColor": "#ff8a80"}}}}}
    ),
)


# CORS and methods ---------------------------------------------------------------------------


def _open_to_every_origin(pattern: URLPattern) -> URLPattern:
    view = pattern.callback

    @wraps(view)
    def open_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            asked = request.headers.get("Access-Control-Request-Headers")
            response["Access-Control-Allow-Headers"] = asked or "Accept, Content-Type"
            response["Access-Control-Max-Age"] = "86400"
        elif request.method != "GET":
            response = JsonResponse(
                {
                    "code": "method_not_allowed",
                    "message": "The Open Referral UK API is read-only: use GET.",
                    "fields": {},
                },
                status=405,
            )
            response["Allow"] = ALLOWED_METHODS
        else:
            response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return URLPattern(pattern.pattern, open_view, pattern.default_args, pattern.name)


# Errors -------------------------------------------------------------------------------------


def _error(request, status: int, code: str, message: str, fields=None):
    body = {"code": code, "message": message, "fields": fields or {}}
    return oruk_api.create_response(request, body, status=status)


def _invalid(field: str, message: str) -> ApplicationError:
    error = ApplicationError(
        "validation_error", "The request is not valid.", fields={field: [message]}
    )
    error.status = 422
    return error


@oruk_api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", []) if p not in ("query", "path", "filters")]
        fields.setdefault(".".join(loc) or "__all__", []).append(error.get("msg", "Invalid"))
    return _error(request, 422, "validation_error", "The request is not valid.", fields)


@oruk_api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", "Not found.")


@oruk_api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "error"
    )
    return _error(request, exc.status_code, code, str(exc))


@oruk_api.exception_handler(ApplicationError)
def _application_error(request, exc: ApplicationError):
    return _error(request, exc.status, exc.code, exc.message, exc.fields)


@oruk_api.exception_handler(DjangoValidationError)
def _django_validation_error(request, exc: DjangoValidationError):
    return _error(
        request,
        400,
        "validation_error",
        "The request is not valid.",
        {"__all__": list(exc.messages)},
    )


# Query parameters ---------------------------------------------------------------------------


class Paging(Schema):
    page: int = Field(1, ge=1, description="Page number, from 1.")
    per_page: int = Field(
        DEFAULT_PER_PAGE,
        ge=1,
        le=MAX_PER_PAGE,
        description=f"Results per page, 1 to {MAX_PER_PAGE}.",
    )


class ServiceFilters(Paging):
    search: str = Field(
        "", max_length=200, description="Words in the service's or provider's name or description."
    )
    taxonomy_term_id: str = Field(
        "", description="A taxonomy term's id (several, comma-separated: any of them)."
    )
    taxonomy_id: UUID | None = Field(None, description="Services with any term of this taxonomy.")
    organization_id: UUID | None = Field(None, description="Services this organisation provides.")
    modified_after: datetime | None = Field(
        None, description="Changed on or after this date and time (ISO 8601; UTC if no offset)."
    )
    minimum_age: int | None = Field(
        None,
        ge=0,
        le=130,
        description="Youngest age to be supported: the service's range covers it.",
    )
    maximum_age: int | None = Field(
        None, ge=0, le=130, description="Oldest age to be supported: the service's range covers it."
    )
    day: str = Field("", description="Runs on this day: MO, TU, WE, TH, FR, SA or SU.")
    start_time: time | None = Field(None, description="Runs after this time (HH:MM).")
    end_time: time | None = Field(None, description="Runs before this time (HH:MM).")
    full: bool = Field(False, description="Fully nested records.")

    @field_validator("day")
    @classmethod
    def _day(cls, value: str) -> str:
        value = value.strip().upper()
        if value and value not in search.DAYS:
            raise PydanticCustomError("day", "Use a two-letter day: MO, TU, WE, TH, FR, SA or SU.")
        return value

    @field_validator("taxonomy_term_id")
    @classmethod
    def _term_ids(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    UUID(part.strip())
                except ValueError:
                    raise PydanticCustomError(
                        "uuid", "Use taxonomy term ids (UUIDs), separated by commas."
                    ) from None
        return value

    def to_query(self, **extra) -> search.ServiceQuery:
        if (
            self.minimum_age is not None
            and self.maximum_age is not None
            and self.minimum_age > self.maximum_age
        ):
            raise _invalid("minimum_age", "minimum_age must not be more than maximum_age.")
        if self.start_time and self.end_time and self.start_time > self.end_time:
            raise _invalid("start_time", "start_time must not be after end_time.")
        modified_after = self.modified_after
        if modified_after is not None and modified_after.tzinfo is None:
            modified_after = modified_after.replace(tzinfo=UTC)
        return search.ServiceQuery(
            text=self.search.strip(),
            taxonomy_term_ids=tuple(
                UUID(p.strip()) for p in self.taxonomy_term_id.split(",") if p.strip()
            ),
            taxonomy_id=self.taxonomy_id,
            organization_id=self.organization_id,
            modified_after=modified_after,
            minimum_age=self.minimum_age,
            maximum_age=self.maximum_age,
            day=self.day or None,
            start_time=self.start_time,
            end_time=self.end_time,
            **extra,
        )


class ServiceListFilters(ServiceFilters):
    minimal: bool = Field(
        False, description="Only each service's id, name, status and last_modified."
    )


class PlaceFilters(ServiceFilters):
    postcode: str = Field("", max_length=64, description="Nearest to this UK postcode first.")
    proximity: int | None = Field(
        None, ge=1, le=MAX_PROXIMITY_M, description="With a postcode: within this many metres."
    )


class TaxonomyFilters(Paging):
    search: str = Field("", max_length=200, description="Words in the taxonomy's name.")


class TermFilters(Paging):
    search: str = Field("", max_length=200, description="Words in the term's name or code.")
    taxonomy_id: UUID | None = Field(None, description="Terms of this taxonomy.")
    parent_id: UUID | None = Field(None, description="Terms directly under this term.")
    top_only: bool = Field(False, description="Only terms at the top of their tree (no parent).")


# Paging -------------------------------------------------------------------------------------


def _page(rows: QuerySet, paging: Paging, serialise, *, prepare=None) -> dict:
    """The ORUK paged envelope for one page of `rows`: a count, then the page itself."""
    total = rows.count()
    start = (paging.page - 1) * paging.per_page
    on_page = rows[start : start + paging.per_page] if start < total else rows.none()
    if prepare is not None:
        on_page = prepare(on_page)
    contents = [serialise(row) for row in on_page]
    total_pages = math.ceil(total / paging.per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": paging.page,
        "size": len(contents),
        "first_page": paging.page == 1,
        "last_page": paging.page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


# Endpoints ----------------------------------------------------------------------------------


@oruk_api.get("/", summary="About this API: HSDS version, profile, OpenAPI", tags=["about"])
def api_details(request):
    return {
        "version": "HSDS-UK-3.0",
        "profile": hsds.ORUK_PROFILE_URL,
        "openapi_url": request.build_absolute_uri(reverse("oruk:openapi-json")),
    }


@oruk_api.get("/services", summary="Services, paged, with filters", tags=["services"])
def service_list(request, filters: Query[ServiceListFilters]):
    services = search.public_services(filters.to_query())
    if filters.minimal:
        return _page(
            services.only("id", "name", "status", "last_modified"), filters, hsds.service_minimal
        )
    if filters.full:
        return _page(services, filters, hsds.service_to_hsds, prepare=hsds.services_for_hsds)
    return _page(
        services.select_related("organization", "program"),
        filters,
        lambda s: hsds.service_to_hsds(s, full=False),
    )


@oruk_api.get("/services/{service_id}", summary="One service, fully nested", tags=["services"])
def service_detail(request, service_id: UUID):
    service = hsds.services_for_hsds(search.public_services().filter(pk=service_id)).first()
    if service is None:
        raise Http404
    return hsds.service_to_hsds(service)


@oruk_api.get("/taxonomies", summary="Taxonomies, paged", tags=["taxonomies"])
def taxonomy_list(request, filters: Query[TaxonomyFilters]):
    taxonomies = Taxonomy.objects.order_by("name", "pk")
    for word in filters.search.split():
        taxonomies = taxonomies.filter(name__icontains=word)
    return _page(taxonomies, filters, hsds.taxonomy_to_hsds)


@oruk_api.get(
    "/taxonomies/{taxonomy_id}", summary="One taxonomy, with its terms", tags=["taxonomies"]
)
def taxonomy_detail(request, taxonomy_id: UUID):
    taxonomy = get_object_or_404(Taxonomy, pk=taxonomy_id)
    terms = TaxonomyTerm.objects.filter(taxonomy=taxonomy, scheme__isnull=True).order_by(
        "name", "pk"
    )
    return hsds.taxonomy_to_hsds(taxonomy, terms=terms)


@oruk_api.get("/taxonomy_terms", summary="Taxonomy terms, paged, with filters", tags=["taxonomies"])
def taxonomy_term_list(request, filters: Query[TermFilters]):
    # A scheme's own terms are its own business: the open feed lists the shared ones.
    terms = (
        TaxonomyTerm.objects.filter(scheme__isnull=True)
        .select_related("taxonomy")
        .order_by("taxonomy__name", "name", "pk")
    )
    for word in filters.search.split():
        terms = terms.filter(Q(name__icontains=word) | Q(code__icontains=word))
    if filters.taxonomy_id is not None:
        terms = terms.filter(taxonomy_id=filters.taxonomy_id)
    if filters.parent_id is not None:
        terms = terms.filter(parent_id=filters.parent_id)
    if filters.top_only:
        terms = terms.filter(parent__isnull=True)
    return _page(terms, filters, hsds.taxonomy_term_to_hsds)


@oruk_api.get("/taxonomy_terms/{term_id}", summary="One taxonomy term", tags=["taxonomies"])
def taxonomy_term_detail(request, term_id: UUID):
    term = get_object_or_404(
        TaxonomyTerm.objects.filter(scheme__isnull=True).select_related("taxonomy"), pk=term_id
    )
    return hsds.taxonomy_term_to_hsds(term)


@oruk_api.get(
    "/service_at_locations",
    summary="Services at their locations, paged; nearest a postcode first",
    tags=["services"],
)
def service_at_location_list(request, filters: Query[PlaceFilters]):
    extra = {}
    if filters.postcode.strip():
        point = _postcode_point(filters.postcode)
        extra = {
            "latitude": point.latitude,
            "longitude": point.longitude,
            "proximity_m": filters.proximity,
        }
    elif filters.proximity is not None:
        raise _invalid("proximity", "proximity needs a postcode to measure from.")
    places = search.public_service_at_locations(filters.to_query(**extra))
    return _page(
        places,
        filters,
        lambda sal: hsds.service_at_location_to_hsds(sal, full=filters.full),
        prepare=lambda rows: hsds.service_at_locations_for_hsds(rows, full=filters.full),
    )


@oruk_api.get(
    "/service_at_locations/{sal_id}",
    summary="One service at one location, fully nested",
    tags=["services"],
)
def service_at_location_detail(request, sal_id: UUID):
    listed = search.public_services().order_by()
    places = ServiceAtLocation.objects.filter(
        Exists(listed.filter(pk=OuterRef("service_id"))), pk=sal_id
    )
    place = hsds.service_at_locations_for_hsds(places).first()
    if place is None:
        raise Http404
    return hsds.service_at_location_to_hsds(place)


def _postcode_point(postcode: str):
    """The point a postcode names, or a PostcodeError (400, or 503 when the lookup service is
    down) that the error envelope carries to the client."""
    from linkwell.geo import lookup_postcode

    return lookup_postcode(postcode)
