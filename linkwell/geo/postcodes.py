"""UK postcodes as text: normalising, validating, and the error every geography failure raises.

Nothing here touches the database, so forms, schemas and importers can use it freely.
"""

import re
from dataclasses import dataclass

from linkwell.core.errors import ApplicationError

# The normal forms of a UK postcode, without the space: an outward code (area letters, district
# digits, sometimes a final letter) then an inward code (sector digit and two unit letters).
# Letters are restricted by position as Royal Mail allocates them: the first never Q, V or X;
# the second never I, J or Z; a letter after an A9 district one of ABCDEFGHJKPSTUW; a letter after
# an AA9 district one of ABEHMNPRVWXY; the unit letters never C, I, K, M, O or V. GIR 0AA (the old
# Girobank postcode) is the one historical exception still in use. BFPO numbers and the overseas
# territories' codes are not postcodes of a place in the UK and are refused.
_POSTCODE_RE = re.compile(
    r"""
    \A(?:
        GIR0AA
      | (?:
            [A-PR-UWYZ][0-9][0-9]?              # A9, A99
          | [A-PR-UWYZ][A-HK-Y][0-9][0-9]?      # AA9, AA99
          | [A-PR-UWYZ][0-9][A-HJKPSTUW]        # A9A
          | [A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]  # AA9A
        )
        [0-9][ABD-HJLNP-UW-Z]{2}                # inward code
    )\Z
    """,
    re.VERBOSE | re.ASCII,
)

# Longer input than this is not a postcode however its spaces are arranged; refusing it early
# keeps the work done on hostile input small.
_MAX_INPUT_LENGTH = 64

INVALID_MESSAGE = "Enter a real postcode, like SW1A 1AA"
UNKNOWN_MESSAGE = "We could not find that postcode"
UNAVAILABLE_MESSAGE = "We cannot look up postcodes at the moment. Try again later."


class PostcodeError(ApplicationError):
    """A postcode could not be turned into coordinates.

    `code` is one of `postcode.invalid` (not in UK postcode format), `postcode.unknown`
    (well-formed, but no coordinates are known for it) and `postcode.unavailable` (the lookup
    service could not be reached or gave an answer that made no sense). The message is shown
    to people, next to the postcode field (`fields["postcode"]`).
    """

    def __init__(self, code: str, message: str):
        super().__init__(code, message, fields={"postcode": [message]})
        self.status = 503 if code == "postcode.unavailable" else 400


@dataclass(frozen=True, slots=True)
class Coordinates:
    """A point in WGS84 (the latitude and longitude GPS, maps and Open Referral use)."""

    latitude: float
    longitude: float


def normalise_postcode(text: str) -> str:
    """Tidy a postcode as people type it: "  sw1a1aa " becomes "SW1A 1AA".

    Removes every space (leading, trailing, doubled, tabs), upper-cases, and puts one space
    before the last three characters (the inward code). It does not check the result: see
    `validate_postcode`.
    """
    compact = "".join(text.split()).upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def validate_postcode(text: str) -> str:
    """Return `text` as a normalised postcode, or raise `PostcodeError` (`postcode.invalid`)."""
    if not isinstance(text, str) or len(text) > _MAX_INPUT_LENGTH:
        raise PostcodeError(code="postcode.invalid", message=INVALID_MESSAGE)
    postcode = normalise_postcode(text)
    if not _POSTCODE_RE.match(postcode.replace(" ", "")):
        raise PostcodeError(code="postcode.invalid", message=INVALID_MESSAGE)
    return postcode


def is_valid_latitude(value: float) -> bool:
    """Whether `value` is a finite latitude in degrees."""
    return -90.0 <= value <= 90.0


def is_valid_longitude(value: float) -> bool:
    """Whether `value` is a finite longitude in degrees."""
    return -180.0 <= value <= 180.0
