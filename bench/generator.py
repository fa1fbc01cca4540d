"""Synthetic data for the benchmarks: one scheme, sized by its number of members.

`ensure(size)` builds the data once per database and reuses it afterwards. What gets built is
the list of builders in `BUILDERS`, run in order inside one transaction. A later feature adds
its data with a new builder:

    @builder("referrals")
    def build_referrals(ctx: BuildContext) -> None:
        insert(Referral, (... for i in range(ctx.size * 3)), label="referrals")

and bumps `GENERATOR_VERSION` when an existing builder changes what it makes, so that databases
built before the change are rebuilt rather than reused.
"""

import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import TypeVar

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, models, transaction
from django.utils import timezone

from linkwell.core.models import LogEntry, Membership, Role, Scheme, Site, User
from linkwell.directory import taxonomy
from linkwell.directory.models import (
    Address,
    Attribute,
    Capacity,
    CostType,
    Gender,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
)

GENERATOR_VERSION = 7
BATCH_SIZE = 2000
SCHEME_SLUG = "bench"
SCHEME_NAME = "Bench scheme"
SITE_COUNT = 5
EMAIL_DOMAIN = "bench.linkwell.test"
PASSWORD = "bench-password-not-secret"
AUDIT_ENTRIES_PER_MEMBER = 10
AUDIT_SPAN = timedelta(days=90)
MIN_SIZE = len(Role)  # every role has at least one member
_MARKER_TABLE = "bench_marker"

M = TypeVar("M", bound=models.Model)

# (action, weight, kind): what the synthetic audit log is made of.
AUDIT_ACTIONS: list[tuple[str, int, str]] = [
    ("auth.signed_in", 30, "auth"),
    ("auth.signed_out", 15, "auth"),
    ("auth.sign_in_failed", 2, "auth"),
    ("person.viewed", 30, "person"),
    ("referral.accepted", 8, "person"),
    ("case.contact_added", 10, "person"),
    ("membership.created", 3, "membership"),
    ("site.created", 2, "site"),
]


@dataclass
class BuildContext:
    """What the builders share: the size, a seeded random source, and what earlier ones made."""

    size: int
    rng: random.Random
    now: datetime
    scheme: Scheme | None = None
    sites: list[Site] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)


Builder = Callable[[BuildContext], None]
BUILDERS: dict[str, Builder] = {}


def builder(name: str) -> Callable[[Builder], Builder]:
    """Register a builder; builders run in the order they are registered."""

    def register(fn: Builder) -> Builder:
        if name in BUILDERS:
            raise ValueError(f"A bench builder named {name!r} is already registered.")
        BUILDERS[name] = fn
        return fn

    return register


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def insert(model: type[M], rows: Iterable[M], *, total: int, label: str) -> None:
    """bulk_create `rows` in batches, reporting progress on stderr."""
    done = 0
    iterator: Iterator[M] = iter(rows)
    while batch := list(islice(iterator, BATCH_SIZE)):
        model.objects.bulk_create(batch)
        done += len(batch)
        progress(f"  {label}: {done}/{total}")


def bench_scheme() -> Scheme:
    return Scheme.objects.get(slug=SCHEME_SLUG)


def member_email(index: int) -> str:
    return f"member-{index:07d}@{EMAIL_DOMAIN}"


def first_member(role: Role) -> User:
    """The bench scheme's first member with `role` (the same user on every run)."""
    membership = (
        Membership.objects.filter(scheme__slug=SCHEME_SLUG, role=role, is_active=True)
        .select_related("user")
        .order_by("user__email")
        .first()
    )
    if membership is None:
        raise LookupError(f"The bench scheme has no active {role.label}.")
    return membership.user


@builder("scheme")
def build_scheme(ctx: BuildContext) -> None:
    """The bench scheme, with two-factor off so the bench can sign in with force_login."""
    ctx.scheme = Scheme.objects.create(name=SCHEME_NAME, slug=SCHEME_SLUG, require_two_factor=False)
    ctx.sites = Site.objects.bulk_create(
        Site(scheme=ctx.scheme, name=f"Bench site {n}") for n in range(1, SITE_COUNT + 1)
    )


@builder("members")
def build_members(ctx: BuildContext) -> None:
    """`size` users, each a member of the bench scheme, the roles and sites in turn."""
    password = make_password(PASSWORD)  # hashed once: Argon2 is slow on purpose
    roles = list(Role)
    users = [
        User(email=member_email(i), full_name=f"Bench Member {i:07d}", password=password)
        for i in range(ctx.size)
    ]
    insert(User, users, total=ctx.size, label="users")
    ctx.memberships = [
        Membership(user=user, scheme=ctx.scheme, role=roles[i % len(roles)])
        for i, user in enumerate(users)
    ]
    insert(Membership, ctx.memberships, total=ctx.size, label="memberships")
    through = Membership.sites.through
    links = (
        through(membership_id=m.pk, site_id=ctx.sites[(i // len(roles)) % len(ctx.sites)].pk)
        for i, m in enumerate(ctx.memberships)
    )
    insert(through, links, total=ctx.size, label="membership sites")


@builder("audit_log")
def build_audit_log(ctx: BuildContext) -> None:
    """AUDIT_ENTRIES_PER_MEMBER entries per member, over AUDIT_SPAN, as the services write them.

    Sign-in entries are written into the member's scheme, as `core.audit.log_user_action` does.
    """
    total = ctx.size * AUDIT_ENTRIES_PER_MEMBER
    people = [str(uuid.UUID(int=ctx.rng.getrandbits(128))) for _ in range(max(1, ctx.size // 2))]
    actions = [a for a, _, _ in AUDIT_ACTIONS]
    weights = [w for _, w, _ in AUDIT_ACTIONS]
    kinds = {a: k for a, _, k in AUDIT_ACTIONS}

    def entries() -> Iterator[LogEntry]:
        span = int(AUDIT_SPAN.total_seconds())
        for action in ctx.rng.choices(actions, weights, k=total):
            membership = ctx.rng.choice(ctx.memberships)
            user = membership.user
            entry = LogEntry(
                created_at=ctx.now - timedelta(seconds=ctx.rng.randrange(span)),
                scheme=ctx.scheme,
                actor=user,
                actor_label=user.email,
                action=action,
            )
            kind = kinds[action]
            if kind == "auth":
                entry.object_type, entry.object_id = "core.user", str(user.pk)
                entry.object_label = user.full_name
                entry.ip_address = f"10.0.{ctx.rng.randrange(256)}.{ctx.rng.randrange(1, 255)}"
            elif kind == "person":
                entry.person_id = ctx.rng.choice(people)
                entry.object_type, entry.object_id = "people.person", entry.person_id
                entry.object_label = "Bench person"
            elif kind == "membership":
                other = ctx.rng.choice(ctx.memberships)
                entry.object_type, entry.object_id = "core.membership", str(other.pk)
                entry.object_label = f"{other.user.full_name} at {SCHEME_NAME}"
                entry.data = {"role": other.role}
            else:
                site = ctx.rng.choice(ctx.sites)
                entry.object_type, entry.object_id = "core.site", str(site.pk)
                entry.object_label = site.name
                entry.data = {"name": site.name}
            yield entry

    insert(LogEntry, entries(), total=total, label="audit log entries")


# The directory: `size` services across size/3 organisations, around Birmingham.
DIRECTORY_CENTRE = (52.48, -1.90)
DIRECTORY_SPREAD = (0.5, 0.8)  # degrees either side: about 55 km north-south and east-west
BENCH_POSTCODE = ("B1 1AA", 52.4797, -1.9026)  # the search point, in the postcode table
# What services are called and do: "walking" is in one name in twelve.
ACTIVITIES = [
    ("Walking group", "Gentle walks with others, at your own pace"),
    ("Coffee morning", "A friendly chat over a hot drink"),
    ("Art club", "Painting and drawing for beginners and the experienced"),
    ("Gardening project", "Growing food and flowers on a shared plot"),
    ("Debt advice", "Free, confidential help with money worries"),
    ("Befriending", "A volunteer who calls or visits every week"),
    ("Dance class", "Moving to music, seated or standing"),
    ("Food bank", "Emergency food parcels and advice"),
    ("Carers cafe", "Time out and support for unpaid carers"),
    ("Community shed", "Making, mending and conversation"),
    ("Choir", "Singing together, no experience needed"),
    ("Chair yoga", "Stretching and breathing for every body"),
]
PLACES = ["Ladywood", "Aston", "Edgbaston", "Handsworth", "Selly Oak", "Erdington", "Moseley"]
DEFAULT_TERM_IDS = [
    taxonomy.term_id(code) for code, _ in taxonomy.NEED_AREAS + taxonomy.ACTIVITY_TYPES
]
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# (status, weight): most listings are active; a few are closed or inactive.
SERVICE_STATUSES = [
    (ServiceStatus.ACTIVE, 90),
    (ServiceStatus.TEMPORARILY_CLOSED, 4),
    (ServiceStatus.INACTIVE, 3),
    (ServiceStatus.DEFUNCT, 3),
]


# What matching ranks on, drawn from a random source of its own (seeded with the size) so that
# the shared source, and so everything built after the directory, is as it was before them.
# (capacity, weight, typical wait in weeks or None)
CAPACITIES = [
    (Capacity.OPEN, 70, None),
    (Capacity.OPEN, 10, (1, 3)),
    (Capacity.WAITING_LIST, 12, (2, 12)),
    (Capacity.FULL, 5, None),
    (Capacity.PAUSED, 3, None),
]
# (cost type, weight, fee range in pounds or None)
COSTS = [
    (CostType.FREE, 70, None),
    (CostType.CONTRIBUTION, 20, (1, 5)),
    (CostType.FEE, 10, (5, 30)),
]
VERIFIED_SPAN_DAYS = 730  # listings checked over the last two years; one in seven never
TRACK_RECORD_SHARE = 0.2  # services with a track record in the bench scheme


def _uuid(ctx: BuildContext) -> uuid.UUID:
    return uuid.UUID(int=ctx.rng.getrandbits(128), version=4)


def _matching_fields(rng: random.Random, now: datetime) -> dict:
    """A service's capacity, cost, home visits, last check, area served and gender served."""
    capacity, _, wait = rng.choices(CAPACITIES, [w for _, w, _ in CAPACITIES])[0]
    cost_type, _, fee = rng.choices(COSTS, [w for _, w, _ in COSTS])[0]
    districts = sorted(rng.sample(range(1, 48), 3)) if rng.random() < 0.05 else []
    return {
        "capacity": capacity,
        "typical_wait_weeks": rng.randint(*wait) if wait else None,
        "cost_type": cost_type,
        "fee_amount": rng.randint(*fee) if fee and rng.random() < 0.8 else None,
        "scheme_can_fund": cost_type != CostType.FREE and rng.random() < 0.3,
        "home_visit": rng.random() < 0.1,
        "last_verified_at": (
            now - timedelta(days=rng.uniform(0, VERIFIED_SPAN_DAYS))
            if rng.random() < 6 / 7
            else None
        ),
        "area_served": ", ".join(f"B{d}" for d in districts),
        "gender": rng.choices([Gender.ANY, Gender.WOMEN, Gender.MEN], [94, 4, 2])[0],
    }


@builder("directory")
def build_directory(ctx: BuildContext) -> None:
    """`size` services across size/3 organisations: nine in ten at a place (location with
    coordinates, address and postcode) within about 55 km of Birmingham, the rest online only;
    each with a weekly schedule and one to three default need-area or activity terms, and a
    variety of capacity, cost, last check and so on for matching. Also the
    default taxonomies (a flush empties them) and the bench postcode in the postcode table."""
    from django.apps import apps

    from linkwell.geo.models import Postcode

    taxonomy.load(apps)
    postcode, lat, lon = BENCH_POSTCODE
    Postcode.objects.create(postcode=postcode, latitude=lat, longitude=lon, source="demo")

    rng = ctx.rng
    org_count = max(1, ctx.size // 3)
    organizations = [
        Organization(
            id=_uuid(ctx),
            name=f"{rng.choice(PLACES)} Community Trust {i:06d}",
            description="A local charity run by and for its neighbourhood.",
            email=f"hello{i}@trust.bench.linkwell.test",
        )
        for i in range(org_count)
    ]
    insert(Organization, organizations, total=org_count, label="organisations")

    statuses = [s for s, _ in SERVICE_STATUSES]
    status_weights = [w for _, w in SERVICE_STATUSES]
    matching_rng = random.Random(f"directory-matching-{ctx.size}")
    services: list[Service] = []
    for i in range(ctx.size):
        name, description = ACTIVITIES[i % len(ACTIVITIES)]
        place = rng.choice(PLACES)
        services.append(
            Service(
                id=_uuid(ctx),
                organization=organizations[i % org_count],
                name=f"{place} {name} {i:06d}",
                description=f"{description} in {place}.",
                status=rng.choices(statuses, status_weights)[0],
                is_public=rng.random() < 0.95,
                in_person=True,
                by_phone=rng.random() < 0.3,
                online=rng.random() < 0.2,
                minimum_age=rng.choice([None, None, 16, 18, 50]),
                **_matching_fields(matching_rng, ctx.now),
            )
        )
    insert(Service, services, total=ctx.size, label="services")

    placed = [s for s in services if rng.random() < 0.9]
    locations = [
        Location(
            id=_uuid(ctx),
            organization_id=s.organization_id,
            name=f"{s.name.split(' ')[0]} Community Centre",
            latitude=DIRECTORY_CENTRE[0] + rng.uniform(-1, 1) * DIRECTORY_SPREAD[0],
            longitude=DIRECTORY_CENTRE[1] + rng.uniform(-1, 1) * DIRECTORY_SPREAD[1],
        )
        for s in placed
    ]
    insert(Location, locations, total=len(locations), label="locations")

    def addresses() -> Iterator[Address]:
        for n, location in enumerate(locations):
            district = rng.randrange(1, 48)
            yield Address(
                id=_uuid(ctx),
                location=location,
                address_1=f"{n % 400 + 1} High Street",
                city="Birmingham",
                postal_code=f"B{district} {rng.randrange(10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            )

    insert(Address, addresses(), total=len(locations), label="addresses")
    links = (
        ServiceAtLocation(id=_uuid(ctx), service=s, location=loc)
        for s, loc in zip(placed, locations, strict=True)
    )
    insert(ServiceAtLocation, links, total=len(locations), label="services at locations")

    def schedules() -> Iterator[Schedule]:
        for s in services:
            opens = rng.randrange(9, 19)
            yield Schedule(
                id=_uuid(ctx),
                service=s,
                freq=Schedule.Freq.WEEKLY,
                interval=1,
                byday=",".join(sorted(rng.sample(WEEKDAYS, rng.randint(1, 2)), key=WEEKDAYS.index)),
                opens_at=f"{opens:02d}:00",
                closes_at=f"{opens + 2:02d}:00",
            )

    insert(Schedule, schedules(), total=ctx.size, label="schedules")

    def attributes() -> Iterator[Attribute]:
        for s in services:
            for term in rng.sample(DEFAULT_TERM_IDS, rng.randint(1, 3)):
                yield Attribute(
                    id=_uuid(ctx), link_entity="service", link_id=s.pk, taxonomy_term_id=term
                )

    insert(Attribute, attributes(), total=ctx.size * 2, label="service terms (about)")


@builder("match_index")
def build_match_index(ctx: BuildContext) -> None:
    """What matching keeps ready: every service's stored words, built by
    `match_text_refresh()` itself (as the `build_match_index` command does), and a track
    record in the bench scheme for one service in five. Its random source is its own, so that
    the builders after it make what they made before it."""
    from linkwell.matching.models import ServiceTrackRecord
    from linkwell.matching.services import match_text_refresh

    started = time.perf_counter()
    rebuilt = match_text_refresh()
    progress(f"  stored words: {rebuilt} services in {time.perf_counter() - started:.1f} s")

    rng = random.Random(f"match-index-{ctx.size}")
    ids = list(Service.objects.order_by("pk").values_list("pk", flat=True))

    def records() -> Iterator[ServiceTrackRecord]:
        for service_id in ids:
            if rng.random() >= TRACK_RECORD_SHARE:
                continue
            offered, sent = rng.randint(0, 20), rng.randint(0, 15)
            accepted = rng.randint(0, sent)
            answered = rng.randint(0, accepted)
            yield ServiceTrackRecord(
                scheme=ctx.scheme,
                service_id=service_id,
                offered=offered,
                taken_up=rng.randint(0, offered),
                sent=sent,
                accepted=accepted,
                completed=rng.randint(0, accepted),
                answered=answered,
                answer_days_total=round(answered * rng.uniform(0.2, 14.0), 1),
                updated_at=ctx.now,
            )

    total = int(ctx.size * TRACK_RECORD_SHARE)
    insert(ServiceTrackRecord, records(), total=total, label="track records (about)")


# Referrals: `size` people each referred once over five years. Most are long closed; about one
# in thirty is new and waiting for triage, one in ten waiting for first contact.
REFERRAL_SPAN_DAYS = 5 * 365
REFERRAL_STATUSES = [
    ("received", 3),
    ("triaged", 1),
    ("waiting", 10),
    ("contacted", 6),
    ("accepted", 55),
    ("declined", 9),
    ("unable_to_contact", 8),
    ("not_appropriate", 4),
    ("withdrawn", 4),
]
NEED_TERM_IDS = [taxonomy.term_id(code) for code, _ in taxonomy.NEED_AREAS]


@builder("referrals")
def build_referrals(ctx: BuildContext) -> None:
    from linkwell.people.models import Person
    from linkwell.referrals.models import ContactAttempt, Referral

    workers = [m.user for m in ctx.memberships if m.role == Role.LINK_WORKER]
    statuses = [s for s, _ in REFERRAL_STATUSES]
    weights = [w for _, w in REFERRAL_STATUSES]
    people: list[Person] = []
    referrals: list[Referral] = []
    for i in range(ctx.size):
        person = Person(
            id=_uuid(ctx),
            scheme=ctx.scheme,
            given_name=f"Person{i}",
            family_name=ctx.rng.choice(["Smith", "Jones", "Patel", "Evans", "Khan", "Brown"]),
            date_of_birth=(ctx.now - timedelta(days=ctx.rng.randint(18 * 365, 95 * 365))).date(),
            phone=f"+44770090{i % 10000:04d}",
            postcode=BENCH_POSTCODE[0],
            created_at=ctx.now,
        )
        people.append(person)
        status = ctx.rng.choices(statuses, weights)[0]
        open_status = status in ("received", "triaged", "waiting", "contacted")
        age_days = (
            ctx.rng.uniform(0, 40) if open_status else ctx.rng.uniform(30, REFERRAL_SPAN_DAYS)
        )
        received = ctx.now - timedelta(days=age_days)
        reached = status in ("contacted", "accepted", "declined")
        referrals.append(
            Referral(
                id=_uuid(ctx),
                scheme=ctx.scheme,
                site=ctx.rng.choice(ctx.sites),
                person=person,
                channel=ctx.rng.choice(["staff", "referrer_form", "fhir", "csv", "self_referral"]),
                source_type="gp_practice",
                referrer_name="Dr Bench",
                urgency=ctx.rng.choices(["routine", "soon", "urgent"], [85, 10, 5])[0],
                lives_alone=ctx.rng.random() < 0.2,
                received_at=received,
                status=status,
                status_changed_at=received,
                snomed_code="871731000000106",
                assigned_to=None if status in ("received", "triaged") else ctx.rng.choice(workers),
                first_contact_at=(
                    received + timedelta(days=ctx.rng.uniform(0.2, min(age_days, 21)))
                    if reached
                    else None
                ),
            )
        )
    insert(Person, people, total=ctx.size, label="people")
    insert(Referral, referrals, total=ctx.size, label="referrals")
    through = Referral.reasons.through
    reasons = (
        through(referral_id=r.pk, taxonomyterm_id=term)
        for r in referrals
        for term in ctx.rng.sample(NEED_TERM_IDS, ctx.rng.randint(1, 3))
    )
    insert(through, reasons, total=ctx.size * 2, label="referral reasons (about)")
    attempts = (
        ContactAttempt(
            id=_uuid(ctx),
            referral=r,
            at=r.received_at + timedelta(hours=n + 1),
            method="phone",
            outcome="no_answer",
            by=r.assigned_to,
        )
        for r in referrals
        if r.status in ("waiting", "unable_to_contact")
        for n in range(ctx.rng.randint(0, 3))
    )
    insert(ContactAttempt, attempts, total=ctx.size // 5, label="contact attempts (about)")


def ensure(size: int, *, rebuild: bool = False) -> None:
    """Build the data for `size` unless this database already holds exactly that build."""
    if size < MIN_SIZE:
        raise ValueError(f"The bench needs a size of at least {MIN_SIZE} (one member per role).")
    wanted = {"size": size, "version": GENERATOR_VERSION, "builders": list(BUILDERS)}
    if not rebuild and _read_marker() == wanted and _member_count() == size:
        progress(f"reusing the data built for size {size}")
        return
    progress(f"building data for size {size} ({', '.join(BUILDERS)})")
    call_command("flush", interactive=False, verbosity=0)
    ctx = BuildContext(size=size, rng=random.Random(size), now=timezone.now())
    with transaction.atomic():
        for name, build in BUILDERS.items():
            progress(f"- {name}")
            build(ctx)
        _write_marker(wanted)
    if connection.vendor == "postgresql":
        # The planner needs statistics, and autovacuum (which would gather them on a live
        # server) may be off or not yet round to it: without them, plans are guesses.
        progress("analyzing")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    progress("built")


def _member_count() -> int:
    return Membership.objects.filter(scheme__slug=SCHEME_SLUG).count()


def _create_marker_table(cursor) -> None:
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {_MARKER_TABLE} "
        "(name VARCHAR(40) PRIMARY KEY, value TEXT NOT NULL)"
    )


def _read_marker() -> dict | None:
    with connection.cursor() as cursor:
        _create_marker_table(cursor)
        cursor.execute(f"SELECT value FROM {_MARKER_TABLE} WHERE name = %s", ["build"])
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def _write_marker(value: dict) -> None:
    with connection.cursor() as cursor:
        _create_marker_table(cursor)  # --rebuild on a new database never read it
        cursor.execute(f"DELETE FROM {_MARKER_TABLE} WHERE name = %s", ["build"])
        cursor.execute(
            f"INSERT INTO {_MARKER_TABLE} (name, value) VALUES (%s, %s)",
            ["build", json.dumps(value)],
        )


# The cases builder lives in a module of its own; importing it registers it after the others.
from bench import generator_cases  # noqa: E402, F401
