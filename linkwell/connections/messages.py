"""Messages about a connection go through the outbox (`linkwell.notify.outbox`): stored with
the referral, sent in the background with retries, and shown on the referral's page (and the
sender's "Messages not sent") if they cannot be sent."""

from __future__ import annotations

from django.urls import reverse

from linkwell import notify
from linkwell.connections.models import Connection
from linkwell.connections.states import Status
from linkwell.notify.outbox import message_queue, register_kind

# Messages asking a service to answer a referral: wanted only while it waits for that answer.
TO_ANSWER = (
    "connection.provider_notice",
    "connection.provider_link",
    "connection.provider_reminder",
)


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


def _still_waiting(row) -> str:
    status = Connection.objects.filter(pk=row.about_id).values_list("status", flat=True).first()
    if status != Status.SENT:
        return "the referral is no longer waiting for the service's answer"
    return ""


for _kind in TO_ANSWER:
    register_kind(_kind, still_wanted=_still_waiting)
