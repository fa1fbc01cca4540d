"""The bench's cases: every accepted referral opened a case, most long closed, with five years of
contacts, follow-ups, needs, goals and notes; and the bench link worker's caseload.

The bench link worker (`first_member(Role.LINK_WORKER)`, limited to the first site) holds
`BENCH_CASELOAD` open cases, each with its history (cases still open, then, where too few are,
people whose case closed and who were referred again and accepted in the last year), and up to
`BENCH_HISTORY_CASES` closed ones from the last five years. The earliest opened of the open
cases, the bench case (`bench_case_id`), is the long one: its timeline holds
`TIMELINE_ENTRIES` entries.

Registered by `bench.generator`, which imports this module at its end. Rows are written
directly (see `Rows`): this is synthetic data, so the services (and their audit entries) are
bypassed; the database's own constraints still hold.
"""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, models
from django.utils import timezone

from bench.generator import (
    BATCH_SIZE,
    NEED_TERM_IDS,
    BuildContext,
    _uuid,
    builder,
    progress,
)
from linkwell.casework.models import (
    Case,
    CaseAssignment,
    CaseEvent,
    Contact,
    FollowUp,
    Goal,
    GoalProgress,
    Need,
    Note,
    PlanSupport,
)
from linkwell.casework.states import (
    SNOMED_REFERRED,
    CaseStatus,
    ClosingReason,
    ContactMethod,
    FollowUpKind,
    FollowUpStatus,
    GoalStatus,
    SupportDecision,
)
from linkwell.core.models import Membership, Role
from linkwell.referrals.models import Referral

BENCH_CASELOAD = 250  # open cases held by the bench link worker (fewer if too few people)
BENCH_HISTORY_CASES = 1500  # closed cases the bench link worker held over five years
TIMELINE_ENTRIES = 500  # on the bench case: contacts, notes, follow-ups done, goals, events
CASE_LIFETIME_DAYS = (45.0, 300.0)  # from opening to closing
CONTACT_EVERY_DAYS = (14.0, 45.0)
MAX_CONTACTS = 10  # on an ordinary case
DUE_DAYS = (-14, 28)  # an open case's next follow-up, from today: about a third overdue

OPEN_STATUSES = [
    (CaseStatus.ACTIVE, 70),
    (CaseStatus.OPEN, 15),
    (CaseStatus.PAUSED, 8),
    (CaseStatus.CLOSING, 7),
]
CLOSING_REASONS = [
    (ClosingReason.GOALS_MET, 45),
    (ClosingReason.NOT_ENGAGING, 20),
    (ClosingReason.STATUTORY, 12),
    (ClosingReason.MOVED_AWAY, 8),
    (ClosingReason.DIED, 3),
    (ClosingReason.OTHER, 12),
]
CLOSED_GOAL_STATUSES = [
    (GoalStatus.ACHIEVED, 40),
    (GoalStatus.PARTLY, 30),
    (GoalStatus.NOT_ACHIEVED, 15),
    (GoalStatus.DROPPED, 15),
]
CONTACT_METHODS = [
    (ContactMethod.PHONE, 50),
    (ContactMethod.FACE_TO_FACE, 20),
    (ContactMethod.HOME_VISIT, 10),
    (ContactMethod.VIDEO, 5),
    (ContactMethod.MESSAGE, 12),
    (ContactMethod.LETTER, 3),
]
GOALS = [
    "Get out of the house twice a week",
    "Sort out my benefits so the bills get paid",
    "Meet people who like gardening",
    "Feel less on my own in the evenings",
    "Walk to the shops without getting out of breath",
    "Get help with the damp in the flat",
    "Find a volunteering role",
]
CONTACT_NOTES = [
    "Talked through how the week went and what got in the way of going to the group.",
    "Went with them to the first session; they knew two people there already.",
    "Called to check the referral to the debt advice service had been picked up.",
    "Feeling low this week; agreed to try the coffee morning with a neighbour.",
    "Reviewed the plan together; they want to keep the walking group and drop the art club.",
]
NOTES = [
    "Prefers calls after 2pm; daughter sometimes answers.",
    "Housing association confirmed the repair visit for next month.",
    "Mentioned money is tight since the heating bill came in.",
    "Asked for large-print letters.",
]
SUPPORTS = ["Walking group", "Coffee morning", "Debt advice", "Befriending", "Community shed"]


def _weighted(ctx: BuildContext, pairs):
    return ctx.rng.choices([v for v, _ in pairs], [w for _, w in pairs])[0]


def _between(ctx: BuildContext, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * ctx.rng.random()


class Rows:
    """New rows, buffered per table and written a batch at a time: with one `executemany` on
    SQLite, with COPY on PostgreSQL.

    Rows are plain keyword arguments (attribute names: `case_id`, not `case`); a column left
    out takes the field's default (`auto_now` and `auto_now_add` fields: the build's `now`), and
    an auto-incremented primary key is left to the database. This skips building model
    instances, which is where `bulk_create` spends most of its time; the database's own
    constraints still hold. Foreign keys are checked at the end of the build's transaction on
    both engines, so a batch of contacts may go in before the batch of cases they point to.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.tables: dict[type[models.Model], _Table] = {}
        self._reported = 0

    def add(self, model: type[models.Model], **values) -> None:
        table = self.tables.get(model)
        if table is None:
            table = self.tables[model] = _Table(model, self.now)
        table.buffer.append(values)
        if len(table.buffer) >= BATCH_SIZE:
            table.write()
            total = sum(t.written for t in self.tables.values())
            if total - self._reported >= 100_000:
                self._reported = total
                progress(f"  case rows: {total}")

    def finish(self) -> None:
        for table in self.tables.values():
            table.write()
        counts = sorted((t.model._meta.db_table, t.written) for t in self.tables.values())
        progress("  " + ", ".join(f"{name}: {n}" for name, n in counts))


def _converter(field: models.Field, sqlite: bool) -> Callable[[object], object] | None:
    """How a value is stored, as Django stores it: JSON as text; in SQLite, UUIDs as 32 hex
    digits and dates and times as text (PostgreSQL's driver adapts those itself)."""
    kind = (field.target_field if field.is_relation else field).get_internal_type()
    if kind == "JSONField":
        return lambda v: json.dumps(v) if v is not None else v
    if not sqlite:
        return None
    if kind == "UUIDField":
        return lambda v: v.hex if isinstance(v, uuid.UUID) else v
    if kind == "DateTimeField":
        return lambda v: str(v.astimezone(UTC).replace(tzinfo=None)) if v is not None else v
    if kind in ("DateField", "TimeField"):
        return lambda v: v.isoformat() if v is not None else v
    return None


class _Table:
    def __init__(self, model: type[models.Model], now: datetime) -> None:
        self.model = model
        self.buffer: list[dict] = []
        self.written = 0
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField))
        ]
        self.columns = [f.attname for f in fields]
        self.defaults = [
            now
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default()
            for f in fields
        ]
        sqlite = connection.vendor == "sqlite"
        self.converters = [_converter(f, sqlite) for f in fields]
        quote = connection.ops.quote_name
        into = f"{quote(model._meta.db_table)} ({', '.join(quote(c) for c in self.columns)})"
        self.sql = f"INSERT INTO {into} VALUES ({', '.join(['%s'] * len(fields))})"
        self.copy_sql = f"COPY {into} FROM STDIN" if connection.vendor == "postgresql" else ""

    def write(self) -> None:
        if not self.buffer:
            return
        known = set(self.columns)
        for values in self.buffer[:1]:
            if unknown := set(values) - known:
                raise TypeError(f"{self.model.__name__} has no columns {sorted(unknown)}")
        spec = list(zip(self.columns, self.defaults, self.converters, strict=True))
        rows = [
            [
                (convert(value) if convert else value)
                for column, default, convert in spec
                for value in (values.get(column, default),)
            ]
            for values in self.buffer
        ]
        with connection.cursor() as cursor:
            if self.copy_sql:  # PostgreSQL: COPY is several times faster than INSERT
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, rows)
        self.written += len(rows)
        self.buffer = []


@dataclass
class _Held:
    """One accepted referral, and who ends up holding its person's cases."""

    referral_id: object
    person_id: object
    site_id: uuid.UUID | None
    worker_id: object
    opened_at: datetime
    closes_at: datetime | None  # None: still open
    bench_open: bool = False  # the person's open case is on the bench worker's caseload
    bench_history: bool = False  # the bench worker held the (closed) case


def bench_worker_membership(ctx: BuildContext) -> Membership:
    """The bench link worker: the first link worker built, `first_member(Role.LINK_WORKER)`."""
    return next(m for m in ctx.memberships if m.role == Role.LINK_WORKER)


@builder("cases")
def build_cases(ctx: BuildContext) -> None:
    rng, now = ctx.rng, ctx.now
    bench = bench_worker_membership(ctx)
    bench_site_id = (
        Membership.sites.through.objects.filter(membership_id=bench.pk)
        .values_list("site_id", flat=True)
        .first()
    )
    others = [m.user.pk for m in ctx.memberships if m.role == Role.LINK_WORKER and m is not bench]
    accepted = list(
        Referral.objects.filter(scheme=ctx.scheme, status="accepted")
        .order_by("received_at", "id")
        .values_list(
            "id", "person_id", "site_id", "assigned_to_id", "received_at", "first_contact_at"
        )
    )
    held: list[_Held] = []
    for referral_id, person_id, site_id, worker_id, received, first_contact in accepted:
        opened = (first_contact or received) + timedelta(days=rng.uniform(0, 7))
        opened = min(opened, now - timedelta(hours=1))
        closes = opened + timedelta(days=rng.uniform(*CASE_LIFETIME_DAYS))
        held.append(
            _Held(
                referral_id, person_id, site_id, worker_id, opened, closes if closes < now else None
            )
        )

    order = list(range(len(held)))
    rng.shuffle(order)
    # The bench caseload: cases still open first; then people whose case has closed, who were
    # referred again and accepted within the last year (at small sizes, too few are open).
    order.sort(key=lambda i: held[i].closes_at is not None)
    caseload = [held[i] for i in order[:BENCH_CASELOAD]]
    for h in caseload:
        h.bench_open = True
    still_open = [h for h in caseload if h.closes_at is None]
    long_one = min(still_open, key=lambda h: h.opened_at) if still_open else None
    if long_one is None and caseload:
        long_one = caseload[0]
        long_one.closes_at = None  # the long case is open, whenever it was opened
    history = [held[i] for i in order[len(caseload) :] if held[i].closes_at is not None]
    for h in history[:BENCH_HISTORY_CASES]:
        h.bench_history = True
    for h in held:
        if (h.bench_open and h.closes_at is None) or h.bench_history:
            h.worker_id, h.site_id = bench.user.pk, bench_site_id
        elif h.worker_id == bench.user.pk and others:
            h.worker_id = rng.choice(others)  # the bench caseload holds exactly the picked cases
    progress(
        f"  {len(held)} accepted referrals; the bench link worker holds {len(caseload)} open "
        f"and {min(len(history), BENCH_HISTORY_CASES)} closed cases"
    )

    rows = Rows(now)
    long_case_id = None
    for h in held:
        long = h is long_one
        case = _case(
            ctx,
            rows,
            h,
            referral_id=h.referral_id,
            opened=h.opened_at,
            closes=h.closes_at,
            status=CaseStatus.ACTIVE if long else None,
        )
        if long:
            long_case_id = case.id
            _long_timeline(ctx, rows, case, TIMELINE_ENTRIES)
        else:
            _history(ctx, rows, case, end=h.closes_at or now)
        if h.bench_open and h.closes_at is not None:
            # Their first case is closed; the bench worker holds the one opened since.
            start = max(h.closes_at, now - timedelta(days=365))
            reopened = _between(ctx, start, now)
            h2 = _Held(None, h.person_id, bench_site_id, bench.user.pk, reopened, None)
            h2.referral_id = _referral_again(ctx, rows, h2, received=_between(ctx, start, reopened))
            second = _case(ctx, rows, h2, referral_id=h2.referral_id, opened=reopened, closes=None)
            _history(ctx, rows, second, end=now)
    rows.finish()
    if long_case_id is not None:
        progress(f"  the bench case ({TIMELINE_ENTRIES} timeline entries): {long_case_id}")


def _referral_again(ctx: BuildContext, rows: Rows, h: _Held, *, received: datetime) -> uuid.UUID:
    """A new referral of someone whose earlier case closed, accepted at `h.opened_at`."""
    rng = ctx.rng
    referral_id = _uuid(ctx)
    rows.add(
        Referral,
        id=referral_id,
        scheme_id=ctx.scheme.pk,
        site_id=h.site_id,
        person_id=h.person_id,
        channel=rng.choice(["staff", "referrer_form", "fhir", "self_referral"]),
        source_type="gp_practice",
        referrer_name="Dr Bench",
        urgency=rng.choices(["routine", "soon", "urgent"], [85, 10, 5])[0],
        lives_alone=rng.random() < 0.2,
        received_at=received,
        status="accepted",
        status_changed_at=h.opened_at,
        snomed_code=SNOMED_REFERRED,
        assigned_to_id=h.worker_id,
        first_contact_at=h.opened_at,
        created_at=received,
    )
    for term in rng.sample(NEED_TERM_IDS, rng.randint(1, 3)):
        rows.add(Referral.reasons.through, referral_id=referral_id, taxonomyterm_id=term)
    return referral_id


@dataclass
class _Case:
    """What the history of a case needs to know about it."""

    id: uuid.UUID
    worker_id: object
    opened_at: datetime
    status: str


def _case(
    ctx: BuildContext,
    rows: Rows,
    h: _Held,
    *,
    referral_id,
    opened: datetime,
    closes: datetime | None,
    status: str | None = None,
) -> _Case:
    """Write the case: closed at `closes`, else open with `status` (by default, a likely one)."""
    case = _Case(_uuid(ctx), h.worker_id, opened, CaseStatus.CLOSED)
    values = {}
    if closes is not None:
        values = {
            "closed_at": closes,
            "status_changed_at": closes,
            "closing_reason": _weighted(ctx, CLOSING_REASONS),
            "closing_summary": "Goals reviewed with the person; referrer told.",
            "goals_reviewed": True,
            "final_questionnaire_offered": True,
            "referrer_told_at": closes,
        }
    else:
        case.status = status or _weighted(ctx, OPEN_STATUSES)
    rows.add(
        Case,
        id=case.id,
        scheme_id=ctx.scheme.pk,
        site_id=h.site_id,
        person_id=h.person_id,
        referral_id=referral_id,
        worker_id=h.worker_id,
        status=case.status,
        opened_at=opened,
        **{"status_changed_at": opened, **values},
    )
    return case


def _event(rows: Rows, case: _Case, from_status: str, to_status: str, at: datetime) -> None:
    rows.add(
        CaseEvent,
        case_id=case.id,
        from_status=from_status,
        to_status=to_status,
        at=at,
        by_id=case.worker_id,
    )


def _opening(rows: Rows, case: _Case) -> None:
    _event(rows, case, "", CaseStatus.OPEN, case.opened_at)
    rows.add(CaseAssignment, case_id=case.id, worker_id=case.worker_id, at=case.opened_at)


def _needs_and_goals(
    ctx: BuildContext, rows: Rows, case: _Case, end: datetime, *, goals: int, updates: int
) -> None:
    """Need areas, goals linked to them, and each goal's progress history (from 0)."""
    rng = ctx.rng
    need_ids = [_uuid(ctx) for _ in range(rng.randint(1, 4))]
    for need_id, area in zip(need_ids, rng.sample(NEED_TERM_IDS, len(need_ids)), strict=True):
        rows.add(
            Need,
            id=need_id,
            case_id=case.id,
            area_id=area,
            severity=rng.randint(1, 3),
            in_their_words="It gets to me most days.",
            recorded_at=case.opened_at,
            by_id=case.worker_id,
        )
    closed = case.status == CaseStatus.CLOSED
    for _ in range(goals):
        goal_id = _uuid(ctx)
        created = _between(ctx, case.opened_at, min(end, case.opened_at + timedelta(days=30)))
        history = [(created, 0)]
        for _ in range(updates):
            at, score = history[-1]
            history.append((_between(ctx, at, end), min(10, score + rng.randint(0, 3))))
        status = _weighted(ctx, CLOSED_GOAL_STATUSES) if closed else GoalStatus.OPEN
        rows.add(
            Goal,
            id=goal_id,
            case_id=case.id,
            text=rng.choice(GOALS),
            progress=history[-1][1],
            status=status,
            created_at=created,
            closed_at=end if closed else None,
            by_id=case.worker_id,
        )
        rows.add(Goal.needs.through, goal_id=goal_id, need_id=rng.choice(need_ids))
        for n, (at, score) in enumerate(history, start=1):
            rows.add(
                GoalProgress,
                goal_id=goal_id,
                progress=score,
                status=status if n == len(history) else GoalStatus.OPEN,
                at=at,
                by_id=case.worker_id,
            )


def _contact(ctx: BuildContext, rows: Rows, case: _Case, at: datetime) -> uuid.UUID:
    rng = ctx.rng
    contact_id = _uuid(ctx)
    rows.add(
        Contact,
        id=contact_id,
        case_id=case.id,
        at=at,
        method=_weighted(ctx, CONTACT_METHODS),
        duration_minutes=rng.choice([10, 15, 20, 30, 45, 60]),
        notes=rng.choice(CONTACT_NOTES),
        outcome=rng.choice(["", "Going to try the group", "Wants a call next week"]),
        next_step=rng.choice(["", "Call in two weeks", "Check the referral was received"]),
        by_id=case.worker_id,
        created_at=at,
    )
    return contact_id


def _done_followup(
    ctx: BuildContext, rows: Rows, case: _Case, contact_id, at: datetime, created: datetime
) -> None:
    """The follow-up a contact at `at` was: scheduled at the one before (`created`)."""
    rows.add(
        FollowUp,
        id=_uuid(ctx),
        case_id=case.id,
        worker_id=case.worker_id,
        due_on=timezone.localdate(at),
        kind=FollowUpKind.SUPPORT_CALL,
        purpose="See how things are going",
        status=FollowUpStatus.DONE,
        completed_at=at,
        completed_by_id=case.worker_id,
        contact_id=contact_id,
        created_at=created,
        created_by_id=case.worker_id,
    )


def _due_followups(ctx: BuildContext, rows: Rows, case: _Case, today: date) -> None:
    """An open case's next follow-up (about a third overdue), sometimes a second one."""
    rng = ctx.rng
    for _ in range(1 if rng.random() < 0.7 else 2):
        rows.add(
            FollowUp,
            id=_uuid(ctx),
            case_id=case.id,
            worker_id=case.worker_id,
            due_on=today + timedelta(days=rng.randint(*DUE_DAYS)),
            due_time=rng.choice([None, None, time(10, 0), time(14, 30)]),
            kind=rng.choice(list(FollowUpKind)),
            purpose="Check how the first session went",
            remind_person=rng.random() < 0.3,
            created_at=ctx.now - timedelta(days=rng.uniform(1, 30)),
            created_by_id=case.worker_id,
        )


def _contacts(ctx: BuildContext, rows: Rows, case: _Case, end: datetime, count: int, done: int):
    """`count` contacts spread from the opening to `end`; the 2nd to the `done`+1th each did the
    follow-up set at the one before."""
    previous = case.opened_at
    for n in range(count):
        at = case.opened_at + (end - case.opened_at) * ((n + ctx.rng.random()) / count)
        contact_id = _contact(ctx, rows, case, at)
        if 0 < n <= done:
            _done_followup(ctx, rows, case, contact_id, at, previous)
        previous = at


def _notes(ctx: BuildContext, rows: Rows, case: _Case, end: datetime, count: int, share: float):
    """`count` notes, `share` of them safeguarding notes."""
    for _ in range(count):
        rows.add(
            Note,
            id=_uuid(ctx),
            case_id=case.id,
            text=ctx.rng.choice(NOTES),
            is_safeguarding=ctx.rng.random() < share,
            at=_between(ctx, case.opened_at, end),
            by_id=case.worker_id,
        )


def _supports(ctx: BuildContext, rows: Rows, case: _Case, end: datetime, names: list[str]):
    for name in names:
        rows.add(
            PlanSupport,
            id=_uuid(ctx),
            case_id=case.id,
            name=name,
            decision=ctx.rng.choice(list(SupportDecision)),
            decided_at=_between(ctx, case.opened_at, end),
            by_id=case.worker_id,
        )


def _history(ctx: BuildContext, rows: Rows, case: _Case, *, end: datetime) -> None:
    """An ordinary case's history from its opening to `end` (its closing, or now)."""
    rng = ctx.rng
    span = end - case.opened_at
    _opening(rows, case)
    closed = case.status == CaseStatus.CLOSED
    if case.status != CaseStatus.OPEN:
        _event(rows, case, CaseStatus.OPEN, CaseStatus.ACTIVE, case.opened_at + span * 0.05)
    if case.status == CaseStatus.PAUSED:
        _event(rows, case, CaseStatus.ACTIVE, CaseStatus.PAUSED, case.opened_at + span * 0.9)
    if closed or case.status == CaseStatus.CLOSING:
        _event(rows, case, CaseStatus.ACTIVE, CaseStatus.CLOSING, end - span * 0.03)
    if closed:
        _event(rows, case, CaseStatus.CLOSING, CaseStatus.CLOSED, end)
    _needs_and_goals(ctx, rows, case, end, goals=rng.randint(0, 3), updates=rng.randint(0, 3))
    days = span.total_seconds() / 86400
    contacts = max(1, min(MAX_CONTACTS, int(days / rng.uniform(*CONTACT_EVERY_DAYS))))
    _contacts(ctx, rows, case, end, contacts, done=contacts - 1)
    _notes(ctx, rows, case, end, rng.choices([0, 1, 2, 3], [40, 35, 15, 10])[0], 0.05)
    _supports(ctx, rows, case, end, rng.sample(SUPPORTS, rng.choices([0, 1, 2], [50, 35, 15])[0]))
    if not closed:
        _due_followups(ctx, rows, case, timezone.localdate(ctx.now))


def _long_timeline(ctx: BuildContext, rows: Rows, case: _Case, entries: int) -> None:
    """The bench case: `entries` timeline entries over its life, in these shares: contacts
    (two in five), notes (one in five, a tenth of them safeguarding), follow-ups done (four in
    twenty-five), goal progress (four in twenty-five, over four goals) and status changes (two
    in twenty-five: the opening, then pausing and resuming); plus its needs, goals, supports
    and what is due."""
    end = ctx.now
    events = entries * 2 // 25
    done = entries * 4 // 25
    goal_updates = entries * 4 // 25
    notes = entries // 5
    contacts = entries - events - done - goal_updates - notes
    goals = 4
    span = end - case.opened_at

    _opening(rows, case)
    _event(rows, case, CaseStatus.OPEN, CaseStatus.ACTIVE, case.opened_at + span * 0.01)
    pauses = (events - 2) // 2
    for n in range(pauses):
        paused = case.opened_at + span * (0.02 + 0.97 * n / pauses)
        _event(rows, case, CaseStatus.ACTIVE, CaseStatus.PAUSED, paused)
        _event(rows, case, CaseStatus.PAUSED, CaseStatus.ACTIVE, paused + span * 0.004)
    # Each goal's first score (0) counts among the updates.
    _needs_and_goals(ctx, rows, case, end, goals=goals, updates=goal_updates // goals - 1)
    _contacts(ctx, rows, case, end, contacts, done=done)
    _notes(ctx, rows, case, end, notes, 0.1)
    _supports(ctx, rows, case, end, SUPPORTS[:4])
    _due_followups(ctx, rows, case, timezone.localdate(ctx.now))


def bench_case_id(worker_id) -> object:
    """The bench case's id: the bench worker's open case with the most contacts."""
    from django.db.models import Count

    return (
        Case.objects.filter(worker_id=worker_id)
        .exclude(status=CaseStatus.CLOSED)
        .annotate(n=Count("contacts"))
        .order_by("-n")
        .values_list("id", flat=True)
        .first()
    )


# --- Connections --------------------------------------------------------------------------------
# Supports offered on the cases: `size` referrals (10,000 at size 10,000) over the cases, to one
# service in twenty (500 at size 10,000; the services of whole organisations, so that a provider
# keeps all the services of the organisations they keep), most long closed, some still going and
# some waiting for their service's answer; a bench provider (`first_member(Role.PROVIDER)`) who
# is staff of the organisations of `PROVIDER_SERVICES` of those services; and exactly
# `BENCH_OPEN_CONNECTIONS` open connections on each of the bench link worker's open cases. From
# a random source of its own, so that everything built before is what it was.
CONNECTION_SERVICE_SHARE = 20  # one service in twenty is referred to
PROVIDER_SERVICES = 50  # the bench provider's services (all of them referred to)
BENCH_OPEN_CONNECTIONS = 3  # on each open case of the bench link worker
WAITING_DAYS = 13.0  # a referral still waiting was sent within this many days (expiry: 14)
# A referral's status and the way it went there (each step one event).
_P, _SE, _AC, _ST, _AS = "proposed", "sent", "accepted", "started", "attended_some"
REFERRAL_PATHS = {
    _P: [_P],
    _SE: [_P, _SE],
    _AC: [_P, _SE, _AC],
    _ST: [_P, _SE, _AC, _ST],
    _AS: [_P, _SE, _AC, _ST, _AS],
    "completed": [_P, _SE, _AC, _ST, _AS, "completed"],
    "dropped_out": [_P, _SE, _AC, _ST, "dropped_out"],
    "did_not_attend": [_P, _SE, _AC, "did_not_attend"],
    "declined": [_P, _SE, "declined"],
    "withdrawn": [_P, _SE, "withdrawn"],
    "expired": [_P, _SE, "expired"],
}
SIGNPOST_PATHS = {"given": ["given"], "unknown": ["given", "unknown"]}
# (status, weight) of a referral on a closed case, and on an open one (not the bench worker's).
CLOSED_CASE_REFERRALS = [
    ("completed", 35),
    ("dropped_out", 12),
    ("did_not_attend", 10),
    ("declined", 15),
    ("withdrawn", 10),
    ("expired", 8),
]
OPEN_CASE_REFERRALS = [
    *CLOSED_CASE_REFERRALS,
    (_SE, 45),
    (_AC, 15),
    (_ST, 15),
    (_AS, 8),
    (_P, 5),
]
# The bench worker's open cases: (kind, status, weight), three different services each.
BENCH_OPEN = [
    ("referral", _SE, 40),
    ("referral", _AC, 15),
    ("referral", _ST, 15),
    ("referral", _AS, 5),
    ("referral", _P, 5),
    ("signpost", "given", 15),
    ("signpost", "unknown", 5),
]
CONNECTION_REASONS = {
    "declined": "We are full until the spring; please try again then.",
    "dropped_out": "The time no longer suits them.",
    "withdrawn": "They found something closer to home.",
}
PROVIDER_STEPS = {_AC, "declined", _ST, _AS, "completed", "dropped_out", "did_not_attend"}


def bench_provider_membership(ctx: BuildContext) -> Membership:
    """The bench provider: the first provider built, `first_member(Role.PROVIDER)`."""
    return next(m for m in ctx.memberships if m.role == Role.PROVIDER)


@builder("connections")
def build_connections(ctx: BuildContext) -> None:
    import random
    import time as _time

    from linkwell.connections.models import Connection, ConnectionEvent
    from linkwell.directory.models import Organization, Service

    started = _time.perf_counter()
    rng = random.Random(f"connections-{ctx.size}")
    now = ctx.now

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    def between(start: datetime, end: datetime) -> datetime:
        return start + (end - start) * rng.random()

    # The services referred to: whole organisations, in a random order, until there are enough.
    by_org: dict[object, list] = {}
    for service_id, org_id in Service.objects.order_by("pk").values_list("pk", "organization_id"):
        by_org.setdefault(org_id, []).append(service_id)
    orgs = sorted(by_org)
    rng.shuffle(orgs)
    wanted = max(PROVIDER_SERVICES, ctx.size // CONNECTION_SERVICE_SHARE)
    referred: list = []
    provider_orgs: list = []
    for org_id in orgs:
        if len(referred) >= wanted:
            break
        if len(referred) < PROVIDER_SERVICES:
            provider_orgs.append(org_id)
        referred.extend(by_org[org_id])
    provider = bench_provider_membership(ctx).user
    rows = Rows(now)
    for org_id in provider_orgs:
        rows.add(Organization.staff.through, organization_id=org_id, user_id=provider.pk)
    provider_services = sum(len(by_org[o]) for o in provider_orgs)

    bench_worker_id = bench_worker_membership(ctx).user.pk
    cases = list(
        Case.objects.filter(scheme=ctx.scheme)
        .order_by("opened_at", "id")
        .values_list("id", "status", "opened_at", "closed_at", "worker_id")
    )
    per_case = [0] * len(cases)
    for n in rng.choices(range(len(cases)), k=ctx.size) if cases else []:
        per_case[n] += 1

    def connection(case, service_id, kind: str, status: str) -> None:
        case_id, _, opened, closed, worker_id = case
        path = (REFERRAL_PATHS if kind == "referral" else SIGNPOST_PATHS)[status]
        end = closed or now
        if status in (_P, _SE):  # still waiting: sent lately (or it would have expired)
            start = max(opened, now - timedelta(days=rng.uniform(0.1, WAITING_DAYS)))
        else:
            start = between(opened, end)
        times = [start, *sorted(between(start, end) for _ in path[1:])]
        values = {}
        if _SE in path:
            sent_at = times[path.index(_SE)]
            values["sent_at"] = sent_at
            values["shared"] = ["name", "phone", "needs"]
            if path[-1] == "expired":
                values["reminded_at"] = between(sent_at, times[-1])
            elif status == _SE and now - sent_at > timedelta(days=7):
                values["reminded_at"] = sent_at + timedelta(days=7)
            answer = next((s for s in path if s in ("accepted", "declined")), None)
            if answer:
                values["answered_at"] = times[path.index(answer)]
        connection_id = new_id()
        rows.add(
            Connection,
            id=connection_id,
            case_id=case_id,
            scheme_id=ctx.scheme.pk,
            service_id=service_id,
            kind=kind,
            status=status,
            status_reason=CONNECTION_REASONS.get(status, ""),
            chosen_by_person=rng.random() < 0.85,
            in_their_words=rng.choice(["", "I used to love singing.", "I want to get out more."]),
            message="Would like to start soon; mornings are best." if kind == "referral" else "",
            cost_to_person=rng.choices([0, 2, 5], [80, 15, 5])[0],
            scheme_funds=rng.choices([0, 3, 10], [85, 10, 5])[0],
            created_at=times[0],
            created_by_id=worker_id,
            status_changed_at=times[-1],
            version=len(path),
            **values,
        )
        previous = ""
        for step, at in zip(path, times, strict=True):
            # The provider answers a referral; the scheme's worker makes the other moves, and
            # an expiry is nobody's.
            by_id = worker_id
            if kind == "referral" and step in PROVIDER_STEPS:
                by_id = provider.pk
            elif step == "expired":
                by_id = None
            rows.add(
                ConnectionEvent,
                connection_id=connection_id,
                from_status=previous,
                to_status=step,
                reason=CONNECTION_REASONS.get(step, ""),
                at=at,
                by_id=by_id,
            )
            previous = step

    referral_closed = [s for s, _ in CLOSED_CASE_REFERRALS]
    closed_weights = [w for _, w in CLOSED_CASE_REFERRALS]
    referral_open = [s for s, _ in OPEN_CASE_REFERRALS]
    open_weights = [w for _, w in OPEN_CASE_REFERRALS]
    bench_kinds = [(k, s) for k, s, _ in BENCH_OPEN]
    bench_weights = [w for _, _, w in BENCH_OPEN]
    bench_cases = 0
    for case, count in zip(cases, per_case, strict=True):
        on_bench_caseload = case[4] == bench_worker_id and case[1] != CaseStatus.CLOSED
        services = rng.sample(referred, min(len(referred), count + BENCH_OPEN_CONNECTIONS))
        for service_id in services[:count]:
            if case[1] == CaseStatus.CLOSED or on_bench_caseload:
                status = rng.choices(referral_closed, closed_weights)[0]
            else:
                status = rng.choices(referral_open, open_weights)[0]
            connection(case, service_id, "referral", status)
        if on_bench_caseload:
            bench_cases += 1
            for service_id in services[count : count + BENCH_OPEN_CONNECTIONS]:
                kind, status = rng.choices(bench_kinds, bench_weights)[0]
                connection(case, service_id, kind, status)
    rows.finish()
    progress(
        f"  {ctx.size} referrals to {len(referred)} services; the bench provider "
        f"({provider.email}) keeps {len(provider_orgs)} organisations, {provider_services} "
        f"services; {BENCH_OPEN_CONNECTIONS} open connections on each of {bench_cases} open "
        f"cases of the bench link worker ({_time.perf_counter() - started:.1f} s)"
    )
