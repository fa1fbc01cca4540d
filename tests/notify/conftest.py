"""A stand-in GOV.UK Notify API on 127.0.0.1, started by the tests that need one.

It checks each request as Notify would (a JWT signed with the key's secret, issued by the key's
service id), records it, and answers as Notify does: 201 with an id, or an error. Nothing here
reaches the internet and nothing is mocked: the real client makes real requests.
"""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer

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
        if self.server.fail_next > 0:  # a Notify that is down for the next few requests
            self.server.fail_next -= 1
            return self._json(
                503, {"status_code": 503, "errors": [{"error": "Down", "message": "Try later"}]}
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
    server.fail_next = 0
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
