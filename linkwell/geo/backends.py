"""Postcode lookup backends, chosen by the `GEO_POSTCODE_BACKEND` setting.

- `table` (the default): the `Postcode` table, filled by `manage.py import_postcodes` (or by
  `seed_demo` with the demo's made-up postcodes). Works offline; nothing leaves the server.
- `http`: a postcodes.io-compatible server at `GEO_POSTCODES_IO_URL`. Postcodes already in the
  table are answered from it; the server's answers are remembered there (source "http").
- a dotted path to a class of your own with a `lookup(postcode: str) -> Coordinates` method.

Every backend receives a validated, normalised postcode and either returns `Coordinates` or
raises `PostcodeError`.
"""

import json
import logging
import math
import time
from typing import Protocol

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, transaction
from django.utils.module_loading import import_string

from linkwell.geo.models import Postcode
from linkwell.geo.postcodes import (
    UNAVAILABLE_MESSAGE,
    UNKNOWN_MESSAGE,
    Coordinates,
    PostcodeError,
    is_valid_latitude,
    is_valid_longitude,
    validate_postcode,
)
from linkwell.geo.services import postcodes_upsert

logger = logging.getLogger(__name__)

# A postcodes.io answer for one postcode is a couple of kilobytes; anything far larger is not one.
MAX_RESPONSE_BYTES = 256 * 1024


class PostcodeBackend(Protocol):
    def lookup(self, postcode: str) -> Coordinates:
        """Coordinates of a validated, normalised postcode, or `PostcodeError`."""
        ...


def _unknown() -> PostcodeError:
    return PostcodeError(code="postcode.unknown", message=UNKNOWN_MESSAGE)


def _unavailable() -> PostcodeError:
    return PostcodeError(code="postcode.unavailable", message=UNAVAILABLE_MESSAGE)


def _from_table(postcode: str) -> Coordinates | None:
    row = Postcode.objects.filter(postcode=postcode).values_list("latitude", "longitude").first()
    return Coordinates(latitude=row[0], longitude=row[1]) if row else None


class TableBackend:
    """Look postcodes up in the `Postcode` table only."""

    def lookup(self, postcode: str) -> Coordinates:
        coordinates = _from_table(postcode)
        if coordinates is None:
            raise _unknown()
        return coordinates


class HttpBackend:
    """Ask a postcodes.io-compatible server: GET {base_url}/postcodes/{postcode}.

    A found postcode answers 200 with {"status": 200, "result": {"latitude": .., "longitude": ..}};
    an unknown one answers 404. Anything else (no connection, a timeout, a server error, a body
    that is not that JSON, coordinates out of range) is `postcode.unavailable`. `timeout` bounds
    each network step and, roughly, the whole request.
    """

    def __init__(self, *, base_url: str, timeout: float, cache: bool = True):
        if not base_url:
            raise ImproperlyConfigured("GEO_POSTCODES_IO_URL must be set for the http backend.")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.cache = cache

    def lookup(self, postcode: str) -> Coordinates:
        if self.cache and (known := _from_table(postcode)) is not None:
            return known
        coordinates = self._ask(postcode)
        if self.cache:
            self._remember(postcode, coordinates)
        return coordinates

    def _ask(self, postcode: str) -> Coordinates:
        # Only A-Z, 0-9 and one space reach here (validated); the compact form needs no escaping.
        url = f"{self.base_url}/postcodes/{postcode.replace(' ', '')}"
        try:
            status, body = self._get(url)
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            # The postcode may be someone's home: log what went wrong, not what was asked.
            logger.warning("Postcode lookup service unreachable: %s", type(exc).__name__)
            raise _unavailable() from exc
        if status == 404 and _json_status(body) == 404:
            raise _unknown()
        if status != 200:
            # A 404 that is not the service's own JSON (a proxy's page, a wrong base URL) says
            # nothing about the postcode.
            logger.warning("Postcode lookup service answered HTTP %s", status)
            raise _unavailable()
        return self._parse(body)

    def _get(self, url: str) -> tuple[int, bytes]:
        deadline = time.monotonic() + self.timeout
        with (
            httpx.Client(timeout=self.timeout, follow_redirects=False) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise httpx.DecodingError("response too large")
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("response too slow")
            return response.status_code, bytes(body)

    def _parse(self, body: bytes) -> Coordinates:
        try:
            result = json.loads(body)["result"]
            latitude, longitude = result["latitude"], result["longitude"]
        except (ValueError, TypeError, KeyError, IndexError, RecursionError):
            logger.warning("Postcode lookup service answered something that is not a postcode")
            raise _unavailable() from None
        if latitude is None or longitude is None:
            # postcodes.io knows some postcodes (Channel Islands, some new ones) without a place.
            raise _unknown()
        if (
            isinstance(latitude, bool)
            or isinstance(longitude, bool)
            or not isinstance(latitude, int | float)
            or not isinstance(longitude, int | float)
            or not (math.isfinite(latitude) and math.isfinite(longitude))
            or not (is_valid_latitude(latitude) and is_valid_longitude(longitude))
        ):
            logger.warning("Postcode lookup service answered impossible coordinates")
            raise _unavailable()
        return Coordinates(latitude=float(latitude), longitude=float(longitude))

    def _remember(self, postcode: str, coordinates: Coordinates) -> None:
        """Keep the answer for next time; failing to keep it must not fail the lookup."""
        try:
            with transaction.atomic():
                postcodes_upsert(
                    rows=[(postcode, coordinates.latitude, coordinates.longitude)],
                    source=Postcode.Source.HTTP,
                )
        except DatabaseError:
            logger.warning("Could not remember a postcode lookup", exc_info=True)


def _json_status(body: bytes) -> object:
    """The "status" member of a JSON object body, or None when the body is not one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data.get("status") if isinstance(data, dict) else None


def get_backend() -> PostcodeBackend:
    """The backend the settings choose (built afresh each time, so settings changes apply)."""
    name = getattr(settings, "GEO_POSTCODE_BACKEND", "table")
    if name == "table":
        return TableBackend()
    if name == "http":
        return HttpBackend(
            base_url=getattr(settings, "GEO_POSTCODES_IO_URL", ""),
            timeout=getattr(settings, "GEO_POSTCODES_IO_TIMEOUT", 3.0),
        )
    if "." in name:
        try:
            backend_class = import_string(name)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"GEO_POSTCODE_BACKEND {name!r} cannot be imported."
            ) from exc
        return backend_class()
    raise ImproperlyConfigured(
        f"GEO_POSTCODE_BACKEND must be 'table', 'http' or a dotted path to a class, not {name!r}."
    )


def lookup_postcode(text: str) -> Coordinates:
    """Turn a postcode as someone typed it into coordinates.

    Raises `PostcodeError` with code `postcode.invalid` (not a UK postcode; nothing is looked
    up), `postcode.unknown` (well-formed, not known) or `postcode.unavailable` (the lookup
    service failed).
    """
    return get_backend().lookup(validate_postcode(text))
