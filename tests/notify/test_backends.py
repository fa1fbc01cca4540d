"""The message interface and the log, email and memory backends."""

import logging

import pytest
from django.core import mail

from linkwell import notify
from linkwell.notify import backends


@pytest.fixture(autouse=True)
def _empty_outbox():
    backends.outbox.clear()
    yield
    backends.outbox.clear()


def test_a_message_to_an_email_address_is_an_email():
    message = notify.Message(to_email="a@example.test", subject="Hello", body="Text")
    assert message.channel == "email"
    assert message.to == "a@example.test"


def test_a_message_to_a_phone_number_is_a_text_message():
    message = notify.Message(to_phone="+447700900123", body="Text")
    assert message.channel == "sms"
    assert message.to == "+447700900123"


@pytest.mark.parametrize(
    ("message", "words"),
    [
        (notify.Message(subject="x", body="y"), "needs an address"),
        (notify.Message(channel="sms", body="y"), "needs a phone number"),
        (notify.Message(to_email="a@example.test", to_phone="+447700900123"), "not both"),
        (notify.Message(to_email="a@example.test", channel="pigeon"), "Unknown message channel"),
    ],
)
def test_a_message_without_the_right_address_is_refused(settings, message, words):
    settings.NOTIFY_BACKEND = "memory"
    with pytest.raises(ValueError, match=words):
        notify.send(message)
    assert backends.outbox == []


def test_the_log_backend_logs_emails_and_text_messages(settings, caplog):
    settings.NOTIFY_BACKEND = "log"
    with caplog.at_level(logging.INFO, logger="linkwell.notify"):
        notify.send(notify.Message(to_email="a@example.test", subject="Hello", body="Body one"))
        notify.send(notify.Message(to_phone="+447700900123", body="Body two"))
    text = caplog.text
    assert "a@example.test: Hello" in text and "Body one" in text
    assert "Text message" in text and "+447700900123" in text and "Body two" in text


def test_the_email_backend_sends_email(settings):
    settings.NOTIFY_BACKEND = "email"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notify.send(notify.Message(to_email="a@example.test", subject="Hello", body="Body"))
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["a@example.test"]
    assert mail.outbox[0].subject == "Hello"


def test_the_email_backend_says_it_cannot_send_text_messages(settings):
    settings.NOTIFY_BACKEND = "email"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with pytest.raises(notify.NotifyError, match="cannot send text messages"):
        notify.send(notify.Message(to_phone="+447700900123", body="Body"))
    assert mail.outbox == []


def test_the_memory_backend_keeps_what_it_was_given(settings):
    settings.NOTIFY_BACKEND = "memory"
    message = notify.Message(to_phone="+447700900123", body="Body")
    notify.send(message)
    assert backends.outbox == [message]


def test_govuk_notify_without_settings_is_a_clear_error(settings):
    settings.NOTIFY_BACKEND = "govuk_notify"
    settings.NOTIFY_API_KEY = ""
    with pytest.raises(notify.NotifyError, match="set NOTIFY_API_KEY"):
        notify.send(notify.Message(to_phone="+447700900123", body="Body"))


def test_govuk_notify_with_a_malformed_key_is_a_clear_error(settings):
    settings.NOTIFY_BACKEND = "govuk_notify"
    settings.NOTIFY_API_KEY = "short"
    with pytest.raises(notify.NotifyError, match=r"not a GOV\.UK Notify API key"):
        notify.send(notify.Message(to_phone="+447700900123", body="Body"))
