"""The "what matters to me" conversation: the need areas in the order a link worker talks them
through, the question to ask for each, and which step comes next.

The order starts gently (how the person feels, who they see, loss), moves to the practical
(home, money, work, food, family) and leaves the most sensitive areas (substance use, domestic
abuse) for last, when there is more trust. Every need area of the default taxonomy has exactly
one step.

Reads of a case's conversations live here too; each takes a case already fetched through the
scoped case selectors, so they never reach another scheme's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.shortcuts import get_object_or_404

from linkwell.casework.models import Assessment, Case, Need
from linkwell.directory.taxonomy import NEED_AREAS, term_id

# (need-area code, the question the link worker asks, a hint for the link worker)
_CONVERSATION: list[tuple[str, str, str]] = [
    (
        "mental-wellbeing",
        "How have you been feeling in yourself lately?",
        "Mood, worry, stress, sleep: whatever they want to say about how they are.",
    ),
    (
        "loneliness",
        "Who do you see or talk to in a usual week?",
        "Friends, family, neighbours; whether they would like more company.",
    ),
    (
        "bereavement",
        "Have you lost anyone close to you, recently or some time ago?",
        "Only as much as they want to share.",
    ),
    (
        "physical-activity",
        "How much do you get out and about, or move around, in a week?",
        "Walking, exercise, anything that gets in the way of it.",
    ),
    (
        "long-term-conditions",
        "Is there a health condition that affects your day-to-day life?",
        "How they live with it, not the medical details.",
    ),
    (
        "housing",
        "How are things where you live?",
        "Whether the home is safe, warm, affordable and right for them.",
    ),
    (
        "money-debt",
        "How are you managing with money at the moment?",
        "Bills, debts, running out before the end of the month.",
    ),
    (
        "benefits",
        "Are you getting all the benefits you are entitled to, as far as you know?",
        "Claims, forms, assessments, appeals.",
    ),
    (
        "employment-skills",
        "How are things with work, or with looking for work?",
        "Working, off sick, looking, or wanting to learn new skills for a job.",
    ),
    (
        "food",
        "Do you always have enough to eat?",
        "Cooking, shopping, affording food.",
    ),
    (
        "carers",
        "Do you look after anyone, or does anyone look after you?",
        "Caring for family or friends, and the support they get with it.",
    ),
    (
        "family-parenting",
        "How are things with your family?",
        "Children, parenting, relationships at home.",
    ),
    (
        "digital-skills",
        "How do you get on with phones, computers and the internet?",
        "Whether they have a device, data or broadband, and the confidence to use them.",
    ),
    (
        "learning",
        "Is there anything you would like to learn, or get better at?",
        "Courses, reading and writing, English, a new interest.",
    ),
    (
        "volunteering",
        "Would you like to give some time to help others, or to your community?",
        "Volunteering can build confidence and company.",
    ),
    (
        "arts-creativity",
        "Is there anything creative you enjoy, or used to enjoy?",
        "Art, music, singing, crafts, writing, dancing.",
    ),
    (
        "nature-gardening",
        "Do you like being outdoors, in a garden, a park or the countryside?",
        "Gardening, walks, green spaces near them.",
    ),
    (
        "substance-use",
        "Some people find alcohol, smoking or drugs get in the way. Is that something "
        "you would like to talk about?",
        "Ask gently; it is fine if they would rather not say.",
    ),
    (
        "domestic-abuse",
        "Do you feel safe at home, and with the people close to you?",
        "Ask only when it is safe for them to answer. If they are at risk, follow your "
        "scheme's safeguarding procedure and do not write details here.",
    ),
]

_NAMES = dict(NEED_AREAS)


@dataclass(frozen=True)
class Step:
    number: int
    code: str
    name: str
    question: str
    hint: str

    @property
    def area_id(self) -> UUID:
        return term_id(self.code)


STEPS: list[Step] = [
    Step(number=i, code=code, name=_NAMES[code], question=question, hint=hint)
    for i, (code, question, hint) in enumerate(_CONVERSATION, start=1)
]
TOTAL = len(STEPS)


def step(number: int) -> Step | None:
    """The step with this number (1 to TOTAL), or None."""
    return STEPS[number - 1] if 1 <= number <= TOTAL else None


def next_step(number: int, *, answered: set[UUID], skipped: set[str]) -> Step | None:
    """The first step after `number` neither answered nor skipped in this conversation;
    None when the rest are done (time to finish)."""
    for candidate in STEPS[number:]:
        if candidate.area_id not in answered and candidate.code not in skipped:
            return candidate
    return None


def first_open_step(*, answered: set[UUID], skipped: set[str]) -> Step | None:
    """Where to carry on a conversation: its first step not yet answered (or skipped)."""
    return next_step(0, answered=answered, skipped=skipped)


# --- Reads of a case's conversations (the case comes from the scoped case selectors) -------


def unfinished(case: Case) -> Assessment | None:
    """The case's conversation still under way, if there is one."""
    return case.assessments.filter(completed_at__isnull=True).first()


def latest_finished(case: Case) -> Assessment | None:
    return case.assessments.filter(completed_at__isnull=False).order_by("-completed_at").first()


def answered_areas(assessment: Assessment) -> set[UUID]:
    """The need areas recorded during this conversation."""
    return set(Need.objects.filter(assessment=assessment).values_list("area_id", flat=True))


def need_in_area(case: Case, area_id: UUID) -> Need | None:
    """The case's current record of a need area, to start the step from."""
    return Need.objects.filter(case=case, area_id=area_id).first()


def in_conversation_order(needs) -> list[Need]:
    """Needs (with their areas loaded) in the order the conversation asks about them."""
    order = {s.area_id: s.number for s in STEPS}
    return sorted(needs, key=lambda n: (order.get(n.area_id, TOTAL + 1), n.area.name))


def case_needs(case: Case) -> list[Need]:
    """Every need the case has now, whichever conversation (or plan edit) recorded it, in
    conversation order."""
    return in_conversation_order(Need.objects.filter(case=case).select_related("area"))


def assessment_of(case: Case, assessment_id) -> Assessment:
    """One of this case's conversations; any other id is a 404."""
    return get_object_or_404(Assessment.objects.filter(case=case), pk=assessment_id)
