"""Messages about a connection go through the outbox (`linkwell.notify.outbox`): stored with
the referral, sent in the background with retries, and shown on the referral's page (and the
sender's "Messages not sent") if they cannot be sent."""

from __future__ import annotations

from django.urls import reverse

from linkwell import notify
from linkwell.connections.models import Connection
from linkwell.notify.outbox import message_queue


def connection_page(connection: Connection) -> str:
    return reverse("case_connections:detail", args=[connection.case_id, connection.pk])


def queue_about(connection: Connection, message: notify.Message, *, sender=None, secret=False):
    """Queue a message about this connection, sent for `sender` (who sees it if it fails)."""
    return message_queue(
        message,
        scheme_id=connection.scheme_id,
        about=connection,
        link=connection_page(connection),
        sender=sender,
        secret=secret,
    )
