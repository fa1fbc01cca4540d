"""Reads of follow-ups: those still due on a case, a link worker's list for a day, and what the
closing checklist shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from linkwell.casework.models import Case, FollowUp, Goal
from linkwell.casework.selectors import cases_for
from linkwell.casework.states import FollowUpStatus
from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.models import Membership, Role, User
from linkwell.core.permissions import Perm, can, role_can

ACTIONS.update({"case.followups_viewed": "Viewed a day's follow-ups"})


def case_followups(case: Case) -> QuerySet[FollowUp]:
    """The case's follow-ups still due, soonest first."""
    return (
        FollowUp.objects.filter(case=case, status=FollowUpStatus.DUE)
        .select_related("worker")
        .order_by("due_on", F("due_time").asc(nulls_last=True))
    )


@dataclass
class DayList:
    """A worker's follow-ups due on `day`, and those due earlier that are still not done."""

    worker: User
    day: date
    today: date
    overdue: list[FollowUp]
    due: list[FollowUp]

    @property
    def is_today(self) -> bool:
        return self.day == self.today

    @property
    def still_due(self) -> int:
        return sum(1 for f in self.due if f.status == FollowUpStatus.DUE)


def _mark_overdue(followups: list[FollowUp], today: date) -> None:
    for followup in followups:
        followup.is_overdue = followup.status == FollowUpStatus.DUE and followup.due_on < today


def followups_for_day(*, membership: Membership, worker: User, day: date) -> DayList:
    """One query: the follow-ups `worker` holds that are due on `day` (whatever became of them),
    and every earlier one still due, among the cases `membership` may open. The read is
    audited once."""
    today = timezone.localdate()
    rows = list(
        # Exists, not `case__in`: SQLite would first list every case of the scheme.
        FollowUp.objects.filter(
            Exists(cases_for(membership).filter(pk=OuterRef("case_id"))), worker=worker
        )
        .filter(Q(due_on=day) | Q(due_on__lt=today, status=FollowUpStatus.DUE))
        .select_related("case__person")
        .order_by("due_on", F("due_time").asc(nulls_last=True), "created_at")
    )
    _mark_overdue(rows, today)
    due = [f for f in rows if f.due_on == day]
    overdue = [f for f in rows if f.due_on != day]
    log_action(
        membership.user,
        "case.followups_viewed",
        None,
        {
            "worker": worker.email,
            "day": day.isoformat(),
            "cases": sorted({str(f.case_id) for f in rows}),
        },
        scheme=membership.scheme,
    )
    return DayList(worker=worker, day=day, today=today, overdue=overdue, due=due)


def followup_workers(membership: Membership) -> list[User]:
    """Whose follow-ups this member may list: a manager, anyone in the scheme who carries
    cases; anyone else, only themselves."""
    if not can(membership, Perm.CASELOAD_MANAGE):
        return [membership.user]
    roles = [r for r in Role if role_can(r, Perm.CASELOAD)]
    return list(
        User.objects.filter(
            memberships__scheme_id=membership.scheme_id,
            memberships__is_active=True,
            memberships__role__in=roles,
        )
        .distinct()
        .order_by("full_name", "email")
    )


def closing_goals(case: Case) -> list[Goal]:
    """The case's goals with where each stands, for the closing checklist."""
    return list(Goal.objects.filter(case=case).order_by("created_at"))


def followup_get(*, case: Case, followup_id) -> FollowUp:
    """One follow-up of `case` (already scoped to the member): another case's answers 404."""
    return get_object_or_404(FollowUp.objects.select_related("case"), pk=followup_id, case=case)
