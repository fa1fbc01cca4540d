"""`referral_intake`: the one service every route calls. Validation, duplicates, consent."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from linkwell.core.errors import ApplicationError
from linkwell.core.models import LogEntry, Role
from linkwell.people.models import Consent, Person
from linkwell.referrals import states
from linkwell.referrals.models import Referral, ReferralEvent
from linkwell.referrals.services import DuplicateSuspected, IntakeRequest, referral_intake
from tests.factories import PersonFactory

VALID_NHS = "9434765919"


def _request(scheme, **overrides):
    person = {
        "given_name": "Aled",
        "family_name": "Pritchard",
        "date_of_birth": date(2003, 4, 2),
        "nhs_number": "943 476 5919",
        "phone": "07700 900982",
        "postcode": "rv1 1aa",
    }
    person.update(overrides.pop("person", {}))
    fields = {
        "scheme": scheme,
        "channel": "staff",
        "source_type": "gp_practice",
        "person": person,
        "reasons": ["mental-wellbeing", "employment-skills"],
        "consents": {"contact": {"method": "verbal", "channels": ["phone", "sms"]}},
        "referrer_name": "Dr Helen Morgan",
    }
    fields.update(overrides)
    return IntakeRequest(**fields)


def test_intake_stores_person_referral_consent_and_history(scheme, member):
    worker = member(Role.LINK_WORKER).user
    referral = referral_intake(_request(scheme), by=worker)

    person = referral.person
    assert person.nhs_number == VALID_NHS
    assert person.phone == "+447700900982"
    assert person.postcode == "RV1 1AA"
    assert referral.status == states.Status.RECEIVED
    assert referral.snomed_code == states.SNOMED_REFERRED
    assert sorted(referral.reasons.values_list("code", flat=True)) == [
        "employment-skills",
        "mental-wellbeing",
    ]
    consent = Consent.objects.get(person=person)
    assert (consent.scope, consent.channels, consent.recorded_by) == (
        "contact",
        ["phone", "sms"],
        worker,
    )
    assert list(referral.events.values_list("to_status", flat=True)) == ["received"]
    actions = set(
        LogEntry.objects.filter(person_id=str(person.pk)).values_list("action", flat=True)
    )
    assert {"person.created", "referral.received", "consent.recorded"} <= actions


@pytest.mark.parametrize(
    ("person", "field"),
    [
        ({"nhs_number": "943 476 5918"}, "nhs_number"),
        ({"nhs_number": "12345"}, "nhs_number"),
        ({"phone": "0770"}, "phone"),
        ({"postcode": "NOT A CODE"}, "postcode"),
        ({"date_of_birth": timezone.localdate() + timedelta(days=1)}, "date_of_birth"),
        ({"given_name": "  "}, "given_name"),
    ],
)
def test_bad_person_details_are_refused_and_nothing_is_stored(scheme, member, person, field):
    with pytest.raises(ValidationError) as caught:
        referral_intake(_request(scheme, person=person), by=member().user)
    assert field in caught.value.message_dict
    assert (Person.objects.count(), Referral.objects.count(), Consent.objects.count()) == (0, 0, 0)


def test_missing_or_unknown_reasons_are_refused(scheme, member):
    for reasons, message in [([], "at least one reason"), (["flying"], "Unknown reason")]:
        with pytest.raises(ValidationError) as caught:
            referral_intake(_request(scheme, reasons=reasons), by=member().user)
        assert message in caught.value.message_dict["reasons"][0]
    assert Referral.objects.count() == 0


def test_a_likely_match_is_shown_and_the_user_chooses(scheme, member):
    user = member().user
    known = PersonFactory(
        scheme=scheme, given_name="Aled", family_name="Pritchard", date_of_birth=date(2003, 4, 2)
    )
    request = _request(scheme, person={"nhs_number": ""})
    with pytest.raises(DuplicateSuspected) as caught:
        referral_intake(request, by=user)
    assert [(m.person, m.reasons) for m in caught.value.matches] == [
        (known, ("name and date of birth",))
    ]
    assert Referral.objects.count() == 0

    # Same person: their record is kept, with the new details filling its blanks.
    request.match_choice = str(known.pk)
    referral = referral_intake(request, by=user)
    assert referral.person == known
    assert Person.objects.count() == 1

    # Someone else with the same name and birthday: a new record.
    other = referral_intake(
        _request(scheme, person={"nhs_number": ""}, match_choice="new"), by=user
    )
    assert other.person != known
    assert Person.objects.count() == 2


def test_an_nhs_number_match_cannot_be_kept_separate(scheme, member):
    PersonFactory(scheme=scheme, nhs_number=VALID_NHS, given_name="A", family_name="B")
    with pytest.raises(ApplicationError) as caught:
        referral_intake(_request(scheme, match_choice="new"), by=member().user)
    assert caught.value.code == "person_nhs_number_taken"


def test_matching_is_within_the_scheme_only(scheme, other_scheme, member):
    PersonFactory(scheme=other_scheme, nhs_number=VALID_NHS)
    referral = referral_intake(_request(scheme), by=member().user)
    assert referral.person.scheme == scheme


def test_status_machine_refuses_illegal_moves(scheme, member):
    from linkwell.referrals.services import referral_move

    user = member().user
    referral = referral_intake(_request(scheme), by=user)
    with pytest.raises(ApplicationError) as caught:
        referral_move(referral=referral, to="accepted", by=user)
    assert caught.value.code == "referral_illegal_move"
    with pytest.raises(ApplicationError) as caught:
        referral_move(referral=referral, to="declined", by=user)
    assert caught.value.code == "referral_reason_required"
    referral_move(referral=referral, to="declined", by=user, reason="Does not want support")
    referral.refresh_from_db()
    assert (referral.status, referral.snomed_code) == ("declined", states.SNOMED_DECLINED)
    assert ReferralEvent.objects.filter(referral=referral).count() == 2


def test_every_status_has_its_transitions_and_fhir_status():
    for status in states.Status:
        assert status in states.TRANSITIONS
        assert status in states.FHIR_TASK_STATUS
    for target in states.TRANSITIONS[states.Status.ACCEPTED]:
        raise AssertionError(f"accepted is final but may become {target}")
