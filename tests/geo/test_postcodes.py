"""Postcodes as text, the postcode table, the table backend and the demo gazetteer."""

import math

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import IntegrityError, transaction

from linkwell.geo import (
    DEMO_GAZETTEER,
    DEMO_POSTCODES,
    Coordinates,
    Postcode,
    PostcodeError,
    get_backend,
    lookup_postcode,
    normalise_postcode,
    validate_postcode,
    write_demo_gazetteer,
)
from linkwell.geo.backends import TableBackend


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("  sw1a   1aa  ", "SW1A 1AA"),
        ("S W 1 A 1 A A", "SW1A 1AA"),
        ("sw1a\t1aa\n", "SW1A 1AA"),
        ("sw1a\u00a01aa", "SW1A 1AA"),  # a non-breaking space pasted from a web page
        ("m11ae", "M1 1AE"),
        ("B338TH", "B33 8TH"),
        ("gir0aa", "GIR 0AA"),
        ("", ""),
        ("   ", ""),
        ("ab1", "AB1"),
        ("nonsense", "NONSE NSE"),  # normalising does not validate
    ],
)
def test_normalise_postcode(typed, normal):
    assert normalise_postcode(typed) == normal


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("M1 1AE", "M1 1AE"),  # A9
        ("B33 8TH", "B33 8TH"),  # A99
        ("CR2 6XH", "CR2 6XH"),  # AA9
        ("DN55 1PT", "DN55 1PT"),  # AA99
        ("W1A 0AX", "W1A 0AX"),  # A9A
        ("EC1A 1BB", "EC1A 1BB"),  # AA9A
        ("sw1a 1aa", "SW1A 1AA"),
        ("n1c4ag", "N1C 4AG"),
        ("GIR 0AA", "GIR 0AA"),
        ("ze1 0aa", "ZE1 0AA"),
        ("RV1 1AA", "RV1 1AA"),  # the demo's made-up area is well-formed
    ],
)
def test_validate_accepts_uk_postcodes(typed, normal):
    assert validate_postcode(typed) == normal


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "SW1A",  # outward code only
        "SW1A 1A",
        "SW1A 1AAA",
        "1AA 1AA",  # must start with a letter
        "QA1 1AA",  # Q, V and X never start a postcode
        "VA1 1AA",
        "XA1 1AA",
        "AI1 1AA",  # I, J and Z are never second
        "AZ1 1AA",
        "A1I 1AA",  # I is never the letter after an A9 district
        "AA1C 1AA",  # C is never the letter after an AA9 district
        "SW1A 1CA",  # C, I, K, M, O and V are never unit letters
        "SW1A 1AV",
        "SW1A-1AA",
        "SW1A 1AA;",
        "BFPO 1234",
        "BFPO1234",
        "ASCN 1ZZ",  # overseas territories are not UK postcodes
        "GIR 0AB",
        "SW1A 1AA SW1A 1AA",
        "\uff33\uff37\uff11\uff21 \uff11\uff21\uff21",  # SW1A 1AA in full-width letters
        "sw1a 1aa" + " " * 100,  # longer than any postcode however it is spaced
        "SW\U0001d7cfA \U0001d7cfAA",  # a mathematical bold digit one
    ],
)
def test_validate_refuses_anything_else(typed):
    with pytest.raises(PostcodeError) as caught:
        validate_postcode(typed)
    assert caught.value.code == "postcode.invalid"
    assert caught.value.message == "Enter a real postcode, like SW1A 1AA"
    assert caught.value.fields == {"postcode": ["Enter a real postcode, like SW1A 1AA"]}
    assert caught.value.status == 400


@pytest.mark.parametrize("value", [None, 12345, b"SW1A 1AA"])
def test_validate_refuses_what_is_not_text(value):
    with pytest.raises(PostcodeError) as caught:
        validate_postcode(value)
    assert caught.value.code == "postcode.invalid"


def test_table_lookup_finds_a_postcode_however_it_is_typed(db):
    Postcode.objects.create(
        postcode="SW1A 1AA", latitude=51.501009, longitude=-0.141588, source="onspd"
    )
    assert isinstance(get_backend(), TableBackend)
    for typed in ["SW1A 1AA", "sw1a1aa", "  Sw1A   1aA "]:
        assert lookup_postcode(typed) == Coordinates(latitude=51.501009, longitude=-0.141588)


def test_an_unknown_postcode_is_a_clear_error(db):
    with pytest.raises(PostcodeError) as caught:
        lookup_postcode("EC1A 1BB")
    assert caught.value.code == "postcode.unknown"
    assert caught.value.message == "We could not find that postcode"


def test_an_invalid_postcode_is_refused_without_a_query(db, django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(PostcodeError) as caught:
        lookup_postcode("not a postcode")
    assert caught.value.code == "postcode.invalid"


def test_coordinates_are_frozen():
    point = Coordinates(latitude=52.48, longitude=-1.9)
    with pytest.raises(AttributeError):
        point.latitude = 0


@pytest.mark.parametrize(
    ("latitude", "longitude", "source"),
    [(90.5, 0, "onspd"), (-91, 0, "onspd"), (51.5, 180.5, "onspd"), (51.5, -0.1, "guess")],
)
def test_the_database_refuses_impossible_rows(db, latitude, longitude, source):
    with pytest.raises(IntegrityError), transaction.atomic():
        Postcode.objects.create(
            postcode="SW1A 1AA", latitude=latitude, longitude=longitude, source=source
        )


def test_the_database_refuses_a_postcode_twice(db):
    Postcode.objects.create(postcode="SW1A 1AA", latitude=51.5, longitude=-0.14, source="onspd")
    with pytest.raises(IntegrityError), transaction.atomic():
        Postcode.objects.create(postcode="SW1A 1AA", latitude=51.6, longitude=-0.1, source="demo")


class FixedBackend:
    """A backend of a deployment's own, plugged in by dotted path: everything is in Riverside."""

    def lookup(self, postcode: str) -> Coordinates:
        return Coordinates(latitude=52.48, longitude=-1.9)


def test_a_backend_can_be_plugged_in_by_dotted_path(db, settings):
    settings.GEO_POSTCODE_BACKEND = f"{__name__}.FixedBackend"
    assert lookup_postcode("sw1a 1aa") == Coordinates(latitude=52.48, longitude=-1.9)
    with pytest.raises(PostcodeError):
        lookup_postcode("nowhere")  # validated before any backend sees it


@pytest.mark.parametrize("name", ["tabel", "", "linkwell.geo.backends.NoSuchBackend"])
def test_an_unknown_backend_setting_fails_loudly(settings, name):
    settings.GEO_POSTCODE_BACKEND = name
    with pytest.raises(ImproperlyConfigured):
        get_backend()
    from linkwell.geo.checks import check_postcode_backend

    assert [error.id for error in check_postcode_backend(None)] == ["geo.E001"]


def test_the_settings_check_passes_by_default():
    from linkwell.geo.checks import check_postcode_backend

    assert check_postcode_backend(None) == []


def _distance_km(a: Coordinates, b: Coordinates) -> float:
    north = (a.latitude - b.latitude) * 111.2
    east = (a.longitude - b.longitude) * 111.32 * math.cos(math.radians(a.latitude))
    return math.hypot(north, east)


def test_the_demo_gazetteer_is_made_up_riverside():
    assert len(DEMO_POSTCODES) == len(set(DEMO_POSTCODES)) == len(DEMO_GAZETTEER)
    assert 50 <= len(DEMO_POSTCODES) <= 80
    centre = Coordinates(latitude=52.48, longitude=-1.90)
    for entry in DEMO_GAZETTEER:
        assert validate_postcode(entry.postcode) == entry.postcode
        assert entry.postcode.startswith("RV")  # not a real UK postcode area
        assert entry.neighbourhood
        here = Coordinates(latitude=entry.latitude, longitude=entry.longitude)
        assert _distance_km(here, centre) < 8
    # Spread over the town, not piled on one spot.
    latitudes = [entry.latitude for entry in DEMO_GAZETTEER]
    assert (max(latitudes) - min(latitudes)) * 111.2 > 7


def test_writing_the_demo_gazetteer_is_idempotent(db):
    real = Postcode.objects.create(
        postcode="SW1A 1AA", latitude=51.501009, longitude=-0.141588, source="onspd"
    )
    Postcode.objects.create(postcode="RV9 9ZZ", latitude=52.4, longitude=-1.9, source="demo")
    assert write_demo_gazetteer() == len(DEMO_POSTCODES)
    assert write_demo_gazetteer() == len(DEMO_POSTCODES)
    demo = Postcode.objects.filter(source="demo")
    assert sorted(demo.values_list("postcode", flat=True)) == sorted(DEMO_POSTCODES)
    real.refresh_from_db()
    assert (real.latitude, real.source) == (51.501009, "onspd")
    first = DEMO_GAZETTEER[0]
    assert lookup_postcode(first.postcode.lower().replace(" ", "")) == Coordinates(
        latitude=first.latitude, longitude=first.longitude
    )


def test_seed_demo_writes_the_demo_postcodes(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert Postcode.objects.filter(source="demo").count() == len(DEMO_POSTCODES)
    assert f"Demo postcodes written: {len(DEMO_POSTCODES)}" in capsys.readouterr().out
