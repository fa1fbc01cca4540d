"""The GOV.UK Notify backend against a stand-in Notify API on 127.0.0.1, started by the test.

The stand-in checks each request as Notify would (a JWT signed with the key's secret, issued by
the key's service id), records it, and answers as Notify does: 201 with an id, or an error.
Nothing here reaches the internet and nothing is mocked: the real client makes real requests.
"""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer

from linkwell import notify

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
API_KEY = f"linkwell_test-{SERVICE_ID}-{SECRET}"
EMAIL_TEMPLATE = str(uuid.uuid4())
SMS_TEMPLATE = str(uuid.uuid4())
REFUSED_PHONE = "+447700900999"  # the stand-in answers 400 for this number
BROKEN_EMAIL = "broken@example.test"  # ...and 500 with a non-JSON page for this address


class StandInNotify(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        auth = self.headers.get("Authorization", "")
        record = {"path": self.path, "body": body, "auth": auth, "token_ok": False}
        self.server.requests.append(record)
        token = auth.removeprefix("Bearer ")
        try:
            record["token_ok"] = get_token_issuer(token) == SERVICE_ID and bool(
                decode_jwt_token(token, SECRET)
            )
        except Exception:
            record["token_ok"] = False
        if not record["token_ok"]:
            return self._json(
                403, {"status_code": 403, "errors": [{"error": "AuthError", "message": "Bad"}]}
            )
        if body.get("phone_number") == REFUSED_PHONE:
            return self._json(
                400,
                {
                    "status_code": 400,
                    "errors": [
                        {
                            "error": "BadRequestError",
                            "message": "Can't send to this recipient using a team-only API key",
                        }
                    ],
                },
            )
        if body.get("email_address") == BROKEN_EMAIL:
            page = b"<html>Bad gateway</html>"
            self.send_response(500)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return None
        return self._json(201, {"id": str(uuid.uuid4()), "reference": body.get("reference")})

    def _json(self, status, data):
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def stand_in(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInNotify)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.NOTIFY_BACKEND = "govuk_notify"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.NOTIFY_EMAIL_TEMPLATE_ID = EMAIL_TEMPLATE
    settings.NOTIFY_SMS_TEMPLATE_ID = SMS_TEMPLATE
    settings.NOTIFY_TIMEOUT = 5
    yield server
    server.shutdown()
    server.server_close()


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
