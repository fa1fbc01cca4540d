"""Telling the referrer how the case ended, as far as the person's consent allows."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from linkwell import notify
from linkwell.casework.models import Case
from linkwell.casework.states import SNOMED_REFERRED, ClosingReason
from linkwell.core.audit import log_action
from linkwell.notify.outbox import register_kind
from linkwell.referrals.feedback import letter_still_wanted, referrer_address, send_to_referrer
from linkwell.referrals.states import SNOMED_LABELS


def _letter(case: Case, *, what: str, extra: list[str], subject: str, reference: str, kind: str):
    """A short letter to the referrer about the person they referred: who, what happened, the
    code for the GP record and where to sign in. No notes, needs or goals: those stay with the
    scheme."""
    referral = case.referral
    lines = [
        f"{case.person.full_name}, whom you referred to {case.scheme.name} on "
        f"{referral.received_at:%-d %B %Y}, {what}",
        *extra,
        f"SNOMED CT: {SNOMED_REFERRED} {SNOMED_LABELS[SNOMED_REFERRED]}",
        f"Sign in to see your referrals: {settings.LINKWELL_BASE_URL}/referrals/sent/",
    ]
    return notify.Message(
        to_email=referrer_address(referral),
        subject=subject,
        body="\n\n".join(lines),
        reference=reference,
        kind=kind,
        personalisation={"snomed_code": SNOMED_REFERRED},
    )


def _for(case: Case) -> dict:
    """A letter about a case is shown, if it cannot be sent, to the case's link worker (on their
    dashboard, "Messages not sent" and the case record)."""
    return {
        "about": case,
        "link": reverse("casework:detail", args=[case.pk]),
        "sender": case.worker,
    }


def closing_message(case: Case) -> notify.Message:
    """That the work has ended, and why."""
    reason = ClosingReason(case.closing_reason).label.lower()
    return _letter(
        case,
        what=f"has finished working with our link worker ({case.closed_at:%-d %B %Y}).",
        extra=[f"Outcome: {reason}."],
        subject=f"Social prescribing: support for {case.person.given_name} has ended",
        reference=f"case-{case.pk}",
        kind="case.closed_letter",
    )


def tell_referrer_closed(*, case_id) -> bool:
    """Send the referrer the outcome if the case came from a referral with somewhere to answer
    and the person agreed (checked now, at the moment of use). A failed send is audited."""
    case = Case.objects.select_related(
        "person", "scheme", "worker", "referral__referred_by", "referral__person"
    ).get(pk=case_id)
    if case.referral_id is None or not case.closed_at:
        return False
    why = send_to_referrer(case.referral, lambda referral: closing_message(case), **_for(case))
    if why:
        log_action(None, "case.referrer_not_told", case, {"why": why}, actor_label="Linkwell")
        return False
    return True


def _closing_sent(row) -> None:
    """The referrer has been told the case ended: recorded once the letter has gone."""
    case = Case.objects.filter(pk=row.about_id).first()
    if case is None:
        return
    Case.objects.filter(pk=case.pk).update(referrer_told_at=row.sent_at or timezone.now())
    log_action(
        None,
        "case.referrer_told",
        case,
        {"reason": case.closing_reason, "snomed_code": SNOMED_REFERRED},
        actor_label="Linkwell",
    )


def plan_message(case: Case) -> notify.Message:
    """The plan is agreed: the person has chosen their first support. Nothing of what the plan
    holds is shared."""
    return _letter(
        case,
        what="has agreed a plan of support with our link worker.",
        extra=[],
        subject=f"Social prescribing: a plan agreed with {case.person.given_name}",
        reference=f"case-plan-{case.pk}",
        kind="case.plan_letter",
    )


def tell_referrer_plan(*, case_id) -> bool:
    """Tell the referrer the plan is agreed, as the person's consent allows now. Audited."""
    case = Case.objects.select_related(
        "person", "scheme", "worker", "referral__referred_by", "referral__person"
    ).get(pk=case_id)
    if case.referral_id is None:
        return False
    why = send_to_referrer(case.referral, lambda referral: plan_message(case), **_for(case))
    if why:
        log_action(
            None,
            "case.referrer_not_told",
            case,
            {"why": why, "about": "plan"},
            actor_label="Linkwell",
        )
        return False
    return True


def _plan_sent(row) -> None:
    case = Case.objects.filter(pk=row.about_id).first()
    if case is not None:
        log_action(
            None,
            "case.referrer_told",
            case,
            {"about": "plan", "snomed_code": SNOMED_REFERRED},
            actor_label="Linkwell",
        )


register_kind("case.closed_letter", still_wanted=letter_still_wanted, on_sent=_closing_sent)
register_kind("case.plan_letter", still_wanted=letter_still_wanted, on_sent=_plan_sent)
