"""manage.py import_postcodes FILE [--format onspd|codepoint]: fill the postcode table."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from linkwell.geo.importers import (
    DEFAULT_BATCH_SIZE,
    FORMATS,
    PostcodeFileError,
    postcodes_import,
)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


class Command(BaseCommand):
    help = (
        "Import postcodes with their coordinates from an ONS Postcode Directory CSV (with its "
        "header row) or a Code-Point Open CSV. Postcodes already present are updated; rows "
        "without coordinates, or with malformed postcodes or impossible coordinates, are skipped "
        "and counted. The whole file is imported in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (unzipped).")
        parser.add_argument(
            "--format",
            choices=sorted(FORMATS),
            help="The file's layout; told from its first line when not given.",
        )
        parser.add_argument(
            "--batch-size",
            type=_positive_int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows written per statement (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args, file, format=None, batch_size=DEFAULT_BATCH_SIZE, **options):
        path = Path(file)
        try:
            handle = path.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        bar = tqdm(unit=" rows", disable=not sys.stderr.isatty(), file=sys.stderr)

        def progress(rows: int) -> None:
            bar.update(rows - bar.n)

        try:
            with handle:
                summary = postcodes_import(
                    file=handle, format=format, batch_size=batch_size, progress=progress
                )
        except PostcodeFileError as exc:
            raise CommandError(f"Cannot import {file}: {exc} Nothing was imported.") from exc
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        finally:
            bar.close()

        self.stdout.write(
            self.style.SUCCESS(f"Imported {_count(summary.imported, 'postcode')}")
            + f" from {FORMATS[summary.format]} file {path.name}"
            + f" ({_count(summary.rows, 'row')} read)."
        )
        skipped = sum(summary.skipped.values())
        if skipped:
            self.stdout.write(self.style.WARNING(f"Skipped {_count(skipped, 'row')}:"))
            for reason, count in summary.skipped.most_common():
                self.stdout.write(f"  {reason}: {count:,}")
        if summary.examples:
            self.stdout.write("First rows skipped for a problem:")
            for example in summary.examples:
                self.stdout.write(f"  {example}")
