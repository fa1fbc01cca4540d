"""The directory as Open Referral UK / HSDS 3.0 JSON: what the open feed and the export say.

Each `*_to_hsds` function turns one already-loaded record into the dict HSDS describes. They
never query: load the records with `services_for_hsds` (services, with everything nested) or
`service_at_locations_for_hsds`, which fetch a whole page in a fixed number of queries, and
attach each service's taxonomy terms (HSDS attributes, linked by id rather than by foreign
key) with one query per page.

The shape follows the ORUK 3.0 profile's schemas (`../shared/standards/oruk-3.0/`), which allow
no nulls: an empty optional field is left out, and a required one is always there (an empty
string when the record has none). Dates are ISO dates, times `HH:MM:SS`, `last_modified` UTC
with milliseconds, money a JSON number.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from linkwell.directory.models import (
    Attribute,
    Contact,
    Location,
    Organization,
    Phone,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

HSDS_VERSION = "HSDS 3.0"
ORUK_PROFILE_URL = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
ATTRIBUTES_ATTR = "hsds_attributes"
# Location types and address types HSDS allows; anything else imported is left out.
LOCATION_TYPES = ("physical", "postal", "virtual")

Json = dict[str, Any]


# Loading ------------------------------------------------------------------------------------


class HsdsServiceQuerySet(QuerySet):
    """Services loaded for HSDS: when rows are fetched (all at once, a slice, or in chunks
    through `iterator()`), their taxonomy attributes are attached with one more query."""

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._result_cache and isinstance(self._result_cache[0], Service):
            attach_attributes(self._result_cache)

    def iterator(self, chunk_size: int | None = None):
        size = chunk_size or 2000
        batch: list = []
        for row in super().iterator(chunk_size=size):
            batch.append(row)
            if len(batch) == size:
                yield from _with_attributes(batch)
                batch = []
        yield from _with_attributes(batch)


def _with_attributes(rows: list) -> list:
    if rows and isinstance(rows[0], Service):
        attach_attributes(rows)
    return rows


def services_for_hsds(queryset: QuerySet[Service]) -> QuerySet[Service]:
    """`queryset` with everything `service_to_hsds(..., full=True)` reads loaded alongside:
    a fixed number of queries for a page of services, however long the page."""
    prepared = queryset.select_related("organization", "program").prefetch_related(
        "organization__identifiers",
        "schedules",
        "service_areas",
        "languages",
        "funding",
        "required_documents",
        "cost_options",
        Prefetch("phones", queryset=Phone.objects.order_by("pk").prefetch_related("languages")),
        Prefetch("contacts", queryset=Contact.objects.order_by("pk").prefetch_related("phones")),
        Prefetch(
            "service_at_locations",
            queryset=ServiceAtLocation.objects.select_related("location").order_by("pk"),
        ),
        "service_at_locations__location__addresses",
        "service_at_locations__location__accessibility",
        "service_at_locations__location__phones",
    )
    prepared.__class__ = HsdsServiceQuerySet
    return prepared


def service_at_locations_for_hsds(
    queryset: QuerySet[ServiceAtLocation], *, full: bool = True
) -> QuerySet[ServiceAtLocation]:
    """`queryset` with what `service_at_location_to_hsds(..., full=full)` reads loaded."""
    if not full:
        return queryset.select_related("location", "service__organization", "service__program")
    return queryset.select_related("location").prefetch_related(
        Prefetch("service", queryset=services_for_hsds(Service.objects.all())),
        "location__addresses",
        "location__accessibility",
        "location__phones",
    )


def attach_attributes(services: Iterable[Service]) -> None:
    """Load the taxonomy attributes of `services` in one query and attach them to each."""
    services = list(services)
    if not services:
        return
    by_service: dict[Any, list[Attribute]] = defaultdict(list)
    rows = (
        Attribute.objects.filter(link_entity="service", link_id__in=[s.pk for s in services])
        .select_related("taxonomy_term__taxonomy")
        .order_by("taxonomy_term__name", "pk")
    )
    for attribute in rows:
        by_service[attribute.link_id].append(attribute)
    for service in services:
        setattr(service, ATTRIBUTES_ATTR, by_service.get(service.pk, []))


# Services -----------------------------------------------------------------------------------


def service_to_hsds(service: Service, *, full: bool = True) -> Json:
    """A service as HSDS describes it: fully nested when `full`, else its own fields with its
    organisation and program (the list form). Load it with `services_for_hsds` first."""
    data = _service_fields(service)
    data["organization"] = organization_to_hsds(service.organization, full=full)
    if service.program_id is not None:
        data["program"] = _program(service.program)
    if not full:
        return data
    attributes = getattr(service, ATTRIBUTES_ATTR, None)
    if attributes is None:
        raise ValueError(
            "service_to_hsds(full=True) needs the service loaded through services_for_hsds(), "
            "which attaches its taxonomy attributes without a query per service."
        )
    data["service_at_locations"] = [
        service_at_location_to_hsds(sal, full=True, with_service=False)
        for sal in service.service_at_locations.all()
    ]
    data["schedules"] = [_schedule(s) for s in service.schedules.all()]
    data["service_areas"] = [_service_area(a) for a in service.service_areas.all()]
    data["languages"] = [_language(lang) for lang in service.languages.all()]
    data["phones"] = [_phone(p) for p in service.phones.all()]
    data["contacts"] = [_contact(c) for c in service.contacts.all()]
    data["cost_options"] = [_cost_option(c) for c in service.cost_options.all()]
    data["funding"] = [_funding(f) for f in service.funding.all()]
    data["required_documents"] = [_required_document(d) for d in service.required_documents.all()]
    data["attributes"] = [attribute_to_hsds(a) for a in attributes]
    return data


def service_minimal(service: Service) -> Json:
    """The `minimal=true` form: enough to tell what changed since the last look (id and
    last_modified), plus the name and status the profile requires of every listed service."""
    return {
        "id": str(service.pk),
        "name": service.name,
        "status": service.status,
        "last_modified": _datetime(service.last_modified),
    }


def _service_fields(service: Service) -> Json:
    data: Json = {
        "id": str(service.pk),
        "organization_id": str(service.organization_id),
        "name": service.name,
        "status": service.status,
    }
    _put(data, "program_id", service.program_id)
    for name in (
        "alternate_name",
        "description",
        "url",
        "email",
        "interpretation_services",
        "application_process",
        "fees_description",
        "wait_time",
        "fees",
        "accreditations",
        "eligibility_description",
        "minimum_age",
        "maximum_age",
        "assured_date",
        "assurer_email",
        "licenses",
        "alert",
        "last_modified",
    ):
        _put(data, name, getattr(service, name))
    return data


def _program(program) -> Json:
    data: Json = {
        "id": str(program.pk),
        "organization_id": str(program.organization_id),
        "name": program.name,
    }
    _put(data, "alternate_name", program.alternate_name)
    _put(data, "description", program.description)
    return data


# Organisations ------------------------------------------------------------------------------


def organization_to_hsds(organization: Organization, *, full: bool = False) -> Json:
    """An organisation's own fields; with `full`, its identifiers too (charity or company
    numbers), which `services_for_hsds` loads."""
    data: Json = {
        "id": str(organization.pk),
        "name": organization.name,
        "description": organization.description,
    }
    for name in (
        "alternate_name",
        "email",
        "website",
        "tax_status",
        "tax_id",
        "year_incorporated",
        "legal_status",
        "logo",
        "uri",
        "parent_organization_id",
    ):
        _put(data, name, getattr(organization, name))
    if full:
        data["organization_identifiers"] = [
            {
                "id": str(i.pk),
                "organization_id": str(i.organization_id),
                "identifier_type": i.identifier_type,
                "identifier": i.identifier,
                **({"identifier_scheme": i.identifier_scheme} if i.identifier_scheme else {}),
            }
            for i in organization.identifiers.all()
        ]
    return data


# Places -------------------------------------------------------------------------------------


def service_at_location_to_hsds(
    sal: ServiceAtLocation, *, full: bool = True, with_service: bool = True
) -> Json:
    """A service at one location: the location (with addresses, phones and accessibility when
    `full`) and, unless `with_service` is false (inside a service), the service itself."""
    data: Json = {
        "id": str(sal.pk),
        "service_id": str(sal.service_id),
        "location_id": str(sal.location_id),
    }
    _put(data, "description", sal.description)
    data["location"] = location_to_hsds(sal.location, full=full)
    if with_service:
        data["service"] = service_to_hsds(sal.service, full=full)
    return data


def location_to_hsds(location: Location, *, full: bool = True) -> Json:
    data: Json = {"id": str(location.pk), "location_type": location.location_type}
    for name in (
        "url",
        "organization_id",
        "name",
        "alternate_name",
        "description",
        "transportation",
        "latitude",
        "longitude",
        "external_identifier",
        "external_identifier_type",
    ):
        _put(data, name, getattr(location, name))
    if full:
        data["addresses"] = [_address(a) for a in location.addresses.all()]
        data["phones"] = [_phone(p, languages=False) for p in location.phones.all()]
        data["accessibility"] = [_accessibility(a) for a in location.accessibility.all()]
    return data


def _address(address) -> Json:
    data: Json = {
        "id": str(address.pk),
        "location_id": str(address.location_id),
        "address_1": address.address_1,
        "city": address.city,
        "state_province": address.state_province,
        "postal_code": address.postal_code,
        "country": address.country,
        "address_type": _address_type(address.address_type),
    }
    for name in ("attention", "address_2", "region"):
        _put(data, name, getattr(address, name))
    return data


def _address_type(value: str) -> str:
    value = (value or "").strip().lower()
    return value if value in LOCATION_TYPES else "physical"


def _accessibility(item) -> Json:
    data: Json = {"id": str(item.pk), "location_id": str(item.location_id)}
    for name in ("description", "details", "url"):
        _put(data, name, getattr(item, name))
    return data


# Taxonomy -----------------------------------------------------------------------------------


def taxonomy_to_hsds(taxonomy: Taxonomy, *, terms: Iterable[TaxonomyTerm] | None = None) -> Json:
    """A taxonomy; with `terms`, its terms listed inside it."""
    data: Json = {
        "id": str(taxonomy.pk),
        "name": taxonomy.name,
        "description": taxonomy.description,
    }
    _put(data, "uri", taxonomy.uri)
    _put(data, "version", taxonomy.version)
    if terms is not None:
        data["taxonomy_terms"] = [taxonomy_term_to_hsds(t, detail=False) for t in terms]
    return data


def taxonomy_term_to_hsds(term: TaxonomyTerm, *, detail: bool = True) -> Json:
    """A taxonomy term, with its taxonomy's name and (when `detail`) the taxonomy itself as
    `taxonomy_detail`. Load terms with `select_related("taxonomy")`."""
    data: Json = {"id": str(term.pk), "name": term.name, "description": term.description}
    for name in ("code", "parent_id", "taxonomy_id", "language", "term_uri"):
        _put(data, name, getattr(term, name))
    if term.taxonomy_id is not None:
        data["taxonomy"] = term.taxonomy.name
        if detail:
            data["taxonomy_detail"] = taxonomy_to_hsds(term.taxonomy)
    return data


def attribute_to_hsds(attribute: Attribute) -> Json:
    """A link from a record to a taxonomy term, with the term nested."""
    data: Json = {
        "id": str(attribute.pk),
        "link_id": str(attribute.link_id),
        "link_entity": attribute.link_entity,
        "taxonomy_term_id": str(attribute.taxonomy_term_id),
        "taxonomy_term": taxonomy_term_to_hsds(attribute.taxonomy_term),
    }
    for name in ("link_type", "value", "label"):
        _put(data, name, getattr(attribute, name))
    return data


# The smaller records ------------------------------------------------------------------------


def _schedule(schedule) -> Json:
    data: Json = {"id": str(schedule.pk)}
    for name in (
        "service_id",
        "location_id",
        "service_at_location_id",
        "valid_from",
        "valid_to",
        "dtstart",
        "until",
        "count",
        "wkst",
        "freq",
        "interval",
        "byday",
        "byweekno",
        "bymonthday",
        "byyearday",
        "description",
        "opens_at",
        "closes_at",
        "schedule_link",
        "attending_type",
        "notes",
    ):
        _put(data, name, getattr(schedule, name))
    # HSDS gives the time zone as a number (an offset from UTC); a zone name cannot be sent.
    offset = _number(schedule.timezone)
    if offset is not None:
        data["timezone"] = offset
    return data


def _service_area(area) -> Json:
    data: Json = {"id": str(area.pk), "service_id": str(area.service_id)}
    for name in ("name", "description", "extent", "extent_type", "uri"):
        _put(data, name, getattr(area, name))
    return data


def _language(language) -> Json:
    data: Json = {"id": str(language.pk)}
    for name in ("service_id", "location_id", "phone_id", "name", "code", "note"):
        _put(data, name, getattr(language, name))
    return data


def _phone(phone, *, languages: bool = True) -> Json:
    data: Json = {"id": str(phone.pk), "number": phone.number}
    for name in (
        "service_id",
        "location_id",
        "organization_id",
        "contact_id",
        "service_at_location_id",
        "type",
        "description",
    ):
        _put(data, name, getattr(phone, name))
    # HSDS gives the extension as a number; "ext. 4" and the like stay in the description.
    extension = _number(phone.extension)
    if extension is not None:
        data["extension"] = extension
    if languages:
        data["languages"] = [_language(lang) for lang in phone.languages.all()]
    return data


def _contact(contact) -> Json:
    data: Json = {"id": str(contact.pk)}
    for name in (
        "organization_id",
        "service_id",
        "service_at_location_id",
        "location_id",
        "name",
        "title",
        "department",
        "email",
    ):
        _put(data, name, getattr(contact, name))
    data["phones"] = [_phone(p, languages=False) for p in contact.phones.all()]
    return data


def _cost_option(option) -> Json:
    data: Json = {"id": str(option.pk), "service_id": str(option.service_id)}
    for name in ("valid_from", "valid_to", "option", "currency", "amount", "amount_description"):
        _put(data, name, getattr(option, name))
    return data


def _funding(funding) -> Json:
    data: Json = {"id": str(funding.pk), "source": funding.source}
    _put(data, "organization_id", funding.organization_id)
    _put(data, "service_id", funding.service_id)
    return data


def _required_document(document) -> Json:
    data: Json = {"id": str(document.pk), "service_id": str(document.service_id)}
    _put(data, "document", document.document)
    _put(data, "uri", document.uri)
    return data


# Values -------------------------------------------------------------------------------------


def _put(data: Json, name: str, value: Any) -> None:
    """Set `name` to `value` as JSON, leaving it out when it is empty (None or "")."""
    if value is None or value == "":
        return
    data[name] = _json_value(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)  # UUIDs


def _datetime(value: datetime) -> str:
    """UTC with milliseconds, as HSDS asks of last_modified: 2023-03-15T10:30:45.123Z."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(text: str) -> int | float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number
