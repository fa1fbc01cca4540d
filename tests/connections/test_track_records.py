"""Referrals feed the track record that matching reads: how many a service accepted and
completed, and how fast it answered."""

import datetime

from linkwell.connections import services
from linkwell.connections.states import Kind, Status
from linkwell.matching.models import ServiceTrackRecord
from linkwell.matching.services import track_records_refresh
from tests.connections.conftest import sharing_case
from tests.connections.test_services import _service


def _sent(scheme, service, worker, sent_at):
    case = sharing_case(scheme, worker)
    connection = services.connection_offer(
        case=case, service=service, kind=Kind.REFERRAL, by=worker, at=sent_at
    )
    return services.connection_send(connection=connection, by=worker, at=sent_at)


def test_referrals_count_in_the_services_track_record(scheme, worker):
    service = _service()
    start = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)
    day = datetime.timedelta(days=1)
    first = _sent(scheme, service, worker, start)
    second = _sent(scheme, service, worker, start)
    _sent(scheme, service, worker, start)  # not answered yet
    services.connection_move(connection=first, to=Status.ACCEPTED, by=worker, at=start + 2 * day)
    services.connection_move(connection=first, to=Status.STARTED, by=worker, at=start + 5 * day)
    services.connection_move(connection=first, to=Status.COMPLETED, by=worker, at=start + 9 * day)
    services.connection_move(
        connection=second, to=Status.DECLINED, reason="Full", by=worker, at=start + 4 * day
    )
    assert track_records_refresh(scheme=scheme) == 1
    record = ServiceTrackRecord.objects.get(scheme=scheme, service=service)
    assert (record.sent, record.accepted, record.completed, record.answered) == (3, 1, 1, 2)
    assert record.answer_days_total == 6.0  # answered after 2 days and after 4
