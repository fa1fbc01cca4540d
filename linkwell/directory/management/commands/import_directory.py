"""Import Open Referral UK / HSDS 3.0 directory records from a file, a data package or an API."""

import sys

from django.core.management.base import BaseCommand, CommandError

from linkwell.core.models import Scheme
from linkwell.directory.importer import ImportSourceError, import_directory

# Exit codes: 0 read in full (records may have been skipped: see the summary); 1 the source
# could not be read at all; 2 the API stopped answering part way (what was read was imported).
EXIT_INCOMPLETE = 2


class Command(BaseCommand):
    help = (
        "Import directory records from SOURCE: an HSDS JSON file (one service, a paged list or "
        "an array), an HSDS tabular data package (a folder of CSV files with datapackage.json), "
        "or an Open Referral UK / HSDS 3.0 API base URL (pages through /services?full=true). "
        "Records are matched on their ids: importing again updates, never duplicates. Exits 1 "
        "when SOURCE cannot be read at all, 2 when an API stopped answering part way."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="A file, a folder, or an http(s):// API base URL.")
        parser.add_argument(
            "--scheme",
            metavar="SLUG",
            help="The scheme that keeps the imported listings (default: shared listings).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar, even on a terminal."
        )

    def handle(self, *args, source, scheme=None, no_progress=False, **options):
        owner = None
        if scheme:
            owner = Scheme.objects.filter(slug=scheme).first()
            if owner is None:
                raise CommandError(f"No scheme has the slug {scheme!r}.")
        bar = None
        progress = None
        if not no_progress and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=None, unit=" records", file=sys.stderr, dynamic_ncols=True)

            def progress(done: int, total: int | None) -> None:
                if total is not None and bar.total != total:
                    bar.total = total
                bar.update(done - bar.n)

        try:
            report = import_directory(source, owner_scheme=owner, progress=progress)
        except ImportSourceError as error:
            raise CommandError(error.message) from error
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(report.summary())
        if report.incomplete:
            sys.exit(EXIT_INCOMPLETE)
