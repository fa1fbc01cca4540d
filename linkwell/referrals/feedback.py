"""Telling the referrer what became of their referral, as far as the person's consent allows."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from linkwell import notify
from linkwell.core.audit import log_action
from linkwell.notify.outbox import message_queue, register_kind
from linkwell.people.models import ConsentScope
from linkwell.people.selectors import has_consent
from linkwell.referrals import states
from linkwell.referrals.models import Referral


def referrer_address(referral: Referral) -> str:
    if referral.referrer_email:
        return referral.referrer_email
    if referral.referred_by_id:
        return referral.referred_by.email
    return ""


def outcome_message(referral: Referral) -> notify.Message:
    status = states.Status(referral.status)
    code = referral.snomed_code
    lines = [
        f"Your referral of {referral.person.full_name} to {referral.scheme.name}, received "
        f"{referral.received_at:%-d %B %Y}, is now: {status.label.lower()}.",
    ]
    if referral.status_reason:
        lines.append(f"Reason: {referral.status_reason}")
    if code:
        lines.append(f"SNOMED CT: {code} {states.SNOMED_LABELS.get(code, '')}".rstrip())
    lines.append(f"Sign in to see your referrals: {settings.LINKWELL_BASE_URL}/referrals/sent/")
    return notify.Message(
        to_email=referrer_address(referral),
        subject=f"Referral update: {status.label.lower()}",
        body="\n\n".join(lines),
        reference=f"referral-{referral.pk}",
        kind="referral.outcome",
        personalisation={
            "status": status.label.lower(),
            "status_code": referral.status,
            "snomed_code": code or "",
        },
    )


def send_to_referrer(referral: Referral, message, *, about=None, link="", sender=None) -> str:
    """Queue `message(referral)` for the referrer if there is an address for them and the person
    agrees now (checked at the moment of use) to updates being shared with the referrer.
    The outbox sends it in the background and retries; if it cannot be sent it is shown to
    `sender` (default: the link worker the referral is assigned to) on the page of `about`
    (default: the referral). Returns '' once queued, else why not, for the audit log."""
    if not referrer_address(referral):
        return "the referral gave no address to answer"
    if not has_consent(referral.person, ConsentScope.SHARE_REFERRER):
        return "no consent to share with the referrer"
    message_queue(
        message(referral),
        scheme_id=referral.scheme_id,
        about=about if about is not None else referral,
        link=link or reverse("referrals:detail", args=[referral.pk]),
        sender=sender if sender is not None else referral.assigned_to,
    )
    return ""


def tell_referrer(*, referral_id) -> bool:
    """Send the referrer the outcome if there is somewhere to send it and the person agreed to
    updates being shared with the referrer (checked now, at the moment of use). The message goes
    through the outbox; a failed send is audited and shown, never lost silently."""
    referral = Referral.objects.select_related(
        "person", "scheme", "referred_by", "assigned_to"
    ).get(pk=referral_id)
    if not referrer_address(referral):
        return False
    why = send_to_referrer(referral, outcome_message)
    if why:
        log_action(
            None,
            "referral.referrer_not_told",
            referral,
            {"why": why, "status": referral.status},
            actor_label="Linkwell",
        )
        return False
    return True


def letter_still_wanted(row) -> str:
    """Asked by the outbox before each try of a letter to a referrer: the person must still
    agree to updates being shared with the referrer (consent at the moment of use)."""
    from linkwell.casework.models import Case

    if row.about_type == Case._meta.label_lower:
        person = Case.objects.filter(pk=row.about_id).values_list("person", flat=True).first()
    else:
        person = Referral.objects.filter(pk=row.about_id).values_list("person", flat=True).first()
    if person is None:
        return "what the letter was about is gone"
    if not has_consent(person, ConsentScope.SHARE_REFERRER):
        return "the person no longer agrees to updates being shared with the referrer"
    return ""


def _outcome_sent(row) -> None:
    """The referrer has been told: recorded when the letter has gone, not when it was queued."""
    referral = Referral.objects.filter(pk=row.about_id).first()
    if referral is None:
        return
    Referral.objects.filter(pk=referral.pk).update(referrer_told_at=row.sent_at or timezone.now())
    log_action(
        None,
        "referral.referrer_told",
        referral,
        {
            "status": row.personalisation.get("status_code", ""),
            "snomed_code": row.personalisation.get("snomed_code", ""),
        },
        actor_label="Linkwell",
    )


register_kind("referral.outcome", still_wanted=letter_still_wanted, on_sent=_outcome_sent)
