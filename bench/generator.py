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

GENERATOR_VERSION = 2
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
    progress("built")


def _member_count() -> int:
    return Membership.objects.filter(scheme__slug=SCHEME_SLUG).count()


def _read_marker() -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {_MARKER_TABLE} "
            "(name VARCHAR(40) PRIMARY KEY, value TEXT NOT NULL)"
        )
        cursor.execute(f"SELECT value FROM {_MARKER_TABLE} WHERE name = %s", ["build"])
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def _write_marker(value: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_MARKER_TABLE} WHERE name = %s", ["build"])
        cursor.execute(
            f"INSERT INTO {_MARKER_TABLE} (name, value) VALUES (%s, %s)",
            ["build", json.dumps(value)],
        )
