"""The demo's connections: every support the demo's open cases chose becomes a signpost or a
referral (as the service takes them), sent when the person chose it, and moved on as providers
answered: accepted, started, completed, declined, did not attend; one is written but not yet
sent, while the person thinks about it. Some referrals are still
waiting for an answer, a few long enough for the nudges (`send_referral_nudges`) to remind the
service or expire them. The demo provider's organisation has referrals waiting in their inbox.
The people whose referrals are sent agreed to share their details with services."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from linkwell.casework.models import Case, FollowUp, PlanSupport
from linkwell.casework.services import followup_complete
from linkwell.casework.states import CaseStatus, FollowUpKind, FollowUpStatus, SupportDecision
from linkwell.connections import services
from linkwell.connections.models import Connection, ProviderLink
from linkwell.connections.states import PROVIDER_MOVES, Kind, Status
from linkwell.core.errors import ApplicationError
from linkwell.directory.models import (
    Capacity,
    CostType,
    ReferralRoute,
    Service,
    ServiceStatus,
)
from linkwell.people.models import Consent, ConsentMethod, ConsentScope

STEP = timedelta(days=3)
# How referrals went, in turn: each is the provider's moves after sending.
PATHS = [
    [Status.ACCEPTED, Status.STARTED, Status.ATTENDED_SOME],
    [],  # still waiting for an answer
    [Status.ACCEPTED, Status.STARTED, Status.COMPLETED],
    [Status.ACCEPTED],
    [Status.DECLINED],
    [Status.ACCEPTED, Status.STARTED],
    [Status.ACCEPTED, Status.DID_NOT_ATTEND],
    [Status.ACCEPTED, Status.STARTED, Status.ATTENDED_SOME, Status.DROPPED_OUT],
    [Status.ACCEPTED, Status.WITHDRAWN],  # the person changed their mind; the worker withdrew it
]
# Why, where a move needs a reason.
REASONS = {
    Status.DECLINED: "No places until the spring",
    Status.DROPPED_OUT: "Stopped coming after the bus route changed",
    Status.WITHDRAWN: "Decided to wait until after their operation",
}
# Days ago that the referrals still waiting were sent: not yet due a reminder, due one (five
# working days), and past the fourteen days after which they expire.
WAITING_DAYS = [2, 8, 10, 16]
SIGNPOST_OUTCOMES = [Status.TOOK_UP, None, Status.DID_NOT_TAKE_UP, Status.TOOK_UP, Status.UNKNOWN]
PROVIDER_INBOX_REFERRALS = 4


def _referable(service: Service) -> bool:
    return (
        service.referral_route != ReferralRoute.SIGNPOST
        and service.status == ServiceStatus.ACTIVE
        and service.capacity not in (Capacity.FULL, Capacity.PAUSED)
    )


def _costs(service: Service) -> dict:
    if service.cost_type == CostType.FREE or service.fee_amount is None:
        return {}
    fee = Decimal(service.fee_amount)
    if service.scheme_can_fund:
        return {"scheme_funds": fee * 8}  # eight sessions, paid by the scheme
    return {"cost_to_person": fee}


def _agrees_to_share(case: Case, by) -> None:
    """The person agreed, when their case opened, to share their details with the services
    they choose."""
    person = case.person
    at = case.opened_at
    if not Consent.objects.filter(
        person=person, scope=ConsentScope.SHARE_PROVIDERS, withdrawn_at__isnull=True
    ).exists():
        Consent.objects.create(
            person=person,
            scope=ConsentScope.SHARE_PROVIDERS,
            method=ConsentMethod.VERBAL,
            recorded_by=by,
            recorded_at=at,
        )


def _connect(case: Case, service: Service, by, at: datetime, index: int, now, words="") -> str:
    """Offer (and for a referral, send and move on) one support; the outcome, or "" when the
    service cannot take it."""
    kind = Kind.REFERRAL if _referable(service) else Kind.SIGNPOST
    path = PATHS[index % len(PATHS)]
    if kind == Kind.REFERRAL and not path:
        at = now - timedelta(days=WAITING_DAYS[index % len(WAITING_DAYS)])
    # Never before the case opened (when the person agreed to share with services).
    at = min(max(at, case.opened_at + timedelta(hours=1)), now - timedelta(minutes=5))
    try:
        connection = services.connection_offer(
            case=case,
            service=service,
            kind=kind,
            by=by,
            in_their_words=words,
            message="Happy to be phoned in the mornings." if kind == Kind.REFERRAL else "",
            waiting_list_ok=True,
            at=at,
            **_costs(service),
        )
    except ApplicationError:
        return ""
    if kind == Kind.SIGNPOST:
        outcome = SIGNPOST_OUTCOMES[index % len(SIGNPOST_OUTCOMES)]
        if outcome is not None and at + STEP < now:
            services.connection_move(connection=connection, to=outcome, by=by, at=at + STEP)
        return kind
    _agrees_to_share(case, by)
    services.connection_send(connection=connection, by=by, at=at)
    _check_made(connection, by, now)
    when = at
    for to in path:
        when += STEP
        if when >= now:
            break
        provider = to in PROVIDER_MOVES
        services.connection_move(
            connection=connection,
            to=to,
            by=None if provider else by,
            by_label=(service.referral_email or "the service, by phone") if provider else "",
            reason=REASONS.get(to, ""),
            as_provider=provider,
            at=when,
        )
    return kind


def _check_made(connection: Connection, by, now) -> None:
    """The "is it on track" call that sending scheduled was made when it was due, if that day
    has passed (the demo's overdue follow-ups are its casework's own)."""
    check = (
        FollowUp.objects.filter(
            case_id=connection.case_id,
            kind=FollowUpKind.CHECK_REFERRAL,
            status=FollowUpStatus.DUE,
            purpose__contains=connection.service.name[:150],
        )
        .order_by("-created_at")
        .first()
    )
    if check is None or check.due_on >= timezone.localdate(now):
        return
    made = timezone.make_aware(datetime.combine(check.due_on, time(11, 0)))
    followup_complete(followup=check, by=by, at=min(made, now))


# The demo's emailed link for a provider without an account: a known secret, so every run of
# seed_demo can print it (a real link's secret is random and shown only in its email).
DEMO_LINK_SECRET = "demo-provider-link-riverside"


def demo_provider_link(scheme) -> str:
    """Keep the demo's provider link working for a referral waiting for an answer from a
    service with no accounts; its path, or "" when there is none."""
    from linkwell.connections.provider_links import digest

    waiting = (
        Connection.objects.filter(scheme=scheme, status=Status.SENT)
        .filter(service__organization__staff__isnull=True)
        .select_related("service")
        .order_by("sent_at", "id")
        .first()
    )
    if waiting is None:
        return ""
    ProviderLink.objects.update_or_create(
        digest=digest(DEMO_LINK_SECRET),
        defaults={
            "connection": waiting,
            "sent_to": waiting.service.referral_email or "referrals@example.org",
            "expires_at": timezone.now() + timedelta(days=14),
        },
    )
    return reverse("provider_inbox:link", args=[DEMO_LINK_SECRET])


def load_demo_connections(*, scheme, worker, provider_user=None) -> dict:
    """Write the demo's connections once; a second run leaves them as they are (but keeps the
    demo provider's emailed link working)."""
    if Connection.objects.filter(scheme=scheme).exists():
        return {**_counts(scheme), "link": demo_provider_link(scheme)}
    now = timezone.now()
    chosen = (
        PlanSupport.objects.filter(
            case__scheme=scheme, decision=SupportDecision.CHOSEN, service__isnull=False
        )
        .exclude(case__status=CaseStatus.CLOSED)
        .select_related("case__person", "case__worker", "case__scheme", "service")
        .order_by("decided_at", "id")
    )
    for index, support in enumerate(chosen):
        case = support.case
        _connect(
            case,
            support.service,
            case.worker or worker,
            min(support.decided_at, now - timedelta(hours=1)),
            index,
            now,
            words=support.in_their_words,
        )
    if provider_user is not None:
        _fill_provider_inbox(scheme, worker, provider_user, now)
    _propose_one(scheme, worker, now)
    link = demo_provider_link(scheme)
    _demo_messages(scheme, worker, now)
    return {**_counts(scheme), "link": link}


NOT_VALID = "GOV.UK Notify did not send the message (400): email_address Not a valid email address"
NOTIFY_DOWN = "GOV.UK Notify did not send the message (503): Service Unavailable"


def _demo_messages(scheme, worker, now) -> None:
    """The outbox as it would be: every referral's email to its service went, except one of the
    demo link worker's that Notify refused (shown on their dashboard and the referral's page)
    and one waiting to be tried again while Notify is down. The stored bodies of sent private
    links are wiped, as the outbox does."""
    from linkwell.connections.messages import connection_page
    from linkwell.connections.nudges import provider_address
    from linkwell.notify.models import OutgoingMessage, OutgoingStatus

    sent = list(
        Connection.objects.filter(scheme=scheme, kind=Kind.REFERRAL, sent_at__isnull=False)
        .select_related("service__organization", "case")
        .order_by("sent_at", "id")
    )
    waiting_for_worker = [
        c
        for c in sent
        if c.status == Status.SENT
        and c.case.worker_id == worker.pk
        and not ProviderLink.objects.filter(connection=c).exists()
    ]
    refused = waiting_for_worker[0] if waiting_for_worker else None
    retrying = waiting_for_worker[1] if len(waiting_for_worker) > 1 else None
    rows = []
    for connection in sent:
        to = provider_address(connection) or "referrals@example.org"
        row = OutgoingMessage(
            scheme=scheme,
            kind="connection.provider_link",
            channel="email",
            to_address=to,
            subject=f"A referral to {connection.service.name} from {scheme.name}",
            reference=f"provider-link-{connection.pk}",
            secret=True,
            about_type=Connection._meta.label_lower,
            about_id=str(connection.pk),
            link=connection_page(connection),
            sender_id=connection.case.worker_id,
            status=OutgoingStatus.SENT,
            attempts=1,
            created_at=connection.sent_at,
            sent_at=connection.sent_at + timedelta(minutes=1),
            provider_id=f"demo-{connection.pk}",
        )
        if connection is refused:
            row.status, row.sent_at, row.last_error = OutgoingStatus.FAILED, None, NOT_VALID
            row.failed_at = row.created_at + timedelta(minutes=1)
            row.to_address = "referrals@riverside-arts.example"
        elif connection is retrying:
            row.status, row.sent_at, row.attempts = OutgoingStatus.QUEUED, None, 2
            row.last_error, row.next_attempt_at = NOTIFY_DOWN, now + timedelta(minutes=5)
            row.secret, row.kind = False, "connection.provider_notice"
            row.subject = f"A new referral to {connection.service.name}"
            row.body = f"{scheme.name} has referred someone to {connection.service.name}."
        rows.append(row)
    OutgoingMessage.objects.bulk_create(rows)
    if retrying is not None:  # the demo's worker tries it again in five minutes
        from linkwell.notify.outbox import schedule_delivery

        waiting = next(row for row in rows if row.about_id == str(retrying.pk))
        schedule_delivery(waiting.pk, run_after=waiting.next_attempt_at)


def _fill_provider_inbox(scheme, worker, provider_user, now) -> None:
    """Referrals to the demo provider's own services, some waiting for them to answer."""
    theirs = [
        s
        for s in Service.objects.filter(organization__staff=provider_user).order_by("name")
        if _referable(s)
    ]
    if not theirs:
        return
    cases = list(
        Case.objects.filter(scheme=scheme, status__in=[CaseStatus.OPEN, CaseStatus.ACTIVE])
        .exclude(connections__service__in=theirs)
        .select_related("person", "worker", "scheme")
        .order_by("opened_at", "id")[:PROVIDER_INBOX_REFERRALS]
    )
    for index, case in enumerate(cases):
        service = theirs[index % len(theirs)]
        # Waiting (index 1 of PATHS), then accepted, then waiting again.
        _connect(
            case, service, case.worker or worker, now - timedelta(days=5), [1, 3][index % 2], now
        )


def _propose_one(scheme, worker, now) -> None:
    """One referral the demo link worker has written but not sent: the person is still
    thinking about the service, and wants to talk to their family first."""
    considering = (
        PlanSupport.objects.filter(
            case__scheme=scheme,
            case__worker=worker,
            decision=SupportDecision.CONSIDERING,
            service__isnull=False,
        )
        .exclude(case__status=CaseStatus.CLOSED)
        .select_related("case", "service")
        .order_by("decided_at", "id")
    )
    for support in considering:
        if (
            not _referable(support.service)
            or support.case.connections.filter(service=support.service).exists()
        ):
            continue
        services.connection_offer(
            case=support.case,
            service=support.service,
            kind=Kind.REFERRAL,
            by=worker,
            in_their_words=support.in_their_words,
            message="Written with them; they want to talk it over with their family first.",
            waiting_list_ok=True,
            at=now - timedelta(days=1),
            **_costs(support.service),
        )
        return


def _counts(scheme) -> dict:
    connections = Connection.objects.filter(scheme=scheme)
    return {
        "connections": connections.count(),
        "waiting": connections.filter(status=Status.SENT).count(),
        "proposed": connections.filter(status=Status.PROPOSED).count(),
    }
