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


def test_merging_moves_the_duplicates_cases_and_household_involvement(scheme, member):
    from django.utils import timezone

    from linkwell.casework.models import Case
    from linkwell.people.models import Household
    from linkwell.people.services import person_merge
    from tests.factories import CaseFactory, PersonFactory

    household = Household.objects.create(scheme=scheme, name="The Morgans")
    into = PersonFactory(scheme=scheme, household=household)
    duplicate = PersonFactory(scheme=scheme, household=household)
    earlier = CaseFactory(
        scheme=scheme,
        person=duplicate,
        status="closed",
        closed_at=timezone.now(),
        closing_reason="goals_met",
    )
    sibling = PersonFactory(scheme=scheme, household=household)
    family_case = CaseFactory(scheme=scheme, person=sibling)
    family_case.household_members.set([duplicate])

    person_merge(duplicate=duplicate, into=into, by=member().user)

    assert Case.objects.get(pk=earlier.pk).person == into
    assert list(family_case.household_members.all()) == [into]


def test_records_that_both_have_an_open_case_are_not_merged(scheme, member):
    from linkwell.core.errors import ApplicationError
    from linkwell.people.models import Person
    from linkwell.people.services import person_merge
    from tests.factories import CaseFactory

    first, second = CaseFactory(scheme=scheme), CaseFactory(scheme=scheme)
    with pytest.raises(ApplicationError) as caught:
        person_merge(duplicate=second.person, into=first.person, by=member().user)
    assert caught.value.code == "person_merge_open_cases"
    assert Person.objects.filter(pk=second.person.pk).exists()
    assert second.referral.__class__.objects.get(pk=second.referral.pk).person == second.person
