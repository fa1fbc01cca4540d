"""The daily nudges: a service that has not answered is reminded once after five working
days; a referral unanswered for fourteen days expires and its link worker is told."""

import datetime

import pytest
from django.core.management import call_command

from linkwell.connections import services
from linkwell.connections.models import Connection, ConnectionRules
from linkwell.connections.nudges import nudges_run, working_days_between
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import LogEntry
from linkwell.directory.models import Organization, ReferralRoute
from linkwell.notify.backends import outbox
from linkwell.notify.models import OutgoingMessage
from linkwell.notify.outbox import messages_send_due
from tests.directory.factories import listed_service

MONDAY = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _memory_outbox(settings):
    settings.NOTIFY_BACKEND = "memory"
    outbox.clear()


def _sent(case, worker, **service_fields):
    service_fields.setdefault("referral_route", ReferralRoute.LINKWELL)
    service_fields.setdefault("referral_email", "referrals@artgroup.example")
    service = listed_service(name="Art group", **service_fields)
    connection = services.connection_offer(
        case=case, service=service, kind=Kind.REFERRAL, by=worker, at=MONDAY
    )
    return services.connection_send(connection=connection, by=worker, at=MONDAY)


def test_working_days_skip_the_weekend():
    monday = MONDAY.date()
    assert working_days_between(monday, monday + 4 * DAY) == 4  # to Friday
    assert working_days_between(monday, monday + 6 * DAY) == 4  # Sunday
    assert working_days_between(monday, monday + 7 * DAY) == 5  # next Monday


def test_a_service_is_reminded_once_after_five_working_days(case, worker):
    connection = _sent(case, worker)
    assert nudges_run(now=MONDAY + 6 * DAY).reminded == 0  # Sunday: four working days
    report = nudges_run(now=MONDAY + 7 * DAY)
    messages_send_due()
    assert report.reminded == 1
    assert [m.to_email for m in outbox] == ["referrals@artgroup.example"]
    assert "Art group" in outbox[0].subject
    assert case.person.given_name not in outbox[0].body
    # Sent for the case's link worker, who sees it if it cannot be delivered.
    assert OutgoingMessage.objects.get().sender == worker
    assert nudges_run(now=MONDAY + 8 * DAY).reminded == 0
    messages_send_due()
    assert len(outbox) == 1
    connection.refresh_from_db()
    assert connection.reminded_at is not None
    assert LogEntry.objects.filter(action="connection.provider_reminded").count() == 1


def test_a_service_with_no_address_is_recorded_as_not_reminded(case, worker):
    connection = _sent(case, worker, referral_email="", email="")
    Organization.objects.filter(pk=connection.service.organization_id).update(email="")
    report = nudges_run(now=MONDAY + 7 * DAY)
    assert (report.reminded, report.not_reminded) == (0, 1)
    assert outbox == []
    assert LogEntry.objects.filter(action="connection.provider_not_reminded").exists()


def test_an_unanswered_referral_expires_and_the_link_worker_is_told(case, worker, scheme):
    ConnectionRules.objects.create(scheme=scheme, expire_after_days=10)
    connection = _sent(case, worker)
    assert nudges_run(now=MONDAY + 9 * DAY).expired == 0
    report = nudges_run(now=MONDAY + 10 * DAY)
    messages_send_due()
    assert (report.expired, report.told) == (1, 1)
    connection.refresh_from_db()
    assert connection.status == Status.EXPIRED
    told = outbox[-1]
    assert told.to_email == worker.email
    assert f"/cases/{case.pk}/find-support/" in told.body
    assert case.person.given_name not in told.body
    # An answered referral is left alone.
    assert nudges_run(now=MONDAY + 20 * DAY).expired == 0


def test_a_dry_run_changes_nothing(case, worker):
    _sent(case, worker)
    call_command("send_referral_nudges", "--dry-run")
    assert Connection.objects.get().status == Status.SENT
    assert not OutgoingMessage.objects.exists()
    # It says what it would do: expire the referral and tell its link worker.
    report = nudges_run(now=MONDAY + 20 * DAY, dry_run=True)
    assert (report.expired, report.told) == (1, 1)
    assert Connection.objects.get().status == Status.SENT
    assert (
        not OutgoingMessage.objects.exists()
        and not LogEntry.objects.filter(action="connection.expired").exists()
    )
