"""Signed, expiring email links for providers without an account: one link answers one referral.

`provider_link_create` makes a random secret, stores only its SHA-256 digest with an expiry and
returns the secret once, for the email. `provider_link_for_secret` finds the link again from
the address, telling an unknown link (404) from an expired one (410). The page at
/r/<secret>/ (views_provider.link_page) answers through `connection_move` with
`as_provider=True` and `by_label=sent_to`, so the same state machine and audit apply.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from linkwell import notify
from linkwell.casework.models import Need
from linkwell.connections.messages import queue_about
from linkwell.connections.models import Connection, ProviderLink
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.errors import ApplicationError

logger = logging.getLogger("linkwell.connections")

ACTIONS.update(
    {
        "connection.link_created": "Made an email link for a provider to answer a referral",
        "connection.link_sent": "Queued an email link for a provider to answer a referral",
        "connection.link_not_sent": "An email link to a provider could not be sent",
        "connection.link_viewed": "A provider opened a referral by its email link",
    }
)

MAX_DAYS = 90


class LinkState(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def provider_link_url(secret: str) -> str:
    return settings.LINKWELL_BASE_URL + reverse("provider_inbox:link", args=[secret])


@transaction.atomic
def provider_link_create(*, connection: Connection, sent_to: str, days: int = 14, by=None) -> str:
    """A link for the provider at `sent_to` to answer this referral, working for `days` days.
    Returns the secret (shown once, in the email); only its digest is kept."""
    if connection.kind != Kind.REFERRAL or connection.status == Status.PROPOSED:
        raise ApplicationError(
            "connection_link_not_sent",
            "Only a referral that has been sent can be answered by an email link.",
            status=409,
        )
    sent_to = (sent_to or "").strip()
    try:
        validate_email(sent_to)
    except ValidationError as error:
        raise ApplicationError(
            "connection_link_address",
            "Enter the provider's email address.",
            fields={"sent_to": ["Enter the provider's email address."]},
        ) from error
    if not 1 <= days <= MAX_DAYS:
        raise ApplicationError(
            "connection_link_days", f"A link works for 1 to {MAX_DAYS} days.", status=400
        )
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    link = ProviderLink.objects.create(
        connection=connection,
        sent_to=sent_to,
        digest=digest(secret),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    log_action(
        by,
        "connection.link_created",
        connection,
        {"to": sent_to, "link": link.pk, "expires": link.expires_at.isoformat()},
        scheme=connection.case.scheme,
        actor_label="" if getattr(by, "is_authenticated", False) else "Linkwell",
    )
    return secret


def _message(connection: Connection, secret: str, sent_to: str, expires_at) -> notify.Message:
    # The email names nobody: the person's details are behind the link.
    scheme = connection.case.scheme.name
    service = connection.service.name
    until = f"{timezone.localtime(expires_at):%-d %B %Y}"
    body = "\n\n".join(
        [
            "Hello,",
            f"{scheme} has referred someone to {service} through Linkwell.",
            "Open this private link to see the referral and to accept or decline it. Later, "
            "use the same link to tell us whether they started, attended or finished, or did "
            "not attend:",
            provider_link_url(secret),
            f"Please do not pass this link on. It works until {until}.",
        ]
    )
    return notify.Message(
        to_email=sent_to,
        subject=f"A referral to {service} from {scheme}",
        body=body,
        reference=f"provider-link-{connection.pk}",
        kind="connection.provider_link",
        personalisation={
            "scheme": scheme,
            "service": service,
            "link": provider_link_url(secret),
            "until": until,
        },
    )


def provider_link_send(
    *, connection: Connection, sent_to: str, days: int = 14, by=None, sender=None
) -> str:
    """Make a link and queue the email that carries it (the outbox sends it in the background,
    tries again if Notify is down, and wipes the link from the stored message once it ends).
    `sender` is who sees the email on their "not sent" list if it fails (default `by`).
    Returns "" when queued, else why not (audited; the caller shows it)."""
    with transaction.atomic():
        secret = provider_link_create(connection=connection, sent_to=sent_to, days=days, by=by)
        link = ProviderLink.objects.get(digest=digest(secret))
        scheme = connection.case.scheme
        label = "" if getattr(by, "is_authenticated", False) else "Linkwell"
        try:
            queue_about(
                connection,
                _message(connection, secret, link.sent_to, link.expires_at),
                sender=sender or by,
                secret=True,
            )
        except ValueError as error:
            text = str(error)[:300]
            log_action(
                by,
                "connection.link_not_sent",
                connection,
                {"to": link.sent_to, "error": text},
                scheme=scheme,
                actor_label=label,
            )
            logger.warning("Provider link for %s not sent: %s", connection.pk, text)
            return text
        log_action(
            by,
            "connection.link_sent",
            connection,
            {"to": link.sent_to},
            scheme=scheme,
            actor_label=label,
        )
    return ""


def provider_link_for_secret(secret: str) -> tuple[LinkState, ProviderLink | None]:
    """The link for an emailed secret, with its referral and what the page shows of it."""
    if not secret or len(secret) > 100:
        return LinkState.UNKNOWN, None
    link = (
        ProviderLink.objects.select_related(
            "connection__case__person",
            "connection__case__scheme",
            "connection__service__organization",
        )
        .prefetch_related(
            Prefetch(
                "connection__case__needs",
                queryset=Need.objects.filter(severity__gt=0).select_related("area"),
                to_attr="shared_needs",
            )
        )
        .filter(digest=digest(secret))
        .first()
    )
    if link is None:
        return LinkState.UNKNOWN, None
    if link.expires_at <= timezone.now():
        return LinkState.EXPIRED, link
    return LinkState.OK, link


def provider_link_used(link: ProviderLink, *, viewed: bool = False, ip_address=None) -> None:
    """Note that the link was used now; a view is audited (an answer is audited by the move)."""
    now = timezone.now()
    ProviderLink.objects.filter(pk=link.pk).update(last_used_at=now)
    link.last_used_at = now
    if viewed:
        connection = link.connection
        log_action(
            None,
            "connection.link_viewed",
            connection,
            {"by_email": link.sent_to, "status": connection.status},
            scheme=connection.case.scheme,
            ip_address=ip_address,
            actor_label=link.sent_to,
        )
