"""Writes to person records: merging two records of one person."""

import pytest


def test_records_with_different_nhs_numbers_are_never_merged(scheme, member):
    from linkwell.core.errors import ApplicationError
    from linkwell.people.models import Person
    from linkwell.people.services import person_merge
    from tests.factories import PersonFactory

    a = PersonFactory(scheme=scheme, nhs_number="9434765919")
    b = PersonFactory(scheme=scheme, nhs_number="4010232137")
    with pytest.raises(ApplicationError) as caught:
        person_merge(duplicate=b, into=a, by=member().user)
    assert caught.value.code == "person_merge_nhs_conflict"
    assert Person.objects.count() == 2
