"""Importing a community directory from Open Referral UK / HSDS 3.0 data.

`import_directory(source, owner_scheme=..., by=...)` reads an HSDS JSON file (one record, a
paged list, or an array), an HSDS tabular data package (a folder of CSV files), or an Open
Referral API (paged `GET /services?full=true`), and stores what it finds:

- **Idempotent on ids.** A record whose id is stored is updated, never duplicated; a record that
  brings a list of children (a service's schedules, phones, cost options, attributes …) replaces
  the stored list with it. A record without such a list keeps the stored one.
- **Per-record checks.** Each top-level record (with all it carries) is checked on its own: the
  models' field rules (`full_clean`) and the directory's own (a schedule closes after it opens,
  a cost is not negative, a term a service is filed under exists). A bad record is skipped and
  reported with its id and the reason; what is stored for it stays as it was.
- **Impossible values are left out, not fatal.** A latitude of 100, or a link to a parent term
  that is nowhere, is dropped from an otherwise good record with a warning saying so.
- **Fast.** Records are written in batches with bulk inserts and updates; a batch the database
  refuses is written again record by record.

A source that cannot be read at all (no such file, not JSON, no answer) raises
`ImportSourceError`. One audit entry records each run.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.models import Scheme
from linkwell.directory.importer.report import ImportIssue, ImportReport, ImportSourceError
from linkwell.directory.importer.sources import FLUSH, open_source
from linkwell.directory.importer.writer import Importer, ProgressCallback
from linkwell.matching.tasks import listings_changed

__all__ = ["ImportIssue", "ImportReport", "ImportSourceError", "import_directory"]

ACTIONS.setdefault("directory.imported", "Imported directory listings")


def import_directory(
    source: str | Path,
    *,
    owner_scheme: Scheme | None = None,
    by=None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import the directory records in `source` and return what happened.

    `owner_scheme` keeps the services and organisations the import creates (None: shared
    listings); a stored listing kept by another scheme is not changed. `by` is the user who ran
    the import, for the audit log. `progress(done, total)` is called as records are written
    (`total` is None until the source says how many records it has).
    """
    started = time.perf_counter()
    opened = open_source(source)
    report = ImportReport(source=opened.label)
    importer = Importer(
        report=report,
        owner_scheme=owner_scheme,
        progress=progress,
        total=lambda: opened.total,
        nested=opened.nested,
    )
    try:
        with _roomy_sqlite_cache():
            for item in opened.units(report):
                if item is FLUSH:
                    importer.flush()
                else:
                    importer.add(item)
            importer.flush()
    finally:
        opened.close()
        report.notes[:0] = opened.notes
        report.seconds = time.perf_counter() - started
    log_action(
        by,
        "directory.imported",
        scheme=owner_scheme,
        data={
            "source": _without_query(report.source),
            "counts": report.counts(),
            "skipped": len(report.errors),
            "warnings": len(report.warnings),
            "incomplete": report.incomplete,
        },
    )
    # Matching reads listings' stored words: rebuild them (unchanged listings are skipped).
    listings_changed(None)
    return report


@contextmanager
def _roomy_sqlite_cache(kibibytes: int = 256 * 1024):
    """On SQLite, a larger page cache while the import runs (random UUID keys touch pages all
    over each index); the connection's own setting comes back afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = -{int(kibibytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")


def _without_query(source: str) -> str:
    """The source as the audit log keeps it: an address loses its query and credentials."""
    parts = urlsplit(source)
    if parts.scheme in ("http", "https"):
        return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
    return source
