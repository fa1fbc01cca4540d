"""Rebuild what matching keeps ready: every listing's stored words (and embeddings, with the
semantic extra) and the schemes' track records of services. Safe to run at any time; a
listing whose words have not changed is skipped. Run it after a bulk change made outside
Linkwell's own services, or daily beside the worker."""

import time

from django.core.management.base import BaseCommand

from linkwell.matching.services import match_text_refresh, track_records_refresh


class Command(BaseCommand):
    help = "Rebuild the directory's stored words for matching and the services' track records."

    def handle(self, *args, **options):
        started = time.perf_counter()
        rebuilt = match_text_refresh()
        records = track_records_refresh()
        self.stdout.write(
            f"Stored words rebuilt for {rebuilt} listings; track records of {records} services "
            f"({time.perf_counter() - started:.1f} s)."
        )
