"""The virtual waiting room: private links, what the page shows, and what staff see of it.

A person referred with consent to be contacted by text message or email gets a private link to
a page of self-care resources matched to their reasons, what happens next, how long the wait
usually is, and how to get urgent help. Only a SHA-256 digest of the link's secret is stored.
Links expire (the scheme's `waiting_room_days`), can be revoked, stop working when consent to
contact is withdrawn, and every view is logged.

Sending is synchronous, straight after the referral is stored (intake calls
`offer_on_referral` once its transaction has committed) and outside any transaction: one
HTTP call to GOV.UK Notify at most. A queued task would have to carry the secret in the task
table, which is exactly what the digest avoids. A failure is recorded on the link
(`send_error`), audited, and shown on the referral page, where staff can send a new link.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from linkwell import notify
from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.errors import ApplicationError
from linkwell.people.models import ConsentScope, ContactMethod, DigitalAccess, Person
from linkwell.people.selectors import MESSAGE_CHANNEL_WORDS, has_consent, message_route
from linkwell.people.validation import format_phone
from linkwell.referrals.models import PackPosting, Referral, WaitingRoomLink
from linkwell.referrals.states import CLOSED, NOT_YET_CONTACTED, Status
from linkwell.resources.selectors import resources_for_need_areas

logger = logging.getLogger("linkwell.referrals.waiting_room")

ACTIONS.update(
    {
        "waiting_room.link_sent": "Sent a waiting-room link",
        "waiting_room.send_failed": "A waiting-room link could not be sent",
        "waiting_room.not_offered": "No waiting-room link sent (no consent or no way to send it)",
        "waiting_room.viewed": "Opened their waiting room",
        "waiting_room.leaflet_opened": "Opened a leaflet in their waiting room",
        "waiting_room.link_revoked": "Stopped a waiting-room link working",
        "waiting_room.pack_printed": "Printed a waiting-room pack (includes the person's address)",
        "waiting_room.pack_posted": "Recorded that a waiting-room pack was posted",
    }
)

VIEWER_LABEL = "the person, by their waiting-room link"
# The wait figure needs this many first contacts in the window to mean anything.
WAIT_WINDOW_DAYS = 90
WAIT_MIN_SAMPLE = 5


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def link_url(secret: str) -> str:
    return settings.LINKWELL_BASE_URL + reverse("waiting_room:page", args=[secret])


# --- How to reach the person ------------------------------------------------------------------


@dataclass
class Route:
    """Where a link can go (`channel` and `to`), or why it cannot (`reasons`)."""

    channel: str = ""
    to: str = ""
    reasons: list[str] = field(default_factory=list)
    offer_pack: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.channel)

    @property
    def why_not(self) -> str:
        return "; ".join(self.reasons)


def choose_route(person: Person, *, send_by: str | None = None) -> Route:
    """How to send this person their link, checked now: consent to be contacted by that
    route, and an address for it. Their preferred method first, then the other. Without
    `send_by` (the automatic offer), people without internet access or who prefer letters
    are offered the printed pack instead."""
    if not has_consent(person, ConsentScope.CONTACT):
        return Route(reasons=["no consent to be contacted"])
    if send_by is None:
        if person.digital_access in (DigitalAccess.NONE, DigitalAccess.PHONE_ONLY):
            return Route(
                reasons=[
                    f"{DigitalAccess(person.digital_access).label.lower()}: "
                    "print the pack and post it"
                ],
                offer_pack=True,
            )
        if person.preferred_contact_method == ContactMethod.LETTER:
            return Route(reasons=["prefers letters: print the pack and post it"], offer_pack=True)
    if send_by and send_by not in MESSAGE_CHANNEL_WORDS:
        raise ApplicationError("waiting_room_bad_channel", "Choose text message or email.")
    found = message_route(person, channels=[send_by] if send_by else None)
    if found.channel:
        return Route(channel=found.channel, to=found.to)
    return Route(reasons=list(found.reasons), offer_pack=bool(person.postal_address))


# --- Creating and sending links ---------------------------------------------------------------


def _message(link: WaitingRoomLink, secret: str, referral: Referral) -> notify.Message:
    name = referral.person.first_name
    scheme = referral.scheme.name
    url = link_url(secret)
    until = f"{timezone.localtime(link.expires_at):%-d %B %Y}"
    if link.sent_by == notify.Channel.SMS:
        body = (
            f"Hello {name}, {scheme} has your referral. While you wait to hear from us, your "
            f"private page has help you can use now: {url} Please keep this link to yourself. "
            f"It works until {until}."
        )
        return notify.Message(
            to_phone=link.sent_to,
            subject="Your waiting room",
            body=body,
            reference=f"waiting-room-{link.pk}",
        )
    body = "\n\n".join(
        [
            f"Hello {name},",
            f"{scheme} has your referral for social prescribing. A link worker will be in touch.",
            "While you wait, your private waiting-room page has help you can use now, chosen "
            "for what you were referred for. It also says what happens next and how to get "
            "urgent help.",
            url,
            f"Please keep this link to yourself. It works until {until}.",
            "If you need help now: call 999 in an emergency, NHS 111 if you need medical help "
            "fast, or Samaritans on 116 123 to talk to someone, any time.",
        ]
    )
    return notify.Message(
        to_email=link.sent_to,
        subject=f"{scheme}: help while you wait",
        body=body,
        reference=f"waiting-room-{link.pk}",
    )


@transaction.atomic
@transaction.atomic
def _create(referral: Referral, route: Route, by) -> tuple[WaitingRoomLink, str]:
    # Two sends at once would each stop the other's earlier link and leave two working:
    # taking the referral's row first makes them one after the other.
    Referral.objects.select_for_update().filter(pk=referral.pk).values_list("pk").first()
    now = timezone.now()
    actor = by if getattr(by, "is_authenticated", False) else None
    # One working link at a time: a new one replaces any earlier one.
    WaitingRoomLink.objects.filter(
        referral=referral, revoked_at__isnull=True, expires_at__gt=now
    ).update(revoked_at=now, revoked_by=actor)
    secret = secrets.token_urlsafe(32)
    link = WaitingRoomLink.objects.create(
        referral=referral,
        digest=digest(secret),
        created_at=now,
        expires_at=now + timedelta(days=referral.scheme.waiting_room_days),
        sent_by=route.channel,
        sent_to=route.to,
    )
    return link, secret


def _deliver(link: WaitingRoomLink, secret: str, referral: Referral, by) -> WaitingRoomLink:
    """Send the link; a failure is kept on the link and audited, never lost."""
    label = "" if getattr(by, "is_authenticated", False) else "Linkwell"
    try:
        message_id = notify.send(_message(link, secret, referral))
    except (notify.NotifyError, ValueError) as error:
        text = getattr(error, "message", str(error))
        link.send_error = text[:300]
        link.save(update_fields=["send_error"])
        log_action(
            by,
            "waiting_room.send_failed",
            link,
            {"channel": link.sent_by, "error": text[:300]},
            scheme=referral.scheme,
            actor_label=label,
        )
        logger.warning("Waiting-room link %s not sent: %s", link.pk, text)
        return link
    log_action(
        by,
        "waiting_room.link_sent",
        link,
        {"channel": link.sent_by, "message_id": str(message_id)},
        scheme=referral.scheme,
        actor_label=label,
    )
    return link


def offer_on_referral(*, referral_id) -> WaitingRoomLink | None:
    """After intake: send the person a link if they agreed to be contacted by text or email
    and we have the address; otherwise record why not (staff see it on the referral)."""
    try:
        return _offer(referral_id)
    except Exception:
        # The referral is stored whatever happens here; staff see on its page that no link
        # went, and can send one.
        logger.exception("Could not offer a waiting-room link for referral %s", referral_id)
        return None


def _offer(referral_id) -> WaitingRoomLink | None:
    referral = Referral.objects.select_related("person", "scheme").get(pk=referral_id)
    route = choose_route(referral.person)
    if not route.ok:
        log_action(
            None,
            "waiting_room.not_offered",
            referral,
            {"why": route.why_not, "offer_pack": route.offer_pack},
            actor_label="Linkwell",
        )
        return None
    link, secret = _create(referral, route, None)
    return _deliver(link, secret, referral, None)


def waiting_room_link_create(
    *, referral: Referral, by, send_by: str | None = None
) -> WaitingRoomLink:
    """Staff send a new link (replacing any earlier one), by the person's preferred route or
    the one chosen. Raises ApplicationError saying why when it cannot be sent at all."""
    if referral.status in CLOSED:
        raise ApplicationError(
            "waiting_room_referral_closed", "This referral is closed: no new link is sent."
        )
    route = choose_route(referral.person, send_by=send_by)
    if not route.ok:
        raise ApplicationError(
            "waiting_room_no_route",
            f"No link can be sent: {route.why_not}.",
        )
    link, secret = _create(referral, route, by)
    return _deliver(link, secret, referral, by)


@transaction.atomic
def waiting_room_link_revoke(*, link: WaitingRoomLink, by) -> WaitingRoomLink:
    link = (
        WaitingRoomLink.objects.select_for_update()
        .select_related("referral__scheme")
        .get(pk=link.pk)
    )
    if link.revoked_at is not None:
        raise ApplicationError("waiting_room_already_revoked", "This link was already stopped.")
    link.revoked_at = timezone.now()
    link.revoked_by = by if getattr(by, "is_authenticated", False) else None
    link.save(update_fields=["revoked_at", "revoked_by"])
    log_action(by, "waiting_room.link_revoked", link, scheme=link.referral.scheme)
    return link


# --- The person's view --------------------------------------------------------------------------


class LinkState:
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"


def link_for_secret(secret: str) -> tuple[str, WaitingRoomLink | None]:
    """The link a secret opens, and whether it works now (consent is checked again)."""
    if not secret or len(secret) > 200:
        return LinkState.UNKNOWN, None
    link = (
        WaitingRoomLink.objects.select_related("referral__person", "referral__scheme")
        .filter(digest=digest(secret))
        .first()
    )
    if link is None:
        return LinkState.UNKNOWN, None
    if link.revoked_at is not None:
        return LinkState.REVOKED, link
    if link.expires_at <= timezone.now():
        return LinkState.EXPIRED, link
    person = link.referral.person
    if not has_consent(person, ConsentScope.CONTACT, channel=link.sent_by or None):
        return LinkState.REVOKED, link
    return LinkState.OK, link


def record_view(link: WaitingRoomLink, *, ip_address: str | None = None) -> None:
    now = timezone.now()
    WaitingRoomLink.objects.filter(pk=link.pk).update(
        view_count=F("view_count") + 1, last_viewed_at=now
    )
    log_action(
        None,
        "waiting_room.viewed",
        link,
        scheme=link.referral.scheme,
        actor_label=VIEWER_LABEL,
        ip_address=ip_address,
    )


def record_leaflet_opened(link: WaitingRoomLink, resource, *, ip_address=None) -> None:
    log_action(
        None,
        "waiting_room.leaflet_opened",
        link,
        {"resource": str(resource.pk)},
        scheme=link.referral.scheme,
        actor_label=VIEWER_LABEL,
        ip_address=ip_address,
    )


def working_days_between(start: date, end: date) -> int:
    """Weekdays after `start` up to and including `end` (0 for the same day)."""
    days = (end - start).days
    if days <= 0:
        return 0
    weeks, extra = divmod(days, 7)
    count = weeks * 5
    for offset in range(1, extra + 1):
        if (start + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def usual_wait(scheme, *, now=None) -> int | None:
    """The median working days from referral to first contact, over the first contacts of the
    last 90 days; None when there were too few to say."""
    now = now or timezone.now()
    pairs = Referral.objects.filter(
        scheme=scheme,
        first_contact_at__isnull=False,
        first_contact_at__gte=now - timedelta(days=WAIT_WINDOW_DAYS),
    ).values_list("received_at", "first_contact_at")
    waits = [
        working_days_between(timezone.localtime(r).date(), timezone.localtime(c).date())
        for r, c in pairs
    ]
    if len(waits) < WAIT_MIN_SAMPLE:
        return None
    return max(1, math.ceil(statistics.median(waits)))


def wait_sentence(days: int | None) -> str:
    if days is None:
        return (
            "We cannot yet say how long the wait usually is. We will contact you as soon as we can."
        )
    unit = "working day" if days == 1 else "working days"
    return f"We usually contact people within {days} {unit} of getting their referral."


def what_happens_next(referral: Referral) -> list[str]:
    how = {
        ContactMethod.PHONE: "by phone",
        ContactMethod.SMS: "by text message",
        ContactMethod.EMAIL: "by email",
        ContactMethod.LETTER: "by letter",
    }.get(referral.person.preferred_contact_method, "")
    scheme = referral.scheme.name
    if referral.status in NOT_YET_CONTACTED:
        return [
            f"A link worker from {scheme} will contact you{' ' + how if how else ''}.",
            "They will ask what matters to you, and talk through support that could help: "
            "local groups, activities, advice and services.",
            "You choose what to try. Nothing happens without your agreement.",
            "If you miss a call, we will try again. If we cannot reach you, we will write to "
            "you or tell the person who referred you.",
        ]
    if referral.status in (Status.CONTACTED, Status.ACCEPTED):
        return [
            "You have been contacted by a link worker. They will keep in touch about the "
            "support you chose.",
            "You can keep using the help on this page.",
        ]
    return [
        f"Your referral to {scheme} is closed. You can still use the help on this page.",
        "If things change, ask your GP practice to refer you again, or refer yourself.",
    ]


def waiting_room_content(referral: Referral) -> dict:
    """What the page and the printed pack show (the same content in both)."""
    reasons = list(referral.reasons.values_list("pk", flat=True))
    resources, matched = resources_for_need_areas(scheme=referral.scheme, need_area_ids=reasons)
    return {
        "first_name": referral.person.first_name,
        "scheme": referral.scheme,
        "resources": resources,
        "matched": matched,
        "wait": wait_sentence(usual_wait(referral.scheme)),
        "next_steps": what_happens_next(referral),
    }


# --- What staff see, and the printed pack -------------------------------------------------------


@dataclass
class LinkRow:
    link: WaitingRoomLink
    state: str
    label: str


def _link_row(link: WaitingRoomLink, now) -> LinkRow:
    if link.revoked_at is not None:
        return LinkRow(link, "revoked", f"Stopped {timezone.localtime(link.revoked_at):%-d %b %Y}")
    if link.expires_at <= now:
        return LinkRow(link, "expired", f"Expired {timezone.localtime(link.expires_at):%-d %b %Y}")
    if link.send_error:
        return LinkRow(link, "failed", "Not sent")
    return LinkRow(link, "active", f"Works until {timezone.localtime(link.expires_at):%-d %b %Y}")


def waiting_room_summary(*, referral: Referral) -> dict:
    """For the referral page: each link and its state, views, send errors, pack postings, and
    whether (and how) a link can be sent now, or why not. A fixed number of queries."""
    now = timezone.now()
    links = list(
        WaitingRoomLink.objects.filter(referral=referral)
        .select_related("revoked_by")
        .order_by("-created_at")
    )
    postings = list(
        PackPosting.objects.filter(referral=referral)
        .select_related("posted_by")
        .order_by("-posted_at")
    )
    person = referral.person
    route = choose_route(person)
    rows = [_link_row(link, now) for link in links]
    current = next((row for row in rows if row.state in ("active", "failed")), None)
    has_address = bool(person.postal_address)
    return {
        "links": rows,
        "current": current,
        "postings": postings,
        "route": route,
        "route_words": (
            f"{MESSAGE_CHANNEL_WORDS[route.channel]} to "
            f"{format_phone(route.to) if route.channel == notify.Channel.SMS else route.to}"
            if route.ok
            else ""
        ),
        "can_send": referral.status not in CLOSED and has_consent(person, ConsentScope.CONTACT),
        "has_address": has_address,
        "offer_pack": (route.offer_pack or not route.ok) and may_post_pack(referral.person),
        "last_viewed_at": max((x.last_viewed_at for x in links if x.last_viewed_at), default=None),
        "views": sum(x.view_count for x in links),
    }


def may_post_pack(person: Person) -> bool:
    """A pack is a letter: it needs consent to be contacted that includes letters, now."""
    return has_consent(person, ConsentScope.CONTACT, channel=ContactMethod.LETTER)


def require_pack_consent(person: Person) -> None:
    if not may_post_pack(person):
        raise ApplicationError(
            "waiting_room_no_letter_consent",
            "They have not agreed to be contacted by letter: record their consent first.",
        )


def pack_address(person: Person) -> str:
    return "\n".join([person.full_name, *person.postal_address])


@transaction.atomic
def pack_posted_record(*, referral: Referral, by) -> PackPosting:
    """Record that the printed pack was posted, with the address it went to as it was then."""
    person = referral.person
    require_pack_consent(person)
    if not person.postal_address:
        raise ApplicationError(
            "waiting_room_no_address",
            "There is no postal address for this person: add it before posting a pack.",
        )
    posting = PackPosting.objects.create(
        referral=referral,
        posted_by=by if getattr(by, "is_authenticated", False) else None,
        address=pack_address(person),
    )
    log_action(by, "waiting_room.pack_posted", posting, scheme=referral.scheme)
    return posting
