"""NHS numbers (Modulus 11), phone numbers and dates of birth, as every intake route checks them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from linkwell.people.validation import (
    check_date_of_birth,
    format_nhs_number,
    format_phone,
    is_mobile,
    nhs_number_is_valid,
    normalise_nhs_number,
    normalise_phone,
)


@pytest.mark.parametrize("number", ["9434765919", "4010232137", "9990001235", "0000000000"])
def test_valid_nhs_numbers(number):
    assert nhs_number_is_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "9434765918",  # wrong check digit
        "9434765910",
        "1234567890",  # the check works out as 10: never issued
        "943476591",  # nine digits
        "94347659190",
        "94347659a9",
    ],
)
def test_invalid_nhs_numbers(number):
    assert not nhs_number_is_valid(number)


def test_nhs_numbers_are_normalised_and_explained():
    assert normalise_nhs_number(" 943 476 5919 ") == "9434765919"
    assert normalise_nhs_number("943-476-5919") == "9434765919"
    assert normalise_nhs_number("") == ""
    with pytest.raises(ValidationError, match="10 digits"):
        normalise_nhs_number("943 476")
    with pytest.raises(ValidationError, match="not valid"):
        normalise_nhs_number("943 476 5918")
    assert format_nhs_number("9434765919") == "943 476 5919"


def test_phone_numbers():
    assert normalise_phone("07911 123456") == "+447911123456"
    assert normalise_phone("+44 20 7946 0000") == "+442079460000"
    # Ofcom's drama ranges are accepted (the demo and tests use them) and never reach anyone.
    assert normalise_phone("07700 900982") == "+447700900982"
    assert normalise_phone("01632 960001") == "+441632960001"
    assert is_mobile("+447700900982") and not is_mobile("+441632960001")
    assert is_mobile("+447911123456") and not is_mobile("+442079460000")
    assert format_phone("+447911123456") == "07911 123456"
    for bad in ["0770", "call me", "07911 12345678"]:
        with pytest.raises(ValidationError):
            normalise_phone(bad)


def test_dates_of_birth():
    today = timezone.localdate()
    check_date_of_birth(today - timedelta(days=365 * 80))
    check_date_of_birth(None)
    with pytest.raises(ValidationError, match="in the past"):
        check_date_of_birth(today + timedelta(days=1))
    with pytest.raises(ValidationError, match="120 years"):
        check_date_of_birth(today.replace(year=today.year - 121))
