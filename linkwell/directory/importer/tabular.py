"""Reading HSDS's tabular layout: a data package (a folder of CSV files with
`datapackage.json`), or the same tables as JSON (`{"services.csv": [...], ...}`).

Rows are linked by id columns. Each row is imported with the top-level record it belongs to: a
service with its services at locations, phones, schedules and the rest; an organisation with its
programmes and identifiers; a location with its addresses. A row that belongs to nothing in the
package is a record of its own.
"""

from __future__ import annotations

import contextlib
import csv
import json
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from linkwell.directory.importer.report import ImportSourceError
from linkwell.directory.importer.sources import FLUSH, KIND_ORDER, Source
from linkwell.directory.importer.tables import (
    LINK_ENTITIES,
    LINKWELL_TABLE,
    TABLES,
    UNKEPT_TABLES,
)
from linkwell.directory.importer.units import Unit, UnitBuilder
from linkwell.directory.importer.values import BadValue, describe, read_uuid


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
