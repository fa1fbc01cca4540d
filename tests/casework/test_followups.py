"""Follow-ups: a link worker's list for the day, scheduling one, and marking it done, missed or
cancelled (a repeating one schedules the next)."""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linkwell.casework.models import FollowUp
from linkwell.casework.views_util import case_url
from linkwell.core.models import LogEntry, Role
from tests.conftest import sign_in
from tests.factories import CaseFactory, FollowUpFactory, PersonFactory

pytestmark = pytest.mark.django_db

LIST = "/cases/follow-ups/"


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def worker(member):
    return member(Role.LINK_WORKER, user__full_name="Rhian Link")


@pytest.fixture
def client(worker):
    return sign_in(Client(), worker.user)


@pytest.fixture
def case(scheme, worker):
    person = PersonFactory(scheme=scheme, given_name="Aled", family_name="Pryce")
    return CaseFactory(scheme=scheme, person=person, worker=worker.user)


def done(followup, status="done"):
    followup.status = status
    followup.completed_at = timezone.now()
    followup.save()
    return followup


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- The daily list -------------------------------------------------------------------------------


def test_the_list_shows_todays_follow_ups_with_the_overdue_ones_first(
    client, case, scheme, member, today
):
    due = FollowUpFactory(case=case, due_on=today, purpose="Has the art group started?")
    late = FollowUpFactory(case=case, due_on=today - timedelta(days=3), kind="check_referral")
    done(FollowUpFactory(case=case, due_on=today - timedelta(days=2)))
    FollowUpFactory(case=case, due_on=today + timedelta(days=1))
    theirs = CaseFactory(scheme=scheme, worker=member(Role.LINK_WORKER).user)
    FollowUpFactory(case=theirs, due_on=today)

    response = client.get(LIST)

    assert response.status_code == 200
    listing = response.context["listing"]
    assert listing.due == [due]
    assert listing.overdue == [late]
    page = response.content.decode()
    assert page.index(">Overdue") < page.index("Due today")
    assert "Aled Pryce" in page
    assert "Has the art group started?" in page
    assert "Check a referral is on track" in page
    assert theirs.person.full_name not in page


def test_viewing_the_list_is_audited_once(client, case, worker, today):
    FollowUpFactory(case=case, due_on=today)
    FollowUpFactory(case=case, due_on=today - timedelta(days=1))

    client.get(LIST)

    [entry] = LogEntry.objects.filter(action="case.followups_viewed")
    assert entry.actor == worker.user
    assert entry.data["day"] == today.isoformat()
    assert entry.data["cases"] == [str(case.pk)]


def test_another_day_keeps_the_overdue_ones_and_links_the_days_around_it(client, case, today):
    tomorrow = today + timedelta(days=1)
    soon = FollowUpFactory(case=case, due_on=tomorrow, due_time=time(14, 30))
    late = FollowUpFactory(case=case, due_on=today - timedelta(days=1))

    response = client.get(LIST, {"day": tomorrow.isoformat()})

    assert response.context["listing"].due == [soon]
    assert response.context["listing"].overdue == [late]
    page = response.content.decode()
    assert f"?day={today.isoformat()}" in page
    assert f"?day={(tomorrow + timedelta(days=1)).isoformat()}" in page
    assert "14:30" in page


@pytest.mark.parametrize("day", ["31/02/2026", "9999-12-31"])
def test_a_day_that_is_not_a_date_shows_today(client, case, today, day):
    due = FollowUpFactory(case=case, due_on=today)
    response = client.get(LIST, {"day": day})
    assert response.context["listing"].due == [due]
    assert "That is not a date" in messages_of(response)[0]


def test_done_and_missed_ones_of_the_day_stay_on_the_list_without_buttons(client, case, today):
    finished = done(FollowUpFactory(case=case, due_on=today), "missed")
    response = client.get(LIST)
    assert response.context["listing"].due == [finished]
    page = response.content.decode()
    assert reverse("casework:followup_done", args=[case.pk, finished.pk]) not in page
    assert "Missed" in page


def test_a_manager_can_look_at_a_workers_list(case, member, today, worker):
    due = FollowUpFactory(case=case, due_on=today)
    manager = sign_in(Client(), member(Role.MANAGER).user)

    own = manager.get(LIST)
    assert own.context["listing"].due == []
    theirs = manager.get(LIST, {"worker": str(worker.user.pk)})
    assert theirs.context["listing"].due == [due]
    assert "Rhian Link's follow-ups" in theirs.content.decode()


def test_a_link_worker_cannot_look_at_someone_elses_list(case, member, scheme, today):
    FollowUpFactory(case=case, due_on=today)
    nosy = member(Role.LINK_WORKER)
    response = sign_in(Client(), nosy.user).get(LIST, {"worker": str(case.worker_id)})
    assert response.context["worker"] == nosy.user
    assert response.context["listing"].due == []


def test_a_manager_cannot_look_at_another_schemes_worker(member, other_scheme):
    outsider = member(Role.LINK_WORKER, of=other_scheme)
    manager = sign_in(Client(), member(Role.MANAGER).user)
    assert manager.get(LIST, {"worker": str(outsider.user.pk)}).status_code == 404


def test_the_list_asks_the_database_the_same_number_of_times_however_long(
    client, scheme, worker, today
):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST).status_code == 200
        return len(ctx)

    FollowUpFactory(case=CaseFactory(scheme=scheme, worker=worker.user), due_on=today)
    few = queries()
    for days in range(6):
        case = CaseFactory(scheme=scheme, worker=worker.user)
        FollowUpFactory(case=case, due_on=today)
        FollowUpFactory(case=case, due_on=today - timedelta(days=days + 1))
    assert queries() == few


# --- Scheduling -----------------------------------------------------------------------------------


def schedule_url(case):
    return reverse("casework:followup_add", args=[case.pk])


def test_scheduling_a_follow_up(client, case, today, worker):
    response = client.get(schedule_url(case))
    assert response.status_code == 200

    day = today + timedelta(days=5)
    response = client.post(
        schedule_url(case),
        {
            "due_on": day.isoformat(),
            "due_time": "10:30",
            "kind": "appointment",
            "purpose": "Meet at the library",
            "recurrence": "weekly",
            "remind_person": "on",
        },
    )

    assert response.status_code == 302
    assert response.url == case_url(case)
    followup = FollowUp.objects.get(case=case)
    assert (followup.due_on, followup.due_time, followup.kind) == (day, time(10, 30), "appointment")
    assert followup.recurrence == "weekly"
    assert followup.remind_person is True
    assert followup.worker == worker.user
    assert LogEntry.objects.filter(action="case.followup_scheduled", object_id=str(followup.pk))


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"due_on": "past"}, "due_on", "cannot be due in the past"),
        ({"due_on": ""}, "due_on", "Give the date the follow-up is due"),
        ({"due_on": "2026-02-31"}, "due_on", "Enter a real date"),
        (
            {"kind": "appointment", "remind_person": "on", "due_time": ""},
            "due_time",
            "Give a time, so the reminder can say when",
        ),
        (
            {"kind": "support_call", "remind_person": "on", "due_time": "10:00"},
            "remind_person",
            "Reminders are sent for appointments only",
        ),
        ({"kind": "party"}, "kind", "Select a valid choice"),
    ],
)
def test_a_follow_up_that_does_not_make_sense_is_refused(client, case, today, data, field, error):
    post = {"due_on": (today + timedelta(days=2)).isoformat(), "kind": "support_call", **data}
    if post["due_on"] == "past":
        post["due_on"] = (today - timedelta(days=1)).isoformat()
    response = client.post(schedule_url(case), post)
    assert response.status_code == 400
    assert any(error in e for e in response.context["form"].errors[field])
    assert "There is a problem" in response.content.decode()
    assert not FollowUp.objects.filter(case=case).exists()


def test_a_closed_case_takes_no_new_follow_ups(client, case, today):
    case.status = "closed"
    case.closed_at = timezone.now()
    case.closing_reason = "goals_met"
    case.save()
    page = client.get(schedule_url(case)).content.decode()
    assert "This case is closed" in page
    response = client.post(
        schedule_url(case), {"due_on": (today + timedelta(days=2)).isoformat(), "kind": "review"}
    )
    assert response.status_code == 400
    assert "Reopen it first" in response.content.decode()
    assert not FollowUp.objects.filter(case=case).exists()


def test_the_form_says_whether_the_person_can_be_reminded(client, case):
    from linkwell.people.models import Consent

    page = client.get(schedule_url(case)).content.decode()
    assert "cannot be sent a reminder now: no consent to be contacted" in page
    Consent.objects.create(person=case.person, scope="contact", method="verbal", channels=["sms"])
    page = client.get(schedule_url(case)).content.decode()
    assert "Aled can be reminded by text message" in page


# --- Done, missed, cancelled ----------------------------------------------------------------------


def done_url(followup):
    return reverse("casework:followup_done", args=[followup.case_id, followup.pk])


def test_marking_done_goes_back_to_the_list(client, case, today, worker):
    followup = FollowUpFactory(case=case, due_on=today)
    response = client.post(done_url(followup), {"action": "done", "next": f"{LIST}?day=x"})
    assert response.status_code == 302
    assert response.url == f"{LIST}?day=x"
    followup.refresh_from_db()
    assert followup.status == "done"
    assert followup.completed_by == worker.user
    assert LogEntry.objects.filter(action="case.followup_done", object_id=str(followup.pk))
    assert client.get(LIST).context["listing"].due == [followup]


def test_marking_missed_on_a_repeating_call_schedules_the_next(client, case, today):
    followup = FollowUpFactory(case=case, due_on=today, recurrence="weekly")
    response = client.post(done_url(followup), {"action": "missed", "next": LIST}, follow=True)
    followup.refresh_from_db()
    assert followup.status == "missed"
    following = FollowUp.objects.get(case=case, status="due")
    assert following.due_on == today + timedelta(days=7)
    assert following.recurrence == "weekly"
    [message] = messages_of(response)
    assert "Marked missed" in message
    assert "the next one is due on" in message


def test_cancelling_a_follow_up(client, case, today):
    followup = FollowUpFactory(case=case, due_on=today, recurrence="weekly")
    client.post(done_url(followup), {"action": "cancel"})
    followup.refresh_from_db()
    assert followup.status == "cancelled"
    assert not FollowUp.objects.filter(case=case, status="due").exists()


def test_a_next_address_elsewhere_is_not_followed(client, case, today):
    followup = FollowUpFactory(case=case, due_on=today)
    response = client.post(done_url(followup), {"action": "done", "next": "https://evil.example/"})
    assert response.url == case_url(case)


def test_a_follow_up_of_another_case_is_not_found(client, case, scheme, worker, today):
    elsewhere = FollowUpFactory(case=CaseFactory(scheme=scheme, worker=worker.user))
    url = reverse("casework:followup_done", args=[case.pk, elsewhere.pk])
    assert client.post(url, {"action": "done"}).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == "due"


def test_a_follow_up_already_marked_or_an_unknown_action_is_refused(client, case, today):
    followup = done(FollowUpFactory(case=case, due_on=today))
    response = client.post(done_url(followup), {"action": "missed", "next": LIST}, follow=True)
    assert "already marked done" in messages_of(response)[0]
    followup.refresh_from_db()
    assert followup.status == "done"

    due = FollowUpFactory(case=case, due_on=today)
    response = client.post(done_url(due), {"action": "forget", "next": LIST}, follow=True)
    assert "Choose done, missed or cancel" in messages_of(response)[0]
    due.refresh_from_db()
    assert due.status == "due"
