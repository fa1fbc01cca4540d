"""Reading postcode files: the ONS Postcode Directory (ONSPD) and Code-Point Open CSV layouts.

- ONSPD: a header row; the postcode in `pcds` (or `pcd`, `pcd2`), WGS84 coordinates in `lat` and
  `long`. A postcode without a grid reference has latitude 99.999999 and is skipped.
- Code-Point Open: no header (or the one from its separate headers file); columns Postcode,
  Positional_quality_indicator, Eastings, Northings, ... in British National Grid (OSGB36)
  metres, converted here to WGS84. A postcode without coordinates has eastings and northings 0.

`postcodes_import` reads a whole file in one transaction: it either imports every good row or,
when the file cannot be read to its end, nothing.
"""

import csv
import functools
import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from django.db import transaction
from pyproj import Transformer

from linkwell.geo.models import Postcode
from linkwell.geo.postcodes import PostcodeError, validate_postcode
from linkwell.geo.services import postcodes_upsert

ONSPD = Postcode.Source.ONSPD.value
CODEPOINT = Postcode.Source.CODEPOINT.value
FORMATS = {ONSPD: "ONS Postcode Directory", CODEPOINT: "Code-Point Open"}

NO_COORDINATES = "no coordinates"
MALFORMED_POSTCODE = "malformed postcode"
NOT_A_NUMBER = "coordinates are not numbers"
IMPOSSIBLE_COORDINATES = "impossible coordinates"
MISSING_COLUMNS = "missing columns"

DEFAULT_BATCH_SIZE = 5000
EXAMPLES_KEPT = 10

# ONSPD's latitude for a postcode it has no grid reference for.
_ONSPD_NO_LATITUDE = 99.999999
# The United Kingdom with the Isle of Man, the Channel Islands, Scilly, St Kilda and Shetland,
# and some room to spare: a postcode outside this box has impossible coordinates.
_UK_LATITUDES = (49.0, 61.5)
_UK_LONGITUDES = (-9.5, 2.5)
# The British National Grid's extent in metres.
_MAX_EASTINGS = 700_000
_MAX_NORTHINGS = 1_300_000


class PostcodeFileError(Exception):
    """The file cannot be read as a postcode file at all (as opposed to a bad row in it)."""


@dataclass
class ImportSummary:
    """What an import did: postcodes written, rows skipped by reason, the first few bad rows."""

    format: str
    imported: int = 0
    rows: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def skip(self, *, line: int, reason: str, detail: str = "") -> None:
        self.skipped[reason] += 1
        # Postcodes without coordinates are normal in both files; list only the surprising rows.
        if reason != NO_COORDINATES and len(self.examples) < EXAMPLES_KEPT:
            self.examples.append(f"line {line}: {reason}" + (f" ({detail})" if detail else ""))


class _Skip(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A row that parsed: its postcode and two numbers, not yet checked as a place in the UK."""

    line: int
    postcode: str
    x: float
    y: float


def detect_format(first_row: list[str]) -> str | None:
    """Which layout a file's first row belongs to: ONSPD, Code-Point Open, or None."""
    cells = [cell.strip().lower() for cell in first_row]
    if {"lat", "long"} <= set(cells) and {"pcds", "pcd", "pcd2"} & set(cells):
        return ONSPD
    if _is_codepoint_header(first_row):
        return CODEPOINT
    if len(cells) >= 4 and all(_is_number(cell) for cell in cells[2:4]):
        return CODEPOINT
    return None


@transaction.atomic
def postcodes_import(
    *,
    file: TextIO,
    format: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import every good row of an ONSPD or Code-Point Open CSV file into the postcode table.

    `format` is "onspd" or "codepoint", or None to tell from the first row. Postcodes already in
    the table are updated, so importing the same file twice changes nothing. Rows with a malformed
    postcode, no coordinates, or impossible ones are skipped and counted by reason. Raises
    `PostcodeFileError` (and writes nothing) when the file cannot be read as either layout.
    `progress`, when given, is called with the number of rows read after each batch.
    """
    if format is not None and format not in FORMATS:
        raise PostcodeFileError(f"Unknown format {format!r}: use onspd or codepoint.")
    reader = csv.reader(file)
    try:
        first = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if first is None:
            raise PostcodeFileError("The file is empty.")
        format = format or detect_format(first)
        if format is None:
            raise PostcodeFileError(
                "Cannot tell the file's layout from its first line: pass --format onspd or "
                "--format codepoint."
            )
        summary = ImportSummary(format=format)
        if format == ONSPD:
            parse = functools.partial(_parse_onspd, columns=_onspd_columns(first))
            rows: Iterator[list[str]] = reader
            convert: Callable[[list[_Candidate]], list[tuple[float, float]]] = _as_latlong
        else:
            if detect_format(first) == ONSPD:
                raise PostcodeFileError("This is an ONS Postcode Directory file, not Code-Point.")
            parse = _parse_codepoint
            rows = reader if _is_codepoint_header(first) else itertools.chain([first], reader)
            convert = _grid_to_latlong

        pending: list[_Candidate] = []
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue
            summary.rows += 1
            try:
                pending.append(parse(row, line=reader.line_num))
            except _Skip as skip:
                summary.skip(line=reader.line_num, reason=skip.reason, detail=skip.detail)
            if len(pending) >= batch_size:
                _write(pending, convert=convert, summary=summary)
                pending = []
                if progress:
                    progress(summary.rows)
        _write(pending, convert=convert, summary=summary)
        if progress:
            progress(summary.rows)
    except (UnicodeDecodeError, csv.Error) as exc:
        hint = ""
        if isinstance(exc, UnicodeDecodeError) and exc.object[:4] == b"PK\x03\x04":
            hint = " It looks like a zip file: unzip it and import the CSV inside."
        raise PostcodeFileError(
            f"Cannot read the file as CSV text near line {reader.line_num + 1}: {exc}.{hint}"
        ) from exc
    return summary


def _write(
    candidates: list[_Candidate],
    *,
    convert: Callable[[list[_Candidate]], list[tuple[float, float]]],
    summary: ImportSummary,
) -> None:
    if not candidates:
        return
    good = []
    for candidate, (latitude, longitude) in zip(candidates, convert(candidates), strict=True):
        if _in_uk(latitude, longitude):
            good.append((candidate.postcode, latitude, longitude))
        else:
            summary.skip(
                line=candidate.line,
                reason=IMPOSSIBLE_COORDINATES,
                detail=f"latitude {latitude:g}, longitude {longitude:g}",
            )
    summary.imported += postcodes_upsert(rows=good, source=summary.format)


def _onspd_columns(header: list[str]) -> tuple[int, int, int]:
    cells = [cell.strip().lower() for cell in header]
    postcode_column = next((name for name in ("pcds", "pcd", "pcd2") if name in cells), None)
    if postcode_column is None or "lat" not in cells or "long" not in cells:
        raise PostcodeFileError(
            "An ONS Postcode Directory file needs a header row naming pcds (or pcd), lat and long."
        )
    return cells.index(postcode_column), cells.index("lat"), cells.index("long")


def _parse_onspd(row: list[str], *, line: int, columns: tuple[int, int, int]) -> _Candidate:
    postcode_at, latitude_at, longitude_at = columns
    if len(row) <= max(columns):
        raise _Skip(MISSING_COLUMNS, f"{len(row)} columns")
    postcode = _postcode(row[postcode_at])
    latitude_text, longitude_text = row[latitude_at].strip(), row[longitude_at].strip()
    if not latitude_text or not longitude_text:
        raise _Skip(NO_COORDINATES)
    latitude, longitude = _number(latitude_text), _number(longitude_text)
    if abs(latitude - _ONSPD_NO_LATITUDE) < 1e-6:
        raise _Skip(NO_COORDINATES)
    return _Candidate(line=line, postcode=postcode, x=latitude, y=longitude)


def _parse_codepoint(row: list[str], *, line: int) -> _Candidate:
    if len(row) < 4:
        raise _Skip(MISSING_COLUMNS, f"{len(row)} columns")
    postcode = _postcode(row[0])
    eastings_text, northings_text = row[2].strip(), row[3].strip()
    if not eastings_text or not northings_text:
        raise _Skip(NO_COORDINATES)
    eastings, northings = _number(eastings_text), _number(northings_text)
    if eastings == 0 and northings == 0:
        raise _Skip(NO_COORDINATES)
    if not (0 <= eastings <= _MAX_EASTINGS and 0 <= northings <= _MAX_NORTHINGS):
        raise _Skip(IMPOSSIBLE_COORDINATES, f"eastings {eastings_text}, northings {northings_text}")
    return _Candidate(line=line, postcode=postcode, x=eastings, y=northings)


def _as_latlong(candidates: list[_Candidate]) -> list[tuple[float, float]]:
    return [(c.x, c.y) for c in candidates]


@functools.cache
def _grid_transformer() -> Transformer:
    # British National Grid (OSGB36) to WGS84, eastings/northings in, longitude/latitude out.
    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _grid_to_latlong(candidates: list[_Candidate]) -> list[tuple[float, float]]:
    longitudes, latitudes = _grid_transformer().transform(
        [c.x for c in candidates], [c.y for c in candidates]
    )
    return [(round(lat, 6), round(lon, 6)) for lat, lon in zip(latitudes, longitudes, strict=True)]


def _postcode(text: str) -> str:
    try:
        return validate_postcode(text)
    except PostcodeError:
        raise _Skip(MALFORMED_POSTCODE, repr(text.strip()[:20])) from None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _Skip(NOT_A_NUMBER, repr(text[:20])) from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_codepoint_header(row: list[str]) -> bool:
    cells = [cell.strip().lower() for cell in row]
    return len(cells) >= 4 and cells[0] == "postcode" and cells[2:4] == ["eastings", "northings"]


def _in_uk(latitude: float, longitude: float) -> bool:
    return (
        _UK_LATITUDES[0] <= latitude <= _UK_LATITUDES[1]
        and _UK_LONGITUDES[0] <= longitude <= _UK_LONGITUDES[1]
    )
