"""The HTTP backend against a stand-in postcodes.io server on 127.0.0.1, started by the test.

The stand-in answers by postcode: found, not found, a server error, garbage of several kinds,
a slow answer and a trickling one. Nothing here reaches the internet, and nothing is mocked:
the backend makes real HTTP requests.
"""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from linkwell.geo import Coordinates, Postcode, PostcodeError, lookup_postcode

FOUND = {"SW1A1AA": (51.501009, -0.141588), "EC1A1BB": (51.520089, -0.097211)}
TIMEOUT = 1.5  # generous enough for a loaded 2-core CI machine


def _postcode_json(postcode: str, latitude, longitude) -> dict:
    return {
        "status": 200,
        "result": {"postcode": postcode, "latitude": latitude, "longitude": longitude},
    }


class StandInHandler(BaseHTTPRequestHandler):
    """Answers GET /postcodes/{POSTCODE} as postcodes.io would, or misbehaves on request."""

    def do_GET(self):
        self.server.requests.append(self.path)
        postcode = self.path.removeprefix("/api").removeprefix("/postcodes/")
        if postcode in FOUND:
            return self._json(200, _postcode_json(postcode, *FOUND[postcode]))
        match postcode:
            case "M11AE":
                return self._json(500, {"status": 500, "error": "Internal server error"})
            case "B338TH":
                return self._send(200, b"<html><body>Welcome to nginx!</body></html>", "text/html")
            case "CR26XH":
                return self._json(200, {"status": 200, "result": {"latitude": "north"}})
            case "DN551PT":
                return self._json(200, {"status": 200, "result": [51.5, -0.1]})
            case "N1C4AG":
                return self._json(200, _postcode_json(postcode, 123.4, -0.12))
            case "W1A0AX":
                # postcodes.io knows some postcodes without knowing where they are.
                return self._json(200, _postcode_json(postcode, None, None))
            case "ZE10AA":
                return self._send(404, b"<h1>Not Found</h1>", "text/html")  # a proxy's page
            case "GIR0AA":
                self.send_response(302)
                self.send_header("Location", "/postcodes/SW1A1AA")
                self.end_headers()
                return None
            case "LS11BA":
                return self._send(200, b'{"status": 200, "result": "' + b"x" * 400_000 + b'"}')
            case "B11BB":
                return self._send(200, b"[" * 100_000)
            case "BS14DJ":
                # Slow to answer at all: waits far longer than the backend's timeout.
                self.server.release.wait(10)
                return self._json(200, _postcode_json(postcode, 51.45, -2.59))
            case "CF101AA":
                return self._trickle()
        return self._json(404, {"status": 404, "error": "Postcode not found"})

    def _json(self, status: int, data: dict) -> None:
        self._send(status, json.dumps(data).encode())

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self) -> None:
        """Answer at once, then send the body a byte at a time, each within the read timeout."""
        body = json.dumps(_postcode_json("CF10 1AA", 51.48, -3.18)).encode() + b" " * 200
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if self.server.release.wait(TIMEOUT / 5):
                    return
        except OSError:
            return  # the backend gave up and hung up, as it should

    def log_message(self, format, *args):
        pass


class StandInServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that gave up (the timeout tests) is expected: say nothing."""


@pytest.fixture
def stand_in():
    server = StandInServer(("127.0.0.1", 0), StandInHandler)
    server.block_on_close = False
    server.requests = []
    server.release = threading.Event()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def http_backend(db, settings, monkeypatch, stand_in):
    """Settings for the HTTP backend pointed at the stand-in; returns the requests it saw."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    settings.GEO_POSTCODE_BACKEND = "http"
    settings.GEO_POSTCODES_IO_URL = f"http://127.0.0.1:{stand_in.server_port}"
    settings.GEO_POSTCODES_IO_TIMEOUT = TIMEOUT
    return stand_in.requests


def _lookup_error(text: str) -> PostcodeError:
    with pytest.raises(PostcodeError) as caught:
        lookup_postcode(text)
    return caught.value


def test_a_found_postcode_gives_its_coordinates(http_backend):
    assert lookup_postcode("sw1a 1aa") == Coordinates(latitude=51.501009, longitude=-0.141588)
    assert http_backend == ["/postcodes/SW1A1AA"]


def test_answers_are_remembered_in_the_postcode_table(http_backend, settings):
    lookup_postcode("SW1A 1AA")
    assert lookup_postcode("SW1A1AA") == Coordinates(latitude=51.501009, longitude=-0.141588)
    assert len(http_backend) == 1  # the second came from the table
    row = Postcode.objects.get(postcode="SW1A 1AA")
    assert (row.latitude, row.longitude, row.source) == (51.501009, -0.141588, "http")
    settings.GEO_POSTCODE_BACKEND = "table"
    assert lookup_postcode("SW1A 1AA") == Coordinates(latitude=51.501009, longitude=-0.141588)


def test_postcodes_already_in_the_table_are_not_asked_for(http_backend):
    Postcode.objects.create(postcode="EC1A 1BB", latitude=51.52, longitude=-0.1, source="onspd")
    assert lookup_postcode("EC1A 1BB") == Coordinates(latitude=51.52, longitude=-0.1)
    assert http_backend == []


def test_a_base_url_with_a_path_and_a_trailing_slash(http_backend, settings):
    settings.GEO_POSTCODES_IO_URL += "/api/"
    assert lookup_postcode("EC1A 1BB") == Coordinates(latitude=51.520089, longitude=-0.097211)
    assert http_backend == ["/api/postcodes/EC1A1BB"]


def test_an_unknown_postcode_is_unknown_and_not_remembered(http_backend):
    for _ in range(2):
        error = _lookup_error("SE1 9SG")
        assert error.code == "postcode.unknown"
        assert error.message == "We could not find that postcode"
    assert len(http_backend) == 2
    assert not Postcode.objects.exists()


def test_a_postcode_known_without_a_place_is_unknown(http_backend):
    assert _lookup_error("W1A 0AX").code == "postcode.unknown"


def test_an_invalid_postcode_never_reaches_the_server(http_backend):
    assert _lookup_error("SW1A 1A").code == "postcode.invalid"
    assert http_backend == []


@pytest.mark.parametrize(
    ("postcode", "what"),
    [
        ("M1 1AE", "a server error"),
        ("B33 8TH", "an HTML page"),
        ("CR2 6XH", "JSON without usable coordinates"),
        ("DN55 1PT", "JSON of the wrong shape"),
        ("N1C 4AG", "a latitude out of range"),
        ("ZE1 0AA", "a 404 that is not the service's"),
        ("GIR 0AA", "a redirect"),
        ("LS1 1BA", "an answer far too large"),
        ("B1 1BB", "JSON nested beyond reason"),
    ],
)
def test_garbage_is_unavailable_not_a_crash(http_backend, postcode, what):
    error = _lookup_error(postcode)
    assert error.code == "postcode.unavailable", what
    assert error.status == 503
    assert error.message
    assert not Postcode.objects.exists()


@pytest.mark.parametrize("postcode", ["BS1 4DJ", "CF10 1AA"], ids=["silent", "trickling"])
def test_a_slow_server_times_out_quickly(http_backend, postcode):
    started = time.monotonic()
    error = _lookup_error(postcode)
    elapsed = time.monotonic() - started
    assert error.code == "postcode.unavailable"
    assert elapsed < 4 * TIMEOUT
    assert len(http_backend) == 1


def test_an_unreachable_server_is_unavailable(http_backend, settings):
    with socket.socket() as probe:  # a port nothing listens on once this closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.GEO_POSTCODES_IO_URL = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    assert _lookup_error("SW1A 1AA").code == "postcode.unavailable"
    assert time.monotonic() - started < 4 * TIMEOUT


def test_a_malformed_base_url_is_unavailable(http_backend, settings):
    settings.GEO_POSTCODES_IO_URL = "http://[not a host"
    assert _lookup_error("SW1A 1AA").code == "postcode.unavailable"
