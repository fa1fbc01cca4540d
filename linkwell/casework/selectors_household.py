"""Reads for the family view: the members of a person's household and each one's cases in the
scheme. Two queries, however big the household or its history."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from linkwell.casework.models import Case
from linkwell.casework.selectors import cases_for
from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.models import Membership
from linkwell.people.models import Person

ACTIONS.update({"case.household_viewed": "Viewed the household of a case"})


@dataclass
class Family:
    case: Case
    members: list[Person]  # everyone in the household, the person first; each with `.scheme_cases`
    involved_ids: set

    @property
    def others(self) -> list[Person]:
        return [m for m in self.members if m.pk != self.case.person_id]


def case_family(*, membership: Membership, case: Case) -> Family | None:
    """The household of the case's person (None when they have none), with each member's cases
    this member may see. The read is audited: it shows several people's records."""
    person = case.person
    if not person.household_id:
        return None
    visible = cases_for(membership).select_related("worker").order_by("-opened_at")
    members = list(
        Person.objects.filter(scheme_id=case.scheme_id, household_id=person.household_id)
        .prefetch_related(Prefetch("cases", queryset=visible, to_attr="scheme_cases"))
        .order_by("date_of_birth", "family_name", "given_name")
    )
    members.sort(key=lambda m: m.pk != person.pk)
    involved = set(case.household_members.values_list("pk", flat=True))
    log_action(
        membership.user,
        "case.household_viewed",
        case,
        {"members": [str(m.pk) for m in members]},
    )
    return Family(case=case, members=members, involved_ids=involved)


def involved_members(case: Case) -> list[Person]:
    """The other household members this case involves (shown on the case record)."""
    return list(case.household_members.order_by("date_of_birth"))
