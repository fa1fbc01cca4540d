"""Exporting the directory as Open Referral UK / HSDS 3.0 data.

Two forms, both readable by `import_directory`:

- **HSDS JSON**: an array of full services as the open feed shows them (`service_to_hsds`), each
  with its organisation, locations, schedules, costs and taxonomy terms nested.
- **Tabular data package**: a folder with `datapackage.json` and one CSV file per HSDS table,
  with the columns (and column order) of the published HSDS 3.0 examples. This form holds every
  record, including those the nested JSON has no place for (a location's own schedules, an
  organisation's phones).

With `linkwell_fields`, each service also carries Linkwell's own fields (how people take part,
capacity, cost type …): in the JSON as a `linkwell` object, in the package as an extra table,
`linkwell_services.csv`. Other HSDS readers ignore both; a Linkwell import reads them.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from linkwell.directory import models as directory
from linkwell.directory.importer.tables import (
    LINKWELL_SERVICE_FIELDS,
    LINKWELL_TABLE,
    TABLES,
    UNKEPT_TABLES,
    WRITE_ORDER,
    Table,
)

CHUNK = 500
_FEED_STATUSES = (directory.ServiceStatus.ACTIVE, directory.ServiceStatus.TEMPORARILY_CLOSED)

# Columns that are not a field of the table's own model: where their values come from.
_COLUMN_PATHS = {("taxonomy_terms", "taxonomy"): "taxonomy__name"}


def services_to_export(*, public_only: bool = False) -> QuerySet[directory.Service]:
    """The services an export holds: all of them, or (with `public_only`) those the open
    feed lists (public, and active or temporarily closed)."""
    services = directory.Service.objects.all()
    if public_only:
        services = services.filter(is_public=True, status__in=_FEED_STATUSES)
    return services.order_by("pk")


def export_hsds_json(
    *,
    out: IO[str],
    services: QuerySet[directory.Service],
    linkwell_fields: bool = False,
) -> int:
    """Write `services` to `out` as a JSON array of full HSDS services; return how many."""
    from linkwell.directory.hsds import service_to_hsds, services_for_hsds

    count = 0
    out.write("[")
    ids = list(services.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = directory.Service.objects.filter(pk__in=ids[start : start + CHUNK])
        for service in services_for_hsds(chunk.order_by("pk")):
            data = service_to_hsds(service, full=True)
            if linkwell_fields:
                data["linkwell"] = {
                    name: _json_value(getattr(service, name)) for name in LINKWELL_SERVICE_FIELDS
                }
            out.write(",\n" if count else "\n")
            out.write(json.dumps(data, ensure_ascii=False))
            count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def export_datapackage(
    *,
    folder: Path,
    services: QuerySet[directory.Service] | None = None,
    linkwell_fields: bool = False,
) -> dict[str, int]:
    """Write the directory (or `services` and what they need) to `folder` as an HSDS tabular
    data package; return the number of rows written per table."""
    folder.mkdir(parents=True, exist_ok=True)
    selections = _selections(services)
    counts: dict[str, int] = {}
    resources = []
    for name in WRITE_ORDER:
        table = TABLES[name]
        counts[name] = _write_csv(
            folder / table.filename, table.columns, _rows(table, selections[name])
        )
        resources.append(_resource(table))
    for name, columns in UNKEPT_TABLES.items():
        counts[name] = _write_csv(folder / f"{name}.csv", columns, ())
        resources.append(_plain_resource(name, columns))
    if linkwell_fields:
        columns = ("id", *LINKWELL_SERVICE_FIELDS)
        rows = selections["services"].order_by("pk").values_list(*columns)
        counts[LINKWELL_TABLE] = _write_csv(
            folder / f"{LINKWELL_TABLE}.csv", columns, rows.iterator(chunk_size=2000)
        )
        resource = _plain_resource(LINKWELL_TABLE, columns, model=directory.Service)
        resource["description"] = "Linkwell's own fields for each service (not part of HSDS)."
        resources.append(resource)
    descriptor = {
        "profile": "tabular-data-package",
        "name": "linkwell-directory",
        "title": "Community directory exported from Linkwell",
        "description": "Open Referral UK / HSDS 3.0 tabular data.",
        "created": timezone.now().isoformat(timespec="seconds"),
        "resources": resources,
    }
    _replace(folder / "datapackage.json", json.dumps(descriptor, indent=2) + "\n")
    return counts


# --- which rows -------------------------------------------------------------------------------


def _selections(services: QuerySet[directory.Service] | None) -> dict[str, QuerySet]:
    """For each table, the rows the package holds: everything, or what `services` need."""
    if services is None:
        return {name: TABLES[name].model.objects.all() for name in WRITE_ORDER}
    d = directory
    service_ids = services.values("pk")
    organizations = d.Organization.objects.filter(pk__in=services.values("organization_id"))
    org_ids = organizations.values("pk")
    sals = d.ServiceAtLocation.objects.filter(service_id__in=service_ids)
    sal_ids = sals.values("pk")
    locations = d.Location.objects.filter(
        Q(pk__in=sals.values("location_id")) | Q(organization_id__in=org_ids)
    )
    location_ids = locations.values("pk")
    contacts = d.Contact.objects.filter(
        Q(service_id__in=service_ids)
        | Q(organization_id__in=org_ids)
        | Q(location_id__in=location_ids)
        | Q(service_at_location_id__in=sal_ids)
    )
    phones = d.Phone.objects.filter(
        Q(service_id__in=service_ids)
        | Q(organization_id__in=org_ids)
        | Q(location_id__in=location_ids)
        | Q(service_at_location_id__in=sal_ids)
        | Q(contact_id__in=contacts.values("pk"))
    )
    programs = d.Program.objects.filter(
        Q(pk__in=services.values("program_id")) | Q(organization_id__in=org_ids)
    )
    linked = {
        "service": service_ids,
        "organization": org_ids,
        "location": location_ids,
        "service_at_location": sal_ids,
        "contact": contacts.values("pk"),
        "phone": phones.values("pk"),
        "program": programs.values("pk"),
    }
    attribute_filter = Q(pk__in=[])
    for entity, ids in linked.items():
        attribute_filter |= Q(link_entity=entity, link_id__in=ids)
    attributes = d.Attribute.objects.filter(attribute_filter)
    term_ids = set(attributes.values_list("taxonomy_term_id", flat=True))
    frontier = set(term_ids)
    while frontier:  # the terms' ancestors, so that each term's parent_id points somewhere
        parents = set(
            d.TaxonomyTerm.objects.filter(pk__in=frontier, parent__isnull=False).values_list(
                "parent_id", flat=True
            )
        )
        frontier = parents - term_ids
        term_ids |= parents
    terms = d.TaxonomyTerm.objects.filter(pk__in=term_ids)
    return {
        "taxonomies": d.Taxonomy.objects.filter(pk__in=terms.values("taxonomy_id")),
        "taxonomy_terms": terms,
        "organizations": organizations,
        "organization_identifiers": d.OrganizationIdentifier.objects.filter(
            organization_id__in=org_ids
        ),
        "programs": programs,
        "locations": locations,
        "addresses": d.Address.objects.filter(location_id__in=location_ids),
        "accessibility": d.Accessibility.objects.filter(location_id__in=location_ids),
        "services": services,
        "service_at_location": sals,
        "contacts": contacts,
        "phones": phones,
        "schedules": d.Schedule.objects.filter(
            Q(service_id__in=service_ids)
            | Q(location_id__in=location_ids)
            | Q(service_at_location_id__in=sal_ids)
        ),
        "cost_options": d.CostOption.objects.filter(service_id__in=service_ids),
        "service_areas": d.ServiceArea.objects.filter(service_id__in=service_ids),
        "languages": d.Language.objects.filter(
            Q(service_id__in=service_ids)
            | Q(location_id__in=location_ids)
            | Q(phone_id__in=phones.values("pk"))
        ),
        "funding": d.Funding.objects.filter(
            Q(service_id__in=service_ids) | Q(organization_id__in=org_ids)
        ),
        "required_documents": d.RequiredDocument.objects.filter(service_id__in=service_ids),
        "attributes": attributes,
    }


def _rows(table: Table, queryset: QuerySet) -> Iterator[tuple]:
    paths = [
        _COLUMN_PATHS.get((table.name, column), _attname(table, column)) for column in table.columns
    ]
    return queryset.order_by("pk").values_list(*paths).iterator(chunk_size=2000)


def _attname(table: Table, column: str) -> str:
    link = table.link(column)
    return link.attname if link else table.model._meta.get_field(column).attname


# --- writing ----------------------------------------------------------------------------------


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        value = value.astimezone(datetime.UTC)
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    return value


def _write_csv(path: Path, columns: Iterable[str], rows: Iterable[tuple]) -> int:
    count = 0
    temporary = path.with_name(path.name + ".part")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])
            count += 1
    os.replace(temporary, path)
    return count


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _field_type(model_field: models.Field | None) -> dict[str, str]:
    if model_field is None:
        return {"type": "string"}
    if model_field.is_relation or isinstance(model_field, models.UUIDField):
        return {"type": "string", "format": "uuid"}
    if isinstance(model_field, models.BooleanField):
        return {"type": "boolean"}
    if isinstance(model_field, models.IntegerField):
        return {"type": "integer"}
    if isinstance(model_field, models.FloatField | models.DecimalField):
        return {"type": "number"}
    if isinstance(model_field, models.DateTimeField):
        return {"type": "datetime"}
    if isinstance(model_field, models.DateField):
        return {"type": "date"}
    if isinstance(model_field, models.TimeField):
        return {"type": "time"}
    if isinstance(model_field, models.EmailField):
        return {"type": "string", "format": "email"}
    if isinstance(model_field, models.URLField):
        return {"type": "string", "format": "uri"}
    return {"type": "string"}


def _model_field(model: type[models.Model], column: str) -> models.Field | None:
    try:
        return model._meta.get_field(column)  # by name or attname (organization_id)
    except FieldDoesNotExist:
        return None  # a column of another table's (a term's taxonomy name)


def _resource(table: Table) -> dict:
    resource = _plain_resource(table.name, table.columns, model=table.model)
    resource["path"] = table.filename
    foreign_keys = [
        {"fields": link.column, "reference": {"resource": link.target, "fields": "id"}}
        for link in table.links
    ]
    if foreign_keys:
        resource["schema"]["foreignKeys"] = foreign_keys
    return resource


def _plain_resource(name: str, columns: Iterable[str], *, model=None) -> dict:
    fields = []
    for column in columns:
        model_field = _model_field(model, column) if model is not None else None
        fields.append({"name": column, **_field_type(model_field)})
    return {
        "name": name,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {"fields": fields, "primaryKey": "id"},
    }
