"""The case's connection pages: referring to and signposting several services at once (all or
nothing, each refusal next to its service), the connection's page and the team's moves (a
reason to withdraw, a race changes nothing), the timeline, the plan panel, the caseload's
referrals waiting (constant queries), the match list's "chose it: refer / signpost", and
another scheme's case answering 404."""

import datetime

import pytest
from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linkwell.casework.models import FollowUp, PlanSupport
from linkwell.connections import services
from linkwell.connections.models import Connection, ConnectionEvent
from linkwell.connections.states import Kind, Status
from linkwell.core.audit import LogEntry
from linkwell.core.models import Role
from linkwell.directory.models import Capacity, ReferralRoute, ServiceStatus
from linkwell.notify.models import OutgoingMessage
from linkwell.people.models import Consent
from tests.conftest import sign_in
from tests.connections.conftest import sharing_case
from tests.directory.factories import listed_service
from tests.factories import CaseFactory, MembershipFactory, PersonFactory


def _service(name, **fields):
    fields.setdefault("referral_route", ReferralRoute.LINKWELL)
    return listed_service(name=name, **fields)


@pytest.fixture
def web(worker):
    return sign_in(Client(), worker)


def _new(case):
    return reverse("case_connections:new", args=[case.pk])


def _record(case):
    return reverse("casework:detail", args=[case.pk])


def _offer(service, kind=Kind.REFERRAL, message="Carol would like to join", **extra):
    prefix = f"s-{service.pk}-"
    data = {prefix + "include": "on", prefix + "kind": kind, prefix + "message": message}
    data.update({prefix + k: v for k, v in extra.items()})
    return data


def _post(web, case, services_, *offers, q=""):
    data = {"action": "send", "service": [str(s.pk) for s in services_], "q": q}
    for offer in offers:
        data.update(offer)
    return web.post(_new(case), data)


def _offer_form(response, service):
    return next(f for f in response.context["offers"] if f.service.pk == service.pk)


def _connection_audit():
    return LogEntry.objects.filter(action__startswith="connection.")


# --- Refer or signpost ------------------------------------------------------------------------


def test_the_page_offers_the_plans_services_and_a_search_by_name(web, case, worker):
    art = _service("Art group")
    _service("Walking group")
    PlanSupport.objects.create(case=case, service=art, decision="considering")
    response = web.get(_new(case))
    assert response.status_code == 200
    assert [f.service.name for f in response.context["offers"]] == ["Art group"]
    found = web.post(_new(case), {"action": "search", "q": "walk", "service": [str(art.pk)]})
    assert found.status_code == 200
    assert [f.service.name for f in found.context["offers"]] == ["Art group", "Walking group"]
    assert "Walking group" in found.content.decode()
    assert not Connection.objects.exists()


def test_searching_again_keeps_what_was_entered(web, case):
    art = _service("Art group")
    data = {"action": "search", "q": "choir", "service": [str(art.pk)]}
    data.update(_offer(art, message="Keep me"))
    response = web.post(_new(case), data)
    form = _offer_form(response, art)
    assert form.initial["include"] is True and form.initial["message"] == "Keep me"
    assert not response.context["has_errors"]


def test_the_match_list_can_preselect_a_referral(web, case):
    art = _service("Art group")
    response = web.get(_new(case), {"service": str(art.pk), "kind": "referral"})
    form = _offer_form(response, art)
    assert form.initial["include"] is True and form.initial["kind"] == "referral"


def test_two_referrals_and_a_signpost_in_one_go(web, case, worker):
    art, walk, choir = _service("Art group"), _service("Walking group"), _service("Choir")
    response = _post(
        web,
        case,
        [art, walk, choir],
        _offer(
            art,
            cost_to_person="2.50",
            scheme_funds="10",
            chosen_by_person="on",
            in_their_words="I used to paint",
        ),
        _offer(walk, message="Mornings are best"),
        _offer(choir, kind=Kind.SIGNPOST, message="", chosen_by_person="on"),
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#supports-offered")
    made = {c.service.name: c for c in Connection.objects.select_related("service")}
    assert {n: c.status for n, c in made.items()} == {
        "Art group": Status.SENT,
        "Walking group": Status.SENT,
        "Choir": Status.GIVEN,
    }
    assert str(made["Art group"].cost_to_person) == "2.50"
    assert made["Walking group"].message == "Mornings are best"
    assert (made["Art group"].chosen_by_person, made["Art group"].in_their_words) == (
        True,
        "I used to paint",
    )
    assert made["Walking group"].chosen_by_person is False  # the box was left unticked
    assert made["Choir"].chosen_by_person is True
    assert "email" in made["Art group"].shared
    assert FollowUp.objects.filter(case=case, kind="check_referral").count() == 2
    actions = sorted(_connection_audit().values_list("action", flat=True))
    made_and_sent = [a for a in actions if a in ("connection.offered", "connection.sent")]
    assert made_and_sent == ["connection.offered"] * 3 + ["connection.sent"] * 2
    # Each service with no account is emailed a private link, through the outbox.
    assert actions.count("connection.link_sent") == 2
    queued = OutgoingMessage.objects.filter(kind="connection.provider_link")
    assert sorted(queued.values_list("about_id", flat=True)) == sorted(
        [str(made["Art group"].pk), str(made["Walking group"].pk)]
    )
    assert not _connection_audit().filter(data__icontains="Mornings").exists()


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"status": ServiceStatus.DEFUNCT}, "include", "closed for good"),
        ({"capacity": Capacity.FULL}, "include", "not taking people"),
        ({"capacity": Capacity.WAITING_LIST}, "waiting_list_ok", "waiting list"),
    ],
)
def test_one_refusal_keeps_nothing_and_shows_next_to_that_service(web, case, fields, field, words):
    good = _service("Art group")
    bad = _service("Lunch club", **fields)
    PlanSupport.objects.create(case=case, service=bad, decision="chosen")
    response = _post(web, case, [good, bad], _offer(good), _offer(bad))
    assert response.status_code == 400
    assert not Connection.objects.exists()
    assert not ConnectionEvent.objects.exists()
    assert not FollowUp.objects.filter(case=case).exists()
    assert not _connection_audit().exists()
    assert not OutgoingMessage.objects.exists()  # the good service's email was not kept either
    errors = _offer_form(response, bad).errors
    assert words in " ".join(errors[field])
    assert not _offer_form(response, good).errors
    html = response.content.decode()
    assert "There is a problem" in html and "Nothing has been sent or recorded yet" in html
    assert response.context["has_errors"]


def test_a_waiting_list_the_person_accepts_is_sent(web, case):
    wait = _service("Counselling", capacity=Capacity.WAITING_LIST)
    response = _post(web, case, [wait], _offer(wait, waiting_list_ok="on"))
    assert response.status_code == 302
    assert Connection.objects.get().status == Status.SENT


def test_no_consent_to_share_refuses_every_referral_and_keeps_the_signpost_unsaved(
    web, scheme, worker
):
    case = CaseFactory(scheme=scheme, worker=worker, person=PersonFactory(scheme=scheme))
    art, choir = _service("Art group"), _service("Choir")
    response = _post(web, case, [art, choir], _offer(art), _offer(choir, kind=Kind.SIGNPOST))
    assert response.status_code == 400
    assert "has not agreed to share" in " ".join(_offer_form(response, art).errors["include"])
    assert not _offer_form(response, choir).errors
    assert not Connection.objects.exists()


def test_an_open_connection_to_the_same_service_is_refused(web, case, worker):
    art = _service("Art group")
    services.connection_offer(case=case, service=art, kind=Kind.SIGNPOST, by=worker)
    response = _post(web, case, [art], _offer(art))
    assert response.status_code == 400
    assert "already has an open connection" in " ".join(
        _offer_form(response, art).errors["include"]
    )
    assert Connection.objects.count() == 1


def test_a_referral_needs_a_message_and_something_must_be_chosen(web, case):
    art = _service("Art group")
    response = _post(web, case, [art], _offer(art, message=" "))
    assert response.status_code == 400
    assert _offer_form(response, art).errors["message"] == ["Write a short message to Art group"]
    nothing = web.post(_new(case), {"action": "send", "service": [str(art.pk)]})
    assert nothing.status_code == 400
    assert nothing.context["page_errors"]
    assert not Connection.objects.exists()


def test_a_signpost_only_service_cannot_be_referred(web, case):
    leaflet = _service("Advice line", referral_route=ReferralRoute.SIGNPOST)
    response = _post(web, case, [leaflet], _offer(leaflet))
    assert response.status_code == 400
    assert not Connection.objects.exists()
    ok = _post(web, case, [leaflet], _offer(leaflet, kind=Kind.SIGNPOST))
    assert ok.status_code == 302


# --- One connection and the team's moves ------------------------------------------------------


def _sent(case, worker, name="Art group"):
    connection = services.connection_offer(
        case=case, service=_service(name), kind=Kind.REFERRAL, by=worker
    )
    return services.connection_send(connection=connection, by=worker)


def _move(web, connection, **data):
    url = reverse("case_connections:move", args=[connection.case_id, connection.pk])
    return web.post(url, data)


def test_the_connection_page_shows_what_was_shared_and_its_history(web, case, worker):
    sent = _sent(case, worker)
    response = web.get(reverse("case_connections:detail", args=[case.pk, sent.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    shared = ", ".join(sent.shared)
    assert shared.startswith("name, ") and "email" in shared
    assert f'data-testid="shared">{shared}<' in html
    assert 'data-testid="withdraw-form"' in html and 'data-testid="provider-form"' in html
    assert LogEntry.objects.filter(action="case.viewed", object_id=str(case.pk)).exists()


def test_a_message_the_service_never_got_is_shown_with_a_way_to_tell_it_again(
    web, case, worker, settings
):
    settings.NOTIFY_BACKEND = "memory"
    sent = _sent(case, worker)
    [link_email] = OutgoingMessage.objects.filter(about_id=str(sent.pk))
    page = reverse("case_connections:detail", args=[case.pk, sent.pk])
    html = web.get(page).content.decode()
    assert 'data-testid="messages"' in html and "Waiting to be sent" in html
    assert 'data-testid="message-not-sent"' not in html
    # Notify refused it: the link worker who sent the referral sees why, on its page.
    OutgoingMessage.objects.filter(pk=link_email.pk).update(
        status="failed",
        failed_at=timezone.now(),
        attempts=1,
        last_error="email_address Not a valid email address",
        body="",
    )
    html = web.get(page).content.decode()
    assert 'data-testid="message-not-sent"' in html
    assert "Not a valid email address" in html and "Tell the service again" in html
    response = web.post(reverse("case_connections:tell_provider", args=[case.pk, sent.pk]))
    assert response.status_code == 302
    assert OutgoingMessage.objects.filter(about_id=str(sent.pk), status="queued").count() == 1


def test_withdrawing_needs_a_reason(web, case, worker):
    sent = _sent(case, worker)
    response = _move(web, sent, action="withdraw", to="withdrawn", expected="sent", reason=" ")
    assert response.status_code == 400
    assert "Say why it is withdrawn" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    response = _move(
        web, sent, action="withdraw", to="withdrawn", expected="sent", reason="Moved away"
    )
    assert response.status_code == 302
    sent.refresh_from_db()
    assert (sent.status, sent.status_reason) == (Status.WITHDRAWN, "Moved away")
    entry = LogEntry.objects.get(action="connection.moved", object_id=str(sent.pk))
    assert entry.data["to"] == "withdrawn" and "Moved away" not in str(entry.data)


def test_a_race_changes_nothing_and_says_so(web, case, worker):
    sent = _sent(case, worker)
    services.connection_move(connection=sent, to=Status.ACCEPTED, as_provider=True, by=None)
    response = _move(
        web, sent, action="withdraw", to="withdrawn", expected="sent", reason="No longer needed"
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == Status.ACCEPTED
    assert sent.events.count() == 3


def test_recording_what_the_provider_said_by_phone(web, case, worker):
    sent = _sent(case, worker)
    assert _move(web, sent, action="provider", to="accepted", expected="sent").status_code == 302
    declined = _move(web, sent, action="provider", to="declined", expected="accepted")
    assert declined.status_code == 400  # not a move from accepted
    assert _move(web, sent, action="provider", to="started", expected="accepted").status_code == 302
    dropped = _move(web, sent, action="provider", to="dropped_out", expected="started")
    assert dropped.status_code == 400 and "Say why" in dropped.content.decode()
    sent.refresh_from_db()
    assert sent.status == Status.STARTED
    event = sent.events.order_by("-at", "-id").first()
    assert event.by == worker
    nothing_chosen = _move(web, sent, action="provider", expected="started")
    assert nothing_chosen.status_code == 400


def test_only_time_expires_a_referral(web, case, worker):
    sent = _sent(case, worker)
    assert _move(web, sent, action="provider", to="expired", expected="sent").status_code == 400
    sent.refresh_from_db()
    assert sent.status == Status.SENT


def test_a_signposts_outcome_at_follow_up(web, case, worker):
    signpost = services.connection_offer(
        case=case, service=_service("Choir"), kind=Kind.SIGNPOST, by=worker
    )
    response = web.get(reverse("case_connections:detail", args=[case.pk, signpost.pk]))
    assert 'data-testid="outcome-form"' in response.content.decode()
    assert _move(web, signpost, action="outcome", to="unknown", expected="given").status_code == 302
    assert (
        _move(web, signpost, action="outcome", to="took_up", expected="unknown").status_code == 302
    )
    signpost.refresh_from_db()
    assert signpost.status == Status.TOOK_UP


def test_a_closed_case_changes_nothing(web, case, worker):
    sent = _sent(case, worker)
    case.status = "closed"
    case.closed_at = datetime.datetime.now(datetime.UTC)
    case.closing_reason = "goals_met"
    case.save()
    response = _move(web, sent, action="withdraw", to="withdrawn", expected="sent", reason="x")
    assert response.status_code == 400
    sent.refresh_from_db()
    assert sent.status == Status.SENT


# --- The case record, timeline and caseload ---------------------------------------------------


def test_the_record_lists_supports_offered_and_the_timeline_tells_their_story(web, case, worker):
    sent = _sent(case, worker, "Art group")
    services.connection_move(
        connection=sent,
        to=Status.DECLINED,
        reason="Full",
        by=None,
        by_label="Pat at Art group",
        as_provider=True,
    )
    services.connection_offer(case=case, service=_service("Choir"), kind=Kind.SIGNPOST, by=worker)
    response = web.get(_record(case))
    html = response.content.decode()
    assert 'data-testid="supports-offered"' in html
    assert "Declined by the service" in html and "Information given" in html
    assert reverse("case_connections:new", args=[case.pk]) in html
    titles = [e.title for e in response.context["timeline"].entries if e.kind == "connection"]
    assert "Referral sent to Art group" in titles
    assert "Referral to Art group: declined by the service" in titles
    assert "Signposted to Choir" in titles
    assert "Answered by Pat at Art group" in html


def test_the_record_asks_the_same_queries_for_one_or_many_connections(web, scheme, worker):
    counts = []
    for n in (1, 5):
        case = sharing_case(scheme, worker, given_name=f"P{n}")
        for i in range(n):
            _sent(case, worker, f"Service {n}-{i}")
        web.get(_record(case))
        with CaptureQueriesContext(db) as queries:
            assert web.get(_record(case)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_caseload_counts_referrals_waiting_with_constant_queries(web, scheme, worker):
    def add(n):
        for i in range(n):
            case = sharing_case(scheme, worker, given_name=f"W{n}{i}")
            for j in range(3):
                _sent(case, worker, f"S{n}-{i}-{j}")
            answered = case.connections.first()
            services.connection_move(connection=answered, to=Status.ACCEPTED, by=worker)

    add(1)
    web.get("/cases/")
    with CaptureQueriesContext(db) as small:
        response = web.get("/cases/")
    assert [r.referrals_waiting for r in response.context["caseload"].rows] == [2]
    assert "2 waiting for services" in response.content.decode()
    # Every open connection is listed on the row, with its status, linking to its page.
    [row] = response.context["caseload"].rows
    assert sorted(c.service.name for c in row.open_connections) == ["S1-0-0", "S1-0-1", "S1-0-2"]
    assert sorted(c.status for c in row.open_connections) == ["accepted", "sent", "sent"]
    html = response.content.decode()
    first = row.open_connections[0]
    assert f"/cases/{row.case.pk}/connections/{first.pk}/" in html
    add(4)
    with CaptureQueriesContext(db) as large:
        response = web.get("/cases/")
    assert [r.referrals_waiting for r in response.context["caseload"].rows] == [2] * 5
    assert [len(r.open_connections) for r in response.context["caseload"].rows] == [3] * 5
    assert len(small.captured_queries) == len(large.captured_queries)


# --- The match list ----------------------------------------------------------------------------


def test_chose_it_signpost_records_the_choice_and_the_signpost(web, case):
    choir = _service("Choir")
    url = reverse("matching:decide", args=[case.pk])
    response = web.post(
        url, {"service": str(choir.pk), "decision": "chosen", "connect": "signpost"}
    )
    assert response.status_code == 302
    assert PlanSupport.objects.get(case=case, service=choir).decision == "chosen"
    assert Connection.objects.get(case=case, service=choir).status == Status.GIVEN


def test_chose_it_refer_records_the_choice_and_opens_the_referral(web, case):
    art = _service("Art group")
    url = reverse("matching:decide", args=[case.pk])
    response = web.post(url, {"service": str(art.pk), "decision": "chosen", "connect": "referral"})
    assert response.status_code == 302
    assert response["Location"] == f"{_new(case)}?service={art.pk}&kind=referral"
    assert PlanSupport.objects.get(case=case, service=art).decision == "chosen"
    assert not Connection.objects.exists()


def test_a_refused_signpost_keeps_no_choice_either(web, case):
    closed = _service("Old club", status=ServiceStatus.DEFUNCT)
    url = reverse("matching:decide", args=[case.pk])
    web.post(url, {"service": str(closed.pk), "decision": "chosen", "connect": "signpost"})
    assert not PlanSupport.objects.exists() and not Connection.objects.exists()


# --- Scoping -------------------------------------------------------------------------------------


def test_another_schemes_case_is_404_on_every_page(web, other_scheme):
    theirs_worker = MembershipFactory(scheme=other_scheme, role=Role.LINK_WORKER).user
    theirs = sharing_case(other_scheme, theirs_worker)
    art = _service("Art group")
    sent = _sent(theirs, theirs_worker)
    urls = [
        ("get", _new(theirs), {}),
        ("post", _new(theirs), {"action": "send", "service": [str(art.pk)], **_offer(art)}),
        ("get", reverse("case_connections:detail", args=[theirs.pk, sent.pk]), {}),
        (
            "post",
            reverse("case_connections:move", args=[theirs.pk, sent.pk]),
            {"action": "withdraw", "to": "withdrawn", "expected": "sent", "reason": "x"},
        ),
    ]
    for method, url, data in urls:
        assert getattr(web, method)(url, data).status_code == 404, url
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    assert Connection.objects.filter(case=theirs).count() == 1


def test_a_connection_of_another_case_is_404_under_this_one(web, case, scheme, worker):
    other = sharing_case(scheme, worker, given_name="Other")
    sent = _sent(other, worker)
    assert web.get(reverse("case_connections:detail", args=[case.pk, sent.pk])).status_code == 404


def test_a_chosen_service_that_left_the_directory_sends_nothing(web, case):
    art, gone = _service("Art group"), _service("Old club")
    response = web.get(_new(case), {"service": [str(art.pk), str(gone.pk)]})
    assert len(response.context["offers"]) == 2
    gone.status = ServiceStatus.DEFUNCT
    gone.save()
    response = _post(web, case, [art, gone], _offer(art), _offer(gone))
    assert response.status_code == 400
    assert "no longer in the directory" in response.content.decode()
    assert not Connection.objects.exists()


def test_consent_withdrawn_after_the_page_was_shown(web, case):
    art = _service("Art group")
    assert web.get(_new(case)).status_code == 200
    Consent.objects.filter(person=case.person).update(
        withdrawn_at=datetime.datetime.now(datetime.UTC)
    )
    response = _post(web, case, [art], _offer(art))
    assert response.status_code == 400
    assert not Connection.objects.exists()
