"""HSDS records and sources for the import and export tests: a nested service as another
directory would send it, files holding records, and a small Open Referral API on 127.0.0.1."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from linkwell.directory import taxonomy

# /work/shared/standards when this clone sits at /work/main, as the project's layout has it.
STANDARDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "standards"
EXAMPLES = STANDARDS / "hsds-3.0-examples"
NO_EXAMPLES = "../shared/standards/hsds-3.0-examples is not beside this clone"

ORGANIZATION_ID = "5f0c6a1e-2b3d-4c5e-8f90-a1b2c3d4e5f6"
LOCATION_ID = "6a1b2c3d-4e5f-4a7b-9c8d-0e1f2a3b4c5d"


def uid() -> str:
    return str(uuid.uuid4())


def hsds_service(service_id: str | None = None, **fields) -> dict:
    """A full HSDS service as another directory sends it: organisation, a place with an
    address, a weekly schedule, a cost, a phone and one of Linkwell's need-area terms."""
    service_id = service_id or uid()
    record = {
        "id": service_id,
        "name": "Tuesday walking group",
        "description": "A gentle hour's walk round the park, then tea.",
        "status": "active",
        "email": "walks@parkfriends.example.org",
        "minimum_age": 18,
        "organization": {
            "id": ORGANIZATION_ID,
            "name": "Friends of Cannon Hill Park",
            "description": "Volunteers who look after the park.",
        },
        "service_at_locations": [
            {
                "id": uid(),
                "location": {
                    "id": LOCATION_ID,
                    "location_type": "physical",
                    "name": "Cannon Hill Park café",
                    "latitude": 52.4537,
                    "longitude": -1.8996,
                    "addresses": [
                        {
                            "id": uid(),
                            "address_1": "Russell Road",
                            "city": "Birmingham",
                            "postal_code": "B13 8RD",
                            "country": "GB",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "schedules": [
            {
                "id": uid(),
                "freq": "WEEKLY",
                "byday": "TU",
                "opens_at": "10:00",
                "closes_at": "11:30",
                "description": "Tuesdays at ten",
            }
        ],
        "cost_options": [
            {"id": uid(), "option": "Tea", "currency": "GBP", "amount": 1.5},
        ],
        "phones": [{"id": uid(), "number": "0121 496 0101", "type": "voice"}],
        "attributes": [
            {
                "id": uid(),
                "taxonomy_term_id": str(taxonomy.term_id("physical-activity")),
            }
        ],
    }
    record.update(fields)
    return record


def changed(record: dict, **fields) -> dict:
    """A copy of `record` with some fields replaced."""
    copied = copy.deepcopy(record)
    copied.update(fields)
    return copied


def write_json(folder: Path, data, name: str = "directory.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def envelope(contents: list, *, page: int, pages: int, size: int, total: int) -> dict:
    """The Open Referral UK paged list envelope."""
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": size,
        "first_page": page == 1,
        "last_page": page == pages,
        "empty": not contents,
        "contents": contents,
    }


class FeedServer:
    """An Open Referral API on 127.0.0.1 answering `GET /api/services?page=N` from `pages`
    (a list of envelopes, or of (status, body) pairs for a page that fails). Records each
    request's query, so tests can see what the importer asked for."""

    def __init__(self, pages: list):
        self.pages = pages
        self.requests: list[dict[str, list[str]]] = []
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                feed.requests.append(query)
                if parts.path != "/api/services":
                    return self._answer(404, b'{"code": "not_found"}')
                number = int(query.get("page", ["1"])[0])
                if not 1 <= number <= len(feed.pages):
                    return self._answer(404, b"{}")
                page = feed.pages[number - 1]
                if isinstance(page, tuple):
                    return self._answer(page[0], page[1])
                return self._answer(200, json.dumps(page).encode())

            def _answer(self, status: int, body: bytes):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api"

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
