"""The budget report: what the scheme funded and people paid, by month and service, for the
member's scheme only, over a period that must make sense."""

import datetime
from decimal import Decimal

from django.urls import reverse

from linkwell.connections import services
from linkwell.connections.budget import financial_year
from linkwell.connections.states import Kind, Status
from linkwell.core.models import Role
from tests.connections.conftest import sharing_case
from tests.connections.test_services import _service
from tests.factories import MembershipFactory

NOV = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=datetime.UTC)
DEC = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)


def _offer(scheme, worker, service, at, **costs):
    case = sharing_case(scheme, worker)
    return services.connection_offer(
        case=case, service=service, kind=Kind.SIGNPOST, by=worker, at=at, **costs
    )


def test_the_financial_year_runs_april_to_march():
    assert financial_year(datetime.date(2026, 12, 6)) == (
        datetime.date(2026, 4, 1),
        datetime.date(2027, 3, 31),
    )
    assert financial_year(datetime.date(2027, 2, 1))[0] == datetime.date(2026, 4, 1)


def test_costs_by_month_and_service_for_this_scheme_only(scheme, other_scheme, worker, client_as):
    gym = _service(name="Gym")
    art = _service(name="Art group")
    _offer(scheme, worker, gym, NOV, scheme_funds="20", cost_to_person="5")
    _offer(scheme, worker, gym, DEC, scheme_funds="20")
    _offer(scheme, worker, art, DEC, cost_to_person="2.50")
    withdrawn = services.connection_offer(
        case=sharing_case(scheme, worker),
        service=art,
        kind=Kind.REFERRAL,
        by=worker,
        at=DEC,
        scheme_funds="100",
    )
    services.connection_move(connection=withdrawn, to=Status.WITHDRAWN, by=worker, reason="No")
    theirs = MembershipFactory(scheme=other_scheme).user
    _offer(other_scheme, theirs, gym, DEC, scheme_funds="999")

    manager = client_as(Role.MANAGER)
    page = manager.get(
        reverse("connections_reports:budget"), {"start": "2026-04-01", "end": "2027-03-31"}
    )
    assert page.status_code == 200
    report = page.context["report"]
    assert (report.funded, report.paid, report.connections) == (
        Decimal("40.00"),
        Decimal("7.50"),
        3,
    )
    assert [(r["month"].month, r["connections"]) for r in report.by_month] == [(11, 1), (12, 2)]
    assert [(r["service__name"], r["funded"]) for r in report.by_service] == [
        ("Gym", Decimal("40.00")),
        ("Art group", Decimal("0.00")),
    ]
    assert "Nobody is named" in page.content.decode()


def test_a_period_that_makes_no_sense_is_refused(client_as):
    manager = client_as(Role.MANAGER)
    page = manager.get(
        reverse("connections_reports:budget"), {"start": "2027-01-01", "end": "2026-01-01"}
    )
    assert page.status_code == 400
    assert "on or after the start" in page.content.decode()
    assert client_as(Role.LINK_WORKER).get(reverse("connections_reports:budget")).status_code == 403
