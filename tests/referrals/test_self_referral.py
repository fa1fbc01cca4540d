"""The public self-referral page: no sign-in, consent, a honeypot and a rate limit."""

from django.test import Client

from linkwell.core.models import LogEntry
from linkwell.directory.taxonomy import term_id
from linkwell.people.models import Consent, Person
from linkwell.referrals.models import Referral


def _post(**overrides):
    data = {
        "given_name": "Edna",
        "family_name": "Hughes",
        "date_of_birth": "1944-11-30",
        "postcode": "RV3 1AA",
        "phone": "01632 960 001",
        "email": "edna@example.org",
        "preferred_contact_method": "phone",
        "digital_access": "phone_only",
        "reasons": [str(term_id("loneliness"))],
        "summary": "I have been on my own a lot since my husband died.",
        "consent_contact": "on",
        "consent_share_gp": "on",
        "website": "",
    }
    data.update(overrides)
    return data


def test_a_person_refers_themselves_and_is_thanked(scheme, mailoutbox, settings):
    settings.NOTIFY_BACKEND = "email"
    client = Client()
    page = client.get(f"/refer/{scheme.slug}/")
    assert page.status_code == 200
    assert "Ask for support from a social prescriber" in page.content.decode()

    response = client.post(f"/refer/{scheme.slug}/", _post(), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    done = client.get(response["Location"])
    assert "Thank you, Edna." in done.content.decode()

    referral = Referral.objects.get()
    assert (referral.channel, referral.source_type, referral.scheme) == (
        "self_referral",
        "self",
        scheme,
    )
    assert referral.person.phone == "+441632960001"
    consents = dict(Consent.objects.values_list("scope", "method"))
    assert consents == {"contact": "online", "share_referrer": "online"}
    entry = LogEntry.objects.get(action="referral.received")
    assert (entry.actor, entry.ip_address) == (None, "203.0.113.9")
    assert mailoutbox[0].to == ["edna@example.org"]
    assert "we have your request" in mailoutbox[0].subject


def test_consent_to_contact_is_required_and_errors_keep_what_was_typed(scheme):
    response = Client().post(
        f"/refer/{scheme.slug}/", _post(consent_contact="", phone="", email="", reasons=[])
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Tick the box to say we can contact you" in page
    assert "Enter a phone number or an email address" in page
    assert "Choose at least one thing you would like help with" in page
    assert 'value="Edna"' in page
    assert Person.objects.count() == 0


def test_the_honeypot_answers_as_if_it_worked_and_stores_nothing(scheme):
    response = Client().post(f"/refer/{scheme.slug}/", _post(website="http://spam.example"))
    assert response.status_code == 302
    assert Referral.objects.count() == Person.objects.count() == 0
    assert LogEntry.objects.filter(action="self_referral.refused").count() == 1


def test_one_address_is_limited_per_hour(scheme, settings):
    settings.SELF_REFERRAL_LIMIT_PER_HOUR = 2
    client = Client()
    for n in range(2):
        response = client.post(
            f"/refer/{scheme.slug}/",
            _post(given_name=f"Person{n}", phone=f"01632 96000{n + 2}"),
            REMOTE_ADDR="198.51.100.7",
        )
        assert response.status_code == 302
    refused = client.post(
        f"/refer/{scheme.slug}/", _post(given_name="Third"), REMOTE_ADDR="198.51.100.7"
    )
    assert refused.status_code == 429
    assert "try again later" in refused.content.decode()
    assert Referral.objects.count() == 2
    # Another address is not affected.
    other = client.post(
        f"/refer/{scheme.slug}/",
        _post(given_name="Fourth", phone="01632 960 009"),
        REMOTE_ADDR="198.51.100.8",
    )
    assert other.status_code == 302


def test_a_closed_or_unknown_scheme_has_no_form(scheme):
    scheme.self_referral_open = False
    scheme.save()
    assert Client().get(f"/refer/{scheme.slug}/").status_code == 404
    assert Client().get("/refer/no-such-scheme/").status_code == 404
