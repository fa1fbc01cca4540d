"""The demo's gazetteer: made-up postcodes for the fictional town of Riverside.

"RV" is not a UK postcode area, so no demo postcode can be mistaken for a real place, and the
demo works with the `table` backend offline. The town spreads about 10 km across, centred near
latitude 52.48, longitude -1.90: nine districts (RV1 to RV9) on a three-by-three grid, seven
postcodes each, scattered within a kilometre or so of their district's centre.

Other demo data (the directory's services, people's addresses) should use `DEMO_POSTCODES`,
or `DEMO_GAZETTEER` for the neighbourhood name and coordinates too.
"""

import math
from dataclasses import dataclass

from django.db import transaction

from linkwell.geo.models import Postcode
from linkwell.geo.services import postcodes_upsert

CENTRE_LATITUDE = 52.48
CENTRE_LONGITUDE = -1.90
_KM_PER_DEGREE_LATITUDE = 111.2
_KM_PER_DEGREE_LONGITUDE = 111.32 * math.cos(math.radians(CENTRE_LATITUDE))
_DISTRICT_SPACING_KM = 4.0
_GOLDEN_ANGLE = math.radians(137.5)

# District number: (neighbourhood, grid column east, grid row north).
_DISTRICTS = {
    1: ("Town Centre", 0, 0),
    2: ("North Riverside", 0, 1),
    3: ("East Riverside", 1, 0),
    4: ("South Riverside", 0, -1),
    5: ("West Riverside", -1, 0),
    6: ("Mill End", 1, 1),
    7: ("Marsh Meadows", 1, -1),
    8: ("Orchard Hill", -1, -1),
    9: ("Ferry Green", -1, 1),
}
_INWARD_CODES = ["1AA", "1AB", "2AA", "2AB", "3AA", "3AB", "4AA"]


@dataclass(frozen=True, slots=True)
class DemoPostcode:
    postcode: str
    latitude: float
    longitude: float
    neighbourhood: str


def _gazetteer() -> tuple[DemoPostcode, ...]:
    entries = []
    for district, (neighbourhood, east, north) in _DISTRICTS.items():
        for i, inward in enumerate(_INWARD_CODES):
            # A sunflower spiral: evenly spread points, the first at the district's centre.
            radius_km = 0.4 * math.sqrt(i)
            angle = i * _GOLDEN_ANGLE + district
            east_km = east * _DISTRICT_SPACING_KM + radius_km * math.cos(angle)
            north_km = north * _DISTRICT_SPACING_KM + radius_km * math.sin(angle)
            entries.append(
                DemoPostcode(
                    postcode=f"RV{district} {inward}",
                    latitude=round(CENTRE_LATITUDE + north_km / _KM_PER_DEGREE_LATITUDE, 6),
                    longitude=round(CENTRE_LONGITUDE + east_km / _KM_PER_DEGREE_LONGITUDE, 6),
                    neighbourhood=neighbourhood,
                )
            )
    return tuple(entries)


DEMO_GAZETTEER: tuple[DemoPostcode, ...] = _gazetteer()
DEMO_POSTCODES: list[str] = [entry.postcode for entry in DEMO_GAZETTEER]


@transaction.atomic
def write_demo_gazetteer() -> int:
    """Write the demo postcodes to the postcode table (source "demo"); safe to run again.

    Demo rows no longer in the gazetteer are removed; rows from other sources are not touched.
    Returns how many demo postcodes the table now holds.
    """
    Postcode.objects.filter(source=Postcode.Source.DEMO).exclude(
        postcode__in=DEMO_POSTCODES
    ).delete()
    return postcodes_upsert(
        rows=[(e.postcode, e.latitude, e.longitude) for e in DEMO_GAZETTEER],
        source=Postcode.Source.DEMO,
    )
