"""The demo's ordinary cases: every accepted demo referral besides the case stories gets a
believable history (a what-matters conversation, supports chosen, calls to check referrals are
on track, goals scored) and either a closing in the past or what is due next.

The demo link worker ends with about 40 open cases (the stories among them), a few with
follow-ups overdue, some due today, some with nothing scheduled; the other link workers share
the rest; about 30 of the oldest cases are closed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import time, timedelta

from django.utils import timezone

from linkwell.casework import services
from linkwell.casework.demo import Diary
from linkwell.casework.models import Case, FollowUp, Goal, Need
from linkwell.casework.states import (
    CaseStatus,
    ClosingReason,
    ContactMethod,
    FollowUpKind,
    GoalStatus,
    SupportDecision,
)
from linkwell.core.models import Membership

# The demo link worker's caseload: about 40 open cases, the five stories among them.
DEMO_CASELOAD = 40
CLOSED_CASES = 30
OVERDUE = 6
DUE_TODAY = 7
NOTHING_SCHEDULED = 6

# The phrases a case draws on fit the person: each ordinary case has one profile (who they
# live with, their age, their home), and need words and goals come from it, then from the
# words that fit anyone. A profile's housing words describe one situation, and so do its
# housing goals.
OLDER_ALONE, OLDER_COUPLE, ALONE, FAMILY, NO_HOME = (
    "older_alone",
    "older_couple",
    "alone",
    "family",
    "no_home",
)

NEED_WORDS = {
    "mental-wellbeing": [
        "I feel low most days and can't be bothered with anything.",
        "My anxiety stops me doing the things I used to enjoy.",
        "I'm not sleeping and my head won't switch off.",
    ],
    "loneliness": [
        "I've got people around me but nobody I can really talk to.",
        "Since I moved here I don't know anybody.",
    ],
    "bereavement": [
        "I lost my mum in the spring and I can't seem to pick myself up.",
        "Everyone says it gets easier, but it hasn't yet.",
    ],
    "money-debt": [
        "The bills keep coming and I'm scared to open the post.",
        "I borrowed to get by and now I can't pay it back.",
    ],
    "housing": ["I need somewhere safe and settled to live."],
    "benefits": [
        "I don't understand what I'm entitled to.",
        "My PIP was stopped and I don't know how to appeal.",
        "The forms are too much for me on my own.",
    ],
    "employment-skills": [
        "I want to work but I've been out of it too long.",
        "I lost my job and my confidence went with it.",
        "I'd like to learn something new and get out of the house.",
    ],
    "physical-activity": [
        "I've stopped moving about since my operation.",
        "I'd like to get fitter, but gyms aren't for me.",
        "I used to walk everywhere; now I get out of breath.",
    ],
    "carers": [
        "Caring for Mum takes all my time.",
        "I'm worn out and nobody asks how I am.",
    ],
    "long-term-conditions": [
        "My COPD gets me down and stops me going out.",
        "My arthritis makes everything harder.",
    ],
    "food": [
        "By the end of the month there's nothing in the cupboards.",
        "I skip meals to make the money last.",
    ],
    "digital-skills": [
        "Everything's online now and I can't use it.",
        "I can't book a GP appointment without the app.",
    ],
    "family-parenting": [
        "Things at home are hard with the children.",
        "I'm struggling since my son was diagnosed.",
        "I want to be a better parent but I don't know where to start.",
    ],
}

PROFILE_WORDS = {
    OLDER_ALONE: {
        "loneliness": [
            "Some days I don't speak to a soul.",
            "The evenings are the worst: it's just me and the telly.",
        ],
        "bereavement": [
            "Since I lost my other half I don't know what to do with myself.",
            "Everyone says it gets easier, but it hasn't yet.",
        ],
        "housing": [
            "The stairs are getting too much for me.",
            "The house is too big and too cold to manage on my own now.",
        ],
        "employment-skills": ["I've time on my hands; I'd like to do some volunteering."],
        "carers": ["I go round to my brother's every day since his stroke and it wears me out."],
        "long-term-conditions": [
            "Living with diabetes on my own is hard.",
            "My arthritis makes everything harder.",
        ],
        "food": ["I don't really cook for one any more."],
        "digital-skills": [
            "My son gave me a tablet but I don't know how to work it.",
            "I can't book a GP appointment without the app.",
        ],
        "family-parenting": ["I worry about my grandchildren and can't do anything to help."],
    },
    OLDER_COUPLE: {
        "loneliness": ["We don't see anyone now most of our friends have gone."],
        "bereavement": [
            "I lost my sister in the spring and I can't seem to pick myself up.",
            "Everyone says it gets easier, but it hasn't yet.",
        ],
        "housing": [
            "The stairs are getting too much for us.",
            "We need a bathroom downstairs and can't afford the work.",
        ],
        "employment-skills": ["I've time on my hands; I'd like to do some volunteering."],
        "carers": [
            "I look after my other half and never get a break.",
            "I'm worn out and nobody asks how I am.",
        ],
        "digital-skills": ["My son gave me a tablet but I don't know how to work it."],
        "family-parenting": ["Our grandson lives with us now and we don't know how to handle him."],
    },
    ALONE: {
        "loneliness": [
            "Since I moved here I don't know anybody.",
            "I live on my own and the weekends drag.",
        ],
        "money-debt": [
            "I'm behind on the rent and the gas.",
            "I borrowed to get by and now I can't pay it back.",
        ],
        "housing": [
            "The flat is damp and the landlord won't fix it.",
            "There's mould in the bedroom and the landlord ignores my messages.",
        ],
        "long-term-conditions": [
            "Living with diabetes on my own is hard.",
            "My COPD gets me down and stops me going out.",
        ],
        "food": ["I don't really cook for one any more.", "I skip meals to make the money last."],
        "family-parenting": ["I hardly see my children since the split and it's breaking me."],
    },
    FAMILY: {
        "money-debt": [
            "I'm behind on the rent and the gas.",
            "The bills keep coming and I'm scared to open the post.",
        ],
        "housing": [
            "Five of us in two bedrooms: the kids have nowhere to do their homework.",
            "We've been on the housing list for years and the flat is far too small.",
        ],
        "carers": [
            "Caring for Mum takes all my time.",
            "My son needs care round the clock and I never get a break.",
        ],
        "food": ["I skip meals so the kids can eat."],
    },
    NO_HOME: {
        "money-debt": [
            "I've debts from when I had my own place and I can't pay them back.",
            "I borrowed to get by and now I can't pay it back.",
        ],
        "housing": [
            "I'm sleeping on my sister's sofa and it can't go on.",
            "I've been sofa-surfing since the relationship ended.",
        ],
        "family-parenting": ["My children stay with their dad until I have somewhere to live."],
    },
}

GOALS = {
    "mental-wellbeing": ["Feel more like myself again", "Have a few good days every week"],
    "loneliness": [
        "Get out of the house and meet people once a week",
        "Join a group and stick at it",
    ],
    "bereavement": ["Talk to other people who have lost someone", "Get through the anniversary"],
    "money-debt": ["Get the debts sorted so I can sleep at night", "Make a budget I can stick to"],
    "benefits": ["Get the benefits I'm entitled to", "Get my appeal in on time"],
    "housing": ["Have a safe, settled home"],
    "employment-skills": ["Get some volunteering on my CV", "Find part-time work"],
    "physical-activity": [
        "Walk to the shops and back without stopping",
        "Go to a class every week",
    ],
    "carers": ["Have a few hours a week for myself", "Get a carer's assessment"],
    "long-term-conditions": ["Get out more despite my condition", "Go to the support group"],
    "food": ["Have enough food to last the month", "Make the food budget last the month"],
    "digital-skills": ["Book my GP appointments online", "Order my prescriptions online"],
    "family-parenting": ["Have calmer evenings at home", "Meet other parents who understand"],
}

PROFILE_GOALS = {
    OLDER_ALONE: {
        "housing": ["Stay safe and warm at home", "Make my home easier to manage"],
        "employment-skills": ["Find some volunteering I enjoy"],
        "food": ["Cook simple meals for myself again"],
        "digital-skills": ["Video call my grandchildren", "Order my prescriptions online"],
        "family-parenting": ["See the grandchildren more often"],
    },
    OLDER_COUPLE: {
        "housing": ["Make the house safe for both of us", "Get the adaptations we need"],
        "employment-skills": ["Find some volunteering I enjoy"],
        "digital-skills": ["Video call my grandchildren", "Order my prescriptions online"],
        "family-parenting": ["Get some support with our grandson"],
    },
    ALONE: {
        "housing": [
            "Get the damp fixed or move somewhere better",
            "Get the landlord to deal with the mould",
        ],
        "food": ["Cook simple meals for myself again", "Have enough food to last the month"],
        "family-parenting": ["See my children every week"],
    },
    FAMILY: {
        "housing": ["Bid for a bigger council place", "Have room for the kids to study"],
    },
    NO_HOME: {
        "housing": ["Find a place of my own", "Get on the council's housing list"],
        "family-parenting": ["Have the children back with me"],
    },
}


def profile_of(case, rng) -> str:
    """Who this person lives with and where, from their age and referral; drawn once a case."""
    age = case.person.age() or 40
    alone = case.referral.lives_alone
    sofa = rng.random() < 0.25  # drawn for everyone: the same demo however the profiles fall
    if age >= 65:
        return OLDER_ALONE if alone else OLDER_COUPLE
    if alone:
        return ALONE
    return NO_HOME if sofa else FAMILY


def need_words(code: str, profile: str) -> list[str]:
    return PROFILE_WORDS[profile].get(code) or NEED_WORDS[code]


def goals_for(code: str, profile: str) -> list[str]:
    return PROFILE_GOALS[profile].get(code) or GOALS[code]


WHAT_MATTERS = [
    "Feeling more like myself again and having something to look forward to.",
    "Getting out of the house and having people to talk to.",
    "Sorting the money out so I can stop worrying all the time.",
    "Being able to manage on my own, and knowing where to turn when I can't.",
    "Being there for my family without falling apart myself.",
    "Getting my confidence back.",
]

WORDS_CHOSEN = [
    "Happy to give it a go.",
    "I'd like that.",
    "As long as someone meets me there the first time.",
    "It's near the bus stop, so I can get there.",
    "",
]
WORDS_CONSIDERING = ["I'll think about it and let you know.", "Maybe when I'm feeling stronger."]
WORDS_DECLINED = [
    "I tried something like that before and it wasn't for me.",
    "It's too far to get to on the bus.",
    "I don't want to be in a big group.",
]

FIRST_NOTES = [
    "First conversation. Talked through what matters and what has been hard lately. "
    "Agreed a couple of things to try first.",
    "Met for the what-matters conversation. Quiet at first, opened up as we went on. "
    "Chose where to start.",
    "Long first call: a lot going on. Went through each area and agreed what matters most.",
]
SUPPORT_NOTES = [
    "Rang to check the referral to {support} is on track: they have been in touch and a start "
    "date is booked.",
    "First time with {support} went well. Said it was nerve-racking at first, but people were "
    "kind.",
    "Still waiting to hear from {support}; I chased them by email while we were on the phone.",
    "Keeping going with {support} and getting a lot from it.",
    "{support} turned out not to be right for them; talked through other options.",
]
LATER_NOTES = [
    "Talked through the week. Feeling a bit brighter and sleeping better.",
    "A hard week: a family row knocked them back. Talked it through; the plan stays as it is.",
    "Reviewed the goals together and scored progress. Pleased with how far they've come.",
    "Quick call to keep in touch. Things steady; nothing new needed.",
]
FOLLOW_UPS = [
    (FollowUpKind.SUPPORT_CALL, "Support call"),
    (FollowUpKind.CHECK_REFERRAL, "Check the referral is on track"),
]
OUTCOMES = [
    "Referral on track",
    "Plan reviewed",
    "Progress scored",
    "Feeling more settled",
    "Needs a little more support with money",
    "Keen to keep going",
]
NEXT_STEPS = [
    "Ring next week to see how the first session went",
    "Check the start date is confirmed",
    "Review the goals next time",
    "Chase the provider if nothing has come through",
    "Call in a fortnight",
]
MISSED_CALL_NOTES = [
    "Rang back after missing the last call: had a hospital appointment.",
    "Answered second time round; phone had been off.",
]
NOTES = [
    "Prefers calls in the morning; struggles to pick up after 3pm.",
    "Daughter is happy to be contacted if we can't reach them.",
    "Hearing is poor on the phone: speak slowly, or text to arrange.",
    "Asked that we don't leave voicemails: shares the phone with a partner.",
]
PAUSE_REASONS = [
    "In hospital for a few weeks",
    "Away caring for a relative; asked to pick up again next month",
]
CLOSING_REASONS = (
    [ClosingReason.GOALS_MET] * 18
    + [ClosingReason.NOT_ENGAGING] * 4
    + [ClosingReason.MOVED_AWAY] * 3
    + [ClosingReason.STATUTORY] * 2
    + [ClosingReason.DIED] * 1
    + [ClosingReason.OTHER] * 2
)
CLOSING_SUMMARIES = {
    ClosingReason.GOALS_MET: [
        "Settled into the groups chosen and feels able to carry on without us.",
        "Goals met: going out weekly, money sorted, knows how to come back if needed.",
        "Much more confident. Still going to the group and has made friends there.",
    ],
    ClosingReason.NOT_ENGAGING: [
        "Three calls unanswered and a letter sent. Closed; welcome to come back any time.",
    ],
    ClosingReason.MOVED_AWAY: [
        "Moved to be near family. Given details of the link workers in the new area.",
    ],
    ClosingReason.STATUTORY: [
        "Needs more than we can offer: referred to the community mental health team.",
        "Referred to adult social care for a care needs assessment.",
    ],
    ClosingReason.DIED: ["Died peacefully at home. Condolences sent to the family."],
    ClosingReason.OTHER: [
        "Asked to stop for now: wants to manage on their own and knows how to come back.",
    ],
}


@dataclass
class Shape:
    """How one ordinary case's history goes."""

    close: bool = False
    reason: str = ""
    ending: str = "future"  # after the last contact: today, overdue, future or none
    status: str = CaseStatus.ACTIVE  # for open cases: active, paused or closing
    hand_to: object = None  # a link worker the case is handed over to part-way through


class _Ordinary:
    """An ordinary demo case: first conversation, plan, calls to check referrals are on
    track, goals scored, and either an ending in the past or what is due next."""

    def __init__(self, diary: Diary, rng: random.Random):
        self.diary = diary
        self.rng = rng

    def write(self, case: Case, shape: Shape) -> None:
        d, rng = self.diary, self.rng
        opened = timezone.localtime(case.opened_at)
        first_day = opened.date() + timedelta(days=1)
        if shape.close:
            length = rng.randint(35, 110)
            last_day = min(first_day + timedelta(days=length), d.today - timedelta(days=3))
            if shape.reason == ClosingReason.NOT_ENGAGING:
                last_day -= timedelta(days=15)  # then two calls go unanswered
        elif shape.ending == "overdue":
            last_day = d.today - timedelta(days=rng.randint(5, 16))
        else:
            last_day = d.today - timedelta(days=1)
        span = (last_day - first_day).days
        by = case.worker
        if span < 1:
            # Accepted in the last day or two: the first conversation is booked.
            if shape.hand_to:
                self._hand_over(case, shape, case.opened_at + timedelta(minutes=30))
                by = shape.hand_to
            due = d.today if shape.ending == "today" else d.today + timedelta(days=1)
            if shape.ending == "overdue" and opened.date() < d.today - timedelta(days=1):
                due = opened.date() + timedelta(days=1)
            d.follow_up(
                case,
                d._clamp(case.opened_at + timedelta(minutes=40)),
                by=by,
                due_on=due,
                kind=FollowUpKind.APPOINTMENT,
                purpose="First what-matters conversation",
                due_time=time(rng.choice([10, 11, 14]), 0),
            )
            return
        most = rng.randint(3, 8) if shape.close else rng.randint(1, max(1, min(8, span // 7)))
        count = min(span + 1, most)
        days = sorted(rng.sample(range(span + 1), count))
        days = [first_day + timedelta(days=n) for n in days]
        days = [d.workday(day, not_before=first_day) for day in days]
        if shape.close or shape.ending == "overdue":
            days[-1] = max(days[-1], d.workday(last_day, not_before=first_day))
        handover = None
        if shape.hand_to:  # part-way through; a closing case is closed by its new worker
            handover = rng.randint(0, len(days) - 1) if shape.close else rng.randint(1, len(days))

        needs = self._reasons(case)
        profile = profile_of(case, rng)
        recorded: dict[str, Need] = {}
        goals: list[Goal] = []
        chosen: list[str] = []
        pending: FollowUp | None = None
        at = None
        for index, day in enumerate(days):
            if index == handover:
                self._hand_over(case, shape, d.moment(day, 8, 30, after=at))
                by = shape.hand_to
            at = d.moment(day, rng.randint(9, 15), rng.choice([0, 15, 30, 45]), after=at)
            if pending is not None and pending.due_on < day and rng.random() < 0.6:
                d.missed(pending, by=by)
                pending = None
                notes = rng.choice(MISSED_CALL_NOTES)
            elif index == 0:
                notes = rng.choice(FIRST_NOTES)
            else:
                if chosen and rng.random() < 0.6:
                    notes = rng.choice(SUPPORT_NOTES).format(support=rng.choice(chosen))
                else:
                    notes = rng.choice(LATER_NOTES)
            method = (
                rng.choice(
                    [ContactMethod.PHONE, ContactMethod.FACE_TO_FACE, ContactMethod.HOME_VISIT]
                )
                if index == 0
                else rng.choices(
                    [
                        ContactMethod.PHONE,
                        ContactMethod.VIDEO,
                        ContactMethod.FACE_TO_FACE,
                        ContactMethod.MESSAGE,
                    ],
                    weights=[70, 8, 14, 8],
                )[0]
            )
            minutes = (
                rng.choice([40, 45, 60, 75]) if index == 0 else rng.choice([5, 10, 15, 20, 30])
            )
            if method == ContactMethod.MESSAGE:
                minutes = None
            d.contact(
                case,
                at,
                by=by,
                method=method,
                minutes=minutes,
                notes=notes,
                outcome=rng.choice(OUTCOMES) if index else "Needs and goals agreed",
                next_step=rng.choice(NEXT_STEPS),
                answers=pending,
            )
            pending = None
            step = at + timedelta(minutes=minutes or 5)
            if index == 0:
                recorded = d.assess(
                    case,
                    at,
                    by=by,
                    needs=[
                        (code, rng.choice([1, 2, 2, 3]), rng.choice(need_words(code, profile)))
                        for code in needs
                    ],
                    what_matters=rng.choice(WHAT_MATTERS),
                    minutes=(minutes or 30) - 5,
                )
                for code in needs[: rng.choice([1, 2, 2])]:
                    goals.append(
                        d.goal(
                            case,
                            step,
                            by=by,
                            text=rng.choice(goals_for(code, profile)),
                            needs=[recorded[code]],
                            target_days=rng.choice([42, 56, 84, 90]),
                        )
                    )
            if index == min(1, len(days) - 1):
                chosen = self._supports(case, step, by, needs)
            elif index > 1 and goals and rng.random() < 0.7:
                goal = rng.choice(goals)
                if goal.progress < 9:
                    goals[goals.index(goal)] = d.score(
                        goal, step, by=by, progress=min(9, goal.progress + rng.randint(1, 3))
                    )
            if rng.random() < 0.08:
                notes_here = NOTES if profile in (OLDER_COUPLE, FAMILY) else NOTES[:3]
                d.note(case, step + timedelta(minutes=2), by=by, text=rng.choice(notes_here))
            if index < len(days) - 1:
                kind, purpose = rng.choice(FOLLOW_UPS)
                due = days[index + 1]
                if rng.random() < 0.15 and (due - day).days > 3:
                    due = day + timedelta(days=rng.randint(1, (due - day).days - 1))
                    due = d.workday(due, not_before=day)
                pending = d.follow_up(
                    case,
                    step,
                    by=by,
                    due_on=due,
                    kind=kind,
                    purpose=purpose,
                )
        if handover == len(days):
            self._hand_over(case, shape, at + timedelta(minutes=85))
            by = shape.hand_to
        if shape.close:
            self._close(case, shape, by, goals, at)
        else:
            self._carry_on(case, shape, by, at)

    def _hand_over(self, case, shape: Shape, at) -> None:
        services.case_assign(
            case=case,
            to=shape.hand_to,
            by=self.diary.manager,
            reason=self.rng.choice(["Balancing caseloads", "Nearer the person's GP practice"]),
            at=self.diary._clamp(at),
        )

    def _reasons(self, case: Case) -> list[str]:
        codes = [t.code for t in case.referral.reasons.all() if t.code in NEED_WORDS]
        codes = sorted(codes) or ["mental-wellbeing"]
        extra = [
            c for c in ("loneliness", "mental-wellbeing", "physical-activity") if c not in codes
        ]
        if extra and self.rng.random() < 0.4:
            codes.append(self.rng.choice(extra))
        return codes

    def _supports(self, case, at, by, needs) -> list[str]:
        d, rng = self.diary, self.rng
        chosen = []
        for index, code in enumerate(needs[:3]):
            options = d.services_for(code)
            if not options:
                continue
            service = rng.choice(options)
            roll = rng.random()
            if roll < 0.78:
                decision, words = SupportDecision.CHOSEN, rng.choice(WORDS_CHOSEN)
                chosen.append(service.name)
            elif roll < 0.9:
                decision, words = SupportDecision.CONSIDERING, rng.choice(WORDS_CONSIDERING)
            else:
                decision, words = SupportDecision.DECLINED, rng.choice(WORDS_DECLINED)
            d.support(
                case,
                at + timedelta(minutes=index),
                by=by,
                decision=decision,
                service=service,
                words=words,
            )
        return chosen

    def _close(self, case, shape: Shape, by, goals, last) -> None:
        d, rng = self.diary, self.rng
        reason = shape.reason
        at = last
        if reason == ClosingReason.NOT_ENGAGING:
            # Calls that went unanswered before the case closed.
            day = timezone.localtime(last).date()
            for gap in (7, 14):
                followup = d.follow_up(
                    case,
                    at,
                    by=by,
                    due_on=day + timedelta(days=gap),
                    purpose="Support call",
                )
                d.missed(followup, by=by)
                at = d.moment(day + timedelta(days=gap), 16, 45, after=at)
        at = at + timedelta(minutes=20)
        for goal in goals:
            progress = goal.progress
            if reason == ClosingReason.GOALS_MET:
                progress = max(progress, rng.randint(6, 10))
                status = GoalStatus.ACHIEVED if progress >= 8 else GoalStatus.PARTLY
            elif progress >= 5:
                status = GoalStatus.PARTLY
            elif reason == ClosingReason.NOT_ENGAGING:
                status = rng.choice([GoalStatus.NOT_ACHIEVED, GoalStatus.DROPPED])
            else:
                status = GoalStatus.NOT_ACHIEVED
            d.score(goal, at, by=by, progress=progress, status=status, note="Reviewed at closing")
        services.case_close(
            case=case,
            by=by,
            version=None,
            reason=reason,
            summary=rng.choice(CLOSING_SUMMARIES[ClosingReason(reason)]),
            final_questionnaire_offered=reason == ClosingReason.GOALS_MET or rng.random() < 0.3,
            goals_reviewed=True,
            tell_referrer=False,
            cancel_followups=True,
            at=d._clamp(at + timedelta(minutes=5)),
        )

    def _carry_on(self, case, shape: Shape, by, last) -> None:
        d, rng = self.diary, self.rng
        step = last + timedelta(minutes=95)
        if shape.status == CaseStatus.PAUSED:
            d.move(case, step, by=by, to=CaseStatus.PAUSED, reason=rng.choice(PAUSE_REASONS))
        elif shape.status == CaseStatus.CLOSING:
            d.move(case, step, by=by, to=CaseStatus.CLOSING, reason="Goals nearly met")
        day = timezone.localtime(last).date()
        if shape.ending == "none":
            return
        if shape.ending == "today":
            due = d.today
        elif shape.ending == "overdue":
            due = day + timedelta(days=rng.randint(1, max(1, (d.today - day).days - 1)))
            due = d.workday(due, not_before=day + timedelta(days=1))
        elif shape.status == CaseStatus.PAUSED:
            due = d.weekday_on_or_after(d.today + timedelta(days=rng.randint(14, 28)))
        else:
            due = d.weekday_on_or_after(d.today + timedelta(days=rng.randint(1, 21)))
        kind, purpose = {
            CaseStatus.PAUSED: (FollowUpKind.REVIEW, "See whether they are ready to pick up again"),
            CaseStatus.CLOSING: (FollowUpKind.REVIEW, "Closing review: goals and questionnaire"),
        }.get(
            shape.status,
            rng.choice(
                [
                    (FollowUpKind.SUPPORT_CALL, "Support call"),
                    (FollowUpKind.CHECK_REFERRAL, "Check the referral is on track"),
                    (FollowUpKind.REVIEW, "Review the plan together"),
                ]
            ),
        )
        d.follow_up(case, step, by=by, due_on=due, kind=kind, purpose=purpose)


def _sites_of(worker, scheme_id) -> set:
    """The sites a worker is limited to (empty: every site)."""
    rows = Membership.objects.filter(scheme_id=scheme_id, user=worker).values_list(
        "sites", flat=True
    )
    return set(rows) - {None}


def _shapes(cases: list[Case], workers, rng: random.Random, story_count: int) -> list[Shape]:
    """Decide each ordinary case's course: ~30 of the oldest close; the demo link worker holds
    ~40 open cases in all (a few overdue, some due today, some with nothing scheduled); the
    rest stay with, or are handed to, the other link workers. A case is held by a worker who
    works at its site, so each can open the cases they hold."""
    demo, others = workers[0], list(workers[1:]) or [workers[0]]
    sites = {w.pk: _sites_of(w, cases[0].scheme_id) for w in workers} if cases else {}

    def covers(worker, case: Case) -> bool:
        return not sites[worker.pk] or case.site_id is None or case.site_id in sites[worker.pk]

    shapes = {case.pk: Shape() for case in cases}
    # Close the oldest cases, as many at the demo link worker's sites as leaves them ~40.
    wanted = max(0, DEMO_CASELOAD - story_count)
    at_theirs = [c for c in cases if covers(demo, c)]
    elsewhere = [c for c in cases if not covers(demo, c)]
    close_theirs = min(max(0, len(at_theirs) - wanted - 3), CLOSED_CASES)
    close_elsewhere = max(CLOSED_CASES - close_theirs, 4)
    closing = set()
    for pool, count in ((at_theirs, close_theirs), (elsewhere, close_elsewhere)):
        count = min(count, len(pool))
        oldest = pool[: min(len(pool), count * 3 // 2)]
        closing |= {c.pk for c in rng.sample(oldest, count)}
    reasons = CLOSING_REASONS[:]
    rng.shuffle(reasons)
    for index, pk in enumerate(sorted(closing, key=str)):
        shapes[pk].close = True
        shapes[pk].reason = reasons[index % len(reasons)]
    still_open = [c for c in cases if c.pk not in closing]
    holder = {c.pk: c.worker_id for c in cases}

    def load(worker) -> list[Case]:
        return [c for c in still_open if holder[c.pk] == worker.pk]

    def hand(case: Case, to) -> None:
        shapes[case.pk].hand_to = None if case.worker_id == to.pk else to
        holder[case.pk] = to.pk

    # A closed case was worked, at least at the end, by someone at its site.
    for case in cases:
        if case.pk in closing and not any(
            w.pk == case.worker_id and covers(w, case) for w in workers
        ):
            hand(case, next((w for w in workers if covers(w, case)), demo))

    # The demo link worker holds the open cases at their sites, up to ~40 with the stories ...
    theirs = {c.pk for c in [c for c in still_open if covers(demo, c)][: wanted + 3]}
    for case in still_open:
        if case.pk in theirs:
            hand(case, demo)
        elif holder[case.pk] == demo.pk:
            hand(case, min(others, key=lambda w: (not covers(w, case), len(load(w)))))
    # ... and the others share the rest evenly, each case with someone at its site.
    for case in still_open:
        if holder[case.pk] != demo.pk:
            current = next((w for w in others if w.pk == holder[case.pk]), None)
            if current is None or not covers(current, case):
                hand(case, min(others, key=lambda w: (not covers(w, case), len(load(w)))))
    for _ in range(len(still_open)):
        busiest = max(others, key=lambda w: len(load(w)))
        idlest = min(others, key=lambda w: len(load(w)))
        movable = [c for c in load(busiest) if covers(idlest, c)]
        if len(load(busiest)) - len(load(idlest)) <= 1 or not movable:
            break
        hand(rng.choice(movable), idlest)
    theirs = load(demo)
    # The demo link worker's open cases: what is due next.
    endings = ["overdue"] * OVERDUE + ["today"] * DUE_TODAY + ["none"] * NOTHING_SCHEDULED
    endings += ["future"] * max(0, len(theirs) - len(endings))
    rng.shuffle(endings)
    statuses = [CaseStatus.PAUSED, CaseStatus.CLOSING] * 2
    for case, ending in zip(theirs, endings, strict=False):
        shapes[case.pk].ending = ending
        if ending == "future" and statuses:
            shapes[case.pk].status = statuses.pop()
    mine = {c.pk for c in theirs}
    for case in still_open:
        if case.pk in mine:
            continue
        shape = shapes[case.pk]
        shape.ending = rng.choices(["future", "today", "none", "overdue"], [60, 15, 15, 10])[0]
        if shape.ending == "future" and rng.random() < 0.1:
            shape.status = rng.choice([CaseStatus.PAUSED, CaseStatus.CLOSING])
    return [shapes[c.pk] for c in cases]


def write_ordinary_cases(diary: Diary, cases: list[Case], *, workers, rng, stories: int) -> None:
    """Write each case's history, oldest first; `workers` start with the demo link worker."""
    writer = _Ordinary(diary, rng)
    for case, shape in zip(cases, _shapes(cases, workers, rng, stories), strict=True):
        writer.write(case, shape)
