"""Remind services of referrals they have not answered, and expire the ones nobody answered
(telling their link workers). Run it each morning; a second run the same day sends nothing."""

from django.core.management.base import BaseCommand

from linkwell.connections.nudges import nudges_run


class Command(BaseCommand):
    help = "Remind services of unanswered referrals; expire those unanswered for too long."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be done; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        report = nudges_run(dry_run=dry_run)
        self.stdout.write(("Would have: " if dry_run else "") + report.summary())
