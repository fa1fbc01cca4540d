"""Reads of cases: scoped to the acting membership, audited when a person's record is read.

Other reads live beside the pages that use them: `selectors_caseload` (the caseload and the
team's caseloads), `selectors_timeline` (the case record's timeline), `selectors_plan` (needs,
goals and supports), `selectors_followups` (follow-ups due)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from linkwell.casework.models import Case, CaseAssignment, Note
from linkwell.core.audit import log_action
from linkwell.core.models import Membership, Role
from linkwell.core.permissions import Perm, can, require
from linkwell.referrals.selectors import site_limited


def cases_for(membership: Membership) -> QuerySet[Case]:
    """Every case this member may open: the scheme's cases (within their sites, if limited, and
    any case they hold), for those who work caseloads."""
    require(membership, Perm.PERSON_DATA)
    require(membership, Perm.CASELOAD)
    # Within their sites, and always the cases they hold (covering another site's person).
    return site_limited(
        membership,
        Case.objects.filter(scheme_id=membership.scheme_id),
        own=Q(worker_id=membership.user_id),
    )


def case_get(*, membership: Membership, case_id) -> Case:
    """One case, for a write: scoped, not audited as a read (the write is audited)."""
    return get_object_or_404(
        cases_for(membership).select_related("person__household", "scheme", "referral", "worker"),
        pk=case_id,
    )


def case_detail(*, membership: Membership, case_id) -> Case:
    """One case with what its record page shows at the top; the read is audited."""
    case = get_object_or_404(
        cases_for(membership)
        .select_related("person__household", "scheme", "site", "worker", "referral__referred_by")
        .prefetch_related("referral__reasons"),
        pk=case_id,
    )
    log_action(membership.user, "case.viewed", case)
    return case


def can_see_safeguarding(membership: Membership, case: Case) -> bool:
    """Safeguarding notes are for the case's workers (now or before) and managers only."""
    if not can(membership, Perm.CASELOAD):
        return False
    if membership.role == Role.MANAGER or case.worker_id == membership.user_id:
        return True
    return CaseAssignment.objects.filter(
        Q(worker_id=membership.user_id) | Q(previous_worker_id=membership.user_id), case=case
    ).exists()


def notes_visible(*, membership: Membership, case: Case) -> QuerySet[Note]:
    """The case's notes this member may read: safeguarding notes only for those allowed."""
    notes = Note.objects.filter(case=case).select_related("by")
    if not can_see_safeguarding(membership, case):
        notes = notes.filter(is_safeguarding=False)
    return notes
