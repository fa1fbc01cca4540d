"""Demo waiting-room resources: written for the demo, marked `is_demo`, with phone numbers in
Ofcom's drama ranges (01632 960xxx, 020 7946 0xxx: never anyone's real number) and web addresses
under example.org. Ids are UUID5s of the scheme and title, so running it again changes nothing."""

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from linkwell.directory.models import TaxonomyTerm
from linkwell.directory.taxonomy import term_id
from linkwell.resources.models import Resource, ResourceFormat

NAMESPACE = uuid.UUID("5d7c1f0e-93a4-4c52-8f0b-2a6e4b9d1c37")

# (title, format, summary, url, phone, phone hours, need areas, accessibility notes,
#  days until the next review: negative is overdue)
RESOURCES = [
    (
        "Riverside Mind Online",
        ResourceFormat.WEB,
        "Free online courses and a moderated forum for people feeling anxious or low. Work "
        "through short lessons at your own pace, on a phone or a computer.",
        "https://mind-online.example.org/",
        "",
        "",
        ["mental-wellbeing"],
        "Works with screen readers. Lessons have audio versions.",
        240,
    ),
    (
        "Stress Control: a free six-session video course",
        ResourceFormat.VIDEO,
        "Six short video sessions that teach practical ways to handle stress, worry and low "
        "mood. Watch them in any order, as often as you like.",
        "https://stress-control.example.org/videos",
        "",
        "",
        ["mental-wellbeing", "employment-skills"],
        "Subtitled. Transcripts available.",
        300,
    ),
    (
        "Riverside Friendship Line",
        ResourceFormat.PHONE,
        "A friendly volunteer rings you for a chat once a week, at a time that suits you. For "
        "anyone who feels lonely or would like someone to talk to.",
        "",
        "01632 960101",
        "Monday to Saturday, 10am to 6pm",
        ["loneliness"],
        "Calls can be made through Relay UK. Volunteers speak Welsh, Polish and Urdu.",
        180,
    ),
    (
        "Silver Chat: evening befriending calls for people over 65",
        ResourceFormat.PHONE,
        "A free phone line for older people to talk to a trained volunteer in the evenings and "
        "at weekends, when other services are closed.",
        "",
        "020 7946 0110",
        "Every day, 5pm to 10pm",
        ["loneliness", "bereavement"],
        "",
        150,
    ),
    (
        "Riverside Money Advice Line",
        ResourceFormat.PHONE,
        "Free, confidential advice on debts, bills and budgeting from qualified advisers. They "
        "can talk to the people you owe money to on your behalf.",
        "",
        "01632 960120",
        "Monday to Friday, 9am to 5pm",
        ["money-debt", "benefits"],
        "Interpreters can join the call.",
        200,
    ),
    (
        "Check what benefits you could get",
        ResourceFormat.WEB,
        "An online calculator that tells you in about ten minutes which benefits you may be "
        "able to claim, and how to apply.",
        "https://benefits-check.example.org/",
        "",
        "",
        ["benefits", "money-debt"],
        "",
        -10,
    ),
    (
        "Riverside Housing Advice Line",
        ResourceFormat.PHONE,
        "Advice if you are worried about losing your home, have problems with a landlord, or "
        "your home is damp, cold or unsafe.",
        "",
        "01632 960130",
        "Monday to Friday, 9am to 5pm; Thursday until 7pm",
        ["housing"],
        "",
        120,
    ),
    (
        "Sleep well: a guide to better sleep",
        ResourceFormat.LEAFLET,
        "A short printable guide with simple changes that help many people sleep better, and "
        "when to talk to your GP about sleep problems.",
        "https://self-care.example.org/leaflets/sleep-well.pdf",
        "",
        "",
        ["mental-wellbeing", "long-term-conditions"],
        "Available in large print and Easy Read.",
        365,
    ),
    (
        "Ten-minute relaxation",
        ResourceFormat.VIDEO,
        "A calm voice guides you through breathing and relaxing your muscles. Many people use "
        "it at bedtime or when they feel tense.",
        "https://self-care.example.org/videos/relax",
        "",
        "",
        ["mental-wellbeing"],
        "Audio only version available.",
        330,
    ),
    (
        "Riverside Bereavement Support Line",
        ResourceFormat.PHONE,
        "Trained volunteers listen and offer support to anyone who has lost someone, however "
        "long ago. They can also tell you about local bereavement groups.",
        "",
        "020 7946 0140",
        "Monday to Friday, 9am to 9pm; weekends 10am to 2pm",
        ["bereavement"],
        "",
        210,
    ),
    (
        "Grief: what to expect",
        ResourceFormat.LEAFLET,
        "A gentle leaflet about the feelings grief can bring, looking after yourself, and "
        "where to find support.",
        "https://self-care.example.org/leaflets/grief.pdf",
        "",
        "",
        ["bereavement"],
        "Also in Welsh, Bengali and Arabic.",
        -30,
    ),
    (
        "Riverside Carers' Hub",
        ResourceFormat.PHONE,
        "Advice and a listening ear for anyone who looks after a family member or friend: "
        "breaks, money, and your own wellbeing.",
        "",
        "01632 960150",
        "Monday to Friday, 9am to 4pm",
        ["carers", "family-parenting"],
        "",
        270,
    ),
    (
        "Steady Steps: exercises to prevent falls",
        ResourceFormat.VIDEO,
        "Gentle strength and balance exercises you can do at home, holding a chair. Doing them "
        "twice a week helps prevent falls.",
        "https://steady-steps.example.org/",
        "",
        "",
        ["physical-activity", "long-term-conditions"],
        "Seated versions of every exercise. Subtitled.",
        160,
    ),
    (
        "Food help in Riverside",
        ResourceFormat.WEB,
        "Where to find food banks, community pantries and free meals near you, with opening "
        "times and whether you need a referral.",
        "https://food-help.example.org/riverside",
        "",
        "",
        ["food", "money-debt"],
        "",
        90,
    ),
    (
        "Get Online Riverside helpline",
        ResourceFormat.PHONE,
        "Patient, friendly help with getting online: setting up a phone or tablet, video calls "
        "with family, and staying safe online.",
        "",
        "020 7946 0160",
        "Tuesday and Thursday, 10am to 3pm",
        ["digital-skills", "loneliness"],
        "",
        220,
    ),
    (
        "Five ways to wellbeing",
        ResourceFormat.WEB,
        "Five simple things that help everyone feel better day to day: connect, be active, "
        "take notice, keep learning, and give.",
        "https://self-care.example.org/five-ways",
        "",
        "",
        [],
        "Easy Read version available.",
        365,
    ),
    (
        "Looking after yourself while you wait",
        ResourceFormat.LEAFLET,
        "A short guide to small steps that help while you wait to hear from us: routines, "
        "staying in touch with people, and getting outside.",
        "https://self-care.example.org/leaflets/while-you-wait.pdf",
        "",
        "",
        [],
        "Large print on request.",
        300,
    ),
]


def demo_resource_id(scheme, title: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{scheme.pk}:{title}")


@transaction.atomic
def load_demo_resources(*, scheme) -> int:
    """Create (or bring up to date) the demo resources for `scheme`; returns how many."""
    today = timezone.localdate()
    terms = {t.code: t for t in TaxonomyTerm.objects.filter(pk__in=_all_term_ids())}
    for title, kind, summary, url, phone, hours, needs, notes, review_in in RESOURCES:
        resource, _ = Resource.objects.update_or_create(
            id=demo_resource_id(scheme, title),
            defaults={
                "scheme": scheme,
                "title": title,
                "format": kind,
                "summary": summary,
                "url": url,
                "phone": phone,
                "phone_hours": hours,
                "accessibility_notes": notes,
                "review_date": today + timedelta(days=review_in),
                "is_active": True,
                "retired_at": None,
                "is_demo": True,
            },
        )
        resource.need_areas.set([terms[code] for code in needs if code in terms])
    return len(RESOURCES)


def _all_term_ids():
    return [term_id(code) for entry in RESOURCES for code in entry[6]]
