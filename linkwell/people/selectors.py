"""Reads of person data. Every selector takes the acting membership and answers only within its
scheme; reading a person's record is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from linkwell import notify
from linkwell.core.audit import log_action
from linkwell.core.models import Membership, Scheme
from linkwell.core.permissions import Perm, require
from linkwell.people.models import Consent, ConsentScope, ContactMethod, Person
from linkwell.people.validation import is_mobile


def person_get(*, membership: Membership, person_id, audit: bool = True) -> Person:
    """A person of the membership's scheme (404 otherwise); the read is audited."""
    require(membership, Perm.PERSON_DATA)
    person = get_object_or_404(
        Person.objects.select_related("household"), pk=person_id, scheme=membership.scheme
    )
    if audit:
        log_action(membership.user, "person.viewed", person)
    return person


def consents_in_force(person: Person) -> dict[str, Consent]:
    """What the person agrees to now, by scope. Read at the moment of use, never cached."""
    return {
        c.scope: c
        for c in Consent.objects.filter(person=person, withdrawn_at__isnull=True).order_by(
            "recorded_at"
        )
    }


def has_consent(person: Person, scope: ConsentScope | str, *, channel: str | None = None) -> bool:
    """Whether the person agrees, now, to `scope` (and, for contact, by `channel`)."""
    consent = (
        Consent.objects.filter(person=person, scope=scope, withdrawn_at__isnull=True)
        .only("channels", "withdrawn_at")
        .first()
    )
    if consent is None:
        return False
    return consent.allows_channel(channel) if channel else True


@dataclass(frozen=True)
class Match:
    person: Person
    reasons: tuple[str, ...]

    @property
    def certain(self) -> bool:
        """An NHS number match is the same person: keeping them apart is not offered."""
        return "NHS number" in self.reasons


def likely_matches(
    *,
    scheme: Scheme,
    nhs_number: str = "",
    given_name: str = "",
    family_name: str = "",
    date_of_birth: date | None = None,
    phone: str = "",
    limit: int = 5,
) -> list[Match]:
    """People in the scheme who may be the one being referred: same NHS number, same name and
    date of birth, or same phone. Values are the normalised forms."""
    conditions = Q()
    if nhs_number:
        conditions |= Q(nhs_number=nhs_number)
    if given_name and family_name and date_of_birth:
        conditions |= Q(
            given_name__iexact=given_name.strip(),
            family_name__iexact=family_name.strip(),
            date_of_birth=date_of_birth,
        )
    if phone:
        conditions |= Q(phone=phone) | Q(phone_other=phone)
    if not conditions:
        return []
    matches = []
    from django.db.models import Case, IntegerField, Value, When

    # An NHS-number match first, so the cut to `limit` never drops it.
    nhs_first = Case(
        When(nhs_number=nhs_number or "-", then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    candidates = Person.objects.filter(conditions, scheme=scheme).order_by(
        nhs_first, "family_name", "given_name", "id"
    )
    for person in candidates[:limit]:
        reasons = []
        if nhs_number and person.nhs_number == nhs_number:
            reasons.append("NHS number")
        if (
            date_of_birth
            and person.date_of_birth == date_of_birth
            and person.given_name.lower() == given_name.strip().lower()
            and person.family_name.lower() == family_name.strip().lower()
        ):
            reasons.append("name and date of birth")
        if phone and phone in (person.phone, person.phone_other):
            reasons.append("phone number")
        matches.append(Match(person=person, reasons=tuple(reasons)))
    matches.sort(key=lambda m: (not m.certain, -len(m.reasons)))
    return matches


def people_for(membership: Membership) -> QuerySet[Person]:
    require(membership, Perm.PERSON_DATA)
    return Person.objects.filter(scheme=membership.scheme)


# Words for the ways a message can reach a person, for people reading the page or the log.
MESSAGE_CHANNEL_WORDS = {notify.Channel.SMS: "text message", notify.Channel.EMAIL: "email"}


@dataclass(frozen=True)
class MessageRoute:
    """Where a text or email can go now (`channel` and `to`), or why it cannot (`reasons`)."""

    channel: str = ""
    to: str = ""
    reasons: tuple[str, ...] = ()


def mobile_number(person: Person) -> str:
    """The person's first mobile number (a text cannot go to a landline), or ''."""
    for number in (person.phone, person.phone_other):
        if number and is_mobile(number):
            return number
    return ""


def message_route(person: Person, *, channels: list[str] | None = None) -> MessageRoute:
    """How a text message or email can reach the person, checked now: `channels` in that
    order, else their preferred way first and then the other; each needs an address for it
    and their consent to be contacted that way."""
    if channels is None:
        channels = (
            [notify.Channel.EMAIL, notify.Channel.SMS]
            if person.preferred_contact_method == ContactMethod.EMAIL
            else [notify.Channel.SMS, notify.Channel.EMAIL]
        )
    reasons = []
    for channel in channels:
        address = mobile_number(person) if channel == notify.Channel.SMS else person.email
        if not address:
            reasons.append(
                "no mobile number" if channel == notify.Channel.SMS else "no email address"
            )
            continue
        if not has_consent(person, ConsentScope.CONTACT, channel=channel):
            reasons.append(f"consent to contact does not include {MESSAGE_CHANNEL_WORDS[channel]}")
            continue
        return MessageRoute(channel=channel, to=address)
    return MessageRoute(reasons=tuple(reasons))
