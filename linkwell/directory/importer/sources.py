"""Where a directory import reads from: an HSDS JSON file, an HSDS tabular data package (a folder
of CSV files, or the same tables as JSON), or an Open Referral UK / HSDS API.

Each source yields units (see `units.py`) in an order that puts what a record points at first:
taxonomies, terms, organisations, locations, services, then services at locations. `FLUSH` marks
a point where everything before must be written before what follows is checked.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from linkwell.directory.importer.report import ImportReport, ImportSourceError
from linkwell.directory.importer.tables import TABLES
from linkwell.directory.importer.units import Unit, UnitBuilder
from linkwell.directory.importer.values import describe

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


class Source(ABC):
    """A readable source of directory records."""

    label: str = ""
    total: int | None = None  # top-level records, when known
    nested: bool = True  # records come nested (JSON), so shared ones repeat

    def __init__(self) -> None:
        self.notes: list[str] = []

    @abstractmethod
    def units(self, report: ImportReport) -> Iterator[Unit | object]:
        """The source's records as units to write, with FLUSH between batches."""

    def close(self) -> None:  # noqa: B027  (most sources hold nothing open)
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
        from linkwell.directory.importer.tabular import TabularSource

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
        self.tabular = None
        if (
            isinstance(document, dict)
            and document
            and all(isinstance(k, str) and k.endswith(".csv") for k in document)
        ):
            from linkwell.directory.importer.tabular import TabularSource

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
