"""Writing checked units to the database, many at a time.

Units of one kind are gathered into batches. For a batch, the links every row makes are looked
up at once (in the batch, else in the database); a unit whose required link is nowhere is
skipped, an optional link that is nowhere is left out with a warning. The batch is then written
in one transaction with bulk inserts and updates. If the database refuses the batch, it is
written again one unit at a time, each in its own savepoint, so that one bad record costs only
itself and leaves its stored version as it was.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, connections, models, transaction
from django.utils import timezone

from linkwell.core.models import Scheme
from linkwell.directory.importer.report import ImportReport
from linkwell.directory.importer.tables import LINK_ENTITIES, TABLES, WRITE_ORDER, Table
from linkwell.directory.importer.units import REQUIRED, Row, Unit, check_unit

BATCH_SIZE = 500

# Children that stand on their own: a parent that no longer lists one lets go of it, never
# deletes it (a location an organisation no longer lists may still host services).
NEVER_DELETED = {"locations"}
# Tables whose records belong to a scheme when it imports them.
OWNED_TABLES = {"services", "organizations"}

ProgressCallback = Callable[[int, int | None], None]
_MISSING = object()  # not stored at all


def _attnames(table: Table) -> list[str]:
    return [f.attname for f in table.model._meta.concrete_fields]


ATTNAMES = {name: _attnames(t) for name, t in TABLES.items()}


@dataclass
class _Batch:
    units: list[Unit]
    rows: dict[str, dict[uuid.UUID, Row]] = field(default_factory=dict)  # merged, per table
    existing: dict[str, dict[uuid.UUID, dict]] = field(default_factory=dict)


class Importer:
    """Takes units one by one, checks them, and writes them in batches."""

    def __init__(
        self,
        *,
        report: ImportReport,
        owner_scheme: Scheme | None,
        progress: ProgressCallback | None,
        total: Callable[[], int | None],
        nested: bool = True,
    ):
        self.report = report
        self.owner_scheme = owner_scheme
        self.owner_scheme_id = owner_scheme.pk if owner_scheme is not None else None
        self._owners: dict[tuple[str, uuid.UUID], object] = {}
        self.progress = progress
        self.total = total
        self.pending: list[Unit] = []
        self.seen: dict[tuple[str, uuid.UUID], str] = {}
        # Nested sources repeat shared records (an organisation in each of its services): each
        # is counted once. A tabular source holds each record once, so nothing is tracked.
        self.track_repeats = nested
        self.counted: set[int] = set()
        self._scheme_names: dict[int | None, str] = {}
        self.warned: set[tuple[str, str, str, str]] = set()

    # --- taking units ----------------------------------------------------------------------

    def add(self, unit: Unit) -> None:
        self.report.records_read += 1
        key = unit.key
        if key is not None and key in self.seen:
            unit.problems.insert(
                0,
                f"the id appears more than once in this source (first at {self.seen[key]}); "
                "this later copy was skipped",
            )
        elif key is not None:
            self.seen[key] = unit.where
        if not unit.problems:
            check_unit(unit)
        if unit.problems:
            self._skip(unit)
            return
        if self.pending and self.pending[0].table is not unit.table:
            self.flush()
        self.pending.append(unit)
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def _skip(self, unit: Unit, extra: str | None = None) -> None:
        problems = unit.problems + ([extra] if extra else [])
        shown = problems[:8]
        if len(problems) > 8:
            shown.append(f"and {len(problems) - 8} more problems")
        self.report.error(unit.record_type, unit.label, "; ".join(shown), where=unit.where)
        self.report.skipped[unit.record_type] += 1
        self._progress()

    def _progress(self) -> None:
        if self.progress is not None and (self.report.records_read % 100 == 0 or not self.pending):
            self.progress(self.report.records_read, self.total())

    def flush(self) -> None:
        units, self.pending = self.pending, []
        if not units:
            return
        batch = self._resolve(units)
        if batch.units:
            try:
                with transaction.atomic():
                    outcome = self._write(batch)
            except DatabaseError:
                for unit in batch.units:
                    self._write_alone(unit)
            else:
                self._record(batch, outcome)
        if self.progress is not None:
            self.progress(self.report.records_read, self.total())

    def _write_alone(self, unit: Unit) -> None:
        batch = self._resolve([unit])
        if not batch.units:
            return
        try:
            with transaction.atomic():
                outcome = self._write(batch)
        except DatabaseError as error:
            message = " ".join(str(error).split())[:300]
            self._skip(unit, f"the database refused it: {message}")
        else:
            self._record(batch, outcome)

    # --- resolving links ---------------------------------------------------------------------

    def _merge(self, units: list[Unit]) -> dict[str, dict[uuid.UUID, Row]]:
        merged: dict[str, dict[uuid.UUID, Row]] = defaultdict(dict)
        for unit in units:
            for (name, row_id), row in unit.rows.items():
                into = merged[name].get(row_id)
                if into is None:
                    merged[name][row_id] = Row(
                        row.table, row_id, dict(row.values), row.where, row.instance
                    )
                else:
                    into.instance = None  # values from several mentions: built afresh
                    into.values.update(
                        (k, v)
                        for k, v in row.values.items()
                        if v is not None or into.values.get(k) is None or not k.endswith("_id")
                    )
        return merged

    def _resolve(self, units: list[Unit]) -> _Batch:
        """Drop the units whose links go nowhere (or that break a rule only the database can
        tell), repeating until the rest all hold together."""
        existing: dict[str, dict[uuid.UUID, dict]] = {}
        known: dict[str, set[uuid.UUID]] = defaultdict(set)
        warned: set[tuple] = set()
        while True:
            rows = self._merge(units)
            for name, by_id in rows.items():
                missing = [i for i in by_id if i not in existing.setdefault(name, {})]
                if missing:
                    model = TABLES[name].model
                    for found in model.objects.filter(pk__in=missing).values(*ATTNAMES[name]):
                        existing[name][found["id"]] = found
            wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
            for unit in units:
                for row in unit.rows.values():
                    for target, value in _references(row):
                        if (
                            value not in rows.get(target, {})
                            and value not in existing.get(target, {})
                            and value not in known[target]
                        ):
                            wanted[target].add(value)
            for target, ids in wanted.items():
                found = TABLES[target].model.objects.filter(pk__in=ids).values_list("pk", flat=True)
                known[target].update(found)
            failed = False
            kept = []
            for unit in units:
                problems = self._check_links(unit, rows, existing, known, warned)
                if problems:
                    unit.problems.extend(problems)
                    self._skip(unit)
                    failed = True
                else:
                    kept.append(unit)
            units = kept
            if not failed:
                unique_failed = self._check_unique(units, rows, existing)
                if not unique_failed:
                    # Merged again: checking links may have left some out of the units' rows.
                    return _Batch(units=units, rows=self._merge(units), existing=existing)
                units = [u for u in units if u not in unique_failed]

    def _check_links(self, unit, rows, existing, known, warned) -> list[str]:
        problems = []

        def available(target: str, value: uuid.UUID) -> bool:
            return (
                value in rows.get(target, {})
                or value in existing.get(target, {})
                or (value in known[target])
            )

        for row in unit.rows.values():
            table = row.table
            stored = existing.get(table.name, {}).get(row.id)
            problems.extend(self._foreign_parents(row, stored, rows, existing))
            for link in table.links:
                value = row.values.get(link.attname)
                if value is None:
                    if link.required:
                        row.values.pop(link.attname, None)  # a null here means "not given"
                    if link.required and stored is None:
                        problems.append(
                            f"{table.record_type} {row.id} has no {link.column} "
                            f"({TABLES[link.target].record_type}); Linkwell cannot store it "
                            "without one"
                        )
                    continue
                if available(link.target, value):
                    continue
                target_type = TABLES[link.target].record_type
                if link.required:
                    problems.append(
                        f"{table.record_type} {row.id}: its {target_type} {value} is neither "
                        "in this source nor stored"
                    )
                else:
                    del row.values[link.attname]
                    key = (table.name, row.id, link.column)
                    if key not in warned:
                        warned.add(key)
                        unit.warn(
                            table,
                            row.id,
                            link.column,
                            f"{link.column} {value}: no such {target_type} in this source or "
                            "stored; left out",
                            row.where,
                        )
            if table.name == "attributes":
                self._check_attribute_link(unit, row, available, warned)
            if stored is None:
                for attname in REQUIRED[table.name]:
                    if row.values.get(attname) in (None, ""):
                        problems.append(
                            f"{table.record_type} {row.id} has no {attname}, which a new "
                            f"{table.record_type} needs"
                        )
            elif table.name in OWNED_TABLES and stored["owner_scheme_id"] != self.owner_scheme_id:
                problems.append(
                    f"{table.record_type} {row.id} is kept by "
                    f"{self._scheme_name(stored['owner_scheme_id'])}; an import "
                    f"{self._for_whom()} does not change it"
                )
            if table.name == "taxonomy_terms" and row.values.get("parent_id") == row.id:
                del row.values["parent_id"]
                unit.warn(
                    table, row.id, "parent_id", "parent_id is the term itself; left out", row.where
                )
        if not unit.rows and unit.id is None:
            problems.append("it holds no record")
        return problems

    def _owner_of(self, target: str, value, rows, existing):
        """The scheme that keeps a stored service or organisation (None: shared), or
        `_MISSING` when it is not stored."""
        row = existing.get(target, {}).get(value)
        if row is not None:
            return row.get("owner_scheme_id")
        if value in rows.get(target, {}):
            return _MISSING  # arriving in this batch and not stored: new, so nobody's yet
        key = (target, value)
        if key not in self._owners:
            found = list(
                TABLES[target]
                .model.objects.filter(pk=value)
                .values_list("owner_scheme_id", flat=True)
            )
            self._owners[key] = found[0] if found else _MISSING
        return self._owners[key]

    def _foreign_parents(self, row, stored, rows, existing) -> list[str]:
        """A row may not hang from, nor be taken from, a service or organisation that another
        scheme keeps (or, for a scheme's import, a shared one): that would change their listing."""
        problems = []
        if row.table.name in OWNED_TABLES:
            return problems
        for link in row.table.links:
            if link.target not in OWNED_TABLES:
                continue
            values = {row.values.get(link.attname)}
            if stored is not None:
                values.add(stored.get(link.attname))
            for value in values - {None}:
                owner = self._owner_of(link.target, value, rows, existing)
                if owner is not _MISSING and owner != self.owner_scheme_id:
                    problems.append(
                        f"{row.table.record_type} {row.id} belongs to "
                        f"{TABLES[link.target].record_type} {value}, which is kept by "
                        f"{self._scheme_name(owner)}; an import {self._for_whom()} does not "
                        "change it"
                    )
        return problems

    def _check_attribute_link(self, unit, row, available, warned) -> None:
        entity = row.values.get("link_entity")
        link_id = row.values.get("link_id")
        target = LINK_ENTITIES.get(entity) if isinstance(entity, str) else None
        key = (row.table.name, row.id, "link")
        if key in warned:
            return
        if target is None:
            warned.add(key)
            names = ", ".join(LINK_ENTITIES)
            unit.warn(
                row.table,
                row.id,
                "link_entity",
                f"link_entity {entity!r} is not a record type Linkwell links terms to "
                f"({names}); kept as given",
                row.where,
            )
        elif link_id is not None and not available(target, link_id):
            warned.add(key)
            unit.warn(
                row.table,
                row.id,
                "link_id",
                f"links to {TABLES[target].record_type} {link_id}, which is neither in this "
                "source nor stored; kept as given",
                row.where,
            )

    def _check_unique(self, units, rows, existing) -> set[Unit]:
        """Two records in the batch that the database's unique rules would refuse together."""
        failed: set[Unit] = set()
        rules = {
            "service_at_location": ("service_id", "location_id"),
            "attributes": ("link_entity", "link_id", "taxonomy_term_id", "link_type"),
        }
        for name, columns in rules.items():
            holders: dict[tuple, uuid.UUID] = {}
            for unit in units:
                for row_table, row_id in unit.rows:
                    if row_table != name:
                        continue
                    stored = existing.get(name, {}).get(row_id, {})
                    merged = {**stored, **rows[name][row_id].values}
                    value = tuple(merged.get(c) for c in columns)
                    other = holders.setdefault(value, row_id)
                    if other != row_id and unit not in failed:
                        unit.problems.append(
                            f"{TABLES[name].record_type} {row_id} repeats "
                            f"{TABLES[name].record_type} {other} ({', '.join(columns)} are the "
                            "same)"
                        )
                        failed.add(unit)
        for unit in failed:
            self._skip(unit)
        return failed

    def _counted_before(self, name: str, row_id: uuid.UUID) -> bool:
        """Whether the record was counted in an earlier batch (and note it now if not)."""
        if not self.track_repeats:
            return False
        key = _counted_before_key(name, row_id)
        if key in self.counted:
            return True
        self.counted.add(key)
        return False

    def _scheme_name(self, scheme_id) -> str:
        if scheme_id not in self._scheme_names:
            if scheme_id is None:
                self._scheme_names[None] = "no scheme (a shared listing)"
            else:
                scheme = Scheme.objects.filter(pk=scheme_id).first()
                self._scheme_names[scheme_id] = (
                    f"the scheme {scheme.name!r}" if scheme else f"scheme {scheme_id}"
                )
        return self._scheme_names[scheme_id]

    def _for_whom(self) -> str:
        if self.owner_scheme is None:
            return "of shared listings"
        return f"for {self.owner_scheme.name!r}"

    # --- writing -----------------------------------------------------------------------------

    def _write(self, batch: _Batch) -> dict:
        """Write the batch; return what happened to each row, and which parents lost children."""
        declared: dict[tuple[str, str], dict[uuid.UUID, set[uuid.UUID]]] = defaultdict(dict)
        for unit in batch.units:
            for key, parents in unit.declared.items():
                for parent, ids in parents.items():
                    declared[key].setdefault(parent, set()).update(ids)
        released = self._release_children(declared, batch.rows, batch.existing)
        existing = batch.existing
        if released["deleted"]:
            existing = {}
            for name, by_id in batch.rows.items():
                found = TABLES[name].model.objects.filter(pk__in=list(by_id))
                existing[name] = {r["id"]: r for r in found.values(*ATTNAMES[name])}
        now = timezone.now()
        status: dict[tuple[str, uuid.UUID], str] = {}
        for name in WRITE_ORDER:
            by_id = batch.rows.get(name)
            if not by_id:
                continue
            table = TABLES[name]
            model = table.model
            stored_rows = existing.get(name, {})
            to_create, to_update, fields = [], [], set()
            for row_id, row in by_id.items():
                stored = stored_rows.get(row_id)
                if stored is None:
                    to_create.append(self._new_instance(table, row))
                    status[(name, row_id)] = "created"
                    continue
                changed = [k for k, v in row.values.items() if stored.get(k) != v]
                if not changed:
                    status[(name, row_id)] = "unchanged"
                    continue
                merged = {**stored, **row.values}
                if name == "services":
                    merged["last_modified"] = now
                    changed.append("last_modified")
                elif name == "organizations":
                    merged["updated_at"] = now
                    changed.append("updated_at")
                fields.update(changed)
                to_update.append(model(**merged))
                status[(name, row_id)] = "updated"
            if to_create:
                _insert(model, to_create)
            if to_update:
                model.objects.bulk_update(to_update, sorted(fields), batch_size=BATCH_SIZE)
        return {"status": status, "released": released["parents"]}

    def _new_instance(self, table: Table, row: Row):
        instance = row.instance
        if instance is None:
            instance = table.model(id=row.id, **row.values)
        else:
            for link in table.links:  # a link left out after checking
                if link.attname not in row.values:
                    setattr(instance, link.attname, None)
        if table.name in OWNED_TABLES:
            instance.owner_scheme_id = self.owner_scheme_id
        if table.name == "services":
            instance.is_public = True
        return instance

    def _release_children(self, declared, rows, existing) -> dict:
        """Let go of stored children that a parent's incoming list no longer has: unlink a child
        that still belongs to something else, delete one that does not. A parent that was not
        stored before this batch has no stored children, so it is not looked at."""
        deleted = False
        parents_changed: set[uuid.UUID] = set()
        for (child, attname), declared_parents in declared.items():
            table = TABLES[child]
            model = table.model
            incoming = rows.get(child, {})
            if attname.startswith("link:"):
                parent_table = LINK_ENTITIES.get(attname.removeprefix("link:"))
            else:
                parent_table = next(link.target for link in table.links if link.attname == attname)
            stored_parents = existing.get(parent_table, {})
            parents = {p: ids for p, ids in declared_parents.items() if p in stored_parents}
            if not parents:
                continue
            if attname.startswith("link:"):
                entity = attname.removeprefix("link:")
                current = model.objects.filter(link_entity=entity, link_id__in=list(parents))
                stale = [
                    (row_id, parent)
                    for row_id, parent in current.values_list("id", "link_id")
                    if row_id not in parents[parent] and row_id not in incoming
                ]
                if stale:
                    model.objects.filter(pk__in=[s for s, _ in stale]).delete()
                    parents_changed.update(p for _, p in stale)
                continue
            others = [
                f.attname
                for f in model._meta.concrete_fields
                if f.is_relation and f.attname != attname
            ]
            nullable = model._meta.get_field(attname.removesuffix("_id")).null
            current = model.objects.filter(**{f"{attname}__in": list(parents)})
            unlink, delete = [], []
            for row_id, parent, *other_links in current.values_list("id", attname, *others):
                if row_id in parents[parent]:
                    continue
                parents_changed.add(parent)
                if row_id in incoming:
                    # The record came under another parent: its stored link to this one goes.
                    incoming[row_id].values.setdefault(attname, None)
                elif nullable and (child in NEVER_DELETED or any(other_links)):
                    unlink.append(row_id)
                else:
                    delete.append(row_id)
            if unlink:
                model.objects.filter(pk__in=unlink).update(**{attname: None})
            if delete:
                model.objects.filter(pk__in=delete).delete()
                deleted = True
        return {"deleted": deleted, "parents": parents_changed}

    def _record(self, batch: _Batch, outcome: dict) -> None:
        """Count what the batch did and pass on the kept units' warnings."""
        status = outcome["status"]
        released = outcome["released"]
        roots = {unit.key for unit in batch.units}
        for (name, row_id), state in status.items():
            if (name, row_id) in roots or self._counted_before(name, row_id):
                continue
            getattr(self.report, state)[TABLES[name].record_type] += 1
        for unit in batch.units:
            state = status.get(unit.key, "unchanged")
            if state == "unchanged" and (
                any(status.get(key) != "unchanged" for key in unit.rows)
                or any(row_id in released for _, row_id in unit.rows)
            ):
                state = "updated"
            if not self._counted_before(*unit.key):
                getattr(self.report, state)[unit.record_type] += 1
            for record_type, record_id, field_name, reason, where in unit.warnings:
                if (record_type, record_id, field_name, reason) in self.warned:
                    continue  # a shared record's warning, already given once
                self.warned.add((record_type, record_id, field_name, reason))
                self.report.warn(
                    record_type, record_id, reason, field=field_name, where=_place(unit, where)
                )


def _counted_before_key(name: str, row_id: uuid.UUID) -> int:
    return (row_id.int << 5) | TABLE_INDEX[name]


TABLE_INDEX = {name: index for index, name in enumerate(TABLES)}


def _references(row: Row):
    """(table, id) of every record a row links to, attributes' generic links included."""
    for link in row.table.links:
        value = row.values.get(link.attname)
        if value is not None:
            yield link.target, value
    if row.table.name == "attributes":
        entity = row.values.get("link_entity")
        target = LINK_ENTITIES.get(entity) if isinstance(entity, str) else None
        if target is not None and row.values.get("link_id") is not None:
            yield target, row.values["link_id"]


def _insert(model: type[models.Model], instances: list[models.Model]) -> None:
    """Insert new rows: one parameterised INSERT of the model's own columns, run for every row.

    Each value is prepared as `bulk_create` prepares it (`pre_save`, then `get_db_prep_save`,
    so `auto_now` fields are set and each database gets its own types). `bulk_create` builds a
    multi-row statement for every few dozen rows instead, and at a hundred thousand services
    building those statements costs more than the inserts do (an import takes a third longer).
    """
    fields = model._meta.concrete_fields
    database = connections[connection.alias]  # the connection itself, not the per-thread proxy
    quote = database.ops.quote_name
    # Table and column names come from the model and are quoted; every value is a parameter.
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    prepare = [(f.pre_save, f.get_db_prep_save) for f in fields]
    rows = [
        [to_db(pre_save(instance, True), database) for pre_save, to_db in prepare]
        for instance in instances
    ]
    with database.cursor() as cursor:
        cursor.executemany(sql, rows)
    for instance in instances:
        instance._state.adding = False
        instance._state.db = database.alias


def _place(unit: Unit, where: str) -> str:
    """Where a warning's record is: its row of a tabular file, or its path in a nested one."""
    if not where:
        return unit.where
    if ".csv" in where:
        return where
    return f"{unit.where}: {where}" if unit.where else where
