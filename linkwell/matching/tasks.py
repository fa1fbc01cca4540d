"""Background tasks of matching (run by `manage.py db_worker`): the directory's stored words
(and embeddings, with the semantic extra) rebuilt when listings change, and the scheme's track
records of services counted again."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django_tasks import task


@task()
def refresh_match_text(service_ids: list[str] | None = None) -> int:
    from linkwell.matching.services import match_text_refresh

    return match_text_refresh(service_ids=service_ids)


@task()
def refresh_track_records() -> int:
    from linkwell.matching.services import track_records_refresh

    return track_records_refresh()


def listings_changed(service_ids: Iterable | None = None) -> None:
    """Queue the rebuild of these listings' stored words (all listings when None) once the
    change that altered them is committed."""
    ids = None if service_ids is None else [str(i) for i in service_ids]
    if ids == []:
        return
    transaction.on_commit(lambda: refresh_match_text.enqueue(service_ids=ids))
