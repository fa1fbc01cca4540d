"""Writes of connections: offering a signpost or proposing a referral, sending it (as the
person's consent allows at that moment), and every later move of its status, by the team or by
the provider. Each write is one transaction on a locked row, checks the move against
`states.py`, records an event and an audit entry (no free text in the audit data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from linkwell.casework.models import Case
from linkwell.casework.services import FollowUpPlan, followup_schedule, open_case_for_update
from linkwell.casework.states import FollowUpKind
from linkwell.connections import states
from linkwell.connections.models import (
    Connection,
    ConnectionEvent,
    ConnectionRules,
    ProviderLink,
)
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.errors import ApplicationError
from linkwell.directory.models import Capacity, ReferralRoute, Service, ServiceStatus
from linkwell.people.models import ConsentScope
from linkwell.people.selectors import has_consent

ACTIONS.update(
    {
        "connection.offered": "Offered a support (signpost or referral)",
        "connection.sent": "Sent a referral to a service",
        "connection.moved": "Changed a connection's status",
    }
)

MAX_COST = Decimal("10000")


class ConnectionChanged(ApplicationError):
    """Someone else moved this connection first: nothing was changed."""

    status = 409

    def __init__(self, connection: Connection):
        super().__init__(
            "connection_changed",
            "This referral was changed by someone else a moment ago (it is now "
            f"'{connection.get_status_display()}'). Nothing was changed.",
        )
        self.current = connection


def rules_for(scheme) -> ConnectionRules:
    """The scheme's referral timings (the defaults when it has not set its own)."""
    return ConnectionRules.objects.filter(scheme=scheme).first() or ConnectionRules(scheme=scheme)


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as error:
        raise ApplicationError(
            "connection_cost_invalid",
            "Enter an amount in pounds.",
            fields={field: ["Enter an amount in pounds."]},
        ) from error
    if not Decimal(0) <= amount <= MAX_COST:
        raise ApplicationError(
            "connection_cost_invalid",
            f"Enter an amount from £0 to £{MAX_COST:,.0f}.",
            fields={field: [f"Enter an amount from £0 to £{MAX_COST:,.0f}."]},
        )
    return amount


def _refuse_service(service: Service, kind: str, waiting_list_ok: bool) -> None:
    """A clear error when the service cannot take this connection now."""
    if service.status == ServiceStatus.DEFUNCT:
        raise ApplicationError(
            "connection_service_closed", f"{service.name} has closed for good.", status=409
        )
    if service.status == ServiceStatus.INACTIVE:
        raise ApplicationError(
            "connection_service_closed", f"{service.name} is not running.", status=409
        )
    if kind != Kind.REFERRAL:
        return
    if service.referral_route == ReferralRoute.SIGNPOST:
        raise ApplicationError(
            "connection_signpost_only",
            f"{service.name} takes no referrals: people contact it themselves. Signpost instead.",
            status=409,
        )
    if service.status == ServiceStatus.TEMPORARILY_CLOSED:
        raise ApplicationError(
            "connection_service_closed", f"{service.name} is closed for now.", status=409
        )
    if service.capacity in (Capacity.FULL, Capacity.PAUSED):
        raise ApplicationError(
            "connection_service_full",
            f"{service.name} is not taking people at the moment.",
            status=409,
        )
    if service.capacity == Capacity.WAITING_LIST and not waiting_list_ok:
        raise ApplicationError(
            "connection_waiting_list",
            f"{service.name} has a waiting list. Check the person is happy to join it.",
            fields={"waiting_list_ok": ["Check the person is happy to join the waiting list."]},
            status=409,
        )


def _event(connection: Connection, from_status: str, *, by, by_label="", reason="", note="", at):
    ConnectionEvent.objects.create(
        connection=connection,
        from_status=from_status,
        to_status=connection.status,
        reason=reason,
        note=note,
        at=at,
        by=_actor(by),
        by_label=by_label[:254],
    )


@transaction.atomic
def connection_offer(
    *,
    case: Case,
    service: Service,
    kind: str,
    by,
    chosen_by_person: bool = True,
    in_their_words: str = "",
    message: str = "",
    cost_to_person=0,
    scheme_funds=0,
    waiting_list_ok: bool = False,
    at: datetime | None = None,
) -> Connection:
    """Offer a support: a signpost is given at once; a referral is proposed, to be sent."""
    case = open_case_for_update(case)
    if kind not in Kind.values:
        raise ApplicationError(
            "connection_kind_invalid",
            "Choose a signpost or a referral.",
            fields={"kind": ["Choose a signpost or a referral."]},
        )
    _refuse_service(service, kind, waiting_list_ok)
    cost = _money(cost_to_person, "cost_to_person")
    funded = _money(scheme_funds, "scheme_funds")
    now = at or timezone.now()
    connection = Connection(
        case=case,
        scheme_id=case.scheme_id,
        service=service,
        kind=kind,
        status=states.FIRST[kind],
        chosen_by_person=chosen_by_person,
        in_their_words=(in_their_words or "").strip(),
        message=(message or "").strip()[:2000],
        cost_to_person=cost,
        scheme_funds=funded,
        created_at=now,
        created_by=_actor(by),
        status_changed_at=now,
    )
    try:
        with transaction.atomic():
            connection.save()
    except IntegrityError as error:
        raise ApplicationError(
            "connection_exists",
            f"{case.person.first_name} already has an open connection to {service.name}.",
            status=409,
        ) from error
    _event(connection, "", by=by, at=now)
    first = not Connection.objects.filter(case=case).exclude(pk=connection.pk).exists()
    if first and at is None and case.referral_id:
        # The person's first chosen support: the plan is agreed, a milestone for the referrer.
        from linkwell.casework.feedback import tell_referrer_plan

        transaction.on_commit(lambda: tell_referrer_plan(case_id=case.pk))
    log_action(
        by,
        "connection.offered",
        connection,
        {"kind": kind, "service": str(service.pk), "status": connection.status},
    )
    return connection


def shared_with_provider(case: Case) -> list[str]:
    """What a referral shares with the service: the person's name and how to reach them, and
    the needs it is for (never their notes or their words about other things)."""
    person = case.person
    shared = ["name"]
    if person.phone:
        shared.append("phone")
    if person.email:
        shared.append("email")
    shared.append("needs")
    return shared


@dataclass(frozen=True)
class Offer:
    """One support to offer in `connection_offer_many`."""

    service: Service
    kind: str
    message: str = ""
    cost_to_person: Decimal | int = 0
    scheme_funds: Decimal | int = 0
    waiting_list_ok: bool = False
    chosen_by_person: bool = True
    in_their_words: str = ""


class OffersRefused(ApplicationError):
    """Some of several offers were refused, so none was made. `refused` pairs each refused
    offer's position in the list with the reason."""

    def __init__(self, refused: list[tuple[int, ApplicationError]]):
        super().__init__(
            "connection_offers_refused",
            "; ".join(error.message for _, error in refused),
            status=max(error.status for _, error in refused),
        )
        self.refused = refused


@transaction.atomic
def connection_offer_many(*, case: Case, offers: list[Offer], by) -> list[Connection]:
    """Offer several supports at once, sending each referral: all or nothing. When any offer is
    refused, nothing is kept (no connection, event, follow-up, message or audit entry) and
    OffersRefused names every refusal, not just the first."""
    if not offers:
        raise ApplicationError(
            "connection_offers_empty", "Choose at least one service to refer to or signpost."
        )
    made, refused = [], []
    for index, offer in enumerate(offers):
        try:
            with transaction.atomic():
                connection = connection_offer(
                    case=case,
                    service=offer.service,
                    kind=offer.kind,
                    by=by,
                    chosen_by_person=offer.chosen_by_person,
                    in_their_words=offer.in_their_words,
                    message=offer.message if offer.kind == Kind.REFERRAL else "",
                    cost_to_person=offer.cost_to_person or 0,
                    scheme_funds=offer.scheme_funds or 0,
                    waiting_list_ok=offer.waiting_list_ok,
                )
                if offer.kind == Kind.REFERRAL:
                    connection = connection_send(connection=connection, by=by)
        except ApplicationError as error:
            refused.append((index, error))
        else:
            made.append(connection)
    if refused:
        raise OffersRefused(refused)
    return made


def _locked(connection: Connection) -> Connection:
    return (
        Connection.objects.select_for_update()
        .select_related("case__person", "case__scheme", "service")
        .get(pk=connection.pk)
    )


@transaction.atomic
def connection_send(*, connection: Connection, by, at: datetime | None = None) -> Connection:
    """Send a proposed referral to its service. The person's consent to share with services
    is checked now; a "check this referral is on track" follow-up is scheduled."""
    connection = _locked(connection)
    if connection.kind != Kind.REFERRAL:
        raise ApplicationError("connection_not_a_referral", "Only a referral is sent.", status=409)
    if connection.status != Status.PROPOSED:
        raise ConnectionChanged(connection)
    case = connection.case
    if case.is_closed:
        raise ApplicationError(
            "case_closed", "This case is closed. Reopen it first if you need to change it."
        )
    if not has_consent(case.person, ConsentScope.SHARE_PROVIDERS):
        raise ApplicationError(
            "consent_missing",
            f"{case.person.first_name} has not agreed to share their details with services "
            "(or has withdrawn it). Record their consent first, or signpost instead.",
            status=409,
        )
    _refuse_service(connection.service, Kind.REFERRAL, waiting_list_ok=True)
    now = at or timezone.now()
    before = connection.status
    connection.status = Status.SENT
    connection.status_changed_at = now
    connection.sent_at = now
    connection.shared = shared_with_provider(case)
    connection.version = F("version") + 1
    connection.save()
    connection.refresh_from_db(fields=["version"])
    _event(connection, before, by=by, at=now)
    rules = rules_for(case.scheme)
    followup_schedule(
        case=case,
        plan=FollowUpPlan(
            due_on=timezone.localtime(now).date() + timedelta(days=rules.check_after_days),
            kind=FollowUpKind.CHECK_REFERRAL,
            purpose=f"Check the referral to {connection.service.name} is on track"[:200],
        ),
        by=by,
        at=at,
    )
    log_action(
        by,
        "connection.sent",
        connection,
        {"service": str(connection.service_id), "shared": connection.shared},
    )
    if at is None:  # a referral sent now (not one recorded as sent earlier) tells the service
        from linkwell.connections.notices import tell_provider

        connection.not_told = tell_provider(connection=connection, by=by)
    return connection


@transaction.atomic
def connection_tell_provider(*, connection: Connection, by) -> str:
    """Tell the service again about a referral waiting for its answer (after a message that
    could not be sent): a new note to its staff, or a new private link (the earlier links stop
    working). Earlier messages that could not be sent leave the "not sent" list. Returns ""
    when queued, else why the service cannot be told."""
    from linkwell.connections.messages import TO_ANSWER
    from linkwell.connections.notices import tell_provider
    from linkwell.notify.outbox import messages_replaced

    connection = _locked(connection)
    if connection.case.is_closed:
        raise ApplicationError(
            "case_closed", "This case is closed. Reopen it first if you need to change it."
        )
    if connection.kind != Kind.REFERRAL or connection.status != Status.SENT:
        raise ApplicationError(
            "connection_not_waiting",
            "Only a referral waiting for the service's answer can be sent to it again.",
            status=409,
        )
    now = timezone.now()
    ProviderLink.objects.filter(connection=connection, expires_at__gt=now).update(expires_at=now)
    why_not = tell_provider(connection=connection, by=by)
    if not why_not:
        messages_replaced(about=connection, by=by, kinds=TO_ANSWER)
    return why_not


@transaction.atomic
def connection_move(
    *,
    connection: Connection,
    to: str,
    by=None,
    by_label: str = "",
    reason: str = "",
    note: str = "",
    expected: str | None = None,
    as_provider: bool = False,
    at: datetime | None = None,
) -> Connection:
    """Move a connection's status. `expected` is the status the mover saw: if it changed since
    (a second answer racing the first), nothing changes. A provider may make only the
    provider's moves."""
    connection = _locked(connection)
    if expected is not None and connection.status != expected:
        raise ConnectionChanged(connection)
    if to not in Status.values or not states.can_move(connection.kind, connection.status, to):
        wanted = Status(to).label if to in Status.values else to
        raise ApplicationError(
            "connection_move_invalid",
            f"A {connection.kind} that is '{connection.get_status_display()}' cannot become "
            f"'{wanted}'.",
            status=409,
        )
    if as_provider and to not in states.PROVIDER_MOVES:
        raise ApplicationError(
            "connection_move_not_provider",
            "Only the social prescribing team can do that.",
            status=403,
        )
    reason = (reason or "").strip()[:300]
    if to in states.NEEDS_REASON and not reason:
        raise ApplicationError(
            "connection_reason_missing",
            "Say why.",
            fields={"reason": ["Say why."]},
        )
    now = at or timezone.now()
    before = connection.status
    connection.status = to
    connection.status_reason = reason if to in states.NEEDS_REASON else connection.status_reason
    connection.status_changed_at = now
    if before == Status.SENT and to in states.ANSWERS:
        connection.answered_at = now
    connection.version = F("version") + 1
    connection.save()
    connection.refresh_from_db(fields=["version"])
    _event(connection, before, by=by, by_label=by_label, reason=reason, note=note.strip(), at=now)
    log_action(
        by,
        "connection.moved",
        connection,
        {"from": before, "to": to, "by_provider": as_provider, "by_link": bool(by_label)},
        scheme=connection.case.scheme,
    )
    return connection
