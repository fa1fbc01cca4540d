"""The demo directory: about 150 services from about 60 made-up organisations in the fictional
town of Riverside, of the kinds social prescribing uses, some full, some on waiting lists, some
stale. Deterministic (ids are UUID5s of names), so `seed_demo` can run again and again."""

import random
import uuid
from datetime import time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from linkwell.directory.models import (
    Accessibility,
    Address,
    Attribute,
    Capacity,
    CostType,
    Location,
    Organization,
    Phone,
    ReferralRoute,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
)
from linkwell.directory.search import DAY_NAMES
from linkwell.directory.taxonomy import term_id
from linkwell.geo.demo import DEMO_GAZETTEER

NAMESPACE = uuid.UUID("0e5bd0a4-7b57-4f4a-bd3c-5f1c7f0c6d21")

# (kind, organisation names, [(service name, description, need areas, activity type,
#   ways: p=in person, t=phone, o=online, h=home visit; cost)])
KINDS = [
    (
        "befriending",
        [
            "Riverside Befriending",
            "Good Neighbours Riverside",
            "Age Well Riverside",
            "Cuppa & Company",
            "Riverside Link-Up",
        ],
        [
            (
                "Telephone befriending",
                "A friendly volunteer rings for a chat at the same time each week.",
                ["loneliness"],
                "befriending",
                "t",
                "free",
            ),
            (
                "Home visiting befriender",
                "A volunteer visits at home for an hour a week, for company and "
                "a chance to get out when you are ready.",
                ["loneliness"],
                "befriending",
                "h",
                "free",
            ),
            (
                "Friendship lunch club",
                "Lunch and conversation every week in a warm, welcoming hall.",
                ["loneliness", "food"],
                "group-activity",
                "p",
                "contribution",
            ),
        ],
    ),
    (
        "arts",
        ["Riverside Arts Collective", "Open Studio Riverside", "Canal Street Makers"],
        [
            (
                "Eight-week art group",
                "Drawing and painting for beginners, eight weekly sessions with a "
                "tutor. Materials provided.",
                ["arts-creativity", "mental-wellbeing"],
                "course-class",
                "p",
                "free",
            ),
            (
                "Creative writing circle",
                "Write and share in a small, friendly group.",
                ["arts-creativity", "loneliness"],
                "group-activity",
                "po",
                "free",
            ),
            (
                "Community choir",
                "No auditions and no need to read music.",
                ["arts-creativity", "loneliness"],
                "group-activity",
                "p",
                "contribution",
            ),
        ],
    ),
    (
        "walking",
        ["Riverside Walking for Health", "Parks and Paths Riverside", "Riverside Ramblers"],
        [
            (
                "Short health walks",
                "Gentle 30-minute walks on flat paths with trained walk leaders.",
                ["physical-activity", "loneliness"],
                "exercise-sport",
                "p",
                "free",
            ),
            (
                "Nordic walking taster",
                "Four sessions with poles provided.",
                ["physical-activity"],
                "course-class",
                "p",
                "contribution",
            ),
        ],
    ),
    (
        "gardening",
        ["Riverside Community Garden", "Growing Together Allotments", "Green Gym Riverside"],
        [
            (
                "Therapeutic gardening",
                "Grow food and flowers with others, at your own pace. Raised "
                "beds for people who cannot kneel.",
                ["nature-gardening", "mental-wellbeing"],
                "group-activity",
                "p",
                "free",
            ),
            (
                "Conservation volunteering",
                "Outdoor tasks in local parks: planting, paths, hedges.",
                ["nature-gardening", "volunteering"],
                "volunteering-opportunity",
                "p",
                "free",
            ),
        ],
    ),
    (
        "dance",
        ["Move Riverside Dance", "Silver Steps", "Riverside Dance Club"],
        [
            (
                "Seated dance",
                "Dance to music from a chair: good for balance and mood.",
                ["physical-activity", "long-term-conditions"],
                "exercise-sport",
                "po",
                "contribution",
            ),
            (
                "Ballroom for beginners",
                "Learn the basics with a partner or on your own.",
                ["physical-activity", "loneliness"],
                "course-class",
                "p",
                "fee",
            ),
        ],
    ),
    (
        "debt",
        [
            "Riverside Money Advice",
            "Citizens Help Riverside",
            "StepUp Debt Support",
            "Riverside Credit Union",
        ],
        [
            (
                "Debt advice appointments",
                "Free, confidential advice on debts, arrears and bailiffs.",
                ["money-debt"],
                "advice-information",
                "pt",
                "free",
            ),
            (
                "Benefits check and form filling",
                "Find out what you are entitled to and get help with forms and appeals.",
                ["benefits", "money-debt"],
                "advice-information",
                "pto",
                "free",
            ),
            (
                "Energy bills help",
                "Help with fuel debt, grants and switching.",
                ["money-debt", "housing"],
                "practical-help",
                "t",
                "free",
            ),
        ],
    ),
    (
        "carers",
        ["Riverside Carers Centre", "Young Carers Riverside", "Carers Connect"],
        [
            (
                "Carers' support group",
                "Meet other carers, share what works, and have a break.",
                ["carers", "mental-wellbeing"],
                "peer-support",
                "po",
                "free",
            ),
            (
                "Carers' short breaks",
                "Grants and sitting services so carers can have time off.",
                ["carers"],
                "practical-help",
                "t",
                "free",
            ),
            (
                "Young carers club",
                "Activities and trips for young carers aged 8 to 17.",
                ["carers", "family-parenting"],
                "group-activity",
                "p",
                "free",
            ),
        ],
    ),
    (
        "food",
        [
            "Riverside Food Bank",
            "Community Pantry Riverside",
            "Cook and Eat Riverside",
            "Riverside Community Fridge",
        ],
        [
            (
                "Food bank",
                "Emergency food parcels with a voucher from a link worker or adviser.",
                ["food", "money-debt"],
                "practical-help",
                "p",
                "free",
            ),
            (
                "Community pantry",
                "Weekly shop at a low price for members.",
                ["food"],
                "practical-help",
                "p",
                "contribution",
            ),
            (
                "Cooking on a budget course",
                "Six sessions: simple, cheap, healthy meals.",
                ["food", "learning"],
                "course-class",
                "p",
                "free",
            ),
        ],
    ),
    (
        "employment",
        ["Riverside Works", "Pathways Careers Hub", "The Café Project", "Riverside Work Club"],
        [
            (
                "Careers advice",
                "One-to-one careers guidance, CVs and interview practice.",
                ["employment-skills"],
                "one-to-one-support",
                "pto",
                "free",
            ),
            (
                "Supported volunteering in our café",
                "Build confidence and skills with a mentor, working in a community café.",
                ["employment-skills", "volunteering", "mental-wellbeing"],
                "volunteering-opportunity",
                "p",
                "free",
            ),
            (
                "Job coaching",
                "Weekly coaching for people returning to work after illness or caring.",
                ["employment-skills"],
                "one-to-one-support",
                "to",
                "free",
            ),
        ],
    ),
    (
        "bereavement",
        ["Riverside Bereavement Support", "After Loss Riverside", "Grief Café Riverside"],
        [
            (
                "Bereavement group",
                "A monthly group for people who have lost someone close.",
                ["bereavement", "loneliness"],
                "peer-support",
                "p",
                "free",
            ),
            (
                "Bereavement counselling",
                "Up to 12 sessions with a trained counsellor.",
                ["bereavement", "mental-wellbeing"],
                "counselling-talking",
                "pto",
                "free",
            ),
        ],
    ),
    (
        "gym",
        ["Riverside Leisure Centre", "Active Riverside", "Riverside Community Gym"],
        [
            (
                "Exercise on referral",
                "A 12-week gym programme with an instructor, at a reduced price.",
                ["physical-activity", "long-term-conditions"],
                "exercise-sport",
                "p",
                "fee",
            ),
            (
                "Swim for health",
                "Quiet adult swim sessions.",
                ["physical-activity"],
                "exercise-sport",
                "p",
                "fee",
            ),
        ],
    ),
    (
        "counselling",
        [
            "Riverside Talking Space",
            "Mind Matters Riverside",
            "Open Door Counselling",
            "Riverside Wellbeing Hub",
        ],
        [
            (
                "Low-cost counselling",
                "Weekly counselling with a sliding scale of fees.",
                ["mental-wellbeing"],
                "counselling-talking",
                "pto",
                "contribution",
            ),
            (
                "Stress control classes",
                "Six online classes teaching skills to manage stress.",
                ["mental-wellbeing", "learning"],
                "course-class",
                "o",
                "free",
            ),
            (
                "Mindfulness course",
                "An eight-week mindfulness course, online or in person.",
                ["mental-wellbeing"],
                "course-class",
                "po",
                "free",
            ),
            (
                "Peer support for anxiety",
                "A weekly group run by people with lived experience.",
                ["mental-wellbeing"],
                "peer-support",
                "o",
                "free",
            ),
        ],
    ),
    (
        "digital",
        ["Get Online Riverside", "Riverside Library Service", "Tech Buddies"],
        [
            (
                "Digital skills drop-in",
                "Help with phones, tablets and getting online.",
                ["digital-skills"],
                "practical-help",
                "p",
                "free",
            ),
            (
                "Tablet loan scheme",
                "Borrow a tablet with data, and a volunteer to help you start.",
                ["digital-skills", "loneliness"],
                "practical-help",
                "h",
                "free",
            ),
        ],
    ),
    (
        "housing",
        ["Riverside Housing Advice", "Safe Homes Riverside", "Riverside Tenants Union"],
        [
            (
                "Housing advice",
                "Advice on tenancy problems, repairs, eviction and homelessness.",
                ["housing"],
                "advice-information",
                "pt",
                "free",
            ),
            (
                "Home safety checks",
                "Free checks and small fixes to prevent falls at home.",
                ["housing", "long-term-conditions"],
                "practical-help",
                "h",
                "free",
            ),
        ],
    ),
    (
        "family",
        [
            "Riverside Family Hub",
            "Parents Together Riverside",
            "Autism Families Riverside",
            "Home-Start Riverside",
        ],
        [
            (
                "Parents' peer support",
                "Meet other parents of children with autism or ADHD.",
                ["family-parenting", "carers"],
                "peer-support",
                "po",
                "free",
            ),
            (
                "Stay and play",
                "Weekly play sessions for under-fives and their grown-ups.",
                ["family-parenting", "loneliness"],
                "group-activity",
                "p",
                "free",
            ),
        ],
    ),
    (
        "health",
        ["Riverside Diabetes Group", "Sight Loss Riverside", "Breathe Easy Riverside"],
        [
            (
                "Living with diabetes group",
                "Share tips and get support from people who know.",
                ["long-term-conditions"],
                "peer-support",
                "p",
                "free",
            ),
            (
                "Sight loss support",
                "Advice, equipment and a monthly social group.",
                ["long-term-conditions", "loneliness"],
                "one-to-one-support",
                "pt",
                "free",
            ),
            (
                "Breathe Easy singing",
                "Singing for lung health.",
                ["long-term-conditions", "arts-creativity"],
                "group-activity",
                "p",
                "free",
            ),
        ],
    ),
    (
        "safety",
        ["Riverside Women's Aid", "Rape Crisis Riverside", "Recovery Riverside"],
        [
            (
                "Domestic abuse support",
                "Confidential support and safety planning.",
                ["domestic-abuse"],
                "one-to-one-support",
                "to",
                "free",
            ),
            (
                "Specialist sexual violence support",
                "Counselling and advocacy.",
                ["domestic-abuse", "mental-wellbeing"],
                "counselling-talking",
                "pt",
                "free",
            ),
            (
                "Recovery cafe",
                "A drop-in for people in recovery from drugs or alcohol.",
                ["substance-use"],
                "peer-support",
                "p",
                "free",
            ),
        ],
    ),
    (
        "learning",
        ["Riverside Adult Learning", "U3A Riverside", "Riverside Men's Shed"],
        [
            (
                "English conversation class",
                "Practise English in a relaxed group.",
                ["learning", "loneliness"],
                "course-class",
                "p",
                "free",
            ),
            (
                "Interest groups for retired people",
                "History, languages, walking and more.",
                ["learning", "loneliness"],
                "group-activity",
                "p",
                "contribution",
            ),
        ],
    ),
]


def _slug(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())[:24]


def _id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(parts))


def _places():
    """(postcode, latitude, longitude) places to put locations at: the demo gazetteer's."""
    return [(e.postcode, e.latitude, e.longitude) for e in DEMO_GAZETTEER]


@transaction.atomic
def load_demo_directory(*, scheme, provider_user=None) -> dict[str, int]:
    """Create or refresh the demo directory, owned by `scheme`. Returns counts."""
    rng = random.Random(2026)  # noqa: S311  (made-up demo data, the same every run)
    places = _places()
    now = timezone.now()
    counts = {"organizations": 0, "services": 0}
    streets = [
        "High Street",
        "Mill Lane",
        "Canal Street",
        "Church Road",
        "Park Avenue",
        "Station Road",
        "Victoria Road",
        "Bridge Street",
    ]
    for kind, org_names, templates in KINDS:
        for org_index, org_name in enumerate(org_names):
            org, _ = Organization.objects.update_or_create(
                id=_id("org", org_name),
                defaults={
                    "name": org_name,
                    "description": f"{org_name} is a community organisation in Riverside.",
                    "email": f"hello@{_slug(org_name)}.example",
                    "website": f"https://{_slug(org_name)}.example",
                    "owner_scheme": scheme,
                },
            )
            counts["organizations"] += 1
            if provider_user is not None and org_index == 0 and kind == "arts":
                org.staff.add(provider_user)
            postcode, lat, lon = places[(len(org_name) * 7 + org_index) % len(places)]
            location, _ = Location.objects.update_or_create(
                id=_id("location", org_name),
                defaults={
                    "organization": org,
                    "location_type": Location.Type.PHYSICAL,
                    "name": f"{org_name} base",
                    "latitude": lat,
                    "longitude": lon,
                    "transportation": "On the 12 and 14 bus routes.",
                },
            )
            Address.objects.update_or_create(
                id=_id("address", org_name),
                defaults={
                    "location": location,
                    "address_1": f"{rng.randint(1, 120)} {rng.choice(streets)}",
                    "city": "Riverside",
                    "postal_code": postcode,
                    "country": "GB",
                },
            )
            # What the place says about getting in: most are step-free, some are not.
            step_free = len(org_name) % 3 != 0
            Accessibility.objects.update_or_create(
                id=_id("accessibility", org_name),
                defaults={
                    "location": location,
                    "description": (
                        "Step-free access, with an accessible toilet."
                        if step_free
                        else "Three steps up to the front door, and no lift."
                    ),
                },
            )
            # Each organisation runs two or three of its kind's services.
            for index, template in enumerate(templates):
                if (index + org_index) % 6 == 5:
                    continue
                _service(rng, now, scheme, org, location, template, org_index, counts)
    return counts


def _service(rng, now, scheme, org, location, template, org_index, counts):
    name, description, needs, activity, ways, cost = template
    service_name = name if org_index == 0 else f"{name} ({org.name})"
    roll = rng.random()
    capacity = Capacity.OPEN
    wait = None
    if roll < 0.12:
        capacity = Capacity.FULL
    elif roll < 0.3:
        capacity, wait = Capacity.WAITING_LIST, rng.choice([2, 4, 6, 8, 12])
    # About one in six has not been checked for over six months: the freshness queue's work.
    stale = rng.random() < 0.17
    verified = now - timedelta(days=rng.randint(200, 500) if stale else rng.randint(1, 150))
    status = ServiceStatus.TEMPORARILY_CLOSED if rng.random() < 0.04 else ServiceStatus.ACTIVE
    service, _ = Service.objects.update_or_create(
        id=_id("service", org.name, name),
        defaults={
            "organization": org,
            "name": service_name,
            "description": description,
            "email": org.email,
            "status": status,
            "owner_scheme": scheme,
            "is_public": True,
            "in_person": "p" in ways,
            "by_phone": "t" in ways,
            "online": "o" in ways,
            "home_visit": "h" in ways,
            "referral_required": activity in ("counselling-talking", "one-to-one-support"),
            "drop_in": activity in ("practical-help", "peer-support") and "p" in ways,
            "booking_required": activity == "course-class",
            "minimum_age": 8 if "Young carers" in name else (0 if "Stay and play" in name else 18),
            "maximum_age": 17 if "Young carers" in name else None,
            "area_served": "Riverside and surrounding villages",
            "capacity": capacity,
            "typical_wait_weeks": wait,
            "cost_type": {
                "free": CostType.FREE,
                "contribution": CostType.CONTRIBUTION,
                "fee": CostType.FEE,
            }[cost],
            "fee_amount": Decimal(rng.choice(["3.50", "5.00", "7.50"])) if cost == "fee" else None,
            "scheme_can_fund": cost == "fee",
            "referral_route": rng.choice(list(ReferralRoute)),
            "referral_email": org.email,
            "safeguarding_policy_seen_on": (verified - timedelta(days=30)).date(),
            "dbs_checked_on": (verified - timedelta(days=60)).date() if "h" in ways else None,
            "insurance_checked_on": (verified - timedelta(days=20)).date(),
            "last_verified_at": verified,
        },
    )
    counts["services"] += 1
    sal, _ = ServiceAtLocation.objects.get_or_create(service=service, location=location)
    service.schedules.all().delete()
    day = rng.choice(["MO", "TU", "WE", "TH", "FR", "SA"])
    opens = rng.choice([9, 10, 13, 14, 18])
    Schedule.objects.create(
        service=service,
        service_at_location=sal,
        freq=Schedule.Freq.WEEKLY,
        interval=1,
        byday=day,
        opens_at=time(opens, 0),
        closes_at=time(opens + 2, 0),
        description=f"Every {DAY_NAMES[day]}, {opens}:00 to {opens + 2}:00",
    )
    Phone.objects.update_or_create(
        id=_id("phone", str(service.pk)),
        defaults={
            "service": service,
            "number": f"01632 {rng.randint(100000, 999999)}",
            "type": "voice",
        },
    )
    Attribute.objects.filter(link_entity="service", link_id=service.pk).delete()
    Attribute.objects.bulk_create(
        [
            Attribute(
                link_entity="service",
                link_id=service.pk,
                taxonomy_term_id=term_id(code),
                link_type="need_area",
            )
            for code in needs
        ]
        + [
            Attribute(
                link_entity="service",
                link_id=service.pk,
                taxonomy_term_id=term_id(activity),
                link_type="activity_type",
            )
        ]
    )
