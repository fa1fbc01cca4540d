"""Telling a service about a referral sent to it, by the way it can answer: its staff who have
accounts are emailed that it is waiting in their inbox; a service with no accounts is emailed a
private link to answer that referral only (`provider_links`). The emails name nobody. They go
through the outbox, so they are sent in the background, retried, and a failure is shown to the
link worker who sent the referral."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from linkwell import notify
from linkwell.connections.messages import queue_about
from linkwell.connections.models import Connection
from linkwell.connections.nudges import PROVIDER_INBOX, provider_address
from linkwell.connections.provider_links import provider_link_send
from linkwell.connections.states import Status
from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.errors import ApplicationError

ACTIONS.update({"connection.provider_told": "Told a service a referral was sent to it"})


def _not_told(connection: Connection, reason: str, by=None) -> str:
    log_action(
        by,
        "connection.provider_not_reminded",
        connection,
        {"reason": reason},
        actor_label="" if getattr(by, "is_authenticated", False) else "Linkwell",
    )
    return reason


def tell_provider(*, connection: Connection, by=None) -> str:
    """Queue the messages that tell the service about this sent referral, in the caller's
    transaction. Returns "" when queued, else why the service cannot be told (audited)."""
    if connection.status != Status.SENT:
        return "the referral is no longer waiting for an answer"
    service = connection.service
    staff = [u.email for u in service.organization.staff.filter(is_active=True) if u.email]
    if not staff:
        address = provider_address(connection)
        if not address:
            return _not_told(connection, "the service has no email address", by)
        try:
            return provider_link_send(connection=connection, sent_to=address, by=by)
        except ApplicationError:  # an address in the directory that is not one
            return _not_told(connection, f"its email address ({address}) is not valid", by)
    inbox = settings.LINKWELL_BASE_URL + reverse(PROVIDER_INBOX)
    scheme = connection.case.scheme.name
    for email in staff:
        queue_about(
            connection,
            notify.Message(
                to_email=email,
                subject=f"A new referral to {service.name}",
                body=(
                    f"{scheme} has referred someone to {service.name}. "
                    f"Please accept or decline it: {inbox}"
                ),
                reference=f"connection-sent-{connection.pk}",
                kind="connection.provider_notice",
                personalisation={"scheme": scheme, "service": service.name, "link": inbox},
            ),
            sender=by,
        )
    log_action(by, "connection.provider_told", connection, {"to": len(staff)})
    return ""
