"""The five case stories of DOMAIN.md as demo cases (Aled, Carol and Edna here; Tess and her
children and Mr B in `demo_stories_complex`), each with a what-matters conversation in their
own words, goals scored over time, the supports they chose (and one declined), contacts over
the weeks since the referral, and what is due next. Written through the casework services."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from linkwell.casework import services
from linkwell.casework.demo import Diary
from linkwell.casework.models import Case
from linkwell.casework.states import (
    ContactMethod,
    FollowUpKind,
    Recurrence,
    SupportDecision,
)
from linkwell.referrals.models import Referral

PHONE = ContactMethod.PHONE
CHOSEN = SupportDecision.CHOSEN
CONSIDERING = SupportDecision.CONSIDERING
DECLINED = SupportDecision.DECLINED
CHECK = FollowUpKind.CHECK_REFERRAL


class Story:
    """One story's clock: day `n` of the story is `n` days after the case opened (squeezed if
    the case opened more recently than the story needs), at working hours, never ahead of
    what was written before it, never in the future."""

    def __init__(self, diary: Diary, case: Case, worker, span: int):
        self.d = diary
        self.case = case
        self.by = worker
        self.start = timezone.localtime(case.opened_at).date()
        usable = (diary.today - timedelta(days=1) - self.start).days
        self.factor = min(1.0, max(usable, 0) / span) if span else 1.0
        self.last: datetime = case.opened_at

    def day(self, n: float) -> date:
        day = self.start + timedelta(days=round(n * self.factor))
        return self.d.workday(day, not_before=self.start)

    def at(self, n: float, hour: int = 10, minute: int = 0) -> datetime:
        day = self.d.workday(self.day(n), not_before=timezone.localtime(self.last).date())
        self.last = self.d.moment(day, hour, minute, after=self.last)
        return self.last

    def then(self, minutes: int = 5) -> datetime:
        self.last = self.d._clamp(self.last + timedelta(minutes=minutes))
        return self.last

    # Shorthands for this story's case, by its worker.
    def contact(self, n, hour, text, *, method=PHONE, minutes=20, **extra):
        return self.d.contact(
            self.case,
            self.at(n, hour),
            by=self.by,
            method=method,
            minutes=minutes,
            notes=text,
            **extra,
        )

    def follow_up(self, due: float | date, purpose: str, kind=CHECK, **extra):
        due_on = due if isinstance(due, date) else self.day(due)
        due_on = max(due_on, timezone.localtime(self.last).date())
        return self.d.follow_up(
            self.case,
            self.then(1),
            by=self.by,
            due_on=due_on,
            kind=kind,
            purpose=purpose,
            **extra,
        )

    def offer(self, wanted, fallback, words="", decision=CHOSEN):
        return self.d.offer(
            self.case,
            self.then(2),
            by=self.by,
            wanted=wanted,
            fallback=fallback,
            words=words,
            decision=decision,
        )

    def goal(self, text, needs=(), target_days=None):
        return self.d.goal(
            self.case, self.then(2), by=self.by, text=text, needs=needs, target_days=target_days
        )

    def score(self, goal, progress=None, status=None, note=""):
        return self.d.score(
            goal, self.then(1), by=self.by, progress=progress, status=status, note=note
        )

    def note(self, text, safeguarding=False):
        return self.d.note(
            self.case, self.then(3), by=self.by, text=text, safeguarding=safeguarding
        )


def story_case(diary: Diary, given: str, family: str, worker, reason: str) -> Case | None:
    referral = (
        Referral.objects.filter(
            scheme=diary.scheme, person__given_name=given, person__family_name=family
        )
        .select_related("case", "person")
        .first()
    )
    if referral is None or not hasattr(referral, "case"):
        return None
    case = referral.case
    if case.worker_id != worker.pk:
        case = services.case_assign(
            case=case,
            to=worker,
            by=diary.manager,
            reason=reason,
            at=case.opened_at + timedelta(minutes=20),
        )
    return case


def write_stories(diary: Diary, *, worker) -> list[Case]:
    """Write the five stories for `worker`, the demo link worker; return their cases."""
    cases = []
    from linkwell.casework.demo_stories_complex import bashir, tess

    for write in (_aled, _carol, tess, bashir, _edna):
        case = write(diary, worker)
        if case is not None:
            cases.append(case)
    return cases


def _aled(d: Diary, worker) -> Case | None:
    case = story_case(d, "Aled", "Pritchard", worker, "")
    if case is None:
        return None
    s = Story(d, case, worker, span=60)
    s.contact(
        1,
        11,
        "First call. Aled lives with his parents on the farm, three miles from the nearest bus "
        "stop; the bus runs twice a day. Out of work since the farm shop closed. Low most days. "
        "Started CBT with NHS Talking Therapies last month, weekly, by video.",
        minutes=45,
        outcome="What matters agreed; plan started",
        next_step="Weekly support call while things are hard",
    )
    needs = d.assess(
        case,
        s.then(1),
        by=worker,
        needs=[
            (
                "mental-wellbeing",
                3,
                "Most days I can't see the point of getting up. The CBT helps a bit, but the "
                "week between sessions is long.",
            ),
            (
                "employment-skills",
                3,
                "I want a job, but I've been out of work a year and lost my confidence. "
                "Anything in town is hard: the bus goes twice a day and I don't drive.",
            ),
            (
                "loneliness",
                2,
                "Out on the farm I don't see anyone my age from one week to the next.",
            ),
        ],
        what_matters="Feeling useful again and having something to get up for. It has to work "
        "by phone or online: I can't get into town most days.",
        minutes=40,
    )
    s.last = s.last + timedelta(minutes=40)
    s.note(
        "Aled is having weekly CBT with NHS Talking Therapies (started last month). Our calls "
        "are for support and connections, not therapy, so we don't duplicate it."
    )
    s.note(
        "Needs phone and online options: no car, the bus from the farm runs twice a day. Offer "
        "online groups first; in person only where a lift or community transport works."
    )
    cope = s.goal("Learn ways to cope when my head gets too busy", [needs["mental-wellbeing"]], 56)
    work = s.goal(
        "Get back into some kind of work, even a few hours a week",
        [needs["employment-skills"]],
        120,
    )
    s.offer(
        ("Stress control classes", ""),
        "Stress control classes (online)",
        "Online is good: I can do it from my room.",
    )
    s.offer(("Mindfulness course", ""), "Mindfulness course (online)", "I'll try the online one.")
    cafe = ("Supported volunteering in our café", "The Café Project")
    s.offer(
        cafe,
        "Employment training and café volunteering (The Café Project)",
        "I'd like to, if I can sort out a lift on Tuesdays.",
        decision=CONSIDERING,
    )
    # Weekly support calls, the same weekday each week, the next one due today.
    first_weekly = s.start + timedelta(days=3)
    weeks = max(1, (d.today - first_weekly).days // 7)
    weekly_days = [d.today - timedelta(days=7 * k) for k in range(weeks, 0, -1)]
    pending = s.follow_up(
        weekly_days[0],
        "Weekly support call",
        kind=FollowUpKind.SUPPORT_CALL,
        recurrence=Recurrence.WEEKLY,
        due_time=time(10, 0),
    )
    calls = [
        ("Signed up for the online stress control class; first session on Thursday.", None),
        ("Did two stress control sessions. The breathing exercise helped on a bad night.", 2),
        ("Missed", None),
        (
            "Local lockdown announced: The Café Project has closed its doors for now. Aled is "
            "disappointed but the stress control class carries on online. Our calls stay weekly.",
            None,
        ),
        ("Started the online mindfulness course. Found the first one awkward, stuck with it.", 4),
        (
            "The café has reopened. The coordinator will meet Aled off the bus on Tuesdays; "
            "he said yes to volunteering there.",
            None,
        ),
        ("First two shifts at the café done. Tired, but 'it felt good to be useful'.", 6),
        ("Steadier week. CBT going well; using the mindfulness app most evenings.", 7),
    ]
    for index, day in enumerate(weekly_days):
        text, progress = calls[min(index, len(calls) - 1)]
        if text == "Missed":
            pending = d.missed(pending, by=worker)
            s.last = d.moment(day + timedelta(days=1), 14, after=s.last)
            d.contact(
                case,
                s.last,
                by=worker,
                minutes=25,
                notes="Aled rang back after missing yesterday's call: a bad couple of days, "
                "stayed in bed. Talked it through; he has the crisis line number and a GP "
                "review booked.",
                outcome="Safety checked; GP review booked",
            )
            continue
        s.last = max(s.last, d.moment(day, 9, 55))
        _, pending = d.contact(
            case,
            d.moment(day, 10, 0, after=s.last),
            by=worker,
            minutes=20,
            notes=text,
            outcome="Weekly support call done",
            next_step="Same time next week",
            answers=pending,
        )
        s.last = d.moment(day, 10, 20, after=s.last)
        if "said yes to volunteering" in text:
            s.offer(
                cafe,
                "Employment training and café volunteering (The Café Project)",
                "Tuesdays work if she meets me off the bus.",
            )
            work = s.score(work, 3, note="Starting café volunteering")
        if progress is not None:
            cope = s.score(cope, min(10, progress), note="Scored together on the weekly call")
            if progress == 6:
                work = s.score(work, 5, note="Two shifts a week at the café")
    return case


def _carol(d: Diary, worker) -> Case | None:
    case = story_case(d, "Carol", "Jenkins", worker, "Funmi covers Carol's GP practice on Tuesdays")
    if case is None:
        return None
    s = Story(d, case, worker, span=34)
    s.contact(
        1,
        10,
        "First call. Off work since spring with low mood; doesn't want medication and her GP "
        "supports trying this first. Used to paint. Feels better outdoors but has stopped "
        "going out.",
        minutes=40,
        outcome="What matters agreed",
        next_step="Meet at the surgery to choose supports",
    )
    needs = d.assess(
        case,
        s.then(1),
        by=worker,
        needs=[
            (
                "mental-wellbeing",
                2,
                "I've felt flat since the restructure. I don't want tablets: "
                "I want to do something.",
            ),
            (
                "employment-skills",
                2,
                "I've been off since spring. I don't know if I can go back "
                "to the same job, or if I even want to.",
            ),
            ("nature-gardening", 2, "I always feel better outside, but I've stopped going out."),
            ("arts-creativity", 1, "I used to paint years ago. I'd love to get back to it."),
        ],
        what_matters="Getting my confidence back and working out what I want to do next, "
        "without medication.",
        minutes=35,
    )
    s.last += timedelta(minutes=35)
    s.note("Carol does not want antidepressants; her GP is aware and supports this plan.")
    outside = s.goal(
        "Get out in the fresh air at least twice a week", [needs["nature-gardening"]], 42
    )
    art = s.goal("Finish the art course", [needs["arts-creativity"]], 60)
    work = s.goal(
        "Decide whether to go back to my old job or try something new",
        [needs["employment-skills"]],
        90,
    )
    s.contact(
        3,
        14,
        "Met at the surgery and went through the directory together. Carol chose four things.",
        method=ContactMethod.FACE_TO_FACE,
        minutes=50,
        outcome="Plan agreed: four supports chosen",
        next_step="Call over the next two weeks to check each referral is on track",
    )
    s.offer(
        ("Therapeutic gardening", ""),
        "Outdoor gardening group",
        "Being outdoors with something to do appeals.",
    )
    s.offer(("Eight-week art group", ""), "Eight-week art group", "I'd love to paint again.")
    s.offer(
        ("Supported volunteering in our café", ""),
        "Supported volunteering",
        "Something small to get me back into a routine.",
    )
    s.offer(("Careers advice", ""), "Careers advice", "I need someone to talk options through.")
    checks = [
        s.follow_up(5, "Check the gardening group has been in touch"),
        s.follow_up(8, "Check the art group place is confirmed"),
        s.follow_up(11, "Check the volunteering induction is booked"),
        s.follow_up(15, "Check the careers advice appointment happened"),
    ]
    s.contact(
        5,
        11,
        "The gardening group rang her; she's going on Thursday.",
        minutes=10,
        outcome="Referral on track",
        answers=checks[0],
    )
    s.contact(
        8,
        11,
        "Place on the art group confirmed, starting Monday. She has bought a sketchbook.",
        minutes=10,
        outcome="Referral on track",
        answers=checks[1],
    )
    outside = s.score(outside, 4, note="Gardening every Thursday")
    d.missed(checks[2], by=worker)
    s.contact(
        12,
        10,
        "No answer yesterday. Reached Carol today: the volunteering induction is "
        "booked for next Wednesday.",
        minutes=10,
        outcome="Referral on track",
    )
    s.contact(
        15,
        15,
        "Saw the careers adviser: thinking about going back part-time in a different role.",
        minutes=15,
        outcome="Referral on track",
        answers=checks[3],
    )
    work = s.score(work, 3, note="Careers adviser seen")
    s.contact(
        24,
        10,
        "Three weeks into the art group and gardening twice a week. 'I feel like me again on "
        "Thursdays.' First volunteering shift done.",
        minutes=25,
        outcome="Plan reviewed",
    )
    art = s.score(art, 4, note="Week three of eight")
    outside = s.score(outside, 7, note="Out twice a week")
    s.contact(
        33,
        14,
        "Talked about a phased return to work in a new role; HR meeting next "
        "month. Art group week five.",
        minutes=20,
        outcome="Progress scored",
    )
    s.score(work, 5, note="Talking to HR about a new role")
    s.score(art, 6)
    s.follow_up(
        d.today + timedelta(days=5),
        "Review after the art group's last session",
        kind=FollowUpKind.REVIEW,
    )
    return case


def _edna(d: Diary, worker) -> Case | None:
    referral = (
        Referral.objects.filter(
            scheme=d.scheme, person__given_name="Edna", person__family_name="Hughes"
        )
        .select_related("person")
        .first()
    )
    if referral is None or hasattr(referral, "case"):
        return None
    reached = referral.attempts.order_by("-at").values_list("at", flat=True).first()
    reached = reached or referral.received_at
    # The case opens, and the visit is made, on the next working day (the same day, if that
    # is still to come).
    visit_day = d.weekday_on_or_after(timezone.localtime(reached).date() + timedelta(days=1))
    if visit_day >= d.today:
        visit_day = timezone.localtime(reached).date()
    opened = d.moment(visit_day, 10, after=reached)
    case = services.case_open(referral=referral, by=worker, worker=worker, at=opened)
    s = Story(d, case, worker, span=1)
    s.last = d.moment(visit_day, 14, 0, after=opened + timedelta(minutes=50))
    d.contact(
        case,
        s.last,
        by=worker,
        method=ContactMethod.HOME_VISIT,
        minutes=70,
        who="Edna; her neighbour Joan came in at the end",
        notes="Home visit. Edna has been widowed six years and lonely for most of them. Hardly "
        "goes out: frightened of falling since a slip on the ice two winters ago. Bright, funny, "
        "and keen to 'get out of these four walls'.",
        outcome="What matters agreed; supports chosen",
        next_step="Introduce her to the friendship lunch club",
    )
    needs = d.assess(
        case,
        s.then(1),
        by=worker,
        needs=[
            (
                "loneliness",
                3,
                "Since Ron died the days are very long. Some weeks I don't speak "
                "to anyone but the milkman.",
            ),
            (
                "physical-activity",
                2,
                "I daren't go out on my own in case I fall. I used to walk everywhere.",
            ),
            ("bereavement", 2, "It's six years, but I still put two cups out some mornings."),
        ],
        what_matters="Having someone to talk to, and getting out of the house again without "
        "being frightened of falling.",
        minutes=45,
    )
    s.last += timedelta(minutes=45)
    walks = s.goal("Go for short walks with my neighbour, Joan", [needs["physical-activity"]], 42)
    s.goal("Go to the friendship group every week", [needs["loneliness"]], 42)
    s.offer(
        ("Bereavement counselling", ""),
        "Bereavement counsellors",
        "I'll keep their numbers by the phone and ring when I'm ready.",
    )
    s.offer(
        ("Low-cost counselling", ""),
        "Counselling",
        "My daughter says I should talk to someone. I've kept the leaflet.",
    )
    s.offer(
        ("Friendship lunch club", ""),
        "Friendship group",
        "I'd like to try it, if someone meets me at the door the first time.",
    )
    s.offer(
        ("Home safety checks", ""),
        "Home safety check",
        "Joan says they fitted rails for her.",
        decision=CONSIDERING,
    )
    s.score(walks, 1, note="Walked to the end of the road with Joan after the visit")
    s.follow_up(d.today + timedelta(days=3), "Check the friendship group has been in touch")
    s.follow_up(
        d.today + timedelta(days=7),
        "Support call: how the first walk and the group went",
        kind=FollowUpKind.SUPPORT_CALL,
        due_time=time(10, 30),
    )
    return case
