"""Searching the directory through the open Open Referral UK feed, as another directory would.

Operations, each by an anonymous client (the feed needs no sign-in):

- `oruk_services_text_and_term`: GET /oruk/services?search=walking&taxonomy_term_id=<Loneliness
  and isolation>: a text search (one name in twelve has the word) and a need area together.
- `oruk_services_full_page`: GET /oruk/services?full=true: the first page of 50 fully nested
  services, as an importer pages through the feed.
- `oruk_service_at_locations_postcode`: GET /oruk/service_at_locations?postcode=B1 1AA&proximity
  =5000: places within 5 km of the bench postcode (looked up in the postcode table), nearest
  first.

The floor is GET /oruk/ (the API's details: the same middleware and API, no query).
"""

from django.test import Client

from bench.generator import BENCH_POSTCODE
from bench.runner import RunConfig, emit, measure
from linkwell.directory import taxonomy

FLOOR_PATH = "/oruk/"


class UnexpectedResponse(RuntimeError):
    pass


def get(client: Client, path: str, params: dict[str, str]) -> None:
    response = client.get(path, params)
    if response.status_code != 200:
        raise UnexpectedResponse(
            f"GET {path} {params} answered {response.status_code}: {response.content[:300]!r}; "
            "the bench expects 200."
        )
    if not response.json().get("contents") and path != FLOOR_PATH:
        raise UnexpectedResponse(f"GET {path} {params} found nothing; the bench expects results.")


def run(config: RunConfig) -> None:
    client = Client()
    loneliness = str(taxonomy.term_id("loneliness"))
    operations = [
        (
            "oruk_services_text_and_term",
            "/oruk/services",
            {"search": "walking", "taxonomy_term_id": loneliness},
        ),
        ("oruk_services_full_page", "/oruk/services", {"full": "true"}),
        (
            "oruk_service_at_locations_postcode",
            "/oruk/service_at_locations",
            {"postcode": BENCH_POSTCODE[0], "proximity": "5000"},
        ),
    ]
    floor = measure(lambda: get(client, FLOOR_PATH, {}), runs=config.runs, warmup=config.warmup)
    for name, path, params in operations:
        timing = measure(
            lambda p=path, q=params: get(client, p, q), runs=config.runs, warmup=config.warmup
        )
        emit(config, name, timing, floor)
