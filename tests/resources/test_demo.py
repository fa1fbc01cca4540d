"""The demo resources: realistic, marked as demo, safe numbers, and idempotent."""

import re

from linkwell.resources.demo import RESOURCES, load_demo_resources
from linkwell.resources.models import Resource

DRAMA = re.compile(r"^(01632 960\d{3}|020 7946 0\d{3})$")


def test_demo_resources_load_once_however_often_they_run(scheme, other_scheme):
    assert load_demo_resources(scheme=scheme) == len(RESOURCES)
    first = {r.pk: r.title for r in Resource.objects.filter(scheme=scheme)}
    assert load_demo_resources(scheme=scheme) == len(RESOURCES)
    assert {r.pk: r.title for r in Resource.objects.filter(scheme=scheme)} == first
    assert 15 <= len(first) <= 20
    load_demo_resources(scheme=other_scheme)
    assert Resource.objects.filter(scheme=other_scheme).count() == len(RESOURCES)


def test_demo_resources_are_marked_and_use_numbers_nobody_owns(scheme):
    load_demo_resources(scheme=scheme)
    resources = list(Resource.objects.filter(scheme=scheme).prefetch_related("need_areas"))
    assert all(r.is_demo and r.is_active for r in resources)
    for resource in resources:
        if resource.phone:
            assert DRAMA.match(resource.phone), resource.phone
        if resource.url:
            assert re.match(r"^https://([a-z-]+\.)?example\.org/", resource.url), resource.url
        resource.full_clean()
    kinds = {r.format for r in resources}
    assert kinds == {"web", "phone", "video", "leaflet"}
    covered = {t.code for r in resources for t in r.need_areas.all()}
    assert {"mental-wellbeing", "loneliness", "money-debt", "housing", "bereavement"} <= covered
    assert {"carers", "physical-activity"} <= covered
    assert any(not r.need_areas.all() for r in resources), "no resource for everyone"
    assert any(r.review_due() for r in resources), "none shows 'review due' in the demo"
