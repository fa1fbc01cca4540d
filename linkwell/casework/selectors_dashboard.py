"""What the dashboard shows of casework: the worker's own next things to do, and for managers
the team's open cases. Counts only (no names), in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from linkwell.casework.models import Contact, FollowUp
from linkwell.casework.selectors import cases_for
from linkwell.casework.states import ON_CASELOAD, FollowUpStatus
from linkwell.core.models import Membership
from linkwell.core.permissions import Perm, can
from linkwell.referrals.selectors import referrals_for
from linkwell.referrals.states import Status as ReferralStatus

# A case nobody has spoken to for this long is shown as needing attention.
QUIET_DAYS = 28


@dataclass
class CaseworkFigures:
    open_cases: int = 0
    due_today: int = 0
    overdue: int = 0
    quiet: int = 0  # open cases with no contact in QUIET_DAYS
    to_accept: int = 0  # referrals of theirs reached and waiting for a case to be opened
    team_open: int | None = None
    team_overdue: int | None = None


def dashboard_casework(*, membership: Membership) -> CaseworkFigures | None:
    if not (can(membership, Perm.CASELOAD) and can(membership, Perm.PERSON_DATA)):
        return None
    today = timezone.localdate()
    open_cases = cases_for(membership).filter(status__in=ON_CASELOAD)
    since = timezone.now() - timedelta(days=QUIET_DAYS)
    recent_contact = Contact.objects.filter(case_id=OuterRef("pk"), at__gte=since)
    mine = open_cases.filter(worker_id=membership.user_id).aggregate(
        open_cases=Count("id"),
        quiet=Count("id", filter=Q(~Exists(recent_contact), opened_at__lt=since)),
    )
    due = FollowUp.objects.filter(
        Exists(open_cases.filter(pk=OuterRef("case_id"))),
        status=FollowUpStatus.DUE,
        due_on__lte=today,
    )
    my_due = due.filter(worker_id=membership.user_id).aggregate(
        due_today=Count("id", filter=Q(due_on=today)),
        overdue=Count("id", filter=Q(due_on__lt=today)),
    )
    to_accept = (
        referrals_for(membership)
        .filter(status=ReferralStatus.CONTACTED, assigned_to_id=membership.user_id)
        .count()
        if can(membership, Perm.REFERRAL_TRIAGE)
        else 0
    )
    figures = CaseworkFigures(**mine, **my_due, to_accept=to_accept)
    if can(membership, Perm.CASELOAD_MANAGE):
        figures.team_open = open_cases.count()
        figures.team_overdue = due.filter(due_on__lt=today).count()
    return figures
