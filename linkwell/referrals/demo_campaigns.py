"""Demo content: a proactive call list half worked, for `seed_demo`. Invented people only."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from linkwell.referrals.campaigns import (
    call_make_referral,
    call_record,
    campaign_add_people,
    campaign_assign_callers,
    campaign_create,
)
from linkwell.referrals.models import CallOutcome, Campaign, Urgency

NAME = "Over-75s living alone — winter check-in calls"
DESCRIPTION = (
    "People over 75 who live alone, from the practices' lists. Winter is when loneliness, cold "
    "homes and falls hit hardest: we ring everyone once, before Christmas, to check they are "
    "all right and to offer support."
)
SCRIPT = """Hello, is that [their name]? My name is [your name]. I'm calling from the \
social prescribing team at your GP surgery. Nothing is wrong: we're ringing people over 75 \
who live on their own, to see how you're getting on this winter. Have you got a few minutes?

How are you keeping? Are you managing to keep your home warm?
Do you get out and about, or see friends or family as much as you'd like?
Is there anything that's been worrying you: money, your home, your health, getting about?

If they would like some help: tell them we can put them in touch with local groups and \
services, and ask if they're happy for one of our link workers to ring them back. If they \
agree, tick 'They agreed to be contacted by the team' and make a referral.

If they don't want anything: that's fine. Thank them, and tell them they can ring the \
surgery and ask for the social prescribing team at any time.

If you're worried about their safety: tell your team lead today."""

# What the first half of the list's calls achieved, in order: (outcome, needs, note).
_CALLS = [
    (CallOutcome.REACHED, [], "Doing well; daughter visits every weekend."),
    (CallOutcome.SUPPORT_NEEDED, ["loneliness"], "Would like a befriending call once a week."),
    (CallOutcome.NO_ANSWER, [], ""),
    ("referral", ["loneliness", "physical-activity"], "Keen to join a walking group."),
    (CallOutcome.REACHED, [], "Goes to the lunch club on Tuesdays; no help needed."),
    (CallOutcome.DECLINED, [], "Did not want to talk; polite."),
    (CallOutcome.SUPPORT_NEEDED, ["money-debt", "benefits"], "Worried about heating bills."),
    (CallOutcome.NO_ANSWER, [], ""),
    (CallOutcome.REACHED, [], "Fine; neighbour checks in daily."),
    ("referral", ["bereavement", "loneliness"], "Lost her husband in the summer."),
    (CallOutcome.SUPPORT_NEEDED, ["digital-skills"], "Would like help to video call family."),
    (CallOutcome.NO_ANSWER, [], ""),
    (CallOutcome.REACHED, [], "All well."),
    (CallOutcome.DECLINED, [], "Said they already get support from Age UK."),
    ("referral", ["housing", "long-term-conditions"], "Damp in the flat; breathless on stairs."),
    (CallOutcome.SUPPORT_NEEDED, ["food"], "Struggles to get to the shops in bad weather."),
    (CallOutcome.REACHED, [], "Busy with the church choir; happy."),
    (CallOutcome.NO_ANSWER, [], ""),
    (CallOutcome.SUPPORT_NEEDED, ["physical-activity"], "Would like a chair exercise class."),
    (CallOutcome.REACHED, [], "Managing well; son lives nearby."),
]


def _user(who):
    return getattr(who, "user", who)


def load_demo_campaign(*, scheme, people, callers, manager) -> Campaign:
    """The winter check-in list over `people`, shared between `callers` (users or memberships
    with CAMPAIGN_CALL), set up by `manager` (CAMPAIGN_MANAGE), with the first half called: a
    spread of outcomes, 'no answer' twice, and three referrals made from calls. Run again, it
    returns the existing list untouched."""
    existing = Campaign.objects.filter(scheme=scheme, name=NAME).first()
    if existing is not None:
        return existing
    people = list(people)
    callers = [_user(c) for c in callers]
    manager = _user(manager)
    with transaction.atomic():
        campaign = campaign_create(
            scheme=scheme, by=manager, name=NAME, description=DESCRIPTION, script=SCRIPT
        )
        campaign_add_people(campaign=campaign, people=people, by=manager)
        if callers:
            campaign_assign_callers(campaign=campaign, callers=callers, by=manager)
        entries = {e.person_id: e for e in campaign.entries.select_related("caller")}
        now = timezone.now()
        half = people[: len(people) // 2]
        for index, person in enumerate(half):
            outcome, needs, note = _CALLS[index % len(_CALLS)]
            entry = entries[person.pk]
            by = entry.caller or manager
            at = now - timedelta(days=12 - (index * 11) // max(len(half), 1), hours=index % 5)
            if outcome == CallOutcome.NO_ANSWER:
                call_record(entry=entry, by=by, outcome=outcome, at=at - timedelta(days=2))
                call_record(entry=entry, by=by, outcome=outcome, note="Tried twice.", at=at)
            elif outcome == "referral":
                call_make_referral(
                    entry=entry,
                    by=by,
                    needs=needs,
                    consent_to_contact=True,
                    contact_channels=["phone", "letter"],
                    note=note,
                    urgency=Urgency.SOON if "housing" in needs else Urgency.ROUTINE,
                    at=at,
                )
            else:
                call_record(entry=entry, by=by, outcome=outcome, needs=needs, note=note, at=at)
    return campaign
