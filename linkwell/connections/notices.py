"""Telling a service about a referral sent to it, by the way it can answer: its staff who have
accounts are emailed that it is waiting in their inbox; a service with no accounts is emailed a
private link to answer that referral only (`provider_links`). The emails name nobody."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from linkwell import notify
from linkwell.connections.models import Connection
from linkwell.connections.nudges import PROVIDER_INBOX, provider_address, send_or_why
from linkwell.connections.provider_links import provider_link_send
from linkwell.connections.states import Status
from linkwell.core.audit import ACTIONS, log_action

ACTIONS.update({"connection.provider_told": "Told a service a referral was sent to it"})


def tell_provider(*, connection_id) -> str:
    connection = (
        Connection.objects.select_related("service__organization", "case__scheme")
        .filter(pk=connection_id, status=Status.SENT)
        .first()
    )
    if connection is None:
        return "the referral is no longer waiting for an answer"
    staff = [u.email for u in connection.service.organization.staff.filter(is_active=True)]
    if not staff:
        address = provider_address(connection)
        if not address:
            log_action(
                None,
                "connection.provider_not_reminded",
                connection,
                {"reason": "the service has no email address"},
                actor_label="Linkwell",
            )
            return "the service has no email address"
        return provider_link_send(connection=connection, sent_to=address)
    inbox = settings.LINKWELL_BASE_URL + reverse(PROVIDER_INBOX)
    for email in staff:
        failed = send_or_why(
            notify.Message(
                to_email=email,
                subject=f"A new referral to {connection.service.name}",
                body=(
                    f"{connection.case.scheme.name} has referred someone to "
                    f"{connection.service.name}. Please accept or decline it: {inbox}"
                ),
                reference=f"connection-sent-{connection.pk}",
            )
        )
        if failed:
            log_action(
                None,
                "connection.provider_not_reminded",
                connection,
                {"reason": failed},
                actor_label="Linkwell",
            )
            return failed
    log_action(
        None, "connection.provider_told", connection, {"to": len(staff)}, actor_label="Linkwell"
    )
    return ""
