"""Reading HSDS records into *units*: one top-level record (a service, an organisation, a
location …) with every row it carries, checked on its own.

A unit is what the import keeps or skips as a whole: a service with a bad schedule is skipped
with its schedule, its phones and the rest, so that what is already stored stays as it was. A
unit also says which child lists it brings in full (`declared`): a service that arrives with
`schedules: [...]` replaces its stored schedules with those; one that arrives without the key
keeps the ones it has.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from linkwell.directory.importer.tables import (
    LINK_ENTITIES,
    LINKWELL_SERVICE_FIELDS,
    TABLES,
    Nested,
    Table,
)
from linkwell.directory.importer.values import BadValue, describe, read_uuid, reader_for
from linkwell.directory.models import Location, ServiceStatus


def short(value: uuid.UUID | str | None) -> str:
    return str(value) if value is not None else "?"


@dataclass(slots=True)
class Row:
    """One database row to write: the values that came (by attname), nothing else."""

    table: Table
    id: uuid.UUID
    values: dict[str, Any]
    where: str = ""  # where the row is in the source, when that is more than the unit's place
    instance: Any = None  # the model instance checked with full_clean, reused to insert


@dataclass
class Unit:
    """One top-level record and all the rows it carries."""

    table: Table
    id: uuid.UUID | None
    label: str  # the record's id as it came, for messages
    where: str
    rows: dict[tuple[str, uuid.UUID], Row] = field(default_factory=dict)
    # (child table, link attname) -> {parent id: ids of the children that came}
    declared: dict[tuple[str, str], dict[uuid.UUID, set[uuid.UUID]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # (record type, record id, field, reason, where)
    warnings: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    @property
    def record_type(self) -> str:
        return self.table.record_type

    @property
    def key(self) -> tuple[str, uuid.UUID] | None:
        return (self.table.name, self.id) if self.id is not None else None

    def declare(self, child: str, attname: str, parent: uuid.UUID, ids: set[uuid.UUID]):
        self.declared.setdefault((child, attname), {}).setdefault(parent, set()).update(ids)

    def warn(self, table: Table, row_id, field_name: str, reason: str, where: str = "") -> None:
        warning = (table.record_type, short(row_id), field_name, reason, where)
        if warning not in self.warnings:
            self.warnings.append(warning)


# --- what each table reads --------------------------------------------------------------------

# Fields a record may carry beyond its table's columns.
_EXTRA_FIELDS = {"attributes": ("label",)}


@dataclass(frozen=True)
class _FieldPlan:
    key: str
    attname: str
    read: Any
    field: models.Field


def _plans(table: Table) -> tuple[_FieldPlan, ...]:
    link_columns = {link.column for link in table.links}
    names = [
        c
        for c in (*table.columns, *_EXTRA_FIELDS.get(table.name, ()))
        if c != "id" and c not in link_columns and c not in table.ignored
    ]
    plans = []
    for name in names:
        model_field = table.model._meta.get_field(name)
        plans.append(_FieldPlan(name, model_field.attname, reader_for(model_field), model_field))
    return tuple(plans)


PLANS: dict[str, tuple[_FieldPlan, ...]] = {name: _plans(t) for name, t in TABLES.items()}

_SERVICE_EXTRAS = tuple(
    _FieldPlan(n, n, reader_for(f), f)
    for n in LINKWELL_SERVICE_FIELDS
    for f in [TABLES["services"].model._meta.get_field(n)]
)

# Fields (by attname) a new record must have: not blank in the model and no default.
REQUIRED: dict[str, tuple[str, ...]] = {
    name: tuple(
        p.attname
        for p in plans
        if not p.field.blank and not p.field.has_default() and not p.field.null
    )
    for name, plans in PLANS.items()
}

# Fields whose choices the import checks itself, to say what the allowed values are.
_NORMALISE = {
    ("services", "status"): lambda v: " ".join(v.strip().lower().replace("_", " ").split()),
    ("schedules", "freq"): lambda v: v.strip().upper(),
    ("schedules", "wkst"): lambda v: v.strip().upper(),
    ("locations", "location_type"): lambda v: v.strip().lower(),
    ("addresses", "address_type"): lambda v: v.strip().lower(),
    ("addresses", "country"): lambda v: v.strip().upper(),
    ("cost_options", "currency"): lambda v: v.strip().upper(),
}
_STATUS_SYNONYMS = {"temporarily closed": ServiceStatus.TEMPORARILY_CLOSED}


def _choices_text(model_field: models.Field) -> str:
    return ", ".join(str(value) for value, _ in model_field.choices)


# --- reading one record -----------------------------------------------------------------------


class UnitBuilder:
    """Reads nested records (or tabular rows) into a unit's rows, noting what is wrong."""

    def __init__(self, unit: Unit):
        self.unit = unit

    def problem(self, path: str, message: str) -> None:
        self.unit.problems.append(f"{path}: {message}" if path else message)

    def take(
        self,
        table: Table,
        data: Any,
        *,
        path: str = "",
        implied: dict[str, Any] | None = None,
        nested_ok: bool = True,
    ) -> uuid.UUID | None:
        """Read `data` as a record of `table` (and, when `nested_ok`, the records nested in
        it) into the unit; return its id, or None when it has none worth keeping."""
        label = path or table.record_type
        if not isinstance(data, dict):
            self.problem(label, f"expected an object, got {describe(data)}")
            return None
        try:
            row_id = read_uuid(data.get("id"))
        except BadValue as error:
            self.problem(label, f"id: {error}")
            return None
        if row_id is None:
            self.problem(label, f"the {table.record_type} has no id")
            return None
        where = f"{path} ({table.record_type} {row_id})" if path else ""
        values = self._read_values(table, data, where)
        for key, value in (implied or {}).items():
            self._imply(table, row_id, values, key, value, path)
        if nested_ok:
            self._take_nested(table, data, row_id, values, path)
        self._merge(table, row_id, values, path)
        return row_id

    def _read_values(self, table: Table, data: dict, where: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        prefix = f"{where}: " if where else ""
        for plan in PLANS[table.name]:
            if plan.key not in data:
                continue
            try:
                values[plan.attname] = plan.read(data[plan.key])
            except BadValue as error:
                self.unit.problems.append(f"{prefix}{plan.key}: {error}")
        for link in table.links:
            if link.column not in data:
                continue
            try:
                values[link.attname] = read_uuid(data[link.column])
            except BadValue as error:
                self.unit.problems.append(f"{prefix}{link.column}: {error}")
        if table.name == "services" and isinstance(data.get("linkwell"), dict):
            extension = data["linkwell"]
            for plan in _SERVICE_EXTRAS:
                if plan.key in extension:
                    try:
                        values[plan.attname] = plan.read(extension[plan.key])
                    except BadValue as error:
                        self.unit.problems.append(f"{prefix}linkwell.{plan.key}: {error}")
        return values

    def _imply(self, table, row_id, values, key, value, path) -> None:
        """Set the link that nesting implies; a record nested in one parent but naming another
        belongs to the one it is nested in (with a warning)."""
        given = values.get(key)
        if given not in (None, "") and given != value:
            shown = repr(given) if isinstance(given, str) else str(given)
            self.unit.warn(
                table,
                row_id,
                key,
                f"{key} {shown} replaced by {value}, the record it is nested in",
                path,
            )
        values[key] = value

    def _take_nested(self, table, data, row_id, values, path) -> None:
        for nested in table.nested:
            if nested.key not in data or data[nested.key] is None:
                continue
            child_table = TABLES[nested.table]
            child_path = f"{path}.{nested.key}" if path else nested.key
            if not nested.many:
                self._take_parent(table, nested, child_table, data[nested.key], values, child_path)
                continue
            items = data[nested.key]
            if not isinstance(items, list):
                self.problem(child_path, f"expected a list, got {describe(items)}")
                continue
            implied, attname = _back_link(nested, row_id)
            ids = set()
            for index, item in enumerate(items):
                child_id = self.take(
                    child_table, item, path=f"{child_path}[{index}]", implied=implied
                )
                if child_id is not None:
                    ids.add(child_id)
            self.unit.declare(child_table.name, attname, row_id, ids)

    def _take_parent(self, table, nested: Nested, parent_table, item, values, path) -> None:
        link = next(link for link in table.links if link.target == parent_table.name)
        # A nested parent inherits the links it shares with the record (a service's program
        # belongs to the service's organisation).
        implied = {
            parent_link.attname: values[parent_link.attname]
            for parent_link in parent_table.links
            if values.get(parent_link.attname) is not None
            and isinstance(item, dict)
            and parent_link.column not in item
        }
        parent_id = self.take(parent_table, item, path=path, implied=implied)
        if parent_id is None:
            return
        if values.get(link.attname) not in (None, parent_id):
            self.problem(
                path,
                f"{link.column} {values[link.attname]} does not match the nested "
                f"{parent_table.record_type}'s id {parent_id}",
            )
        values[link.attname] = parent_id

    def _merge(self, table: Table, row_id: uuid.UUID, values: dict, path: str) -> None:
        key = (table.name, row_id)
        row = self.unit.rows.get(key)
        if row is None:
            self.unit.rows[key] = Row(table, row_id, values, path)
            return
        for name, value in values.items():
            if value is None and row.values.get(name) is not None and name.endswith("_id"):
                continue  # one mention's missing link does not undo another's
            row.values[name] = value


def _back_link(nested: Nested, parent_id: uuid.UUID) -> tuple[dict[str, Any], str]:
    """What a child nested in a record is told about its parent, and the attname that links
    the two (for attributes, "link:<entity>")."""
    if nested.table == "attributes":
        entity = nested.back_link
        return {"link_entity": entity, "link_id": parent_id}, f"link:{entity}"
    return {nested.back_link: parent_id}, nested.back_link


# --- checking the rows of a unit --------------------------------------------------------------


def check_unit(unit: Unit) -> None:
    """Check every row of the unit on its own (types are already checked): the model's field
    rules through `full_clean`, and the directory's own rules. Impossible coordinates are
    left out with a warning; anything else wrong is a problem that skips the unit."""
    for row in unit.rows.values():
        _check_row(unit, row)


@dataclass(frozen=True)
class _TableChecks:
    """What checking a row of a table needs, worked out once."""

    fields: tuple[tuple[str, str], ...]  # (name, attname) of concrete fields
    relations: frozenset[str]
    normalise: tuple[tuple[str, Any], ...]  # (attname, function)
    choices: tuple[tuple[str, str, frozenset[str], str], ...]  # (attname, name, allowed, text)


def _table_checks(table: Table) -> _TableChecks:
    concrete = table.model._meta.concrete_fields
    return _TableChecks(
        fields=tuple((f.name, f.attname) for f in concrete),
        relations=frozenset(f.name for f in concrete if f.is_relation),
        normalise=tuple((n, fn) for (t, n), fn in _NORMALISE.items() if t == table.name),
        choices=tuple(
            (f.attname, f.name, frozenset(str(v) for v, _ in f.choices), _choices_text(f))
            for f in concrete
            if f.choices
        ),
    )


_CHECKS = {name: _table_checks(table) for name, table in TABLES.items()}


def _check_row(unit: Unit, row: Row) -> None:
    table, values = row.table, row.values
    checks = _CHECKS[table.name]
    exclude = {name for name, attname in checks.fields if attname not in values}
    for attname, normalise in checks.normalise:
        value = values.get(attname)
        if isinstance(value, str) and value:
            values[attname] = normalise(value)
    if table.name == "services" and values.get("status") in _STATUS_SYNONYMS:
        values["status"] = _STATUS_SYNONYMS[values["status"]]
    problems = []
    for attname, name, allowed, text in checks.choices:
        value = values.get(attname)
        if value not in (None, "") and name not in exclude and value not in allowed:
            problems.append(f"{name} {value!r} is not one of: {text}")
            exclude.add(name)
    if table.name == "locations":
        _check_coordinates(unit, row, exclude)
    problems.extend(_domain_problems(table.name, values, exclude))
    instance = table.model(id=row.id, **values)
    # Links are checked against the source and the database in one go, per batch.
    exclude |= checks.relations
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            shown = values.get(table.model._meta.get_field(name).attname, None)
            for message in messages:
                problems.append(f"{name} {describe(shown)}: {message}")
    else:
        row.instance = instance
    if problems:
        where = f"{table.record_type} {row.id}" + (f" at {row.where}" if row.where else "")
        unit.problems.extend(f"{where}: {p}" for p in problems)


def _check_coordinates(unit: Unit, row: Row, exclude: set[str]) -> None:
    """A latitude outside ±90 or a longitude outside ±180 is no place on Earth. The pair is
    one position, so both are left out (with a warning), and the location is kept."""
    values = row.values
    wrong = [
        f"{name} {values[name]:g} is outside -{limit} to {limit}"
        for name, limit in (("latitude", 90), ("longitude", 180))
        if values.get(name) is not None and not -limit <= values[name] <= limit
    ]
    if not wrong:
        return
    given = [name for name in ("latitude", "longitude") if values.get(name) is not None]
    pair = ", ".join(f"{name} {values[name]:g}" for name in given)
    unit.warn(
        row.table,
        row.id,
        "latitude,longitude",
        f"{'; '.join(wrong)}: not a place on Earth, so the position ({pair}) was left out",
        row.where,
    )
    for name in ("latitude", "longitude"):
        values.pop(name, None)
        exclude.add(name)


def _domain_problems(table_name: str, values: dict, exclude: set[str]) -> list[str]:
    problems = []

    def both(first, second):
        return values.get(first) is not None and values.get(second) is not None

    if table_name == "schedules":
        if both("opens_at", "closes_at") and values["closes_at"] <= values["opens_at"]:
            problems.append(
                f"closes_at {values['closes_at']:%H:%M} is not after "
                f"opens_at {values['opens_at']:%H:%M}"
            )
        if both("valid_from", "valid_to") and values["valid_to"] < values["valid_from"]:
            problems.append(
                f"valid_to {values['valid_to']} is before valid_from {values['valid_from']}"
            )
    elif table_name == "cost_options":
        amount = values.get("amount")
        if amount is not None and amount < 0:
            problems.append(f"amount {amount} is negative; a cost cannot be below zero")
            exclude.add("amount")
        currency = values.get("currency")
        if currency is not None and not (len(currency) == 3 and currency.isalpha()):
            problems.append(f"currency {currency!r} is not a three-letter ISO 4217 code")
            exclude.add("currency")
    elif table_name == "services":
        if both("minimum_age", "maximum_age") and values["minimum_age"] > values["maximum_age"]:
            problems.append(
                f"minimum_age {values['minimum_age']} is above maximum_age {values['maximum_age']}"
            )
        fee = values.get("fee_amount")
        if fee is not None and fee < 0:
            problems.append(f"linkwell.fee_amount {fee} is negative")
            exclude.add("fee_amount")
        for name in ("minimum_age", "maximum_age"):
            if values.get(name) is not None and values[name] < 0:
                problems.append(f"{name} {values[name]} is negative")
                exclude.add(name)
    elif table_name == "locations":
        location_type = values.get("location_type")
        if location_type == "":
            values["location_type"] = Location.Type.PHYSICAL
    return problems


def link_target_of_attribute(values: dict) -> str | None:
    """The table an attribute's link_entity names, or None when HSDS has no such table."""
    entity = values.get("link_entity")
    return LINK_ENTITIES.get(entity) if isinstance(entity, str) else None
