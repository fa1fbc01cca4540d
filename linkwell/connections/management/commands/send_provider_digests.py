"""Each provider user gets a weekly email counting the referrals waiting for their answer and
those under way, with a link to their inbox. Run it once a week."""

from django.core.management.base import BaseCommand

from linkwell.connections.digests import digests_send


class Command(BaseCommand):
    help = "Send each provider user their weekly digest of referrals (names nobody)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count; send nothing.")

    def handle(self, *args, dry_run=False, **options):
        report = digests_send(dry_run=dry_run)
        self.stdout.write(f"{'Would send' if dry_run else 'Queued'} {report.sent} digests.")
