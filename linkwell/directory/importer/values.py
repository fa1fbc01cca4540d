"""Reading one HSDS value into the Python value a model field stores, or saying clearly why not.

JSON gives typed values; the tabular layout gives text. Both are accepted where the meaning is
unambiguous (the number 100 for a phone extension, the text "12" for an age); anything else is
a `BadValue` whose message names what was expected and what came.
"""

from __future__ import annotations

import datetime
import decimal
import math
import uuid
from collections.abc import Callable
from typing import Any

from django.db import models


class BadValue(ValueError):
    """A value that cannot be read as the field's type."""


def describe(value: Any) -> str:
    """A short description of a value for an error message."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float | decimal.Decimal):
        return f"the number {value}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…'"


def read_uuid(value: Any) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise BadValue(f"expected a UUID, got {describe(value)}")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise BadValue(f"{describe(value)} is not a UUID") from None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
        raise BadValue(f"expected text, got {describe(value)}")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _number_text(value: Any, expected: str = "a number") -> str | None:
    """The text of a number, or None for an empty value; rejects booleans and containers."""
    if value is None:
        return None
    if isinstance(value, bool | dict | list):
        raise BadValue(f"expected {expected}, got {describe(value)}")
    text = str(value).strip()
    return text or None


def _integer(value: Any) -> int | None:
    text = _number_text(value, "a whole number")
    if text is None:
        return None
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise BadValue(f"expected a whole number, got {describe(value)}") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise BadValue(f"expected a whole number, got {describe(value)}")
    return int(number)


def _float(value: Any) -> float | None:
    text = _number_text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise BadValue(f"expected a number, got {describe(value)}") from None
    if math.isnan(number) or math.isinf(number):
        raise BadValue(f"expected a number, got {describe(value)}")
    return number


def _decimal(value: Any) -> decimal.Decimal | None:
    text = _number_text(value)
    if text is None:
        return None
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise BadValue(f"expected a number, got {describe(value)}") from None
    if not number.is_finite():
        raise BadValue(f"expected a number, got {describe(value)}")
    return number


def _date(value: Any) -> datetime.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadValue(f"expected a date (YYYY-MM-DD), got {describe(value)}")
    text = value.strip()
    try:
        if len(text) > 10 and text[10] in "T ":
            return datetime.datetime.fromisoformat(text).date()
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise BadValue(f"{describe(value)} is not a date (YYYY-MM-DD)") from None


def _time(value: Any) -> datetime.time | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadValue(f"expected a time (HH:MM or HH:MM:SS), got {describe(value)}")
    try:
        return datetime.time.fromisoformat(value.strip()).replace(tzinfo=None)
    except ValueError:
        raise BadValue(f"{describe(value)} is not a time (HH:MM or HH:MM:SS)") from None


_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f", ""}


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise BadValue(f"expected true or false, got {describe(value)}")


def reader_for(field: models.Field) -> Callable[[Any], Any]:
    """The function that reads an incoming value for `field`."""
    if isinstance(field, models.BooleanField):
        return _boolean
    if isinstance(field, models.UUIDField):
        return read_uuid
    if isinstance(field, models.DecimalField):
        return _decimal
    if isinstance(field, models.FloatField):
        return _float
    if isinstance(field, models.IntegerField):
        return _integer
    if isinstance(field, models.DateTimeField):
        raise TypeError("date-times are not imported")
    if isinstance(field, models.DateField):
        return _date
    if isinstance(field, models.TimeField):
        return _time
    return _text
