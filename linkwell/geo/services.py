"""Writing postcodes: the one upsert the importer, the demo and the HTTP cache all use."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from linkwell.geo.models import Postcode

# Rows per INSERT ... ON CONFLICT statement; well inside SQLite's and PostgreSQL's parameter limits.
UPSERT_BATCH_SIZE = 2000


@transaction.atomic
def postcodes_upsert(*, rows: Iterable[tuple[str, float, float]], source: str) -> int:
    """Insert or update postcodes from (normalised postcode, latitude, longitude) rows.

    A postcode already in the table takes the new coordinates and source. Callers normalise
    and check the rows first (the database refuses out-of-range coordinates). When a postcode
    appears more than once in `rows`, the last one wins. Returns how many distinct postcodes
    were written.
    """
    latest: dict[str, tuple[float, float]] = {}
    for postcode, latitude, longitude in rows:
        latest[postcode] = (latitude, longitude)
    if not latest:
        return 0
    now = timezone.now()
    objs = [
        Postcode(
            postcode=postcode,
            latitude=latitude,
            longitude=longitude,
            source=source,
            updated_at=now,
        )
        for postcode, (latitude, longitude) in latest.items()
    ]
    # ON CONFLICT (postcode) DO UPDATE: one statement per batch on SQLite and PostgreSQL alike.
    # Each batch holds a postcode once, which PostgreSQL requires of ON CONFLICT DO UPDATE.
    Postcode.objects.bulk_create(
        objs,
        batch_size=UPSERT_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["postcode"],
        update_fields=["latitude", "longitude", "source", "updated_at"],
    )
    return len(objs)
