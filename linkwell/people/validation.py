"""Checks on what people type about a person: NHS number, phone numbers, date of birth.

Each `normalise_*` returns the stored form or raises `ValidationError` with a message a person
can act on. Forms, the FHIR endpoint and the CSV importer all call these, so one rule holds
everywhere.
"""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone

_NON_DIGITS = re.compile(r"[\s-]")
# Ofcom keeps these UK ranges for drama and training: never given to anyone, so the demo and
# the tests use them. libphonenumber calls them invalid; they are accepted here on purpose.
OFCOM_DRAMA_MOBILE = "7700900"
OFCOM_DRAMA_PREFIXES = (OFCOM_DRAMA_MOBILE, "1632960", "1134960", "1174960", "1214960")


def _is_drama_number(number: phonenumbers.PhoneNumber) -> bool:
    national = str(number.national_number)
    return (
        number.country_code == 44
        and len(national) == 10
        and national.startswith(OFCOM_DRAMA_PREFIXES)
    )


def nhs_number_is_valid(digits: str) -> bool:
    """The Modulus 11 check: weights 10..2 on the first nine digits; the tenth is the check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def normalise_nhs_number(value: str) -> str:
    """'943 476 5919' -> '9434765919'; blank stays blank (the NHS number is optional)."""
    digits = _NON_DIGITS.sub("", value or "")
    if not digits:
        return ""
    if not digits.isdigit() or len(digits) != 10:
        raise ValidationError(
            "Enter an NHS number with 10 digits, like 943 476 5919.", code="nhs_number_format"
        )
    if not nhs_number_is_valid(digits):
        raise ValidationError(
            "This NHS number is not valid: check each digit was typed correctly.",
            code="nhs_number_check_digit",
        )
    return digits


def format_nhs_number(digits: str) -> str:
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits


def normalise_phone(value: str, *, region: str = "GB") -> str:
    """A UK (or international, with +) phone number in E.164 form; blank stays blank."""
    text = (value or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "Enter a phone number, like 01632 960 001 or 07700 900 982.", code="phone_format"
        ) from None
    if not (phonenumbers.is_valid_number(number) or _is_drama_number(number)):
        raise ValidationError(
            "This is not a valid phone number: check the number of digits.", code="phone_invalid"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """For display: the national form for UK numbers, international otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "GB")
    except phonenumbers.NumberParseException:
        return e164
    kind = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 44
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, kind)


def is_mobile(e164: str) -> bool:
    """Whether a text message can reach this number."""
    if not e164:
        return False
    try:
        number = phonenumbers.parse(e164, "GB")
    except phonenumbers.NumberParseException:
        return False
    if _is_drama_number(number):
        return str(number.national_number).startswith(OFCOM_DRAMA_MOBILE)
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def check_date_of_birth(value: date | None) -> None:
    if value is None:
        return
    today = timezone.localdate()
    if value > today:
        raise ValidationError("Date of birth must be in the past.", code="dob_future")
    if value.year < today.year - 120:
        raise ValidationError(
            "Date of birth must be within the last 120 years.", code="dob_too_old"
        )
