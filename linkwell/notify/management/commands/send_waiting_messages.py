"""Send the outbox's messages that are due but whose background task was lost (a worker that
stopped, a queue that was cleared), and take back any left half-sent. Messages left "not sent"
for NOTIFY_FORGET_FAILED_DAYS end "not needed", and their words are not kept. Run it every few
minutes beside `db_worker`; with nothing due it does nothing."""

from django.conf import settings
from django.core.management.base import BaseCommand

from linkwell.notify.outbox import messages_forget_failed, messages_send_due


class Command(BaseCommand):
    help = "Send the outbox's messages that are due (a safety net for lost background tasks)."

    def handle(self, *args, **options):
        counts = messages_send_due()
        forgotten = messages_forget_failed()
        self.stdout.write(
            f"Sent {counts.get('sent', 0)}; {counts.get('queued', 0)} to try again later; "
            f"{counts.get('failed', 0)} could not be sent; {forgotten} not sent for "
            f"{settings.NOTIFY_FORGET_FAILED_DAYS} days forgotten."
        )
