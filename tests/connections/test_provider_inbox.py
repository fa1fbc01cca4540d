"""The provider inbox: only referrals sent to the services of the provider's own organisations
in the scheme they work in; only what was shared; each move in one or two clicks through the
state machine; a second answer racing the first changes nothing; every read audited; the same
number of queries whatever the data."""

import datetime
import re

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linkwell.casework.models import Need
from linkwell.connections import services
from linkwell.connections.models import Connection, ConnectionEvent
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import LogEntry
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Role
from linkwell.directory.models import Capacity, ReferralRoute
from tests.conftest import sign_in
from tests.connections.conftest import sharing_case
from tests.directory.factories import OrganizationFactory, default_term, listed_service
from tests.factories import MembershipFactory

INBOX = "/provider/referrals/"


def _service(organization, name="Art group", **fields):
    return listed_service(
        organization=organization, name=name, referral_route=ReferralRoute.LINKWELL, **fields
    )


def _sent(case, service, worker, *, message="Carol would like to try painting.", at=None):
    connection = services.connection_offer(
        case=case, service=service, kind=Kind.REFERRAL, by=worker, message=message
    )
    return services.connection_send(connection=connection, by=worker, at=at)


@pytest.fixture
def organization():
    return OrganizationFactory(name="Riverside Arts")


@pytest.fixture
def provider(scheme, organization):
    membership = MembershipFactory(scheme=scheme, role=Role.PROVIDER)
    organization.staff.add(membership.user)
    return membership


@pytest.fixture
def client(provider):
    return sign_in(Client(), provider.user)


@pytest.fixture
def art(organization):
    return _service(organization)


@pytest.fixture
def referral(case, art, worker):
    Need.objects.create(case=case, area=default_term("loneliness"), severity=2)
    return _sent(case, art, worker)


def _post_move(client, connection, to, expected, *, follow=False, **extra):
    return client.post(
        reverse("provider_inbox:move", args=[connection.pk]),
        {"to": to, "expected": expected, **extra},
        follow=follow,
    )


def _status(connection):
    return Connection.objects.get(pk=connection.pk).status


def test_the_inbox_lists_only_sent_referrals_to_the_providers_own_services(
    client, scheme, other_scheme, worker, organization, art, referral
):
    # Newer, to another of their services.
    choir = _service(organization, name="Choir")
    newer = _sent(sharing_case(scheme, worker, given_name="Aled"), choir, worker)
    # Not theirs: another organisation's service; a proposed referral; a signpost.
    elsewhere = _service(OrganizationFactory(), name="Gym")
    _sent(sharing_case(scheme, worker, given_name="Tess"), elsewhere, worker)
    services.connection_offer(
        case=sharing_case(scheme, worker, given_name="Proposed"),
        service=art,
        kind=Kind.REFERRAL,
        by=worker,
    )
    services.connection_offer(
        case=sharing_case(scheme, worker, given_name="Signposted"),
        service=art,
        kind=Kind.SIGNPOST,
        by=worker,
    )
    # Another scheme's referral to their own service.
    other_worker = MembershipFactory(scheme=other_scheme, role=Role.LINK_WORKER).user
    _sent(sharing_case(other_scheme, other_worker, given_name="Hester"), art, other_worker)

    response = client.get(INBOX)

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.connection.pk for r in rows] == [newer.pk, referral.pk]
    # Only the two referrals' cards: other names on the page are made up by the factories.
    cards = response.content.decode().split('data-testid="referral"')[1:]
    assert len(cards) == 2
    for name in ("Tess", "Proposed", "Signposted", "Hester"):
        assert not any(name in card for card in cards), name


def test_another_schemes_provider_of_the_same_organisation_sees_nothing(
    other_scheme, organization, referral
):
    theirs = MembershipFactory(scheme=other_scheme, role=Role.PROVIDER)
    organization.staff.add(theirs.user)
    client = sign_in(Client(), theirs.user)

    response = client.get(INBOX)

    assert response.context["rows"] == []
    assert "Carol" not in response.content.decode()
    assert _post_move(client, referral, Status.ACCEPTED, Status.SENT).status_code == 404
    assert _status(referral) == Status.SENT


def test_a_provider_of_another_organisation_gets_404_and_nothing_changes(scheme, referral):
    stranger = MembershipFactory(scheme=scheme, role=Role.PROVIDER)
    OrganizationFactory().staff.add(stranger.user)
    client = sign_in(Client(), stranger.user)

    assert client.get(INBOX).context["rows"] == []
    assert _post_move(client, referral, Status.ACCEPTED, Status.SENT).status_code == 404
    url = reverse("provider_inbox:move", args=[referral.pk])
    assert client.get(url, {"to": "declined", "expected": "sent"}).status_code == 404
    assert _status(referral) == Status.SENT
    assert not LogEntry.objects.filter(action="connection.moved").exists()


def test_only_providers_have_an_inbox(scheme, referral):
    worker_client = sign_in(Client(), MembershipFactory(scheme=scheme, role=Role.LINK_WORKER).user)
    assert worker_client.get(INBOX).status_code == 403
    assert _post_move(worker_client, referral, Status.ACCEPTED, Status.SENT).status_code == 403
    assert _status(referral) == Status.SENT


def test_a_row_shows_only_what_was_shared(client, case, referral):
    response = client.get(INBOX)
    text = response.content.decode()
    assert "Carol" in text
    assert "carol@example.org" in text
    assert "Loneliness" in text or "loneliness" in text.lower()
    assert "Carol would like to try painting." in text
    assert "Sent, waiting for the service" in text
    assert case.person.family_name in text[text.index('data-testid="referral"') :]

    Connection.objects.filter(pk=referral.pk).update(shared=["needs"])
    text = client.get(INBOX).content.decode()
    # The header names the signed-in provider, whose made-up name may contain the person's.
    card = text[text.index('data-testid="referral"') :]
    assert "carol@example.org" not in card
    assert case.person.family_name not in card
    assert case.person.phone_display not in card
    assert "Referral to Art group" in card


def test_days_waiting_count_from_sending(client, case, art, worker):
    sent_at = timezone.now() - datetime.timedelta(days=3)
    _sent(case, art, worker, at=sent_at)
    [row] = client.get(INBOX).context["rows"]
    assert row.days_waiting == 3


def test_the_filters(client, scheme, worker, organization, art, referral):
    choir = _service(organization, name="Choir")
    other = _sent(sharing_case(scheme, worker, given_name="Aled"), choir, worker)
    services.connection_move(connection=other, to=Status.ACCEPTED, by=worker)

    def ids(**query):
        return [r.connection.pk for r in client.get(INBOX, query).context["rows"]]

    assert ids(status="waiting") == [referral.pk]
    assert ids(status="active") == [other.pk]
    assert ids(status="closed") == []
    assert ids(service=str(choir.pk)) == [other.pk]
    assert ids(service=str(art.pk), status="active") == []
    # Someone else's service does not filter (and shows nothing of theirs).
    assert set(ids(service=str(_service(OrganizationFactory()).pk))) == {referral.pk, other.pk}


def test_accepting_is_one_post_and_audited(client, provider, referral):
    response = _post_move(client, referral, Status.ACCEPTED, Status.SENT, next=INBOX)

    assert response.status_code == 302
    assert response.url == INBOX
    connection = Connection.objects.get(pk=referral.pk)
    assert connection.status == Status.ACCEPTED
    assert connection.answered_at is not None
    event = ConnectionEvent.objects.filter(connection=connection).last()
    assert (event.from_status, event.to_status, event.by) == ("sent", "accepted", provider.user)
    entry = LogEntry.objects.get(action="connection.moved", object_id=str(referral.pk))
    assert entry.actor == provider.user
    assert entry.data["by_provider"] is True
    page = client.get(INBOX).content.decode()
    assert "now &#x27;Accepted&#x27;" in page or "now 'Accepted'" in page


@pytest.mark.parametrize(
    ("path", "final"),
    [
        (["accepted", "started", "attended_some", "completed"], Status.COMPLETED),
        (["accepted", "started", "completed"], Status.COMPLETED),
        (["accepted", "did_not_attend"], Status.DID_NOT_ATTEND),
    ],
)
def test_each_move_without_a_reason(client, referral, path, final):
    seen = Status.SENT
    for to in path:
        assert _post_move(client, referral, to, seen).status_code == 302
        assert _status(referral) == to
        seen = to
    assert _status(referral) == final
    assert LogEntry.objects.filter(action="connection.moved").count() == len(path)


@pytest.mark.parametrize(
    ("before", "to"),
    [([], Status.DECLINED), (["accepted", "started"], Status.DROPPED_OUT)],
)
def test_a_move_needing_a_reason_takes_two_clicks_and_a_reason(client, referral, before, to):
    seen = Status.SENT
    for step in before:
        _post_move(client, referral, step, seen)
        seen = step
    url = reverse("provider_inbox:move", args=[referral.pk])

    # First click: the reason form.
    form_page = client.get(url, {"to": to, "expected": seen, "next": INBOX})
    assert form_page.status_code == 200
    assert 'name="reason"' in form_page.content.decode()
    assert _status(referral) == seen

    # No reason: the error next to the field, nothing changed.
    missing = client.post(url, {"to": to, "expected": seen, "reason": "  "})
    assert missing.status_code == 400
    assert "Say why" in missing.content.decode()
    assert "nhsuk-error-summary" in missing.content.decode()
    assert _status(referral) == seen

    # Second click, with a reason.
    done = client.post(url, {"to": to, "expected": seen, "reason": "Lives out of our area"})
    assert done.status_code == 302
    connection = Connection.objects.get(pk=referral.pk)
    assert (connection.status, connection.status_reason) == (to, "Lives out of our area")
    entry = LogEntry.objects.filter(action="connection.moved").last()
    assert "Lives out of our area" not in str(entry.data)


def test_a_second_answer_racing_the_first_changes_nothing(client, referral):
    first = _post_move(client, referral, Status.ACCEPTED, Status.SENT)
    second = client.post(
        reverse("provider_inbox:move", args=[referral.pk]),
        {"to": Status.DECLINED, "expected": Status.SENT, "reason": "Full"},
        follow=True,
    )

    assert first.status_code == 302
    text = second.content.decode()
    assert "changed by someone else" in text
    assert "Nothing was changed" in text
    connection = Connection.objects.get(pk=referral.pk)
    assert (connection.status, connection.status_reason) == (Status.ACCEPTED, "")
    assert LogEntry.objects.filter(action="connection.moved").count() == 1
    assert connection.events.filter(to_status=Status.DECLINED).count() == 0


def test_the_same_button_pressed_twice_changes_once(client, referral):
    _post_move(client, referral, Status.ACCEPTED, Status.SENT)
    again = _post_move(client, referral, Status.ACCEPTED, Status.SENT)
    assert again.status_code == 302
    accepted = ConnectionEvent.objects.filter(connection_id=referral.pk, to_status="accepted")
    assert accepted.count() == 1
    assert LogEntry.objects.filter(action="connection.moved").count() == 1


@pytest.mark.parametrize("to", [Status.WITHDRAWN, Status.EXPIRED, "nonsense"])
def test_a_provider_cannot_make_the_teams_moves(client, referral, to):
    response = _post_move(client, referral, to, Status.SENT, reason="No longer wanted")
    assert response.status_code == 404
    assert _status(referral) == Status.SENT


def test_a_move_the_state_machine_forbids_says_so(client, referral):
    response = _post_move(client, referral, Status.COMPLETED, Status.SENT, follow=True)
    assert "cannot become" in response.content.decode()
    assert _status(referral) == Status.SENT


def test_every_read_of_the_inbox_is_audited(client, provider, case, referral):
    client.get(INBOX)
    client.get(INBOX, {"status": "closed"})

    entries = list(
        LogEntry.objects.filter(action="connection.provider_inbox_viewed").order_by("id")
    )
    assert len(entries) == 2
    assert entries[0].actor == provider.user
    assert entries[0].scheme_id == provider.scheme_id
    assert entries[0].data["connections"] == [str(referral.pk)]
    assert entries[0].data["people"] == [str(case.person_id)]
    assert entries[1].data["connections"] == []


def _queries(client, query=None):
    with CaptureQueriesContext(db_connection) as captured:
        response = client.get(INBOX, query or {})
    assert response.status_code == 200
    return len(captured), response


def test_the_inbox_costs_the_same_queries_whatever_the_data(
    client, scheme, worker, organization, art
):
    choir = _service(organization, name="Choir")
    for n in range(2):
        case = sharing_case(scheme, worker, given_name=f"Small{n}", email=f"s{n}@example.org")
        Need.objects.create(case=case, area=default_term("loneliness"), severity=2)
        _sent(case, art if n % 2 else choir, worker)
    small, response = _queries(client)
    assert len(response.context["rows"]) == 2

    for n in range(30):
        case = sharing_case(scheme, worker, given_name=f"Big{n}", email=f"b{n}@example.org")
        Need.objects.create(case=case, area=default_term("loneliness"), severity=2)
        Need.objects.create(case=case, area=default_term("money-debt"), severity=1)
        connection = _sent(case, art if n % 2 else choir, worker)
        if n % 3 == 0:
            services.connection_move(connection=connection, to=Status.ACCEPTED, by=worker)
    big, response = _queries(client)
    assert len(response.context["rows"]) == 25
    assert response.context["page"].paginator.count == 32
    assert big == small
    second_page, response = _queries(client, {"page": 2, "status": "waiting"})
    assert second_page == small


def test_capacity_update_for_their_own_service(client, provider, art):
    url = reverse("provider_inbox:capacity", args=[art.pk])
    prefix = f"s-{art.pk}"

    response = client.post(
        url, {f"{prefix}-capacity": Capacity.WAITING_LIST, f"{prefix}-typical_wait_weeks": "6"}
    )

    assert response.status_code == 302
    art.refresh_from_db()
    assert (art.capacity, art.typical_wait_weeks) == (Capacity.WAITING_LIST, 6)
    entry = LogEntry.objects.get(action="directory.service_changed", object_id=str(art.pk))
    assert entry.actor == provider.user
    assert sorted(entry.data["fields"]) == ["capacity", "typical_wait_weeks"]


def test_a_provider_can_pause_their_service_and_it_takes_no_referrals(client, art, case, worker):
    url = reverse("provider_inbox:capacity", args=[art.pk])
    response = client.post(url, {f"s-{art.pk}-capacity": Capacity.PAUSED})
    assert response.status_code == 302
    art.refresh_from_db()
    assert art.capacity == Capacity.PAUSED
    with pytest.raises(ApplicationError):
        services.connection_offer(case=case, service=art, kind=Kind.REFERRAL, by=worker)


def test_capacity_update_errors_are_shown_and_change_nothing(client, art):
    url = reverse("provider_inbox:capacity", args=[art.pk])
    prefix = f"s-{art.pk}"
    response = client.post(url, {f"{prefix}-typical_wait_weeks": "-2"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Choose whether you can take people" in text
    assert "cannot be less than 0 weeks" in text
    assert re.search(rf'href="#id_{prefix}-capacity_0"', text)
    art.refresh_from_db()
    assert art.capacity == Capacity.OPEN


def test_capacity_of_another_organisations_service_is_404(client):
    theirs = _service(OrganizationFactory(), name="Gym")
    url = reverse("provider_inbox:capacity", args=[theirs.pk])
    response = client.post(url, {f"s-{theirs.pk}-capacity": Capacity.FULL})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.capacity == Capacity.OPEN


def test_the_places_forms_show_only_when_asked_for(client, art):
    plain = client.get(reverse("provider_inbox:inbox"))
    assert plain.context["capacity_forms"] == []
    assert 'data-testid="places-link"' in plain.content.decode()
    asked = client.get(reverse("provider_inbox:inbox"), {"places": "1"})
    assert [service.pk for service, _ in asked.context["capacity_forms"]] == [art.pk]


def test_only_the_needs_the_service_helps_with_are_shared(client, case, art, worker):
    # The art group is listed for loneliness only: the person's debt is none of its business.
    Need.objects.create(case=case, area=default_term("loneliness"), severity=2)
    Need.objects.create(case=case, area=default_term("money-debt"), severity=3)
    _sent(case, art, worker)
    rows = client.get(INBOX).context["rows"]
    assert [row.needs for row in rows] == [["Loneliness and isolation"]]
    assert "Money and debt" not in client.get(INBOX).content.decode()
