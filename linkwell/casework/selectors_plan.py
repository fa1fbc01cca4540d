"""Reads of the plan: the case's needs, goals (with their progress history) and the supports the
person chose, is thinking about, or declined. A fixed number of queries per case."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from linkwell.casework.models import Case, Goal, GoalProgress, Need, PlanSupport
from linkwell.casework.states import GoalStatus, SupportDecision


@dataclass
class Plan:
    needs: list[Need]
    goals: list[Goal]
    supports: list[PlanSupport]

    @property
    def open_goals(self) -> list[Goal]:
        return [g for g in self.goals if g.status == GoalStatus.OPEN]

    @property
    def chosen(self) -> list[PlanSupport]:
        return [s for s in self.supports if s.decision == SupportDecision.CHOSEN]

    @property
    def considering(self) -> list[PlanSupport]:
        return [s for s in self.supports if s.decision == SupportDecision.CONSIDERING]

    @property
    def declined(self) -> list[PlanSupport]:
        return [s for s in self.supports if s.decision == SupportDecision.DECLINED]


def case_plan(case: Case) -> Plan:
    """Three queries for needs and goals, two for goal links and history, one for supports."""
    needs = list(Need.objects.filter(case=case).select_related("area"))
    goals = list(
        Goal.objects.filter(case=case).prefetch_related(
            Prefetch("needs", queryset=Need.objects.select_related("area")),
            Prefetch("history", queryset=GoalProgress.objects.order_by("at", "id")),
        )
    )
    supports = list(PlanSupport.objects.filter(case=case).select_related("service"))
    return Plan(needs=needs, goals=goals, supports=supports)


def need_of(case: Case, need_id) -> Need:
    """One of this case's needs (the case comes from the scoped case selectors); else 404."""
    return get_object_or_404(Need.objects.filter(case=case).select_related("area"), pk=need_id)


def goal_of(case: Case, goal_id) -> Goal:
    """One of this case's goals with its progress history, newest first; else 404."""
    goals = Goal.objects.filter(case=case).prefetch_related(
        Prefetch(
            "history", queryset=GoalProgress.objects.select_related("by").order_by("-at", "-id")
        )
    )
    return get_object_or_404(goals, pk=goal_id)
