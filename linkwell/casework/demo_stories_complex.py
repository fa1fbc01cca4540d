"""Two of the case stories of DOMAIN.md with the most going on: Tess, a single parent of three
(two children autistic) who declines one service for fear of the consequences, and Mr B
(Bashir Rahimi), with many needs at once, setbacks over months, a safeguarding note, and an
ending in safe housing, wanting to work in wellbeing."""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import cycle

from linkwell.casework import services
from linkwell.casework.demo import Diary
from linkwell.casework.demo_stories import (
    CHOSEN,
    CONSIDERING,
    DECLINED,
    Story,
    story_case,
)
from linkwell.casework.models import Case
from linkwell.casework.states import CaseStatus, ContactMethod, FollowUpKind, GoalStatus, Recurrence

# Bashir's weekly calls between the ones his story tells: short, on the day they were due.
CHECK_INS = [
    "Short call to keep in touch: a quieter week. Kept his appointments.",
    "Tired, but managing. Went over what is coming up this week.",
    "Went to his groups; sleeping a little better. Nothing new needed.",
    "A steady week. Reminded him of the debt adviser's appointment.",
]


def tess(d: Diary, worker) -> Case | None:
    case = story_case(d, "Tess", "Morgan", worker, "Funmi knows the school's family support team")
    if case is None:
        return None
    children = (
        [m for m in case.person.household.members.all() if m.pk != case.person_id]
        if (case.person.household_id)
        else []
    )
    if children:
        case = services.case_set_household(case=case, members=children, by=worker)
    s = Story(d, case, worker, span=46)
    s.contact(
        2,
        10,
        "Home visit while Kai and Lily were at school. Tess cares for three children on her own; "
        "Kai (12) and Lily (9) are autistic. Money is very tight. She was wary at first about "
        "what asking for help might lead to.",
        method=ContactMethod.HOME_VISIT,
        minutes=75,
        who="Tess; Jay (6), home poorly",
        outcome="What matters agreed; supports chosen",
        next_step="Food bank voucher today; check each referral over the next three weeks",
    )
    needs = d.assess(
        case,
        s.then(1),
        by=worker,
        needs=[
            (
                "carers",
                3,
                "I'm caring for Kai and Lily round the clock. I haven't had a night "
                "off in three years.",
            ),
            (
                "family-parenting",
                3,
                "Kai's meltdowns after school are getting worse and Jay "
                "copies him. Some days I feel like I'm failing them.",
            ),
            ("money-debt", 3, "I'm behind on the electric and I skip meals so the kids can eat."),
            ("food", 2, "By the end of the month the cupboards are empty."),
            ("mental-wellbeing", 2, "I'm exhausted. I cry a lot once they're in bed."),
            ("employment-skills", 1, "I'd like to work again one day, around school hours."),
        ],
        what_matters="Keeping my family together and getting a bit of breathing space. I need "
        "people to understand the kids, not judge me.",
        minutes=60,
    )
    s.last += timedelta(minutes=60)
    rest = s.goal("Get one evening a week to myself", [needs["carers"]], 56)
    bills = s.goal("Get on top of the electric bill", [needs["money-debt"]], 42)
    kids = s.goal(
        "Understand what help Kai and Lily are entitled to", [needs["family-parenting"]], 70
    )
    s.d.support(
        case,
        s.then(2),
        by=worker,
        decision=CHOSEN,
        name="Counselling for carers (Riverside Carers Centre)",
        words="Someone to talk to who gets what caring is like.",
    )
    s.d.support(
        case,
        s.then(2),
        by=worker,
        decision=CHOSEN,
        name="Short-break grant from the council's carers' fund",
        words="A weekend's break would mean the world.",
    )
    s.offer(("Food bank", ""), "Food-bank vouchers", "Just until I'm back on my feet.")
    s.d.support(
        case,
        s.then(2),
        by=worker,
        decision=CHOSEN,
        name="Disability advice (Riverside Disability Advice Service)",
        words="I didn't know the kids might get DLA.",
    )
    s.offer(
        ("Job coaching", ""),
        "Job coaching",
        "Later in the year, when the kids are settled.",
        decision=CONSIDERING,
    )
    s.d.support(
        case,
        s.then(3),
        by=worker,
        decision=DECLINED,
        name="Family support home visits (Home-Start Riverside)",
        words="I don't want anyone from a service coming into the house. If they see how "
        "things are some days they might think I can't cope and report me. I'm scared they'd "
        "take the kids.",
    )
    s.note(
        "Tess declined family support home visits for fear of what might follow. Her choice is "
        "recorded and respected: we talked through what the service does and does not do, and "
        "she knows she can change her mind at any time. The children are well cared for; no "
        "safeguarding concern."
    )
    checks = [
        s.follow_up(6, "Check Tess got to the food bank"),
        s.follow_up(10, "Check the short-break grant application went in"),
        s.follow_up(14, "Check the carers' counselling has a start date"),
        s.follow_up(20, "Check the disability advice appointment happened"),
    ]
    s.contact(
        3,
        9,
        "Texted Tess the food bank voucher; she can collect on Thursday.",
        method=ContactMethod.MESSAGE,
        minutes=None,
        outcome="Voucher sent",
    )
    s.contact(
        6,
        11,
        "Collected a food parcel. 'The volunteers were kind and didn't ask questions.'",
        minutes=10,
        outcome="Referral on track",
        answers=checks[0],
    )
    s.contact(
        9,
        13,
        "Filled in the short-break grant form together over the phone.",
        minutes=40,
        outcome="Grant application sent",
        answers=checks[1],
    )
    s.contact(
        14,
        10,
        "First counselling session booked with the carers' centre for Tuesday "
        "mornings, while the children are at school.",
        minutes=15,
        outcome="Referral on track",
        answers=checks[2],
    )
    s.contact(
        20,
        12,
        "Saw the disability adviser: applying for DLA for Kai and Lily, with help "
        "with the forms. Energy company agreed a payment plan.",
        minutes=20,
        outcome="Referral on track",
        answers=checks[3],
    )
    kids = s.score(kids, 5, note="DLA claims under way")
    bills = s.score(bills, 6, note="Payment plan agreed")
    s.contact(
        27,
        10,
        "Short-break grant approved: a weekend at the coast with a carer for the "
        "children in February. Tess in tears, 'good tears'.",
        minutes=20,
        outcome="Grant awarded",
    )
    rest = s.score(rest, 4, note="Counselling weekly; break booked")
    s.contact(
        34,
        14,
        "Still doesn't want home visits, which we respect. Said she might try "
        "the parents' group instead.",
        minutes=20,
        outcome="Plan reviewed",
    )
    s.offer(
        ("Parents' peer support", ""),
        "Parents' peer support",
        "Maybe, if it's other mums like me.",
        decision=CONSIDERING,
    )
    s.contact(
        41,
        10,
        "Job coach rang her: first session after the holidays, school hours only.",
        minutes=15,
        outcome="Referral on track",
    )
    s.offer(("Job coaching", ""), "Job coaching", "After Christmas, in school hours.")
    s.contact(
        45,
        11,
        "Steadier fortnight. Kai's new school plan is helping after school.",
        minutes=20,
        outcome="Progress scored",
    )
    s.score(rest, 5)
    s.follow_up(d.today + timedelta(days=2), "Support call", kind=FollowUpKind.SUPPORT_CALL)
    return case


def bashir(d: Diary, worker) -> Case | None:
    case = story_case(
        d, "Bashir", "Rahimi", worker, "Complex needs: Funmi leads on cases with safeguarding"
    )
    if case is None:
        return None
    s = Story(d, case, worker, span=140)
    s.contact(
        1,
        11,
        "First call, short: Bashir was wary and tired. Agreed to meet at the surgery. Phone "
        "only, no internet.",
        minutes=15,
        outcome="Meeting booked",
    )
    meet = s.follow_up(
        6,
        "What-matters conversation at the surgery",
        kind=FollowUpKind.APPOINTMENT,
        due_time=time(11, 0),
    )
    s.contact(
        6,
        11,
        "Met at the surgery for an hour and a half. A lot at once: low mood, an unsafe room, "
        "debts, his wife's death in January, no one to talk to, diabetes out of control and "
        "his sight getting worse.",
        method=ContactMethod.FACE_TO_FACE,
        minutes=90,
        outcome="What matters agreed; first supports chosen",
        next_step="Weekly calls; housing and debt first",
        answers=meet,
    )
    needs = d.assess(
        case,
        s.then(1),
        by=worker,
        needs=[
            (
                "mental-wellbeing",
                3,
                "My head is full all the time. I don't sleep. Some nights "
                "I can't see how it gets better.",
            ),
            (
                "housing",
                3,
                "The room is damp and the landlord comes in when he likes. I don't "
                "feel safe there.",
            ),
            (
                "loneliness",
                3,
                "Since my wife died I hardly speak to anyone. My family are far away.",
            ),
            (
                "money-debt",
                3,
                "The letters keep coming: council tax, a catalogue. I'm scared to open the post.",
            ),
            ("bereavement", 3, "My wife died in January. I keep thinking I should have done more."),
            (
                "long-term-conditions",
                2,
                "My diabetes is all over the place and my eyes are "
                "getting worse. I can't read the letters.",
            ),
            ("physical-activity", 1, "I used to play football. Now I don't leave the room."),
        ],
        what_matters="Somewhere safe to live, getting on top of the debts, and to stop feeling "
        "like this.",
        minutes=80,
    )
    s.last += timedelta(minutes=80)
    home = s.goal("Somewhere safe to live", [needs["housing"]], 90)
    debts = s.goal("Get the debts under control", [needs["money-debt"]], 120)
    people = s.goal("Have people to talk to", [needs["loneliness"], needs["bereavement"]], 120)
    health = s.goal("Get my sugar levels steady", [needs["long-term-conditions"]], 90)
    s.offer(("Housing advice", ""), "Housing advice", "Please, as soon as they can.")
    s.offer(
        ("Debt advice appointments", ""), "Debt advice", "If they can read the letters with me."
    )
    s.offer(("Low-cost counselling", ""), "Talking therapy", "I'll try.")
    s.d.support(
        case,
        s.then(2),
        by=worker,
        decision=CHOSEN,
        name="Diabetes nurse at his GP practice",
        words="I've missed the last two.",
    )
    s.offer(
        ("Bereavement group", ""),
        "Bereavement group",
        "I'm not ready to talk in a group yet.",
        decision=CONSIDERING,
    )
    weekly = s.follow_up(
        13, "Weekly support call", kind=FollowUpKind.SUPPORT_CALL, recurrence=Recurrence.WEEKLY
    )
    check_ins = cycle(CHECK_INS)

    def due_day(n: float) -> date:
        """The day of the weekly call nearest story day `n`: the calls due before it are
        short check-ins, each on its due date."""
        nonlocal weekly
        target = s.day(n)
        while weekly.due_on + timedelta(days=3) < target and weekly.due_on < d.today:
            s.last = d.moment(weekly.due_on, 10, after=s.last)
            _, weekly = d.contact(
                case,
                s.last,
                by=worker,
                minutes=10,
                notes=next(check_ins),
                outcome="Weekly support call done",
                answers=weekly,
            )
        return min(weekly.due_on, d.today - timedelta(days=1))

    def call(n: float, hour: int, text: str, *, minutes: int = 20, **extra):
        """The weekly call nearest story day `n`, on the day it was due."""
        s.last = d.moment(due_day(n), hour, after=s.last)
        return d.contact(
            case, s.last, by=worker, minutes=minutes, notes=text, answers=weekly, **extra
        )

    _, weekly = call(
        13,
        10,
        "Housing adviser has his case; debt adviser is reading his letters with him on Friday.",
        outcome="On track",
    )
    _, weekly = call(
        20,
        10,
        "Council tax on hold while the debt adviser works on it. Slept a bit better.",
        outcome="On track",
    )
    debts = s.score(debts, 2, note="Debt adviser working on it")
    _, weekly = call(
        27,
        15,
        "Bashir told me about something that happened last year, and that he is frightened at "
        "the flat. Long call. See safeguarding note.",
        minutes=55,
        outcome="Safeguarding concern raised with the manager",
    )
    s.note(
        "Bashir disclosed a sexual assault last year and that his landlord enters "
        "his room without warning and has threatened him. Not in immediate danger: staying with "
        "a cousin tonight. Discussed with Gareth Evans (manager) the same day. With Bashir's "
        "consent: adult safeguarding referral made, Rape Crisis referral made, housing "
        "adviser asked to treat as urgent.",
        safeguarding=True,
    )
    s.offer(
        ("Specialist sexual violence support", "Rape Crisis Riverside"),
        "Rape crisis support (Rape Crisis Riverside)",
        "I've never told anyone before. I'll talk to them.",
    )
    _, weekly = call(
        34,
        10,
        "Rape Crisis have been in touch and he has a worker. Back at "
        "the flat; landlord warned off by the housing team.",
        outcome="On track",
    )
    missed_on = due_day(41)
    weekly = d.missed(weekly, by=worker)
    s.last = d.moment(missed_on, 16, 45, after=s.last)
    s.note(
        "Call unanswered and no reply to a text. Rang his cousin, the emergency contact: "
        "Bashir was admitted to hospital on Sunday with very high blood sugar."
    )
    s.d.move(case, s.then(5), by=worker, to=CaseStatus.PAUSED, reason="In hospital")
    weekly = d.missed(weekly, by=worker)
    s.last = d.moment(due_day(55), 10, 30, after=s.last)
    s.d.move(case, s.then(1), by=worker, to=CaseStatus.ACTIVE, reason="Home from hospital")
    _, weekly = call(
        55,
        11,
        "Home from hospital. Shaken, but the diabetes nurse is now "
        "seeing him fortnightly. Low week; talked it through.",
        minutes=40,
        outcome="Back home; plan reviewed",
    )
    health = s.score(health, 3, note="Seeing the diabetes nurse fortnightly")
    s.offer(
        ("Bereavement group", ""),
        "Bereavement group",
        "I think I'm ready now. My cousin will take me the first time.",
    )
    s.offer(("Sight loss support", ""), "Sight-loss charity", "If they can help me read my post.")
    s.d.support(
        case,
        s.then(2),
        by=worker,
        decision=CHOSEN,
        name="Health coach at the practice",
        words="Someone to help me with food and the tablets.",
    )
    _, weekly = call(
        62,
        10,
        "First bereavement group. 'I didn't say much, but I went.' "
        "Sight-loss volunteer visiting next week.",
        outcome="On track",
    )
    people = s.score(people, 3, note="Went to the bereavement group")
    _, weekly = call(
        76,
        14,
        "Setback: the landlord served notice. Bashir in a panic. Housing adviser has him on "
        "the council's list as homeless-at-risk; temporary room found for next week.",
        minutes=45,
        outcome="Housing crisis: temporary accommodation found",
    )
    home = s.score(home, 2, note="Notice served; temporary room")
    s.d.support(
        case,
        s.then(2),
        by=worker,
        decision=CHOSEN,
        name="Men's wellbeing group (Riverside Wellbeing Hub)",
        words="A group of men who've been through it. I can do that.",
    )
    _, weekly = call(
        90,
        10,
        "Settled in the temporary room; safer. Going to the "
        "wellbeing group and the bereavement group every week.",
        outcome="On track",
    )
    people = s.score(people, 5, note="Two groups a week")
    s.offer(
        ("Exercise on referral", ""),
        "Gym (exercise on referral)",
        "The gym gets me out of the house three mornings a week.",
    )
    _, weekly = call(
        97,
        10,
        "Started at the gym on the exercise referral; health coach "
        "helping with meals. Sugars steadier.",
        outcome="On track",
    )
    health = s.score(health, 6, note="Sugars steadier")
    _, weekly = call(
        111,
        12,
        "Keys to a housing association flat! Safe, dry, on the ground floor near the bus. "
        "Debt relief order approved last week.",
        minutes=30,
        outcome="Safe housing",
    )
    home = s.score(home, 10, GoalStatus.ACHIEVED, note="Housing association flat")
    debts = s.score(debts, 8, note="Debt relief order approved")
    _, weekly = call(
        125,
        10,
        "Talked about what's next. Bashir wants to work in wellbeing: 'to help people the way "
        "people helped me.' The wellbeing hub has peer supporter training in the spring.",
        minutes=35,
        outcome="New goal",
    )
    future = s.goal(
        "Train as a peer supporter and work in wellbeing", [needs["mental-wellbeing"]], 180
    )
    s.d.support(
        case,
        s.then(2),
        by=worker,
        decision=CHOSEN,
        name="Peer supporter training (Riverside Wellbeing Hub)",
        words="I want to give something back.",
    )
    s.score(future, 2, note="Training place applied for")
    _, weekly = call(
        137,
        14,
        "Reviewed every goal together. Housing done; debts nearly; "
        "not alone any more; sugars mostly steady. Ready to finish with us "
        "after a last review.",
        minutes=45,
        outcome="Goals reviewed",
    )
    s.score(debts, 8, GoalStatus.PARTLY, note="Debt relief order; a catalogue debt remains")
    s.score(people, 7, GoalStatus.PARTLY, note="Groups every week; still lonely at weekends")
    s.score(health, 8, GoalStatus.ACHIEVED, note="Sugars steady; sees the nurse monthly")
    if weekly is not None:
        services.followup_cancel(followup=weekly, by=worker, at=s.then(2))
    s.d.move(
        case,
        s.then(5),
        by=worker,
        to=CaseStatus.CLOSING,
        reason="Goals largely met; final review booked",
    )
    s.follow_up(
        d.today + timedelta(days=3),
        "Final review and closing conversation",
        kind=FollowUpKind.REVIEW,
        due_time=time(11, 0),
    )
    return case
