"""Background tasks of the outbox (run by `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_message(message_id: str) -> str:
    """Send one stored message, scheduling a retry if the failure may pass."""
    from linkwell.notify.outbox import message_deliver

    return message_deliver(message_id)
