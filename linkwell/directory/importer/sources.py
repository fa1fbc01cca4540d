"""Where a directory import reads from: an HSDS JSON file, an HSDS tabular data package (a folder
of CSV files, or the same tables as JSON), or an Open Referral UK / HSDS API.

Each source yields units (see `units.py`) in an order that puts what a record points at first:
taxonomies, terms, organisations, locations, services, then services at locations. `FLUSH` marks
a point where everything before must be written before what follows is checked.
"""

from __future__ import annotations

import contextlib
import csv
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from linkwell.directory.importer.report import ImportReport, ImportSourceError
from linkwell.directory.importer.tables import (
    LINK_ENTITIES,
    LINKWELL_TABLE,
    TABLES,
    UNKEPT_TABLES,
)
from linkwell.directory.importer.units import Unit, UnitBuilder
from linkwell.directory.importer.values import BadValue, describe, read_uuid

FLUSH = object()

# The order top-level records are imported in.
KIND_ORDER = (
    "taxonomies",
    "taxonomy_terms",
    "organizations",
    "programs",
    "locations",
    "services",
    "service_at_location",
)

API_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
API_RETRIES = 2  # further tries of a page after a timeout or a 502/503/504
API_MAX_PAGES = 100_000


class Source:
    """A readable source of directory records."""

    label: str = ""
    total: int | None = None  # top-level records, when known
    nested: bool = True  # records come nested (JSON), so shared ones repeat

    def __init__(self) -> None:
        self.notes: list[str] = []

    def units(self, report: ImportReport) -> Iterator[Unit | object]:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the source holds open."""


def open_source(source: str | Path) -> Source:
    """Open `source` for reading, or raise `ImportSourceError` saying why it cannot be read."""
    text = str(source)
    if text.lower().startswith(("http://", "https://")):
        return ApiSource(text)
    path = Path(text)
    if not path.exists():
        raise ImportSourceError(f"{path} does not exist.")
    if path.is_dir():
        return TabularSource.from_folder(path)
    return JsonSource(path)


# --- recognising records by their shape -------------------------------------------------------

_SERVICE_KEYS = {
    "status",
    "service_at_locations",
    "cost_options",
    "eligibility_description",
    "service_areas",
    "required_documents",
    "program",
    "program_id",
    "fees_description",
    "application_process",
    "interpretation_services",
    "minimum_age",
    "maximum_age",
    "assured_date",
    "accreditations",
    "licenses",
    "wait_time",
}
_LOCATION_KEYS = {"location_type", "latitude", "longitude", "addresses", "accessibility"}
_LOCATION_KEYS |= {"transportation", "external_identifier"}
_ORGANIZATION_KEYS = {
    "organization_identifiers",
    "tax_status",
    "tax_id",
    "year_incorporated",
    "legal_status",
    "parent_organization_id",
    "website",
    "logo",
    "programs",
    "locations",
    "services",
}
_TERM_KEYS = {"code", "parent_id", "taxonomy_id", "taxonomy_detail", "term_uri"}


def kind_of(item: dict) -> str | None:
    """The HSDS table a record belongs to, judged by its shape; "api_details" for an API's
    `GET /` answer; None when it is none of these."""
    keys = set(item)
    if "openapi_url" in keys or ({"version", "profile"} <= keys and "id" not in keys):
        return "api_details"
    if (
        isinstance(item.get("service"), dict)
        or isinstance(item.get("location"), dict)
        or ({"service_id", "location_id"} <= keys and "name" not in keys)
    ):
        return "service_at_location"
    if keys & _SERVICE_KEYS or isinstance(item.get("organization"), dict):
        return "services"
    if keys & _LOCATION_KEYS:
        return "locations"
    if keys & _ORGANIZATION_KEYS:
        return "organizations"
    if keys & _TERM_KEYS:
        return "taxonomy_terms"
    if keys <= {"id", "name", "description", "uri", "version"} and keys & {"uri", "version"}:
        return "taxonomies"
    if "name" in keys:
        return "services"
    return None


def _units_of_records(items: list[Any], where_of, notes: list[str], label: str):
    """Units for a list of nested records, grouped in `KIND_ORDER`."""
    grouped: dict[str, list[Unit]] = defaultdict(list)
    api_details = 0
    for index, item in enumerate(items):
        where = where_of(index)
        if not isinstance(item, dict):
            unit = Unit(TABLES["services"], None, f"record {index + 1}", where)
            unit.problems.append(f"expected an HSDS record (an object), got {describe(item)}")
            grouped["services"].append(unit)
            continue
        kind = kind_of(item)
        if kind == "api_details":
            api_details += 1
            continue
        if kind is None:
            unit = Unit(TABLES["services"], None, str(item.get("id", f"record {index + 1}")), where)
            unit.problems.append("not an HSDS record this import knows (it has no name)")
            grouped["services"].append(unit)
            continue
        for unit in units_of_record(kind, item, where):
            grouped[unit.table.name].append(unit)
    if api_details:
        notes.append(
            f"{label} holds an Open Referral API's details (version, profile, openapi_url), "
            "not directory records."
        )
    for kind in KIND_ORDER:
        if grouped.get(kind):
            yield from grouped[kind]
            yield FLUSH


def units_of_record(kind: str, item: dict, where: str) -> list[Unit]:
    """The unit for one nested record (and, for an organisation, one per service in it)."""
    table = TABLES[kind]
    body = item
    nested_services = None
    if kind == "organizations" and "services" in item:
        body = {k: v for k, v in item.items() if k != "services"}
        nested_services = item["services"]
    unit = Unit(table, None, str(item.get("id", "?")), where)
    unit.id = UnitBuilder(unit).take(table, body)
    units = [unit]
    if nested_services is not None:
        if not isinstance(nested_services, list):
            unit.problems.append(f"services: expected a list, got {describe(nested_services)}")
            return units
        for index, service in enumerate(nested_services):
            service_where = f"{where}, services[{index}]"
            service_unit = Unit(TABLES["services"], None, "?", service_where)
            if isinstance(service, dict):
                service_unit.label = str(service.get("id", "?"))
            implied = {"organization_id": unit.id} if unit.id else None
            builder = UnitBuilder(service_unit)
            service_unit.id = builder.take(TABLES["services"], service, implied=implied)
            units.append(service_unit)
    return units


# --- JSON files -------------------------------------------------------------------------------


def load_json(raw: bytes, label: str) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportSourceError(
            f"{label} is not UTF-8 text (a bad byte at position {error.start})."
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportSourceError(
            f"{label} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None


class JsonSource(Source):
    """An HSDS JSON file: one record, a paged list envelope ({"contents": [...]}), an array of
    records, or the tabular tables as JSON ({"services.csv": [...], ...})."""

    def __init__(self, path: Path):
        super().__init__()
        self.label = path.name
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise ImportSourceError(f"{path} could not be read: {error.strerror}.") from None
        document = load_json(raw, path.name)
        self.tabular: TabularSource | None = None
        if (
            isinstance(document, dict)
            and document
            and all(isinstance(k, str) and k.endswith(".csv") for k in document)
        ):
            self.tabular = TabularSource.from_json(document, path.name)
            self.nested = False
            self.total = self.tabular.total
            self.notes = self.tabular.notes
            return
        if isinstance(document, dict) and "contents" in document:
            items = document["contents"]
            if not isinstance(items, list):
                raise ImportSourceError(
                    f"{path.name}: 'contents' should be a list of records, not {describe(items)}."
                )
            self.items = items
            self.where = lambda i: f"{path.name}, contents[{i}]"
        elif isinstance(document, list):
            self.items = document
            self.where = lambda i: f"{path.name}, record {i + 1}"
        elif isinstance(document, dict):
            self.items = [document]
            self.where = lambda i: path.name
        else:
            raise ImportSourceError(
                f"{path.name} holds {describe(document)}, not HSDS records (an object or a list)."
            )
        self.total = len(self.items)

    def units(self, report):
        if self.tabular is not None:
            yield from self.tabular.units(report)
            return
        yield from _units_of_records(self.items, self.where, self.notes, self.label)


# --- the Open Referral API --------------------------------------------------------------------


class ApiSource(Source):
    """An Open Referral UK / HSDS 3.0 API: `GET {base}/services?full=true&page=N`, page by page
    until `total_pages` (or a page that says it is the last, or is empty)."""

    def __init__(self, url: str):
        super().__init__()
        parts = urlsplit(url.strip())
        path = parts.path.rstrip("/")
        if path.endswith("/services"):
            path = path[: -len("/services")]
        self.base = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        self.label = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], path, "", ""))
        self.client = httpx.Client(
            timeout=API_TIMEOUT,
            follow_redirects=True,
            headers={"Accept": "application/json", "User-Agent": "Linkwell directory import"},
        )
        try:
            self.first = self._page(1)
        except ImportSourceError:
            self.client.close()
            raise
        total = self.first.get("total_items")
        self.total = total if isinstance(total, int) and not isinstance(total, bool) else None

    def close(self) -> None:
        self.client.close()

    def _page(self, number: int) -> dict:
        url = f"{self.base}/services"
        where = f"{url}?full=true&page={number}"
        for attempt in range(API_RETRIES + 1):
            try:
                response = self.client.get(url, params={"full": "true", "page": number})
            except httpx.TimeoutException:
                if attempt < API_RETRIES:
                    time.sleep(0.5 * (attempt + 1))
                    continue
                raise ImportSourceError(f"{where} did not answer in time.") from None
            except httpx.HTTPError as error:
                raise ImportSourceError(f"{where} could not be reached: {error}.") from None
            if response.status_code in (502, 503, 504) and attempt < API_RETRIES:
                time.sleep(0.5 * (attempt + 1))
                continue
            if response.status_code != 200:
                raise ImportSourceError(
                    f"{where} answered {response.status_code} {response.reason_phrase}."
                )
            break
        document = load_json(response.content, where)
        if not isinstance(document, dict) or not isinstance(document.get("contents"), list):
            raise ImportSourceError(
                f"{where} did not answer with an Open Referral list (an object with 'contents')."
            )
        return document

    def units(self, report):
        document, number = self.first, 1
        pages = document.get("total_pages")
        pages = pages if isinstance(pages, int) and not isinstance(pages, bool) else None
        while True:
            items = document["contents"]
            yield from _units_of_records(
                items, lambda i, n=number: f"page {n}, record {i + 1}", self.notes, self.label
            )
            last = document.get("last_page") is True or not items
            if last or (pages is not None and number >= pages) or number >= API_MAX_PAGES:
                return
            number += 1
            try:
                document = self._page(number)
            except ImportSourceError as error:
                report.error("page", number, f"{error.message} The pages after it were not read.")
                report.incomplete = True
                return


# --- the tabular layout (a data package of CSV files) -----------------------------------------


class TabularSource(Source):
    """HSDS's tabular layout: one table per HSDS table, linked by id columns. Rows are grouped
    into units: a service with its services at locations, phones, schedules and the rest; an
    organisation with its programmes and identifiers; a location with its addresses.

    Each id is read once; units are built one at a time as the import asks for them, and a
    row's text is let go once its unit is built, so a large package is never held twice.
    """

    nested = False

    def __init__(self, label: str, tables: dict[str, list], where: dict[str, Any]):
        super().__init__()
        self.label = label
        self.tables = tables  # name -> rows (dicts), None once a row is built into a unit
        self.where = where  # name -> function(index) -> "services.csv row 12"
        self.total = None

    @classmethod
    def from_folder(cls, folder: Path) -> TabularSource:
        notes: list[str] = []
        files = _package_files(folder, notes)
        tables: dict[str, list] = {}
        where = {}
        for name, path in files.items():
            tables[name] = _read_csv(path)
            where[name] = lambda i, f=path.name: f"{f} row {i + 2}"
        known = {t.filename for t in TABLES.values()} | {f"{n}.csv" for n in UNKEPT_TABLES}
        known.add(f"{LINKWELL_TABLE}.csv")
        for path in sorted(folder.glob("*.csv")):
            if path.name not in known and path not in files.values():
                notes.append(f"{path.name} is not an HSDS table; it was not read.")
        if not tables:
            raise ImportSourceError(
                f"{folder} holds no HSDS tables (services.csv, organizations.csv, …)."
            )
        source = cls(folder.name or str(folder), tables, where)
        source.notes = notes
        source._prepare()
        return source

    @classmethod
    def from_json(cls, document: dict, label: str) -> TabularSource:
        tables: dict[str, list] = {}
        where = {}
        notes: list[str] = []
        for filename, rows in document.items():
            name = filename[: -len(".csv")]
            if not isinstance(rows, list):
                raise ImportSourceError(f"{label}: {filename} should be a list of rows.")
            if name not in TABLES and name not in UNKEPT_TABLES and name != LINKWELL_TABLE:
                notes.append(f"{label}: {filename} is not an HSDS table; it was not read.")
                continue
            tables[name] = rows
            where[name] = lambda i, f=filename: f"{label}, {f}[{i}]"
        source = cls(label, tables, where)
        source.notes = notes
        source._prepare()
        return source

    def _prepare(self) -> None:
        """Read every row's id and links once; note what is not kept; find each row's unit."""
        self._merge_extension()
        for name in UNKEPT_TABLES:
            rows = self.tables.pop(name, None)
            if rows:
                what = "change history" if name == "metadata" else "table descriptions"
                self.notes.append(
                    f"{name}: {len(rows):,} row(s) not imported (Linkwell keeps no {what} "
                    "from other systems)."
                )
        self.bad: list[Unit] = []
        self.first: dict[str, dict[uuid.UUID, int]] = {}  # name -> id -> first row index
        for name, rows in self.tables.items():
            table = TABLES[name]
            first: dict[uuid.UUID, int] = {}
            columns = [link.column for link in table.links]
            if name == "attributes":
                columns.append("link_id")
            for index, row in enumerate(rows):
                if row is None:
                    continue  # a blank line
                problem = None
                if not isinstance(row, dict):
                    problem = f"expected a row (an object), got {describe(row)}"
                else:
                    try:
                        row_id = read_uuid(row.get("id"))
                    except BadValue as error:
                        problem = f"id: {error}"
                    else:
                        if row_id is None:
                            problem = f"the {table.record_type} has no id"
                if problem:
                    label = str(row.get("id") or "?") if isinstance(row, dict) else "?"
                    unit = Unit(table, None, label, self.where[name](index))
                    unit.problems.append(problem)
                    self.bad.append(unit)
                    rows[index] = None
                    continue
                row["id"] = row_id
                first.setdefault(row_id, index)
                for column in columns:  # links read once here; a bad one is reported later
                    value = row.get(column)
                    if isinstance(value, str) and value.strip():
                        with contextlib.suppress(ValueError):
                            row[column] = uuid.UUID(value.strip())
            self.first[name] = first
        self._index()
        self._group()

    def _merge_extension(self) -> None:
        """Put each service's row of linkwell_services.csv into its services.csv row."""
        extension = self.tables.pop(LINKWELL_TABLE, None)
        if not extension:
            return
        by_id = {
            str(row.get("id", "")).strip().lower(): row
            for row in extension
            if isinstance(row, dict)
        }
        for row in self.tables.get("services", ()):
            if isinstance(row, dict):
                found = by_id.get(str(row.get("id", "")).strip().lower())
                if found is not None:
                    row["linkwell"] = found

    def _index(self) -> None:
        """For each link column, each parent's rows (for replacing a parent's children)."""
        self.children: dict[tuple[str, str], dict[uuid.UUID, list[uuid.UUID]]] = {}
        for name, rows in self.tables.items():
            table = TABLES[name]
            for link in table.links:
                index: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
                for row in rows:
                    if row is not None and isinstance(row.get(link.column), uuid.UUID):
                        index[row[link.column]].append(row["id"])
                self.children[(name, link.attname)] = index
            if name == "attributes":
                for row in rows:
                    if row is None or not isinstance(row.get("link_id"), uuid.UUID):
                        continue
                    entity = row.get("link_entity")
                    if isinstance(entity, str):
                        key = ("attributes", f"link:{entity.strip().lower()}")
                        self.children.setdefault(key, defaultdict(list))
                        self.children[key][row["link_id"]].append(row["id"])

    def _group(self) -> None:
        """Find the unit each row belongs to: `groups` maps a top-level record to its rows."""
        memo: dict[tuple[str, uuid.UUID], tuple[str, uuid.UUID]] = {}
        self.groups: dict[tuple[str, uuid.UUID], list[tuple[str, int]]] = {}
        self.duplicates: list[tuple[str, int]] = []
        self.roots: dict[str, list[uuid.UUID]] = defaultdict(list)
        for name in TABLES:
            rows = self.tables.get(name, ())
            for index, row in enumerate(rows):
                if row is None:
                    continue
                row_id = row["id"]
                owner = self._owner(name, row, memo)
                if owner is None:
                    if self.first[name][row_id] != index:
                        self.duplicates.append((name, index))
                        continue
                    self.roots[name].append(row_id)
                    self.groups.setdefault((name, row_id), []).insert(0, (name, index))
                else:
                    self.groups.setdefault(owner, []).append((name, index))
        self.total = len(self.groups) + len(self.duplicates) + len(self.bad)

    def _owner(self, name: str, row: dict, memo: dict) -> tuple[str, uuid.UUID] | None:
        """The top-level record a row is imported with (None: it is one itself)."""

        def present(table: str, column: str) -> uuid.UUID | None:
            value = row.get(column)
            if isinstance(value, uuid.UUID) and value in self.first.get(table, {}):
                return value
            return None

        def owner_of(table: str, row_id: uuid.UUID) -> tuple[str, uuid.UUID]:
            key = (table, row_id)
            if key not in memo:
                memo[key] = key  # guards against loops
                parent = self.tables[table][self.first[table][row_id]]
                found = self._owner(table, parent, memo) if parent is not None else None
                memo[key] = found or key
            return memo[key]

        if name in ("services", "organizations", "locations", "taxonomies", "taxonomy_terms"):
            return None
        if name == "service_at_location":
            service = present("services", "service_id")
            return ("services", service) if service else None
        if name == "attributes":
            entity = str(row.get("link_entity") or "").strip().lower()
            target = LINK_ENTITIES.get(entity)
            parent = present(target, "link_id") if target else None
            return owner_of(target, parent) if parent else None
        for table, column in _OWNER_ORDER:
            if TABLES[name].link(column) is None:
                continue
            parent = present(table, column)
            if parent is not None:
                return owner_of(table, parent)
        return None

    def units(self, report):
        order = (*KIND_ORDER, *(n for n in TABLES if n not in KIND_ORDER))
        for name in order:
            for root_id in self.roots.get(name, ()):
                yield self._unit((name, root_id))
            for dup_name, index in self.duplicates:
                if dup_name == name:
                    row = self.tables[name][index]
                    yield Unit(TABLES[name], row["id"], str(row["id"]), self.where[name](index))
            for bad in self.bad:
                if bad.table.name == name:
                    yield bad
            yield FLUSH

    def _unit(self, key: tuple[str, uuid.UUID]) -> Unit:
        """Build the unit of one top-level record, then let go of its rows' text."""
        entries = self.groups.pop(key)
        root_name, root_index = entries[0]
        unit = Unit(TABLES[root_name], key[1], str(key[1]), self.where[root_name](root_index))
        builder = UnitBuilder(unit)
        for name, index in entries:
            row = self.tables[name][index]
            where = self.where[name](index)
            first = self.first[name][row["id"]]
            if first != index:
                unit.problems.append(
                    f"{where}: {TABLES[name].record_type} {row['id']} appears more than once "
                    f"in {TABLES[name].filename} (first at {self.where[name](first)})"
                )
                continue
            builder.take(TABLES[name], row, path=where, nested_ok=False)
        self._declare(unit)
        for name, index in entries:
            self.tables[name][index] = None
        return unit

    def _declare(self, unit: Unit) -> None:
        """The unit brings, for each of its records, the full list of that record's children
        in each table the package has."""
        if not hasattr(self, "_plans"):
            self._plans = {
                name: [
                    (nested.table, attname, self.children.get((nested.table, attname), {}))
                    for nested in table.nested
                    if nested.many and nested.table in self.tables
                    for attname in [
                        f"link:{nested.back_link}"
                        if nested.table == "attributes"
                        else nested.back_link
                    ]
                ]
                for name, table in TABLES.items()
            }
        declared = unit.declared
        for row in unit.rows.values():
            for child, attname, index in self._plans[row.table.name]:
                ids = index.get(row.id)
                declared.setdefault((child, attname), {})[row.id] = set(ids) if ids else set()


_OWNER_ORDER = (
    ("services", "service_id"),
    ("service_at_location", "service_at_location_id"),
    ("contacts", "contact_id"),
    ("phones", "phone_id"),
    ("locations", "location_id"),
    ("organizations", "organization_id"),
)


def _package_files(folder: Path, notes: list[str]) -> dict[str, Path]:
    """The tables of a data package: from datapackage.json's resources where it can be read,
    otherwise the CSV files named as HSDS names them."""
    files: dict[str, Path] = {}
    descriptor = folder / "datapackage.json"
    resources = None
    if descriptor.is_file():
        try:
            package = json.loads(descriptor.read_text("utf-8-sig"))
            resources = package.get("resources") if isinstance(package, dict) else None
            if not isinstance(resources, list):
                raise ValueError("it has no list of resources")
        except (ValueError, OSError) as error:
            reason = (
                f"{error.msg} at line {error.lineno}, column {error.colno}"
                if isinstance(error, json.JSONDecodeError)
                else str(error)
            )
            notes.append(
                f"datapackage.json could not be read ({reason}); the CSV files were found by "
                "their HSDS names."
            )
            resources = None
    by_filename = {t.filename: n for n, t in TABLES.items()}
    by_filename.update({f"{n}.csv": n for n in (*UNKEPT_TABLES, LINKWELL_TABLE)})
    if resources:
        for resource in resources:
            if not isinstance(resource, dict) or not isinstance(resource.get("path"), str):
                continue
            path = (folder / resource["path"]).resolve()
            name = resource.get("name")
            if name not in TABLES and name not in UNKEPT_TABLES and name != LINKWELL_TABLE:
                name = by_filename.get(path.name)
            if name and path.is_file() and path.is_relative_to(folder.resolve()):
                files[name] = path
    for filename, name in by_filename.items():
        if name not in files and (folder / filename).is_file():
            files[name] = folder / filename
    return files


def _read_csv(path: Path) -> list[dict | None]:
    csv.field_size_limit(16 * 1024 * 1024)
    rows: list[dict | None] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return []
            header = [column.strip() for column in header]
            for values in reader:
                # A blank line is kept as None, so that row numbers stay true.
                rows.append(dict(zip(header, values, strict=False)) if any(values) else None)
    except UnicodeDecodeError as error:
        raise ImportSourceError(
            f"{path.name} is not UTF-8 text (a bad byte at position {error.start})."
        ) from None
    except csv.Error as error:
        raise ImportSourceError(f"{path.name} is not a readable CSV file: {error}.") from None
    except OSError as error:
        raise ImportSourceError(f"{path.name} could not be read: {error.strerror}.") from None
    return rows
