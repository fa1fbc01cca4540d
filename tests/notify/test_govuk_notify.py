"""The GOV.UK Notify backend against a stand-in Notify API on 127.0.0.1 (tests/notify/conftest.py).
Nothing here reaches the internet and nothing is mocked: the real client makes real requests."""

import uuid

import pytest

from linkwell import notify
from tests.notify.conftest import (
    API_KEY,
    BROKEN_EMAIL,
    EMAIL_TEMPLATE,
    REFUSED_PHONE,
    SERVICE_ID,
    SMS_TEMPLATE,
)


def test_a_text_message_is_sent_with_the_sms_template(stand_in):
    message_id = notify.send(
        notify.Message(to_phone="+447700900123", subject="Hi", body="Your link", reference="r-1")
    )
    assert uuid.UUID(message_id)
    [request] = stand_in.requests
    assert request["path"] == "/v2/notifications/sms"
    assert request["auth"].startswith("Bearer ")
    assert request["token_ok"], "the JWT was not signed with the key's secret"
    assert request["body"] == {
        "phone_number": "+447700900123",
        "template_id": SMS_TEMPLATE,
        "personalisation": {"subject": "Hi", "body": "Your link"},
        "reference": "r-1",
    }


def test_an_email_is_sent_with_the_email_template(stand_in):
    notify.send(notify.Message(to_email="sam@example.test", subject="Your link", body="Hello"))
    [request] = stand_in.requests
    assert request["path"] == "/v2/notifications/email"
    assert request["token_ok"]
    assert request["body"]["email_address"] == "sam@example.test"
    assert request["body"]["template_id"] == EMAIL_TEMPLATE
    assert request["body"]["personalisation"] == {"subject": "Your link", "body": "Hello"}
    assert "reference" not in request["body"]


def test_a_refusal_is_a_clear_error_with_notifys_own_words(stand_in):
    with pytest.raises(notify.NotifyError) as caught:
        notify.send(notify.Message(to_phone=REFUSED_PHONE, body="Your link"))
    assert caught.value.status == 400
    assert "GOV.UK Notify did not send the message (400)" in caught.value.message
    assert "team-only API key" in caught.value.message


def test_a_server_error_page_is_a_clear_error(stand_in):
    with pytest.raises(notify.NotifyError) as caught:
        notify.send(notify.Message(to_email=BROKEN_EMAIL, subject="x", body="y"))
    assert caught.value.status == 500
    assert "(500)" in caught.value.message


def test_a_wrong_key_is_refused_by_notify(stand_in, settings):
    settings.NOTIFY_API_KEY = f"linkwell_test-{SERVICE_ID}-{uuid.uuid4()}"
    with pytest.raises(notify.NotifyError, match=r"\(403\)"):
        notify.send(notify.Message(to_phone="+447700900123", body="x"))
    assert stand_in.requests[0]["token_ok"] is False


def test_a_missing_template_is_a_clear_error_and_nothing_is_sent(stand_in, settings):
    settings.NOTIFY_SMS_TEMPLATE_ID = ""
    with pytest.raises(notify.NotifyError, match="NOTIFY_SMS_TEMPLATE_ID"):
        notify.send(notify.Message(to_phone="+447700900123", body="x"))
    assert stand_in.requests == []


def test_no_server_answering_is_a_clear_error(settings):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.NOTIFY_BACKEND = "govuk_notify"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_BASE_URL = f"http://127.0.0.1:{port}"
    settings.NOTIFY_SMS_TEMPLATE_ID = SMS_TEMPLATE
    with pytest.raises(notify.NotifyError, match=r"GOV\.UK Notify did not send the message"):
        notify.send(notify.Message(to_phone="+447700900123", body="x"))


def test_a_kind_with_its_own_template_uses_it_with_its_fields(stand_in, settings):
    own = str(uuid.uuid4())
    settings.NOTIFY_TEMPLATES = {"connection.provider_reminder": own}
    notify.send(
        notify.Message(
            to_email="art@example.test",
            subject="A referral is waiting",
            body="Please answer",
            kind="connection.provider_reminder",
            personalisation={"service": "Art group", "link": "http://x/provider/referrals/"},
        )
    )
    notify.send(notify.Message(to_email="art@example.test", subject="s", body="b", kind="other"))
    first, second = stand_in.requests
    assert first["body"]["template_id"] == own
    assert first["body"]["personalisation"] == {
        "service": "Art group",
        "link": "http://x/provider/referrals/",
        "subject": "A referral is waiting",
        "body": "Please answer",
    }
    # A kind with no template of its own falls back to the channel's generic template.
    assert second["body"]["template_id"] == EMAIL_TEMPLATE


def test_temporary_and_lasting_failures_are_told_apart(stand_in):
    with pytest.raises(notify.NotifyError) as server_error:
        notify.send(notify.Message(to_email=BROKEN_EMAIL, subject="x", body="y"))
    with pytest.raises(notify.NotifyError) as refusal:
        notify.send(notify.Message(to_phone=REFUSED_PHONE, body="x"))
    assert server_error.value.temporary is True
    assert refusal.value.temporary is False
