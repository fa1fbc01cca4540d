"""`manage.py send_followup_reminders`: each link worker's digest, and appointment reminders to
people only by a route their consent allows when it is sent; once only; failures audited."""

import uuid
from datetime import date, time, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linkwell import notify
from linkwell.casework import reminders
from linkwell.casework.models import FollowUp
from linkwell.core.models import LogEntry, Role
from linkwell.notify import backends
from linkwell.notify.models import OutgoingMessage
from linkwell.notify.outbox import messages_send_due
from linkwell.people.models import Consent
from linkwell.people.services import consent_withdraw
from tests.factories import CaseFactory, FollowUpFactory, PersonFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 3)  # a Tuesday
TOMORROW = TODAY + timedelta(days=1)
MOBILE = "+447700900123"


class RefusingBackend:
    """Refuses messages to one address (like a provider rejecting a number); keeps the rest."""

    refuse = "+447700900999"

    def send(self, message) -> str:
        if message.to == self.refuse:
            raise notify.NotifyError("The number was not accepted.")
        backends.outbox.append(message)
        return str(uuid.uuid4())


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.NOTIFY_BACKEND = "memory"
    backends.outbox.clear()
    yield backends.outbox
    backends.outbox.clear()


def run(**options) -> str:
    """The morning's command, then the outbox's background task that sends what it queued."""
    out = StringIO()
    call_command("send_followup_reminders", "--date", TODAY.isoformat(), stdout=out, **options)
    messages_send_due()
    return out.getvalue()


def worker_of(member, name):
    return member(Role.LINK_WORKER, user__full_name=name, user__email=f"{name.lower()}@lw.test")


def appointment(scheme, *, phone=MOBILE, email="", preferred="phone", channels=None, **kwargs):
    """An appointment tomorrow at 14:30 with a reminder asked for; `channels` None means no
    consent to be contacted at all."""
    person = PersonFactory(
        scheme=scheme,
        given_name="Tess",
        phone=phone,
        email=email,
        preferred_contact_method=preferred,
    )
    if channels is not None:
        Consent.objects.create(person=person, scope="contact", method="verbal", channels=channels)
    case = CaseFactory(scheme=scheme, person=person)
    defaults = {
        "due_on": TOMORROW,
        "due_time": time(14, 30),
        "kind": "appointment",
        "remind_person": True,
        "purpose": "Talk about the food bank",
    }
    return FollowUpFactory(case=case, **{**defaults, **kwargs})


# --- The workers' digests -------------------------------------------------------------------------


def test_each_worker_with_follow_ups_due_gets_one_digest_naming_nobody(scheme, member, outbox):
    rhian, dafydd, idle = (worker_of(member, n) for n in ("Rhian", "Dafydd", "Idle"))
    first = CaseFactory(scheme=scheme, worker=rhian.user)
    second = CaseFactory(scheme=scheme, worker=rhian.user)
    FollowUpFactory(case=first, due_on=TODAY)
    FollowUpFactory(case=second, due_on=TODAY)
    FollowUpFactory(case=second, due_on=TODAY - timedelta(days=4))
    FollowUpFactory(
        case=CaseFactory(scheme=scheme, worker=dafydd.user), due_on=TODAY - timedelta(1)
    )
    FollowUpFactory(case=CaseFactory(scheme=scheme, worker=idle.user), due_on=TOMORROW)

    out = run()

    assert sorted(m.to_email for m in outbox) == ["dafydd@lw.test", "rhian@lw.test"]
    to_rhian = next(m for m in outbox if m.to_email == "rhian@lw.test")
    assert "You have 2 follow-ups due today and 1 overdue." in to_rhian.body
    assert "/cases/follow-ups/" in to_rhian.body
    to_dafydd = next(m for m in outbox if m.to_email == "dafydd@lw.test")
    assert "You have 0 follow-ups due today and 1 overdue." in to_dafydd.body
    for message in outbox:
        for case in (first, second):
            assert case.person.given_name not in message.body
            assert case.person.family_name not in message.body
        assert "Weekly support call" not in message.body
    assert "2 worker digests queued to send" in out


def test_finished_follow_ups_closed_cases_and_former_workers_are_left_out(scheme, member, outbox):
    rhian = worker_of(member, "Rhian")
    case = CaseFactory(scheme=scheme, worker=rhian.user)
    FollowUpFactory(case=case, due_on=TODAY, status="done", completed_at=timezone.now())
    closed = CaseFactory(
        scheme=scheme,
        worker=rhian.user,
        status="closed",
        closed_at=timezone.now(),
        closing_reason="goals_met",
    )
    FollowUpFactory(case=closed, due_on=TODAY)
    gone = worker_of(member, "Gone")
    FollowUpFactory(case=CaseFactory(scheme=scheme, worker=gone.user), due_on=TODAY)
    gone.user.is_active = False
    gone.user.save()
    left = worker_of(member, "Left")
    FollowUpFactory(case=CaseFactory(scheme=scheme, worker=left.user), due_on=TODAY)
    left.is_active = False
    left.save()

    run()

    assert outbox == []


def test_the_digests_take_one_query_however_many_follow_ups(scheme, member):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            reminders.worker_digests(TODAY)
        return len(ctx)

    rhian = worker_of(member, "Rhian")
    FollowUpFactory(case=CaseFactory(scheme=scheme, worker=rhian.user), due_on=TODAY)
    assert queries() == 1
    for name in ("A", "B", "C"):
        worker = worker_of(member, f"Worker{name}")
        for days in range(3):
            case = CaseFactory(scheme=scheme, worker=worker.user)
            FollowUpFactory(case=case, due_on=TODAY - timedelta(days=days))
    assert queries() == 1
    assert len(reminders.worker_digests(TODAY)) == 4


# --- The person's reminder ------------------------------------------------------------------------


def test_a_person_who_agreed_gets_a_text_the_day_before(scheme, outbox):
    followup = appointment(scheme, channels=[])

    out = run()

    [message] = [m for m in outbox if m.channel == "sms"]
    assert message.to_phone == MOBILE
    assert message.body == (
        "Hello Tess. You have an appointment with Riverside Social Prescribing on "
        "Wednesday 4 March at 2:30pm."
    )
    assert "food bank" not in message.body
    followup.refresh_from_db()
    assert followup.reminder_sent_at is not None
    [entry] = LogEntry.objects.filter(action="case.reminder_sent")
    assert entry.data == {"channel": "sms", "due_on": TOMORROW.isoformat()}
    assert entry.person_id == str(followup.case.person_id)
    assert "1 appointment reminder queued to send, 0 not sent" in out


def test_someone_who_prefers_email_gets_an_email(scheme, outbox):
    appointment(scheme, email="tess@example.test", preferred="email", channels=["email", "sms"])
    run()
    [message] = [m for m in outbox if m.to_email == "tess@example.test"]
    assert message.channel == "email"
    assert (
        "You have an appointment with Riverside Social Prescribing on Wednesday 4 March at "
        "2:30pm." in message.body
    )


def test_the_route_follows_the_consent_not_the_preference(scheme, outbox):
    appointment(scheme, email="tess@example.test", preferred="sms", channels=["email"])
    run()
    assert [m.channel for m in outbox] == ["email"]


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"channels": None}, "no consent to be contacted"),
        (
            {"channels": ["phone", "letter"], "email": "tess@example.test"},
            "consent to contact does not include text message; consent to contact does not "
            "include email",
        ),
        ({"channels": [], "phone": "+441632960555"}, "no mobile number; no email address"),
    ],
)
def test_no_reminder_without_consent_or_a_way_to_send_it(scheme, outbox, kwargs, why):
    followup = appointment(scheme, **kwargs)

    out = run()

    assert outbox == []
    followup.refresh_from_db()
    assert followup.reminder_sent_at is None
    [entry] = LogEntry.objects.filter(action="case.reminder_not_sent")
    assert entry.data == {"why": why, "due_on": TOMORROW.isoformat()}
    assert "0 appointment reminders queued to send, 1 not sent" in out


def test_consent_withdrawn_after_the_reminder_was_asked_for_stops_it(scheme, outbox, member):
    followup = appointment(scheme, channels=[])
    consent = followup.case.person.consents.get()
    consent_withdraw(consent=consent, by=member(Role.LINK_WORKER).user, reason="Asked us to stop")
    run()
    assert outbox == []
    assert LogEntry.objects.get(action="case.reminder_not_sent").data["why"] == (
        "no consent to be contacted"
    )


def test_a_second_run_sends_nothing_twice(scheme, member, outbox):
    appointment(scheme, channels=[])
    FollowUpFactory(
        case=CaseFactory(scheme=scheme, worker=worker_of(member, "R").user), due_on=TODAY
    )
    run()
    first = len(outbox)
    out = run()
    reminders_now = [m for m in outbox if m.channel == "sms"]
    assert len(reminders_now) == 1
    assert LogEntry.objects.filter(action="case.reminder_sent").count() == 1
    assert "0 appointment reminders queued to send" in out
    assert first == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "support_call"},
        {"remind_person": False},
        {"due_on": TODAY + timedelta(days=2)},
        {"status": "cancelled", "completed_at": timezone.now()},
    ],
)
def test_only_appointments_tomorrow_with_a_reminder_asked_for_are_reminded(scheme, outbox, kwargs):
    appointment(scheme, channels=[], **kwargs)
    run()
    assert [m for m in outbox if m.channel == "sms"] == []
    assert not LogEntry.objects.filter(action__startswith="case.reminder_").exists()


def test_a_failed_send_is_audited_and_the_run_goes_on(scheme, settings, outbox):
    settings.NOTIFY_BACKEND = "tests.casework.test_reminders.RefusingBackend"
    refused = appointment(scheme, phone=RefusingBackend.refuse, channels=[], due_time=time(9))
    sent = appointment(scheme, channels=[], due_time=time(11))

    out = run()

    assert [m.to_phone for m in outbox] == [MOBILE]
    refused.refresh_from_db()
    sent.refresh_from_db()
    assert refused.reminder_sent_at is None
    assert sent.reminder_sent_at is not None
    entry = LogEntry.objects.get(action="case.reminder_not_sent")
    assert entry.object_id == str(refused.pk)
    assert entry.data["why"] == "the message could not be sent: The number was not accepted."
    assert "2 appointment reminders queued to send, 0 not sent" in out
    # The refusal is shown to the case's link worker, on "Messages not sent".
    [failed] = OutgoingMessage.objects.filter(status="failed")
    assert failed.about_id == str(refused.pk) and failed.sender_id == refused.case.worker_id


def test_a_dry_run_sends_and_records_nothing(scheme, member, outbox):
    followup = appointment(scheme, channels=[])
    FollowUpFactory(
        case=CaseFactory(scheme=scheme, worker=worker_of(member, "R").user), due_on=TODAY
    )

    out = run(dry_run=True)

    assert outbox == []
    followup.refresh_from_db()
    assert followup.reminder_sent_at is None
    assert not LogEntry.objects.filter(action__startswith="case.reminder_").exists()
    assert "1 worker digest would be sent" in out
    assert "1 appointment reminder would be sent" in out
    assert "dry run" in out


def test_the_date_must_be_a_date():
    with pytest.raises(CommandError):
        call_command("send_followup_reminders", "--date", "tomorrow")


def test_without_a_date_today_is_used(scheme, outbox):
    today = timezone.localdate()
    followup = appointment(scheme, channels=[], due_on=today + timedelta(days=1))
    call_command("send_followup_reminders", stdout=StringIO())
    followup.refresh_from_db()
    assert followup.reminder_sent_at is not None
    assert FollowUp.objects.filter(reminder_sent_at__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("at", "said"), [(time(9), "9am"), (time(12, 5), "12:05pm"), (time(0, 30), "12:30am")]
)
def test_times_are_said_the_way_people_say_them(at, said):
    assert reminders.say_time(at) == said


def test_consent_withdrawn_after_the_reminder_was_queued_stops_it(scheme, outbox, member):
    followup = appointment(scheme, channels=[])
    call_command("send_followup_reminders", "--date", TODAY.isoformat(), stdout=StringIO())
    consent = followup.case.person.consents.get()
    consent_withdraw(consent=consent, by=member(Role.LINK_WORKER).user, reason="Asked us to stop")
    messages_send_due()
    assert [m for m in outbox if m.channel == "sms"] == []
    assert LogEntry.objects.get(action="case.reminder_not_sent").data["why"] == (
        "no consent to be contacted"
    )
    row = OutgoingMessage.objects.get(about_id=str(followup.pk))
    assert row.status == "cancelled" and row.body == ""


def test_a_digest_that_cannot_be_sent_is_shown_to_its_worker(scheme, member, settings):
    from linkwell.notify.selectors import messages_not_sent

    settings.NOTIFY_BACKEND = "tests.casework.test_reminders.RefusingBackend"
    rhian = worker_of(member, "Rhian")
    RefusingBackend.refuse = rhian.user.email
    try:
        FollowUpFactory(case=CaseFactory(scheme=scheme, worker=rhian.user), due_on=TODAY)
        run()
    finally:
        RefusingBackend.refuse = "+447700900999"
    [failed] = messages_not_sent(membership=rhian)
    assert failed.kind == "case.followup_digest" and failed.scheme_id is None
    other = worker_of(member, "Dafydd")
    assert messages_not_sent(membership=other) == []
