"""The weekly digest for providers (`manage.py send_provider_digests`, run once a week): each
provider user who keeps an organisation's listings gets one email counting the referrals to
their services waiting for an answer and those under way, with a link to their inbox. It names
nobody: the people are behind the sign-in. Digests go through the outbox (sent in the background
and retried). A provider who works in one scheme has their digest sent in that scheme, so one
that cannot be delivered is shown to its managers and administrators under "Messages not sent".
A provider of several schemes gets one digest for all of them, which belongs to no one scheme:
if it cannot be delivered it is audited and listed in the site administration's outbox."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse

from linkwell import notify
from linkwell.connections.models import Connection
from linkwell.connections.nudges import PROVIDER_INBOX
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.models import Membership, Role, User
from linkwell.notify.outbox import message_queue

ACTIONS.update(
    {
        "connection.provider_digest_sent": "Sent a provider their weekly referrals digest",
        "connection.provider_digest_not_sent": "Could not send a provider their weekly digest",
    }
)
UNDER_WAY = (Status.ACCEPTED, Status.STARTED, Status.ATTENDED_SOME)


@dataclass
class DigestReport:
    sent: int = 0


def provider_counts():
    """Per provider user: referrals to their organisations' services waiting for an answer, and
    under way. One query."""
    referrals = Connection.objects.filter(kind=Kind.REFERRAL)
    return (
        User.objects.filter(is_active=True, provider_organizations__isnull=False)
        .annotate(
            waiting=Count(
                "provider_organizations__services__connections",
                filter=Q(
                    provider_organizations__services__connections__in=referrals.filter(
                        status=Status.SENT
                    )
                ),
                distinct=True,
            ),
            under_way=Count(
                "provider_organizations__services__connections",
                filter=Q(
                    provider_organizations__services__connections__in=referrals.filter(
                        status__in=UNDER_WAY
                    )
                ),
                distinct=True,
            ),
        )
        .filter(Q(waiting__gt=0) | Q(under_way__gt=0))
        .order_by("email")
    )


def digests_send(*, dry_run: bool = False) -> DigestReport:
    report = DigestReport()
    inbox = settings.LINKWELL_BASE_URL + reverse(PROVIDER_INBOX)
    providers = list(provider_counts())
    schemes: dict = {}
    for user_id, scheme_id in Membership.objects.filter(
        user__in=[user.pk for user in providers], role=Role.PROVIDER, is_active=True
    ).values_list("user_id", "scheme_id"):
        schemes.setdefault(user_id, set()).add(scheme_id)
    for user in providers:
        in_schemes = schemes.get(user.pk, set())
        scheme_id = next(iter(in_schemes)) if len(in_schemes) == 1 else None
        if dry_run:
            report.sent += 1
            continue
        message = notify.Message(
            kind="connection.provider_digest",
            personalisation={
                "waiting": str(user.waiting),
                "under_way": str(user.under_way),
                "link": inbox,
            },
            to_email=user.email,
            subject=f"Referrals this week: {user.waiting} waiting for your answer",
            body=(
                f"{user.waiting} referral{'s' if user.waiting != 1 else ''} to your services "
                f"{'are' if user.waiting != 1 else 'is'} waiting for your answer, and "
                f"{user.under_way} {'are' if user.under_way != 1 else 'is'} under way. "
                f"Answer them, or tell us how they are going: {inbox}"
            ),
            reference=f"provider-digest-{user.pk}",
        )
        try:
            message_queue(message, scheme_id=scheme_id, about=user, sender=None)
        except ValueError as error:
            log_action(
                None,
                "connection.provider_digest_not_sent",
                user,
                {"reason": str(error)},
                actor_label="Linkwell",
            )
            continue
        report.sent += 1
        log_action(
            None,
            "connection.provider_digest_sent",
            user,
            {"waiting": user.waiting, "under_way": user.under_way},
            actor_label="Linkwell",
        )
    return report
