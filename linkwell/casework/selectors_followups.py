"""Reads of follow-ups: those still due on a case, and a link worker's list for a day."""

from __future__ import annotations

from django.db.models import QuerySet

from linkwell.casework.models import Case, FollowUp
from linkwell.casework.states import FollowUpStatus


def case_followups(case: Case) -> QuerySet[FollowUp]:
    """The case's follow-ups still due, soonest first."""
    return (
        FollowUp.objects.filter(case=case, status=FollowUpStatus.DUE)
        .select_related("worker")
        .order_by("due_on", "due_time")
    )
