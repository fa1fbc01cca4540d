"""Offering, sending and moving connections: what each refuses (nothing changed), consent at the
moment of sending, the follow-up it schedules, races between two answers, and the audit."""

import datetime
from decimal import Decimal

import pytest

from linkwell.casework.models import FollowUp
from linkwell.connections import services
from linkwell.connections.models import Connection, ConnectionEvent, ConnectionRules
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import LogEntry
from linkwell.core.errors import ApplicationError
from linkwell.directory.models import Capacity, ReferralRoute, ServiceStatus
from linkwell.people.models import Consent, ConsentMethod, ConsentScope
from tests.directory.factories import listed_service


def _service(**fields):
    fields.setdefault("referral_route", ReferralRoute.LINKWELL)
    return listed_service(name=fields.pop("name", "Art group"), **fields)


def _refused(code, action):
    with pytest.raises(ApplicationError) as caught:
        action()
    assert caught.value.code == code
    return caught.value


def test_a_signpost_is_given_at_once_and_a_referral_proposed(case, worker):
    signpost = services.connection_offer(
        case=case, service=_service(name="Choir"), kind=Kind.SIGNPOST, by=worker
    )
    referral = services.connection_offer(
        case=case,
        service=_service(),
        kind=Kind.REFERRAL,
        by=worker,
        in_their_words="I used to paint",
        cost_to_person="2.50",
        scheme_funds=10,
    )
    assert (signpost.status, referral.status) == (Status.GIVEN, Status.PROPOSED)
    assert (referral.cost_to_person, referral.scheme_funds) == (Decimal("2.50"), Decimal("10"))
    assert list(referral.events.values_list("from_status", "to_status")) == [("", "proposed")]
    entry = LogEntry.objects.get(action="connection.offered", object_id=str(referral.pk))
    assert entry.person_id == str(case.person_id)
    assert "I used to paint" not in str(entry.data)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"status": ServiceStatus.DEFUNCT}, "connection_service_closed"),
        ({"status": ServiceStatus.TEMPORARILY_CLOSED}, "connection_service_closed"),
        ({"capacity": Capacity.FULL}, "connection_service_full"),
        ({"capacity": Capacity.WAITING_LIST}, "connection_waiting_list"),
        ({"referral_route": ReferralRoute.SIGNPOST}, "connection_signpost_only"),
    ],
)
def test_a_referral_the_service_cannot_take_is_refused(case, worker, fields, code):
    service = _service(**fields)
    _refused(
        code,
        lambda: services.connection_offer(
            case=case, service=service, kind=Kind.REFERRAL, by=worker
        ),
    )
    assert not Connection.objects.exists()


def test_a_waiting_list_the_person_accepts_is_fine(case, worker):
    service = _service(capacity=Capacity.WAITING_LIST)
    connection = services.connection_offer(
        case=case, service=service, kind=Kind.REFERRAL, by=worker, waiting_list_ok=True
    )
    assert connection.status == Status.PROPOSED


def test_bad_costs_and_a_second_open_connection_are_refused(case, worker):
    service = _service()
    error = _refused(
        "connection_cost_invalid",
        lambda: services.connection_offer(
            case=case, service=service, kind=Kind.REFERRAL, by=worker, cost_to_person="-1"
        ),
    )
    assert "cost_to_person" in error.fields
    services.connection_offer(case=case, service=service, kind=Kind.REFERRAL, by=worker)
    _refused(
        "connection_exists",
        lambda: services.connection_offer(
            case=case, service=service, kind=Kind.SIGNPOST, by=worker
        ),
    )
    assert Connection.objects.count() == 1


def test_sending_needs_consent_now_and_schedules_the_on_track_check(case, worker, scheme):
    ConnectionRules.objects.create(scheme=scheme, check_after_days=10)
    connection = services.connection_offer(
        case=case, service=_service(), kind=Kind.REFERRAL, by=worker
    )
    consent = Consent.objects.get(person=case.person)
    consent.withdrawn_at = datetime.datetime.now(datetime.UTC)
    consent.save()
    _refused("consent_missing", lambda: services.connection_send(connection=connection, by=worker))
    connection.refresh_from_db()
    assert connection.status == Status.PROPOSED

    Consent.objects.create(
        person=case.person, scope=ConsentScope.SHARE_PROVIDERS, method=ConsentMethod.VERBAL
    )
    sent = services.connection_send(connection=connection, by=worker)
    assert sent.status == Status.SENT and sent.sent_at is not None
    assert "email" in sent.shared and "name" in sent.shared
    followup = FollowUp.objects.get(case=case, kind="check_referral")
    assert (followup.due_on - sent.sent_at.date()).days == 10
    assert "Art group" in followup.purpose
    assert LogEntry.objects.filter(action="connection.sent").count() == 1


def test_the_provider_answers_and_the_second_answer_loses_the_race(case, worker):
    connection = services.connection_offer(
        case=case, service=_service(), kind=Kind.REFERRAL, by=worker
    )
    services.connection_send(connection=connection, by=worker)
    accepted = services.connection_move(
        connection=connection,
        to=Status.ACCEPTED,
        by_label="provider@example.org",
        expected=Status.SENT,
        as_provider=True,
    )
    assert accepted.answered_at is not None
    # A second answer, made from the same "sent" page, changes nothing.
    error = _refused(
        "connection_changed",
        lambda: services.connection_move(
            connection=connection,
            to=Status.DECLINED,
            reason="Full",
            expected=Status.SENT,
            as_provider=True,
        ),
    )
    assert error.status == 409
    connection.refresh_from_db()
    assert connection.status == Status.ACCEPTED
    event = ConnectionEvent.objects.filter(connection=connection).last()
    assert (event.to_status, event.by_label) == ("accepted", "provider@example.org")


def test_forbidden_jumps_missing_reasons_and_team_only_moves(case, worker):
    connection = services.connection_offer(
        case=case, service=_service(), kind=Kind.REFERRAL, by=worker
    )
    _refused(
        "connection_move_invalid",
        lambda: services.connection_move(connection=connection, to=Status.COMPLETED, by=worker),
    )
    _refused(
        "connection_move_not_provider",
        lambda: services.connection_move(
            connection=connection, to=Status.SENT, by=worker, as_provider=True
        ),
    )
    _refused(
        "connection_reason_missing",
        lambda: services.connection_move(connection=connection, to=Status.WITHDRAWN, by=worker),
    )
    connection.refresh_from_db()
    assert connection.status == Status.PROPOSED
    withdrawn = services.connection_move(
        connection=connection, to=Status.WITHDRAWN, by=worker, reason="Changed her mind"
    )
    assert withdrawn.status_reason == "Changed her mind"
    # Closed, it can be offered again.
    again = services.connection_offer(
        case=case, service=connection.service, kind=Kind.REFERRAL, by=worker
    )
    assert again.pk != connection.pk


def test_the_database_refuses_a_status_of_the_other_kind(case, worker):
    from django.db import IntegrityError, transaction

    signpost = services.connection_offer(
        case=case, service=_service(), kind=Kind.SIGNPOST, by=worker
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Connection.objects.filter(pk=signpost.pk).update(status=Status.SENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Connection.objects.filter(pk=signpost.pk).update(
            kind=Kind.REFERRAL, status=Status.DECLINED, status_reason=""
        )
