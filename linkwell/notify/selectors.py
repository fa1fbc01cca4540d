"""Reading the outbox: what could not be sent, for the people it was sent for."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from linkwell.core.permissions import Perm, can
from linkwell.notify.models import OutgoingMessage, OutgoingStatus


def may_see_messages(membership) -> bool:
    return can(membership, Perm.CASELOAD) or can(membership, Perm.TEAM_VIEW)


def sees_the_teams(membership) -> bool:
    """Managers and administrators see the whole team's messages, unless they work at some
    sites only (a message's subject may name a person from another site)."""
    return can(membership, Perm.TEAM_VIEW) and not membership.sites.exists()


def _visible(membership):
    """Messages of the member's scheme sent for them; the whole team's for those who see it."""
    if not may_see_messages(membership):
        return OutgoingMessage.objects.none()
    # A message that belongs to no scheme (a worker's follow-up digest) is seen by its sender.
    rows = OutgoingMessage.objects.filter(
        Q(scheme_id=membership.scheme_id) | Q(scheme__isnull=True, sender_id=membership.user_id)
    )
    if not sees_the_teams(membership):
        rows = rows.filter(sender_id=membership.user_id)
    return rows


def messages_not_sent(*, membership, limit: int = 100) -> list[OutgoingMessage]:
    """Messages that could not be sent, newest first."""
    return list(
        _visible(membership)
        .filter(status=OutgoingStatus.FAILED)
        .select_related("sender")
        .order_by("-created_at", "-id")[:limit]
    )


def messages_not_sent_count(*, membership) -> int:
    return _visible(membership).filter(status=OutgoingStatus.FAILED).count()


def message_for(*, membership, message_id) -> OutgoingMessage:
    """One message the member may see; another's, or another scheme's, is a 404."""
    row = _visible(membership).filter(pk=message_id).first()
    if row is None:
        raise Http404("No such message.")
    return row


def messages_about(obj, *, membership, limit: int = 20, failed_only=False) -> list:
    """The messages sent about a record (the caller has checked the member may see the record),
    each marked `may_act` when this member may try it again or dismiss it."""
    rows = OutgoingMessage.objects.filter(
        about_type=obj._meta.label_lower, about_id=str(obj.pk)
    ).select_related("sender")
    if failed_only:
        rows = rows.filter(status=OutgoingStatus.FAILED)
    rows = list(rows.order_by("-created_at", "-id")[:limit])
    team = sees_the_teams(membership)
    for row in rows:
        row.may_act = team or row.sender_id == membership.user_id
    return rows
