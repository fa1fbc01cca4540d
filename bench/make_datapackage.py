"""Write a synthetic HSDS 3.0 tabular data package for timing `manage.py import_directory`.

    .venv/bin/python -m bench.make_datapackage --services 100000 /tmp/lw-100k

One organisation per four services, one programme per ten organisations, a place (with an
address and step-free access notes) for most services and some shared, one or two services at
locations per service, a phone, one or two weekly schedules, a cost option for a third of them,
a service area, languages now and then, and two Linkwell taxonomy terms (a need area and an
activity type) per service. The random source is seeded, so a size always gives the same files.
Needs no database (Django is set up only to read the HSDS table layout from the importer); the
folder is created, or its files replaced.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

from linkwell.directory import taxonomy

NAMESPACE = uuid.UUID("0d9c6f55-3a52-4c7e-8f0f-3b0b8f4b9a11")
TOWNS = [
    ("Birmingham", "B", 52.4797, -1.9026),
    ("Leeds", "LS", 53.7997, -1.5492),
    ("Bristol", "BS", 51.4545, -2.5879),
    ("Norwich", "NR", 52.6309, 1.2974),
    ("Plymouth", "PL", 50.3755, -4.1427),
    ("Carlisle", "CA", 54.8925, -2.9329),
]
KINDS = [
    ("Befriending", "loneliness", "befriending"),
    ("Art group", "arts-creativity", "group-activity"),
    ("Walking group", "physical-activity", "exercise-sport"),
    ("Community garden", "nature-gardening", "group-activity"),
    ("Debt advice", "money-debt", "advice-information"),
    ("Carers café", "carers", "peer-support"),
    ("Food bank", "food", "practical-help"),
    ("Bereavement group", "bereavement", "peer-support"),
    ("Counselling", "mental-wellbeing", "counselling-talking"),
    ("Digital drop-in", "digital-skills", "course-class"),
]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA"]


def _id(kind: str, n: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{n}"))


class Package:
    """Open CSV writers, one per HSDS table, with the columns the HSDS examples use."""

    def __init__(self, folder: Path):
        from linkwell.directory.importer.tables import TABLES

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.handles = {}
        self.writers = {}
        self.counts = {}
        for name, table in TABLES.items():
            handle = (folder / table.filename).open("w", newline="", encoding="utf-8")
            self.handles[name] = handle
            self.writers[name] = csv.DictWriter(handle, fieldnames=table.columns)
            self.writers[name].writeheader()
            self.counts[name] = 0

    def row(self, table: str, **values) -> None:
        self.writers[table].writerow(values)
        self.counts[table] += 1

    def close(self) -> None:
        from linkwell.directory.importer.tables import TABLES, UNKEPT_TABLES

        for handle in self.handles.values():
            handle.close()
        for name, columns in UNKEPT_TABLES.items():
            with (self.folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
                csv.writer(f).writerow(columns)
        resources = [
            {"name": name, "path": table.filename, "profile": "tabular-data-resource"}
            for name, table in TABLES.items()
        ]
        descriptor = {"profile": "tabular-data-package", "name": "bench", "resources": resources}
        (self.folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2))


def build(folder: Path, services: int) -> dict[str, int]:
    rng = random.Random(services)
    package = Package(folder)
    for taxonomy_id, name, terms in (
        (taxonomy.NEED_AREAS_ID, "Linkwell need areas", taxonomy.NEED_AREAS),
        (taxonomy.ACTIVITY_TYPES_ID, "Linkwell activity types", taxonomy.ACTIVITY_TYPES),
    ):
        package.row("taxonomies", id=taxonomy_id, name=name, version="1")
        for code, term_name in terms:
            package.row(
                "taxonomy_terms",
                id=taxonomy.term_id(code),
                code=code,
                name=term_name,
                taxonomy=name,
                taxonomy_id=taxonomy_id,
                language="en",
            )
    organizations = max(1, services // 4)
    for n in range(organizations):
        town = TOWNS[n % len(TOWNS)][0]
        package.row(
            "organizations",
            id=_id("org", n),
            name=f"{town} Community Trust {n}",
            description="A local charity running groups and advice.",
            email=f"hello{n}@trust{n % 97}.example.org",
            website=f"https://trust{n}.example.org",
            year_incorporated=1990 + n % 30,
        )
        if n % 10 == 0:
            package.row(
                "programs",
                id=_id("programme", n),
                organization_id=_id("org", n),
                name="Wellbeing programme",
            )
        if n % 3 == 0:
            package.row(
                "organization_identifiers",
                id=_id("identifier", n),
                organization_id=_id("org", n),
                identifier_scheme="GB-CHC",
                identifier_type="Charity number",
                identifier=str(1_100_000 + n),
            )
    locations = max(1, int(services * 0.7))
    for n in range(locations):
        town, prefix, lat, lon = TOWNS[n % len(TOWNS)]
        package.row(
            "locations",
            id=_id("location", n),
            location_type="physical",
            organization_id=_id("org", n % organizations),
            name=f"{town} Community Centre {n}",
            latitude=round(lat + rng.uniform(-0.08, 0.08), 6),
            longitude=round(lon + rng.uniform(-0.12, 0.12), 6),
        )
        package.row(
            "addresses",
            id=_id("address", n),
            location_id=_id("location", n),
            address_1=f"{1 + n % 200} High Street",
            city=town,
            postal_code=f"{prefix}{1 + n % 20} {n % 9}AB",
            country="GB",
            address_type="physical",
        )
        if n % 2 == 0:
            package.row(
                "accessibility",
                id=_id("access", n),
                location_id=_id("location", n),
                description="Step-free entrance and an accessible toilet.",
            )
    for n in range(services):
        kind, need, activity = KINDS[n % len(KINDS)]
        org = n % organizations
        service_id = _id("service", n)
        package.row(
            "services",
            id=service_id,
            organization_id=_id("org", org),
            program_id=_id("programme", org) if org % 10 == 0 else "",
            name=f"{kind} {n}",
            description=f"A friendly {kind.lower()} for adults. Come along or ask your link "
            "worker to refer you.",
            email=f"{kind.split()[0].lower()}{n}@example.org",
            url=f"https://example.org/services/{n}",
            status="active" if n % 20 else "temporarily closed",
            minimum_age=18 if n % 3 else "",
            maximum_age="" if n % 5 else 99,
            fees_description="Free" if n % 3 else "£2 a session",
        )
        for m in range(1 + (n % 4 == 0)):
            location = (n + m * 7919) % locations
            sal_id = _id("sal", n * 2 + m)
            package.row(
                "service_at_location",
                id=sal_id,
                service_id=service_id,
                location_id=_id("location", location),
            )
        package.row(
            "phones",
            id=_id("phone", n),
            service_id=service_id,
            number=f"0121 {496 + n % 400:03d} {n % 10000:04d}",
            type="voice",
        )
        if n % 2 == 0:
            contact_id = _id("contact", n)
            package.row(
                "contacts",
                id=contact_id,
                service_id=service_id,
                name=f"Coordinator {n}",
                email=f"coordinator{n}@example.org",
            )
        for m in range(1 + (n % 3 == 0)):
            opens = 9 + (n + m) % 8
            package.row(
                "schedules",
                id=_id("schedule", n * 2 + m),
                service_id=service_id,
                freq="WEEKLY",
                byday=DAYS[(n + m) % len(DAYS)],
                opens_at=f"{opens:02d}:00",
                closes_at=f"{opens + 2:02d}:00",
                description="Every week",
            )
        if n % 3 == 0:
            package.row(
                "cost_options",
                id=_id("cost", n),
                service_id=service_id,
                option="Per session",
                currency="GBP",
                amount=2,
            )
        package.row(
            "service_areas",
            id=_id("area", n),
            service_id=service_id,
            name=f"{TOWNS[n % len(TOWNS)][0]} and nearby",
        )
        if n % 7 == 0:
            package.row(
                "languages",
                id=_id("language", n),
                service_id=service_id,
                name="Polish",
                code="pl",
            )
        for m, code in enumerate((need, activity)):
            package.row(
                "attributes",
                id=_id("attribute", n * 2 + m),
                link_id=service_id,
                link_entity="service",
                taxonomy_term_id=taxonomy.term_id(code),
            )
    package.close()
    return package.counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.make_datapackage", description=__doc__)
    parser.add_argument("--services", type=int, default=100_000, help="How many services.")
    parser.add_argument("out", type=Path, help="The folder to write the package to.")
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkwell.settings")
    import django

    django.setup()
    started = time.perf_counter()
    counts = build(options.out, options.services)
    rows = sum(counts.values())
    print(
        f"Wrote {options.out}: {counts['services']:,} services, {rows:,} rows in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
