"""A labelled evaluation set for matching: people as a link worker meets them, and the demo
directory's services an experienced link worker would consider right for each.

The labels were made by reading `linkwell/directory/demo.py` (what each service is, its need
areas, how people take part, its cost and ages) and where its organisations are (the demo
gazetteer), and by judgement, never by running the engine (that would be circular). A label
leaves out what a link worker would not offer: a service that is full or temporarily closed
(the demo's seeded random source decides which), one the person cannot reach or take part in,
one for other people (the autism parents' group for a new mum), one beyond what they can pay.
Waiting lists are labelled in only for people who accept one, and not for urgent needs.

Every demo service name is unique (the first organisation of a kind keeps the bare name, the
others carry theirs in brackets), so the labels are exact service names.

`profile_of(person)` builds the engine's `MatchProfile` (the postcode looked up in the postcode
table, so `write_demo_gazetteer()` must have run); `evaluate(results_by_profile)` scores ranked
lists of service names against the labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from linkwell.directory.taxonomy import NEED_AREAS, term_id
from linkwell.geo.models import Postcode
from linkwell.matching.profile import MatchProfile, NeedWanted

AREA_NAMES = dict(NEED_AREAS)
IN_PERSON, PHONE, ONLINE, HOME = "in_person", "by_phone", "online", "home_visit"
ALL_WAYS = frozenset({IN_PERSON, PHONE, ONLINE, HOME})
WEEKDAYS = frozenset({"MO", "TU", "WE", "TH", "FR"})


@dataclass(frozen=True)
class Person:
    key: str
    story: str
    needs: tuple[tuple[str, int], ...]  # (need-area code, severity 1..3)
    words: str
    postcode: str
    travel: str
    age: int
    gender: str
    expected: frozenset[str]
    ways: frozenset[str] = ALL_WAYS
    digital_access: bool = True
    device_loan_planned: bool = False
    days: frozenset[str] = frozenset()
    times: frozenset[str] = frozenset()
    cost_limit: str = "contribution"
    language: str = ""
    interpreter_needed: bool = False
    accept_waiting_list: bool = True
    why: str = field(default="", compare=False)


def _set(*names: str) -> frozenset[str]:
    return frozenset(names)


PEOPLE: tuple[Person, ...] = (
    Person(
        key="aled",
        story="23, rural, depressed and out of work, no bus: needs phone and online options",
        needs=(("mental-wellbeing", 3), ("employment-skills", 2)),
        words=(
            "I've been really low and depressed since I lost my job. There's no bus out here "
            "so I can't get to things. I'd like to get back into work and feel less stressed."
        ),
        postcode="RV9 4AA",
        travel="walk",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=23,
        gender="male",
        cost_limit="free",
        expected=_set(
            "Therapeutic gardening",  # a mile's walk from home, in his own district
            "Stress control classes",
            "Stress control classes (Riverside Wellbeing Hub)",
            "Stress control classes (Mind Matters Riverside)",
            "Mindfulness course (Mind Matters Riverside)",
            "Mindfulness course (Open Door Counselling)",
            "Peer support for anxiety",
            "Job coaching",
            "Job coaching (The Café Project)",
            "Job coaching (Pathways Careers Hub)",
            "Careers advice (Riverside Work Club)",
            "Careers advice (Pathways Careers Hub)",
        ),
        why="He has CBT elsewhere, so counselling is not for him now; free only.",
    ),
    Person(
        key="carol",
        story="55, off work with low mood, refuses medication; art, outdoors, careers",
        needs=(
            ("mental-wellbeing", 2),
            ("employment-skills", 2),
            ("arts-creativity", 1),
            ("nature-gardening", 1),
            ("volunteering", 1),
        ),
        words=(
            "Off work with low mood and I don't want to go on tablets. I used to love painting "
            "and being outdoors, and I'd like to think about a different career."
        ),
        postcode="RV1 2AB",
        travel="bus",
        age=55,
        gender="female",
        expected=_set(
            "Eight-week art group (Open Studio Riverside)",
            "Eight-week art group",
            "Therapeutic gardening (Growing Together Allotments)",
            "Therapeutic gardening (Green Gym Riverside)",
            "Conservation volunteering (Growing Together Allotments)",
            "Supported volunteering in our café (Riverside Work Club)",
            "Supported volunteering in our café (Pathways Careers Hub)",
            "Supported volunteering in our café (The Café Project)",
            "Careers advice (Riverside Work Club)",
            "Careers advice (Pathways Careers Hub)",
        ),
    ),
    Person(
        key="tess",
        story="single parent of three, two autistic children; exhausted, short of money and food",
        needs=(
            ("family-parenting", 3),
            ("carers", 2),
            ("food", 2),
            ("money-debt", 2),
        ),
        words=(
            "Single mum of three, two of them are autistic. I'm exhausted, I never get a break, "
            "and money is so tight we're struggling for food."
        ),
        postcode="RV8 3AA",
        travel="bus",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=38,
        gender="female",
        cost_limit="free",
        expected=_set(
            "Parents' peer support (Autism Families Riverside)",
            "Parents' peer support (Parents Together Riverside)",
            "Parents' peer support (Home-Start Riverside)",
            "Food bank (Community Pantry Riverside)",
            "Food bank (Riverside Community Fridge)",
            "Benefits check and form filling",
            "Benefits check and form filling (Riverside Credit Union)",
            "Debt advice appointments (Riverside Credit Union)",
            "Carers' short breaks",
            "Carers' short breaks (Carers Connect)",
            "Carers' support group (Young Carers Riverside)",
        ),
        why="Young carers clubs are for carers aged 8-17, not for her children's needs.",
    ),
    Person(
        key="widow",
        story="79, widowed, lonely for years, afraid of falling since a hip operation, offline",
        needs=(("loneliness", 3), ("physical-activity", 2)),
        words=(
            "I've been lonely since my husband died. I'm scared of falling since my hip, so I "
            "hardly go out now. I'd like a bit of company."
        ),
        postcode="RV4 2AB",
        travel="walk",
        ways=frozenset({IN_PERSON, PHONE, HOME}),
        digital_access=False,
        age=79,
        gender="female",
        expected=_set(
            "Home visiting befriender",
            "Home visiting befriender (Cuppa & Company)",
            "Telephone befriending",
            "Telephone befriending (Cuppa & Company)",
            "Telephone befriending (Good Neighbours Riverside)",
            "Telephone befriending (Age Well Riverside)",
            "Seated dance (Silver Steps)",  # a chair, good for balance, half a mile away
            "Community choir (Open Studio Riverside)",
            "Home safety checks",  # small fixes to prevent falls at home
            "Home safety checks (Riverside Tenants Union)",
        ),
        why="Ballroom is a fee and on her feet; walks and classes further than she can walk.",
    ),
    Person(
        key="eviction",
        story="41, in debt and behind on rent, eviction notice served: urgent",
        needs=(("money-debt", 3), ("housing", 3), ("benefits", 2)),
        words=(
            "I'm behind on the rent and the landlord has served an eviction notice. The debts "
            "keep piling up and I'm scared of the bailiffs."
        ),
        postcode="RV6 1AB",
        travel="bus",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=41,
        gender="male",
        cost_limit="free",
        accept_waiting_list=False,
        expected=_set(
            "Housing advice",
            "Housing advice (Riverside Tenants Union)",
            "Housing advice (Safe Homes Riverside)",
            "Debt advice appointments (Citizens Help Riverside)",
            "Debt advice appointments (StepUp Debt Support)",
            "Debt advice appointments (Riverside Credit Union)",
            "Benefits check and form filling",
            "Benefits check and form filling (StepUp Debt Support)",
            "Benefits check and form filling (Riverside Credit Union)",
        ),
    ),
    Person(
        key="new_carer",
        story="62, has just become her husband's carer after his stroke",
        needs=(("carers", 3), ("mental-wellbeing", 1)),
        words=(
            "My husband had a stroke and I've just become his carer. I love him but I need a "
            "break sometimes, and someone to talk to who understands."
        ),
        postcode="RV2 3AA",
        travel="bus",
        age=62,
        gender="female",
        expected=_set(
            "Carers' support group",
            "Carers' support group (Carers Connect)",
            "Carers' support group (Young Carers Riverside)",
            "Carers' short breaks",
            "Carers' short breaks (Carers Connect)",
            "Carers' short breaks (Young Carers Riverside)",
        ),
    ),
    Person(
        key="diabetes_lonely",
        story="68, type 2 diabetes, lives alone, drives",
        needs=(("long-term-conditions", 2), ("loneliness", 2)),
        words=(
            "I've got type 2 diabetes and I live on my own. Some days I don't speak to anyone "
            "at all."
        ),
        postcode="RV7 2AA",
        travel="car",
        age=68,
        gender="male",
        expected=_set(
            "Living with diabetes group",
            "Living with diabetes group (Breathe Easy Riverside)",
            "Exercise on referral",
            "Interest groups for retired people",
            "Short health walks (Riverside Ramblers)",
            "Friendship lunch club (Age Well Riverside)",
            "Telephone befriending (Cuppa & Company)",
            "Community choir (Open Studio Riverside)",
        ),
    ),
    Person(
        key="bereaved_man",
        story="71, his wife died in March",
        needs=(("bereavement", 3), ("loneliness", 2)),
        words=(
            "My wife died in March. I can't face the house on my own and I don't know what to "
            "do with myself."
        ),
        postcode="RV3 3AA",
        travel="bus",
        age=71,
        gender="male",
        expected=_set(
            "Bereavement group",
            "Bereavement group (After Loss Riverside)",
            "Bereavement group (Grief Café Riverside)",
            "Bereavement counselling",
            "Bereavement counselling (After Loss Riverside)",
            "Interest groups for retired people (Riverside Men's Shed)",
            "Telephone befriending (Cuppa & Company)",
            "Friendship lunch club (Age Well Riverside)",
        ),
    ),
    Person(
        key="no_digital",
        story="80, has never used the internet; lonely",
        needs=(("loneliness", 2), ("digital-skills", 2)),
        words=(
            "I've never used the internet and I haven't got a computer. My grandchildren send "
            "photos I can't see, and I'm on my own most days."
        ),
        postcode="RV5 1AA",
        travel="walk",
        ways=frozenset({IN_PERSON, PHONE, HOME}),
        digital_access=False,
        age=80,
        gender="female",
        expected=_set(
            "Tablet loan scheme",  # comes to her home
            "Interest groups for retired people (U3A Riverside)",
            "Telephone befriending",
            "Telephone befriending (Good Neighbours Riverside)",
            "Telephone befriending (Age Well Riverside)",
            "Telephone befriending (Riverside Link-Up)",
            "Home visiting befriender",
            "Home visiting befriender (Good Neighbours Riverside)",
        ),
        why="The digital skills drop-ins are further than she can walk.",
    ),
    Person(
        key="polish_interpreter",
        story="45, speaks only Polish, needs an interpreter; wants to learn English, knows no one",
        needs=(("learning", 2), ("loneliness", 2)),
        words="I only speak a little English. I want to learn so I can talk to people here.",
        postcode="RV3 2AB",
        travel="bus",
        age=45,
        gender="male",
        language="Polish",
        interpreter_needed=True,
        expected=_set(
            "English conversation class (Riverside Men's Shed)",
            "English conversation class (U3A Riverside)",
        ),
        why=(
            "No demo service lists Polish or interpreting; the English conversation class is "
            "exactly what he asked for and needs no interpreter."
        ),
    ),
    Person(
        key="young_carer",
        story="14, looks after her mum who has MS; walks everywhere",
        needs=(("carers", 3), ("family-parenting", 1)),
        words="I look after my mum who has MS. I never get to see my friends or go out.",
        postcode="RV6 3AA",
        travel="walk",
        ways=frozenset({IN_PERSON, PHONE}),
        age=14,
        gender="female",
        cost_limit="free",
        expected=_set("Young carers club", "Young carers club (Carers Connect)"),
    ),
    Person(
        key="housebound",
        story="84, housebound with COPD: cannot travel at all, no internet",
        needs=(("loneliness", 3), ("long-term-conditions", 2)),
        words="I'm housebound with my COPD. I can't get out any more and the days are very long.",
        postcode="RV1 3AA",
        travel="none",
        ways=frozenset({PHONE, HOME}),
        digital_access=False,
        age=84,
        gender="male",
        expected=_set(
            "Telephone befriending",
            "Telephone befriending (Cuppa & Company)",
            "Telephone befriending (Good Neighbours Riverside)",
            "Telephone befriending (Age Well Riverside)",
            "Home visiting befriender",
            "Home visiting befriender (Cuppa & Company)",
            "Home visiting befriender (Good Neighbours Riverside)",
            "Home safety checks",
            "Home safety checks (Riverside Tenants Union)",
        ),
    ),
    Person(
        key="anxious_student",
        story="20, panic attacks, cannot face groups in person: phone or online only",
        needs=(("mental-wellbeing", 3),),
        words="I get panic attacks and bad anxiety. I can't face going into a room full of people.",
        postcode="RV2 1AB",
        travel="walk",
        ways=frozenset({PHONE, ONLINE}),
        age=20,
        gender="male",
        cost_limit="free",
        expected=_set(
            "Peer support for anxiety",
            "Peer support for anxiety (Riverside Wellbeing Hub)",
            "Stress control classes",
            "Stress control classes (Riverside Wellbeing Hub)",
            "Stress control classes (Mind Matters Riverside)",
            "Mindfulness course (Mind Matters Riverside)",
            "Mindfulness course (Open Door Counselling)",
        ),
    ),
    Person(
        key="redundant",
        story="56, made redundant after thirty years at the factory",
        needs=(("employment-skills", 3), ("money-debt", 1)),
        words=(
            "Made redundant after thirty years at the factory. I need to update my CV and I'm "
            "worried about the bills."
        ),
        postcode="RV7 3AA",
        travel="car",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=56,
        gender="male",
        expected=_set(
            "Job coaching",
            "Careers advice",
            "Careers advice (Pathways Careers Hub)",
            "Job coaching (Pathways Careers Hub)",
            "Job coaching (The Café Project)",
            "Careers advice (Riverside Work Club)",
            "Benefits check and form filling (Riverside Credit Union)",
            "Debt advice appointments (Riverside Credit Union)",
            "Debt advice appointments (StepUp Debt Support)",
        ),
    ),
    Person(
        key="domestic_abuse",
        story="34, controlling partner, does not feel safe at home",
        needs=(("domestic-abuse", 3), ("housing", 2), ("mental-wellbeing", 1)),
        words=(
            "My partner is controlling and I don't feel safe at home. I need to think about "
            "where I could go."
        ),
        postcode="RV4 3AA",
        travel="bus",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=34,
        gender="female",
        expected=_set(
            "Domestic abuse support (Rape Crisis Riverside)",
            "Domestic abuse support (Recovery Riverside)",
            "Housing advice",
            "Housing advice (Safe Homes Riverside)",
            "Housing advice (Riverside Tenants Union)",
            "Low-cost counselling (Open Door Counselling)",
        ),
        why="A twelve-week wait is too long for someone not safe at home.",
    ),
    Person(
        key="recovery",
        story="47, six months sober, needs something to fill his days",
        needs=(("substance-use", 3), ("loneliness", 1), ("volunteering", 1)),
        words=(
            "Six months sober now. I need something to fill my days so I don't end up back in "
            "the pub."
        ),
        postcode="RV1 1AB",
        travel="walk",
        ways=frozenset({IN_PERSON, PHONE}),
        age=47,
        gender="male",
        expected=_set(
            "Recovery cafe (Recovery Riverside)",
            "Conservation volunteering (Growing Together Allotments)",
            "Short health walks (Riverside Ramblers)",
            "Therapeutic gardening (Growing Together Allotments)",
        ),
    ),
    Person(
        key="food_poverty",
        story="29, universal credit sanctioned, cannot afford food until payday",
        needs=(("food", 3), ("money-debt", 2), ("benefits", 2)),
        words=(
            "My universal credit was sanctioned and I can't afford food until payday. The kids "
            "are going hungry."
        ),
        postcode="RV9 2AA",
        travel="bus",
        ways=frozenset({IN_PERSON, PHONE}),
        age=29,
        gender="female",
        cost_limit="free",
        expected=_set(
            "Food bank (Community Pantry Riverside)",
            "Food bank (Riverside Community Fridge)",
            "Cooking on a budget course (Community Pantry Riverside)",
            "Benefits check and form filling",
            "Benefits check and form filling (StepUp Debt Support)",
            "Benefits check and form filling (Riverside Credit Union)",
            "Debt advice appointments (StepUp Debt Support)",
            "Debt advice appointments (Riverside Credit Union)",
        ),
    ),
    Person(
        key="new_mum",
        story="31, new baby, knows no one, low and tearful",
        needs=(("family-parenting", 2), ("loneliness", 2), ("mental-wellbeing", 1)),
        words=(
            "I've got a new baby and I don't know anyone round here. I feel really low and tearful."
        ),
        postcode="RV3 1AB",
        travel="walk",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=31,
        gender="female",
        cost_limit="free",
        expected=_set(
            "Stay and play (Home-Start Riverside)",
            "Peer support for anxiety",
            "Stress control classes",
            "Stress control classes (Riverside Wellbeing Hub)",
            "Mindfulness course (Open Door Counselling)",
            "Telephone befriending (Cuppa & Company)",
        ),
        why="The parents' peer support groups are for children with autism or ADHD.",
    ),
    Person(
        key="retired_maker",
        story="70, retired engineer who misses making things and the company at work",
        needs=(("loneliness", 2), ("learning", 1)),
        words=(
            "Retired from engineering last year. I like making and mending things with my "
            "hands, and I miss the banter at work."
        ),
        postcode="RV3 2AA",
        travel="walk",
        ways=frozenset({IN_PERSON, PHONE}),
        age=70,
        gender="male",
        expected=_set("Interest groups for retired people (Riverside Men's Shed)"),
    ),
    Person(
        key="sight_loss",
        story="76, losing her sight, has stopped going out",
        needs=(("long-term-conditions", 3), ("loneliness", 1)),
        words=(
            "I'm losing my sight with macular degeneration. I can't read my post any more and "
            "I've stopped going out."
        ),
        postcode="RV7 1AB",
        travel="bus",
        ways=frozenset({IN_PERSON, PHONE, HOME}),
        digital_access=False,
        age=76,
        gender="female",
        expected=_set(
            "Sight loss support",
            "Sight loss support (Sight Loss Riverside)",
            "Home safety checks",
            "Telephone befriending (Cuppa & Company)",
        ),
    ),
    Person(
        key="copd_active",
        story="66, COPD, breathless, wants to stay active",
        needs=(("long-term-conditions", 3), ("physical-activity", 1)),
        words=(
            "I've got COPD and I get breathless walking to the shop. I want to stay as active "
            "as I can."
        ),
        postcode="RV5 3AA",
        travel="bus",
        ways=frozenset({IN_PERSON, PHONE}),
        age=66,
        gender="male",
        expected=_set(
            "Breathe Easy singing (Breathe Easy Riverside)",
            "Exercise on referral",
            "Exercise on referral (Active Riverside)",
            "Exercise on referral (Riverside Community Gym)",
            "Seated dance",
            "Seated dance (Silver Steps)",
            "Short health walks (Riverside Ramblers)",
            "Short health walks (Parks and Paths Riverside)",
        ),
    ),
    Person(
        key="prediabetic",
        story="52, told she is pre-diabetic, wants to get fitter; can pay a fee, drives",
        needs=(("physical-activity", 3), ("long-term-conditions", 2)),
        words=(
            "The GP says I'm pre-diabetic and need to lose weight. I want to get fitter and "
            "feel healthier."
        ),
        postcode="RV8 2AB",
        travel="car",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=52,
        gender="female",
        cost_limit="fee",
        expected=_set(
            "Exercise on referral",
            "Exercise on referral (Active Riverside)",
            "Short health walks (Parks and Paths Riverside)",
            "Short health walks (Riverside Ramblers)",
            "Nordic walking taster (Parks and Paths Riverside)",
            "Nordic walking taster (Riverside Ramblers)",
            "Swim for health",
            "Swim for health (Riverside Community Gym)",
            "Living with diabetes group (Breathe Easy Riverside)",
        ),
    ),
    Person(
        key="gardener",
        story="60, low mood, stuck in a flat with no garden, walks",
        needs=(("nature-gardening", 2), ("mental-wellbeing", 2)),
        words=(
            "I feel better when I'm outdoors with my hands in the soil, but I'm stuck in a "
            "flat with no garden and my mood is low."
        ),
        postcode="RV2 2AB",
        travel="walk",
        ways=frozenset({IN_PERSON, PHONE}),
        age=60,
        gender="male",
        expected=_set(
            "Therapeutic gardening (Green Gym Riverside)",
            "Conservation volunteering (Green Gym Riverside)",
        ),
    ),
    Person(
        key="autism_parent",
        story="40, son autistic and waiting for an assessment, worn out",
        needs=(("family-parenting", 3), ("carers", 2)),
        words=(
            "My son is autistic and we're waiting for an assessment. The school keeps ringing "
            "me and I'm worn out."
        ),
        postcode="RV8 2AB",
        travel="car",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=40,
        gender="female",
        expected=_set(
            "Parents' peer support (Autism Families Riverside)",
            "Parents' peer support (Parents Together Riverside)",
            "Parents' peer support (Home-Start Riverside)",
            "Parents' peer support",
            "Carers' support group (Young Carers Riverside)",
            "Carers' short breaks",
            "Carers' short breaks (Carers Connect)",
        ),
    ),
    Person(
        key="singer",
        story="58, moved here, misses her choir and having people around",
        needs=(("arts-creativity", 2), ("loneliness", 2)),
        words=(
            "I used to sing in a choir before we moved here. I miss singing and having people "
            "around me."
        ),
        postcode="RV4 1AB",
        travel="bus",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=58,
        gender="female",
        expected=_set(
            "Community choir (Open Studio Riverside)",
            "Community choir",
            "Community choir (Canal Street Makers)",
            "Creative writing circle (Canal Street Makers)",
            "Eight-week art group (Open Studio Riverside)",
        ),
    ),
    Person(
        key="pip_appeal",
        story="50, disability benefit stopped, needs help with the appeal",
        needs=(("benefits", 3), ("money-debt", 1)),
        words=(
            "My PIP was stopped and I need help with the appeal forms. Money is really tight "
            "without it."
        ),
        postcode="RV5 2AB",
        travel="walk",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=50,
        gender="male",
        cost_limit="free",
        expected=_set(
            "Benefits check and form filling",
            "Benefits check and form filling (Riverside Credit Union)",
            "Benefits check and form filling (StepUp Debt Support)",
            "Benefits check and form filling (Citizens Help Riverside)",
            "Debt advice appointments (Riverside Credit Union)",
            "Debt advice appointments (StepUp Debt Support)",
        ),
    ),
    Person(
        key="first_job",
        story="19, never had a job, no confidence, wants experience",
        needs=(("employment-skills", 3), ("volunteering", 2), ("mental-wellbeing", 1)),
        words=(
            "I've never had a job and I've got no confidence. I want some experience to put on "
            "my CV."
        ),
        postcode="RV1 1AA",
        travel="bus",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=19,
        gender="female",
        cost_limit="free",
        expected=_set(
            "Supported volunteering in our café (Riverside Work Club)",
            "Supported volunteering in our café (Pathways Careers Hub)",
            "Supported volunteering in our café (The Café Project)",
            "Careers advice (Riverside Work Club)",
            "Careers advice (Pathways Careers Hub)",
            "Job coaching",
            "Job coaching (Pathways Careers Hub)",
            "Job coaching (The Café Project)",
            "Conservation volunteering (Growing Together Allotments)",
            "Conservation volunteering (Green Gym Riverside)",
        ),
    ),
    Person(
        key="dementia_carer",
        story="52, cares for her mum with dementia around a full-time job: evenings only",
        needs=(("carers", 3), ("mental-wellbeing", 2)),
        words=(
            "I care for my mum who has dementia, around my full-time job. I'm only free in "
            "the evenings and I'm at the end of my tether."
        ),
        postcode="RV9 1AA",
        travel="car",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        times=frozenset({"evening"}),
        age=52,
        gender="female",
        expected=_set(
            "Carers' support group (Young Carers Riverside)",  # Monday evenings
            "Carers' short breaks",  # sitting services: not bound to her free time
            "Carers' short breaks (Carers Connect)",
            "Carers' short breaks (Young Carers Riverside)",
            "Low-cost counselling",  # Tuesday evenings
        ),
    ),
    Person(
        key="gambling",
        story="38, gambling debts on credit cards",
        needs=(("money-debt", 3), ("substance-use", 2)),
        words=(
            "My gambling got out of hand and I owe thousands on credit cards. I can't stop and "
            "I can't tell my wife."
        ),
        postcode="RV1 3AB",
        travel="bus",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=38,
        gender="male",
        expected=_set(
            "Debt advice appointments (Riverside Credit Union)",
            "Debt advice appointments (StepUp Debt Support)",
            "Debt advice appointments (Citizens Help Riverside)",
            "Recovery cafe (Recovery Riverside)",
            "Recovery cafe (Rape Crisis Riverside)",
            "Recovery cafe",
        ),
    ),
    Person(
        key="cold_home",
        story="74, cannot afford the heating, damp flat; cannot travel, phone only",
        needs=(("money-debt", 2), ("housing", 2)),
        words=(
            "I can't afford to put the heating on and the flat is damp. I'm frightened of the "
            "bills coming in."
        ),
        postcode="RV6 2AB",
        travel="none",
        ways=frozenset({PHONE}),
        digital_access=False,
        age=74,
        gender="female",
        expected=_set(
            "Energy bills help",
            "Energy bills help (StepUp Debt Support)",
            "Energy bills help (Citizens Help Riverside)",
            "Housing advice",
            "Housing advice (Riverside Tenants Union)",
            "Housing advice (Safe Homes Riverside)",
            "Debt advice appointments (Citizens Help Riverside)",
            "Debt advice appointments (StepUp Debt Support)",
        ),
    ),
    Person(
        key="assault_survivor",
        story="27, sexually assaulted last year; flashbacks",
        needs=(("domestic-abuse", 3), ("mental-wellbeing", 2)),
        words="I was sexually assaulted last year. I still get flashbacks and I can't sleep.",
        postcode="RV1 2AA",
        travel="bus",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=27,
        gender="female",
        expected=_set(
            "Specialist sexual violence support",
            "Specialist sexual violence support (Rape Crisis Riverside)",
        ),
    ),
    Person(
        key="agoraphobia",
        story="44, agoraphobic, has not left the flat in a year: phone and online only",
        needs=(("mental-wellbeing", 3), ("loneliness", 2)),
        words="I've got agoraphobia and haven't left the flat in a year. I'm so isolated.",
        postcode="RV6 3AB",
        travel="none",
        ways=frozenset({PHONE, ONLINE}),
        age=44,
        gender="female",
        cost_limit="free",
        expected=_set(
            "Peer support for anxiety",
            "Peer support for anxiety (Riverside Wellbeing Hub)",
            "Stress control classes",
            "Stress control classes (Riverside Wellbeing Hub)",
            "Mindfulness course (Open Door Counselling)",
            "Mindfulness course (Mind Matters Riverside)",
            "Creative writing circle (Canal Street Makers)",
            "Telephone befriending",
            "Telephone befriending (Age Well Riverside)",
            "Telephone befriending (Cuppa & Company)",
        ),
    ),
    Person(
        key="mr_b",
        story="48, bereaved, sofa surfing, in debt, hopeless: many needs at once",
        needs=(
            ("mental-wellbeing", 3),
            ("housing", 3),
            ("money-debt", 2),
            ("bereavement", 2),
            ("loneliness", 1),
        ),
        words=(
            "My brother died in the spring and since then everything's fallen apart. I'm sofa "
            "surfing, I'm drowning in debt and I feel hopeless."
        ),
        postcode="RV1 1AB",
        travel="bus",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=48,
        gender="male",
        expected=_set(
            "Housing advice",
            "Housing advice (Safe Homes Riverside)",
            "Housing advice (Riverside Tenants Union)",
            "Debt advice appointments (Riverside Credit Union)",
            "Debt advice appointments (StepUp Debt Support)",
            "Bereavement counselling",
            "Bereavement counselling (After Loss Riverside)",
            "Bereavement group (After Loss Riverside)",
        ),
    ),
    Person(
        key="video_calls",
        story="77, offline, wants to video call his grandchildren; a tablet loan is planned",
        needs=(("digital-skills", 2), ("loneliness", 2)),
        words=(
            "I want to learn to video call my grandchildren in Australia. I've never had a "
            "computer."
        ),
        postcode="RV3 3AB",
        travel="walk",
        digital_access=False,
        device_loan_planned=True,
        age=77,
        gender="male",
        expected=_set(
            "Tablet loan scheme",
            "Digital skills drop-in",
            "Interest groups for retired people (Riverside Men's Shed)",
            "Telephone befriending (Age Well Riverside)",
        ),
    ),
    Person(
        key="gym_head",
        story="26, the gym helps his head but he cannot afford full membership",
        needs=(("physical-activity", 2), ("mental-wellbeing", 2)),
        words=(
            "Going to the gym really helps my head but I can't afford a full membership. I've "
            "been stressed and down."
        ),
        postcode="RV6 1AB",
        travel="car",
        ways=frozenset({IN_PERSON, PHONE, ONLINE}),
        age=26,
        gender="male",
        days=WEEKDAYS,
        expected=_set(
            "Exercise on referral (Riverside Community Gym)",
            "Exercise on referral",
            "Exercise on referral (Active Riverside)",
            "Swim for health (Riverside Community Gym)",
            "Stress control classes",
            "Nordic walking taster",
        ),
    ),
)

PEOPLE_BY_KEY = {p.key: p for p in PEOPLE}


def profile_of(person: Person) -> MatchProfile:
    """The engine's profile for `person`, the postcode's coordinates from the postcode table."""
    place = Postcode.objects.get(postcode=person.postcode)
    return MatchProfile(
        needs=tuple(
            NeedWanted(area_id=term_id(code), code=code, name=AREA_NAMES[code], severity=severity)
            for code, severity in person.needs
        ),
        words=person.words,
        latitude=place.latitude,
        longitude=place.longitude,
        postcode=person.postcode,
        travel=person.travel,
        ways=person.ways,
        digital_access=person.digital_access,
        device_loan_planned=person.device_loan_planned,
        days=person.days,
        times=person.times,
        cost_limit=person.cost_limit,
        age=person.age,
        gender=person.gender,
        language=person.language,
        interpreter_needed=person.interpreter_needed,
        accept_waiting_list=person.accept_waiting_list,
    )


def profiles() -> dict[str, MatchProfile]:
    return {p.key: profile_of(p) for p in PEOPLE}


def precision_at(ranked: list[str], expected: frozenset[str], k: int = 5) -> float:
    """Right answers among the first k, over min(k, how many are right): a perfect list scores
    1 even where fewer than k services are right for the person."""
    if not expected:
        return 1.0 if not ranked else 0.0
    return len(set(ranked[:k]) & expected) / min(k, len(expected))


def recall_at(ranked: list[str], expected: frozenset[str], k: int = 10) -> float:
    """How many of the right answers the first k hold, over min(k, how many are right)."""
    if not expected:
        return 1.0
    return len(set(ranked[:k]) & expected) / min(k, len(expected))


def evaluate(results_by_profile: dict[str, list[str]]) -> dict:
    """Precision@5 and recall@10 per profile (by key) and their means over the profiles given.
    `results_by_profile` maps a person's key to the ranked service names the engine gave."""
    per = {}
    for key, ranked in results_by_profile.items():
        expected = PEOPLE_BY_KEY[key].expected
        per[key] = {
            "precision_at_5": precision_at(list(ranked), expected, 5),
            "recall_at_10": recall_at(list(ranked), expected, 10),
        }
    n = len(per) or 1
    return {
        "profiles": per,
        "precision_at_5": sum(r["precision_at_5"] for r in per.values()) / n,
        "recall_at_10": sum(r["recall_at_10"] for r in per.values()) / n,
    }
