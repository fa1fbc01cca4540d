"""Demo people and referrals: the five case stories of DOMAIN.md and ~300 more, in every state,
across both sites, through the same services a real referral goes through. Made up: names
from lists, phones in Ofcom's drama ranges, postcodes from the demo gazetteer."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from linkwell.geo.demo import DEMO_POSTCODES
from linkwell.people.models import Consent, ConsentScope, HouseholdRole, Person
from linkwell.people.services import consent_withdraw, household_join, person_create
from linkwell.referrals import services
from linkwell.referrals.models import Channel, ContactOutcome, SourceType
from linkwell.referrals.states import Status

GIVEN = [
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Grace",
    "Freya",
    "Ruby",
    "Evie",
    "Sophia",
    "Alice",
    "Florence",
    "Rosie",
    "Oliver",
    "George",
    "Noah",
    "Arthur",
    "Leo",
    "Oscar",
    "Harry",
    "Jack",
    "Charlie",
    "Jacob",
    "Thomas",
    "Alfie",
    "Henry",
    "Theo",
    "Margaret",
    "Jean",
    "Brenda",
    "Eileen",
    "Dorothy",
    "Patricia",
    "Sandra",
    "Kevin",
    "Barry",
    "Derek",
    "Colin",
    "Graham",
    "Ian",
    "Priya",
    "Aisha",
    "Fatima",
    "Zainab",
    "Amir",
    "Tariq",
    "Bilal",
    "Chidi",
    "Ngozi",
    "Tomasz",
    "Agnieszka",
    "Dafydd",
    "Rhian",
    "Siobhan",
]
FAMILY = [
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Begum",
    "Nowak",
    "Okafor",
    "Mensah",
    "Pritchard",
    "Llewellyn",
]
NEEDS = [
    "mental-wellbeing",
    "loneliness",
    "bereavement",
    "money-debt",
    "benefits",
    "housing",
    "employment-skills",
    "physical-activity",
    "carers",
    "long-term-conditions",
    "food",
    "digital-skills",
    "family-parenting",
]
STREETS = ["Mill", "Church", "Station", "Park", "River"]
GP_PRACTICES = ["Riverside Medical Centre", "Northgate Surgery", "Mill Lane Practice"]
REFERRERS = [
    ("Dr Aisha Rahman", "Riverside Medical Centre", SourceType.GP_PRACTICE),
    ("Nurse Jo Price", "Northgate Surgery", SourceType.HEALTH_PROFESSIONAL),
    ("Mark Ellis", "Riverside Council Housing Team", SourceType.COUNCIL),
    ("Bev Adams", "Riverside Carers Centre", SourceType.VCSE),
    ("Mrs Khan", "Riverside Primary School", SourceType.SCHOOL),
]
DECLINE_REASONS = [
    "Feels they are managing now",
    "Getting support from family",
    "Not the right time, may self-refer later",
]
NOT_APPROPRIATE = ["Needs crisis mental health team", "Already supported by adult social care"]


def nhs_number(rng: random.Random) -> str:
    """A made-up NHS number with a correct Modulus 11 check digit."""
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        digits[0] = 9  # the 9xx range is not issued to patients in England
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


@dataclass
class Story:
    given: str
    family: str
    born: date
    reasons: list[str]
    status: Status
    source: SourceType
    summary: str
    days_ago: int
    digital: str = "smartphone"
    flags: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def _stories(today: date) -> list[Story]:
    return [
        Story(
            "Aled",
            "Pritchard",
            date(today.year - 23, 4, 2),
            ["mental-wellbeing", "employment-skills"],
            Status.ACCEPTED,
            SourceType.GP_PRACTICE,
            "Depressed, out of work, lives on a farm with poor transport. Already having CBT. "
            "Phone and online support suit him best.",
            70,
            "smartphone",
            {},
            {"town": "Upper Riverside"},
        ),
        Story(
            "Carol",
            "Jenkins",
            date(today.year - 55, 9, 14),
            ["mental-wellbeing", "employment-skills", "arts-creativity"],
            Status.ACCEPTED,
            SourceType.GP_PRACTICE,
            "Off work with low mood; does not want medication. Interested in being outdoors "
            "and in art.",
            45,
        ),
        Story(
            "Tess",
            "Morgan",
            date(today.year - 36, 1, 20),
            ["carers", "money-debt", "family-parenting"],
            Status.ACCEPTED,
            SourceType.SCHOOL,
            "Single parent of three; two children are autistic. Money is tight. Worried about "
            "what asking for help might mean.",
            60,
        ),
        Story(
            "Bashir",
            "Rahimi",
            date(today.year - 47, 6, 3),
            ["mental-wellbeing", "housing", "loneliness", "money-debt", "bereavement"],
            Status.ACCEPTED,
            SourceType.HEALTH_PROFESSIONAL,
            "Many things at once: low mood, unsafe housing, isolation, debt and a recent "
            "bereavement.",
            150,
            "phone_only",
            {"recent_bereavement": True, "safeguarding_concern": True},
        ),
        Story(
            "Edna",
            "Hughes",
            date(today.year - 81, 11, 30),
            ["loneliness", "physical-activity", "bereavement"],
            Status.CONTACTED,
            SourceType.GP_PRACTICE,
            "Widowed some years ago and lonely since. Afraid of falling when she goes out.",
            12,
            "none",
            {"lives_alone": True},
            {"phone": "01632 960 472"},  # a landline: no mobile, no internet
        ),
    ]


WORK_START, WORK_END = 9, 17  # the demo's working day, local time


def _at(now: datetime, days_ago: float, hour: int = 10, minute: int = 0) -> datetime:
    """`hour`:`minute` local time on the day `days_ago` before today, kept in working hours
    and never in the future: for an hour still to come today, an hour already past, or
    yesterday early in the morning."""
    hour = min(max(hour, WORK_START), WORK_END - 1)
    day = timezone.localdate(now) - timedelta(days=int(max(days_ago, 0)))
    at = timezone.make_aware(datetime.combine(day, time(hour, minute)))
    latest = timezone.localtime(now - timedelta(minutes=5))
    if at > latest:
        earlier = latest.hour - 1
        if day == latest.date() and earlier >= WORK_START:  # an hour already past today
            at = timezone.make_aware(datetime.combine(day, time(earlier, minute)))
        else:  # early in the morning: yesterday
            at = timezone.make_aware(datetime.combine(day - timedelta(days=1), time(hour, minute)))
    return at


class _Builder:
    def __init__(self, *, scheme, workers, referrer, manager, rng):
        self.scheme = scheme
        self.sites = list(scheme.sites.order_by("name"))
        self.workers = workers
        self.referrer = referrer
        self.manager = manager
        self.rng = rng
        self.now = timezone.now()
        self.phones = iter(range(1, 1000))
        self.nhs_seen: set[str] = set()
        self.last: datetime | None = None  # the latest moment written for this referral

    def when(self, days_ago: float, hour: int, *, workday: bool = True) -> datetime:
        """A referral's next moment: `days_ago` at `hour` (minutes from the fraction of the
        day), in working hours (on a weekday, for the team's work), after the moment written
        before it, never in the future."""
        at = _at(self.now, days_ago, hour, int(days_ago * 1440) % 60)
        weekend = timezone.localtime(at).weekday() - 4
        if workday and weekend > 0:  # the Friday before
            at -= timedelta(days=weekend)
        if self.last is not None and at <= self.last:
            at = self.last + timedelta(minutes=20)
            local = timezone.localtime(at)
            if local.hour >= WORK_END or (workday and local.weekday() > 4):
                morning = local.date() + timedelta(days=1)
                morning += timedelta(days=7 - morning.weekday() if morning.weekday() > 4 else 0)
                morning_at = timezone.make_aware(datetime.combine(morning, time(9, 30)))
                at = morning_at if morning_at < self.now - timedelta(minutes=5) else at
        at = min(at, self.now - timedelta(minutes=1))
        self.last = at
        return at

    def _phone(self) -> str:
        return f"07700 900{next(self.phones):03d}"

    def _nhs(self) -> str:
        while True:
            number = nhs_number(self.rng)
            if number not in self.nhs_seen:
                self.nhs_seen.add(number)
                return number

    def person_data(self, given, family, born, digital="smartphone", **extra) -> dict:
        rng = self.rng
        has_email = digital in ("smartphone", "computer") and rng.random() < 0.5
        return {
            "given_name": given,
            "family_name": family,
            "date_of_birth": born,
            "nhs_number": self._nhs() if rng.random() < 0.8 else "",
            "phone": self._phone() if digital != "none" or rng.random() < 0.9 else "",
            "email": f"{given.lower()}.{family.lower()}@example.org" if has_email else "",
            "address_line_1": f"{rng.randint(1, 120)} {rng.choice(STREETS)} "
            f"{rng.choice(['Road', 'Street', 'Lane', 'Close'])}",
            "town": "Riverside",
            "postcode": rng.choice(DEMO_POSTCODES),
            "gp_practice": rng.choice(GP_PRACTICES),
            "preferred_contact_method": "sms" if has_email and rng.random() < 0.3 else "phone",
            "digital_access": digital,
            "language": "English"
            if rng.random() < 0.9
            else rng.choice(["Polish", "Urdu", "Welsh"]),
            **extra,
        }

    def intake(
        self,
        *,
        person,
        reasons,
        source,
        days_ago,
        summary="",
        flags=None,
        channel=None,
        match_choice=None,
        urgency="routine",
        site=None,
    ):
        rng = self.rng
        matching = [r for r in REFERRERS if r[2] == source] or REFERRERS
        name, org, _ = rng.choice(matching)
        if source == SourceType.SELF:
            name, org = "", ""
        by = None
        channel = channel or {
            SourceType.SELF: Channel.SELF_REFERRAL,
        }.get(source, rng.choice([Channel.STAFF, Channel.FHIR, Channel.CSV, Channel.REFERRER_FORM]))
        if channel == Channel.REFERRER_FORM:
            by = self.referrer
            name, org, source = (
                self.referrer.full_name,
                "Riverside Medical Centre",
                SourceType.GP_PRACTICE,
            )
        elif channel in (Channel.STAFF, Channel.CSV):
            by = self.manager
        consents = {
            ConsentScope.CONTACT: {"method": "referrer" if by == self.referrer else "verbal"}
        }
        if rng.random() < 0.85:
            consents[ConsentScope.SHARE_REFERRER] = {"method": "verbal"}
        if rng.random() < 0.7:
            consents[ConsentScope.REPORTING] = {"method": "verbal"}
        self.last = None
        drawn = rng.choice(self.sites)  # drawn even when `site` is given: the same demo each run
        req = services.IntakeRequest(
            scheme=self.scheme,
            site=site or drawn,
            channel=channel,
            source_type=source,
            person=person,
            reasons=reasons,
            consents=consents,
            summary=summary,
            urgency=urgency,
            referrer_name=name,
            referrer_organisation=org,
            referrer_email=(
                by.email
                if by == self.referrer
                else (f"referrals@{org.lower().replace(' ', '-')}.example.org" if org else "")
            ),
            received_at=self.when(days_ago, rng.randint(8, 16), workday=False),
            match_choice=match_choice or "new",
            offer_waiting_room=False,
            **(flags or {}),
        )
        referral = services.referral_intake(req, by=by)
        # Consent was given with the referral, not on the day the demo was loaded.
        Consent.objects.filter(person=referral.person, withdrawn_at__isnull=True).update(
            recorded_at=referral.received_at
        )
        return referral

    def progress(self, referral, status: Status, days_ago: float):
        """Walk the referral along the path to `status`, with believable timings."""
        rng = self.rng
        received_days = days_ago
        worker = rng.choice(self.workers)
        if status in (Status.RECEIVED,):
            return referral
        triaged_at = min(received_days, max(0.2, received_days - rng.randint(0, 2)))
        if status == Status.TRIAGED:
            services.referral_move(
                referral=referral,
                to=Status.TRIAGED,
                by=self.manager,
                at=self.when(triaged_at, 11),
            )
            return referral
        if status == Status.NOT_APPROPRIATE:
            services.referral_move(
                referral=referral,
                to=Status.NOT_APPROPRIATE,
                by=self.manager,
                tell_referrer=False,
                reason=rng.choice(NOT_APPROPRIATE),
                at=self.when(triaged_at, 11),
            )
            return referral
        if status == Status.WITHDRAWN and rng.random() < 0.5:
            services.referral_move(
                referral=referral,
                to=Status.WITHDRAWN,
                by=self.manager,
                reason="The referrer withdrew it: the person moved away",
                at=self.when(triaged_at, 11),
            )
            return referral
        services.referral_assign(
            referral=referral, to=worker, by=self.manager, at=self.when(triaged_at, 11)
        )
        # First-contact tries: a day or a week after triage.
        first_try = max(0.1, triaged_at - rng.choice([0.5, 1, 2, 3, 5, 8]))
        if status == Status.WAITING:
            tries = rng.choice([0, 0, 1, 2, 3]) if received_days > 2 else 0
        elif status == Status.UNABLE_TO_CONTACT:
            tries = 3
        else:
            tries = rng.choice([0, 0, 1, 2])
        day = first_try
        for _ in range(tries):
            if day <= 0.05:
                break
            services.contact_attempt_record(
                referral=referral,
                by=worker,
                method="phone",
                outcome=rng.choice([ContactOutcome.NO_ANSWER, ContactOutcome.VOICEMAIL]),
                at=self.when(day, rng.randint(9, 16)),
            )
            day = max(0.05, day - rng.choice([1, 2, 3]))
        if status in (Status.WAITING,):
            return referral
        if status == Status.UNABLE_TO_CONTACT:
            services.referral_move(
                referral=referral,
                to=Status.UNABLE_TO_CONTACT,
                by=worker,
                tell_referrer=False,
                reason="Three tries by phone over two weeks, no answer",
                at=self.when(max(0.02, day - 0.5), 16),
            )
            return referral
        if status == Status.WITHDRAWN:
            services.referral_move(
                referral=referral,
                to=Status.WITHDRAWN,
                by=worker,
                reason="The person asked to withdraw",
                at=self.when(day, 12),
            )
            return referral
        services.contact_attempt_record(
            referral=referral,
            by=worker,
            method="phone",
            outcome=ContactOutcome.REACHED,
            note="",
            at=self.when(day, rng.randint(9, 16)),
        )
        if status == Status.CONTACTED:
            return referral
        end = max(0.01, day - rng.choice([0, 1, 2]))
        if status == Status.DECLINED:
            services.referral_move(
                referral=referral,
                to=Status.DECLINED,
                by=worker,
                tell_referrer=False,
                reason=rng.choice(DECLINE_REASONS),
                at=self.when(end, 15),
            )
        elif status == Status.ACCEPTED:
            from linkwell.casework.services import case_open

            case_open(referral=referral, by=worker, worker=worker, at=self.when(end, 15))
        return referral


# How many referrals of each status the demo has (besides the case stories).
MIX = [
    (Status.RECEIVED, 24),
    (Status.TRIAGED, 6),
    (Status.WAITING, 60),
    (Status.CONTACTED, 40),
    (Status.ACCEPTED, 110),
    (Status.DECLINED, 18),
    (Status.UNABLE_TO_CONTACT, 16),
    (Status.NOT_APPROPRIATE, 10),
    (Status.WITHDRAWN, 10),
]


def load_demo_referrals(*, scheme, workers, referrer, manager, seed: int = 2026) -> dict:
    """Create the demo's people and referrals once; a second run leaves them as they are."""
    existing = Person.objects.filter(scheme=scheme).count()
    if existing:
        return {"people": existing, "created": False, "stories": [], "older_people": []}
    rng = random.Random(seed)  # noqa: S311  (made-up demo data, the same every run)
    builder = _Builder(scheme=scheme, workers=workers, referrer=referrer, manager=manager, rng=rng)
    today = timezone.localdate()
    stories = []
    # The case stories come in at the demo link worker's site, so the demo link worker can
    # open the cases they hold.
    story_site = scheme.sites.filter(memberships__user=workers[0]).order_by("name").first()
    for story in _stories(today):
        person = builder.person_data(
            story.given, story.family, story.born, story.digital, **story.extra
        )
        referral = builder.intake(
            person=person,
            reasons=story.reasons,
            source=story.source,
            days_ago=story.days_ago,
            summary=story.summary,
            flags=story.flags,
            channel=Channel.STAFF,
            urgency="soon" if story.flags else "routine",
            site=story_site,
        )
        builder.progress(referral, story.status, story.days_ago)
        stories.append(referral)
    # Tess's household: her three children, referred together.
    tess = stories[2].person
    household = household_join(
        person=tess, by=manager, name="Morgan family", role=HouseholdRole.ADULT
    )
    for given, age in [("Kai", 12), ("Lily", 9), ("Jay", 6)]:
        child = person_create(
            scheme=scheme,
            by=manager,
            data={
                "given_name": given,
                "family_name": "Morgan",
                "date_of_birth": date(today.year - age, 3, 1),
                "postcode": tess.postcode,
            },
        )
        household_join(person=child, by=manager, household=household, role=HouseholdRole.CHILD)

    # Everyone else, received over the last year: most recent ones still open.
    for status, count in MIX:
        for _ in range(count):
            if status in (Status.RECEIVED, Status.TRIAGED):
                days_ago = rng.uniform(0, 6)
            elif status == Status.WAITING:
                days_ago = rng.uniform(1, 30)
            elif status == Status.CONTACTED:
                days_ago = rng.uniform(5, 40)
            else:
                days_ago = rng.uniform(20, 360)
            age = rng.choice([rng.randint(18, 40), rng.randint(40, 70), rng.randint(70, 92)])
            born = today - timedelta(days=age * 365 + rng.randint(0, 364))
            digital = rng.choices(
                ["none", "phone_only", "smartphone", "computer"], weights=[11, 14, 55, 20]
            )[0]
            person = builder.person_data(rng.choice(GIVEN), rng.choice(FAMILY), born, digital)
            reasons = rng.sample(NEEDS, rng.choice([1, 2, 2, 3]))
            source = rng.choices(
                [
                    SourceType.GP_PRACTICE,
                    SourceType.HEALTH_PROFESSIONAL,
                    SourceType.COUNCIL,
                    SourceType.VCSE,
                    SourceType.SCHOOL,
                    SourceType.SELF,
                ],
                weights=[50, 12, 10, 10, 3, 15],
            )[0]
            flags = {
                "lives_alone": rng.random() < (0.6 if age > 70 else 0.25),
                "recent_bereavement": "bereavement" in reasons,
                "safeguarding_concern": rng.random() < 0.04,
            }
            urgency = rng.choices(["routine", "soon", "urgent"], weights=[80, 15, 5])[0]
            referral = builder.intake(
                person=person,
                reasons=reasons,
                source=source,
                days_ago=days_ago,
                flags=flags,
                urgency=urgency,
            )
            builder.progress(referral, status, days_ago)

    # Two people changed their minds about being counted in reports.
    for consent in Consent.objects.filter(
        person__scheme=scheme, scope=ConsentScope.REPORTING, withdrawn_at__isnull=True
    ).order_by("recorded_at")[:2]:
        consent_withdraw(consent=consent, by=manager, reason="Prefers not to be counted")

    # A practice's list of people over 75 who live alone, for the proactive calls.
    older = []
    for _ in range(40):
        age = rng.randint(76, 94)
        born = today - timedelta(days=age * 365 + rng.randint(0, 364))
        data = builder.person_data(
            rng.choice(GIVEN),
            rng.choice(FAMILY),
            born,
            rng.choice(["none", "phone_only", "smartphone"]),
        )
        data["email"] = ""
        older.append(person_create(scheme=scheme, by=manager, data=data))
    return {
        "people": Person.objects.filter(scheme=scheme).count(),
        "created": True,
        "stories": stories,
        "older_people": older,
    }


def offer_demo_waiting_rooms(*, scheme, by) -> str | None:
    """Offer every open, not-yet-contacted demo referral its waiting room, as intake would have;
    record packs posted to a few people without internet access; return the address of one
    waiting room (its secret is printed once, here, for people trying the demo)."""
    import logging

    from linkwell.referrals import waiting_room
    from linkwell.referrals.models import Referral
    from linkwell.referrals.states import NOT_YET_CONTACTED

    notify_log = logging.getLogger("linkwell.notify")
    level = notify_log.level
    notify_log.setLevel(logging.WARNING)  # sixty messages to the console help nobody
    try:
        waiting = Referral.objects.filter(
            scheme=scheme, status__in=NOT_YET_CONTACTED
        ).select_related("person")
        shown = None
        for referral in waiting.order_by("received_at"):
            link = waiting_room.offer_on_referral(referral_id=referral.pk)
            person = referral.person
            if link is None and person.digital_access == "none" and person.postal_address:
                waiting_room.pack_posted_record(referral=referral, by=by)
            if shown is None and link is not None:
                route = waiting_room.choose_route(referral.person)
                if route.ok:
                    _, secret = waiting_room._create(referral, route, by)
                    shown = waiting_room.link_url(secret)
        edna = Referral.objects.filter(
            scheme=scheme, person__given_name="Edna", person__family_name="Hughes"
        ).first()
        if edna is not None and not edna.pack_postings.exists():
            waiting_room.pack_posted_record(referral=edna, by=by)
        return shown
    finally:
        notify_log.setLevel(level)
