"""Geography: turning a UK postcode into coordinates through a pluggable backend.

    from linkwell.geo import PostcodeError, lookup_postcode, validate_postcode

    try:
        point = lookup_postcode(form.cleaned_data["postcode"])
    except PostcodeError as error:  # error.code: postcode.invalid / .unknown / .unavailable
        form.add_error("postcode", error.message)

The text functions load eagerly; the parts that need the database (`lookup_postcode`, the
`Postcode` model, the demo gazetteer) load when first used, so importing this package never
needs the app registry.
"""

from importlib import import_module

from linkwell.geo.postcodes import (
    Coordinates,
    PostcodeError,
    normalise_postcode,
    validate_postcode,
)

_LAZY = {
    "lookup_postcode": "linkwell.geo.backends",
    "get_backend": "linkwell.geo.backends",
    "Postcode": "linkwell.geo.models",
    "postcodes_upsert": "linkwell.geo.services",
    "DEMO_POSTCODES": "linkwell.geo.demo",
    "DEMO_GAZETTEER": "linkwell.geo.demo",
    "write_demo_gazetteer": "linkwell.geo.demo",
}

__all__ = [
    "DEMO_GAZETTEER",
    "DEMO_POSTCODES",
    "Coordinates",
    "Postcode",
    "PostcodeError",
    "get_backend",
    "lookup_postcode",
    "normalise_postcode",
    "postcodes_upsert",
    "validate_postcode",
    "write_demo_gazetteer",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
