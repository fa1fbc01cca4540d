"""How a service answers the scheme's referrals, as its directory page shows it."""

import datetime

from django.urls import reverse

from linkwell.connections import services
from linkwell.connections.states import Kind, Status
from linkwell.connections.statistics import response_stats
from tests.connections.conftest import sharing_case
from tests.connections.test_services import _service

START = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def _sent(scheme, worker, service):
    case = sharing_case(scheme, worker)
    offered = services.connection_offer(
        case=case, service=service, kind=Kind.REFERRAL, by=worker, at=START
    )
    return services.connection_send(connection=offered, by=worker, at=START)


def test_median_answer_time_and_the_shares_accepted_and_completed(scheme, worker, client_as):
    service = _service()
    answers = [(1, Status.ACCEPTED), (2, Status.ACCEPTED), (6, Status.DECLINED)]
    sent = [_sent(scheme, worker, service) for _ in range(4)]  # the fourth is unanswered
    for connection, (days, to) in zip(sent, answers, strict=False):
        services.connection_move(
            connection=connection, to=to, by=worker, reason="Full", at=START + days * DAY
        )
    services.connection_move(connection=sent[0], to=Status.STARTED, by=worker, at=START + 3 * DAY)
    services.connection_move(connection=sent[0], to=Status.COMPLETED, by=worker, at=START + 9 * DAY)
    services.connection_move(
        connection=sent[1], to=Status.DID_NOT_ATTEND, by=worker, at=START + 9 * DAY
    )
    stats = response_stats(scheme_id=scheme.pk, service_id=service.pk)
    assert (stats.sent, stats.answered, stats.median_days) == (4, 3, 2.0)
    assert stats.accepted_percent == 67  # 2 of the 3 answered
    assert stats.completed_percent == 50  # 1 of the 2 that went ahead and ended

    page = client_as().get(reverse("directory:service", args=[service.pk]))
    html = page.content.decode()
    assert "4 sent; answered in 2 days (median)" in html
    assert "67% accepted" in html


def test_another_schemes_referrals_are_not_counted(scheme, other_scheme, worker):
    from tests.factories import MembershipFactory

    service = _service()
    theirs = MembershipFactory(scheme=other_scheme).user
    _sent(other_scheme, theirs, service)
    assert response_stats(scheme_id=scheme.pk, service_id=service.pk).sent == 0
