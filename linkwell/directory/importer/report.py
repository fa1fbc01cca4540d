"""What a directory import did: counts per record type, the records it skipped and why, and the
values it left out (warnings), with a plain-text summary for people."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from linkwell.core.errors import ApplicationError


class ImportSourceError(ApplicationError):
    """The source could not be read at all: no file, not JSON, no answer from the API."""

    def __init__(self, message: str):
        super().__init__("directory_import.unreadable", message)


@dataclass(frozen=True)
class ImportIssue:
    """One problem with one record: the record's type and id, what was wrong, and where."""

    record_type: str
    record_id: str
    reason: str
    field: str = ""
    where: str = ""

    def __str__(self) -> str:
        subject = f"{self.record_type} {self.record_id}".strip()
        place = f" [{self.where}]" if self.where else ""
        return f"{subject}: {self.reason}{place}"


# The record types the summary lists first, in this order; others follow alphabetically.
_MAIN_TYPES = (
    "service",
    "organization",
    "program",
    "location",
    "service at location",
    "taxonomy",
    "taxonomy term",
    "attribute",
)


@dataclass
class ImportReport:
    """The outcome of one run of `import_directory`.

    `created`, `updated`, `unchanged` and `skipped` count records by type ("service",
    "location", "phone" …). A record is *updated* when it was already stored and the import
    changed it, *unchanged* when it was stored exactly as it came. `errors` are the records
    skipped, each with its id and the reason; `warnings` are values left out of records that
    were kept (an impossible latitude, a link to a record that is nowhere).
    """

    source: str
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records_read: int = 0
    seconds: float = 0.0
    incomplete: bool = False  # the source stopped answering part way (an API page failed)

    @property
    def rate(self) -> float:
        """Top-level records read per second."""
        return self.records_read / self.seconds if self.seconds > 0 else 0.0

    def counts(self) -> dict[str, dict[str, int]]:
        """Counts per record type: {"service": {"created": 3, "updated": 1, …}, …}."""
        types = set(self.created) | set(self.updated) | set(self.unchanged) | set(self.skipped)
        ordered = [t for t in _MAIN_TYPES if t in types] + sorted(types - set(_MAIN_TYPES))
        return {
            t: {
                "created": self.created[t],
                "updated": self.updated[t],
                "unchanged": self.unchanged[t],
                "skipped": self.skipped[t],
            }
            for t in ordered
        }

    def error(self, record_type: str, record_id, reason: str, *, where: str = "") -> None:
        self.errors.append(ImportIssue(record_type, str(record_id or "?"), reason, where=where))

    def warn(
        self, record_type: str, record_id, reason: str, *, field: str = "", where: str = ""
    ) -> None:
        self.warnings.append(
            ImportIssue(record_type, str(record_id or "?"), reason, field=field, where=where)
        )

    def summary(self, *, limit: int = 50) -> str:
        """The run in plain text: counts per type, then each skipped record and each warning
        (up to `limit` of each, with how many more there were)."""
        lines = [f"Import from {self.source}"]
        if self.incomplete:
            lines.append("The source stopped answering part way; what was read was imported.")
        counts = self.counts()
        if counts:
            width = max(len(t) for t in counts)
            lines.append(
                f"{'record type':<{width}}  {'created':>8}  {'updated':>8}  "
                f"{'unchanged':>9}  {'skipped':>8}"
            )
            for record_type, c in counts.items():
                lines.append(
                    f"{record_type:<{width}}  {c['created']:>8,}  {c['updated']:>8,}  "
                    f"{c['unchanged']:>9,}  {c['skipped']:>8,}"
                )
        else:
            lines.append("No directory records were found.")
        lines.extend(self.notes)
        for title, issues in (("Skipped", self.errors), ("Warnings", self.warnings)):
            if not issues:
                continue
            lines.append(f"{title} ({len(issues):,}):")
            lines.extend(f"  - {issue}" for issue in issues[:limit])
            if len(issues) > limit:
                lines.append(f"  … and {len(issues) - limit:,} more")
        lines.append(
            f"{self.records_read:,} records read in {self.seconds:.1f} s "
            f"({self.rate:,.0f} records/s); {len(self.errors):,} skipped, "
            f"{len(self.warnings):,} warnings."
        )
        return "\n".join(lines)
