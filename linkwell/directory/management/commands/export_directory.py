"""Export the directory as Open Referral UK / HSDS 3.0 JSON or as an HSDS tabular data package."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from linkwell.directory.importer.export import (
    export_datapackage,
    export_hsds_json,
    services_to_export,
)


class Command(BaseCommand):
    help = (
        "Export the directory to OUT: --format hsds-json writes a JSON array of full HSDS "
        "services to the file OUT ('-' for standard output); --format datapackage writes a "
        "folder OUT with datapackage.json and one CSV file per HSDS table."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", metavar="OUT", help="The file (hsds-json) or folder to write.")
        parser.add_argument(
            "--format", required=True, choices=["hsds-json", "datapackage"], dest="fmt"
        )
        parser.add_argument(
            "--public-only",
            action="store_true",
            help="Only what the open feed lists: public services that are active or "
            "temporarily closed.",
        )
        parser.add_argument(
            "--linkwell-fields",
            action="store_true",
            help="Add Linkwell's own service fields (how people take part, capacity, cost "
            "type …), for moving a directory between Linkwell installations.",
        )

    def handle(self, *args, out, fmt, public_only=False, linkwell_fields=False, **options):
        public = public_only
        if fmt == "hsds-json":
            services = services_to_export(public_only=public)
            if out == "-":
                count = export_hsds_json(
                    out=_Unended(self.stdout), services=services, linkwell_fields=linkwell_fields
                )
            else:
                path = Path(out)
                if path.is_dir():
                    raise CommandError(f"{path} is a folder; hsds-json writes one file.")
                temporary = path.with_name(path.name + ".part")
                try:
                    with temporary.open("w", encoding="utf-8") as handle:
                        count = export_hsds_json(
                            out=handle, services=services, linkwell_fields=linkwell_fields
                        )
                    os.replace(temporary, path)
                except OSError as error:
                    raise CommandError(f"{path} could not be written: {error.strerror}.") from None
            self.stderr.write(f"Exported {count:,} services as HSDS JSON.")
            return
        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"{folder} is a file; a data package is a folder.")
        services = services_to_export(public_only=True) if public else None
        try:
            counts = export_datapackage(
                folder=folder, services=services, linkwell_fields=linkwell_fields
            )
        except OSError as error:
            raise CommandError(f"{folder} could not be written: {error.strerror}.") from None
        rows = ", ".join(f"{name} {n:,}" for name, n in counts.items() if n)
        self.stderr.write(f"Exported a data package to {folder}: {rows or 'no rows'}.")


class _Unended:
    """Standard output for JSON: written exactly as given, with no line ending added."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")
