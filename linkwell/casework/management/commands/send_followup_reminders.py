"""Daily: each link worker's digest of follow-ups due, and tomorrow's appointment reminders to
people who agreed to them. Meant for cron, for example `0 7 * * * manage.py
send_followup_reminders`. The work is in `linkwell.casework.reminders`."""

import argparse
from datetime import date

from django.core.management.base import BaseCommand

from linkwell.casework.reminders import send_followup_reminders


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date like 2026-11-30: {value!r}") from error


class Command(BaseCommand):
    help = "Send link workers their follow-up digest and people their appointment reminders."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=_day,
            default=None,
            help="The day to treat as today (YYYY-MM-DD). Default: today.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say what would be sent; send and record nothing.",
        )

    def handle(self, *args, date=None, dry_run=False, **options):
        summary = send_followup_reminders(today=date, dry_run=dry_run)
        self.stdout.write(summary.line())
