"""The demo data: one scheme with two sites and a user per role, safe to load twice."""

from django.core.management import call_command
from django.test import Client

from linkwell.core.management.commands.seed_demo import DEMO_PEOPLE, demo_email
from linkwell.core.models import LogEntry, Membership, Role, Scheme, Site, User


def _counts():
    from linkwell.people.models import Consent, Person
    from linkwell.referrals.models import CampaignEntry, Referral, WaitingRoomLink
    from linkwell.resources.models import Resource

    return [
        m.objects.count()
        for m in (
            User,
            Scheme,
            Site,
            Membership,
            LogEntry,
            Person,
            Referral,
            Consent,
            CampaignEntry,
            WaitingRoomLink,
            Resource,
        )
    ]


def test_seed_demo_is_idempotent_and_every_login_works(db, settings, capsys):
    settings.LINKWELL_DEMO_PASSWORD = "a-demo-password-for-tests"
    call_command("seed_demo")
    counts = _counts()
    call_command("seed_demo")
    assert counts == _counts()
    demo = Scheme.objects.get(slug="demo")
    assert demo.sites.count() == 2
    assert demo.require_two_factor is False
    assert {m.role for m in demo.memberships.all()} == set(Role)
    out = capsys.readouterr().out
    for role in DEMO_PEOPLE:
        assert demo_email(role) in out
        client = Client()
        response = client.post(
            "/sign-in/", {"username": demo_email(role), "password": "a-demo-password-for-tests"}
        )
        assert response["Location"] == "/", role
        assert client.get("/").status_code == 200
    # The manager works in two schemes, to show switching.
    assert User.objects.get(email=demo_email(Role.MANAGER)).memberships.count() == 2


def test_seed_demo_refuses_a_production_deployment(db, settings):
    import pytest
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production deployment"):
        call_command("seed_demo")
    settings.LINKWELL_DEMO_PASSWORD = "linkwell-demo-2026"
    with pytest.raises(CommandError, match="LINKWELL_DEMO_PASSWORD"):
        call_command("seed_demo", allow_production=True)
    assert not Scheme.objects.exists()


def test_seed_demo_builds_a_realistic_directory(db):
    from datetime import timedelta

    from django.utils import timezone

    from linkwell.directory.models import Organization, Service
    from linkwell.geo.models import Postcode

    call_command("seed_demo")
    services = Service.objects.filter(owner_scheme__slug="demo")
    assert 140 <= services.count() <= 170
    assert 55 <= Organization.objects.count() <= 70
    assert services.filter(capacity="full").exists()
    assert services.filter(capacity="waiting_list", typical_wait_weeks__isnull=False).exists()
    stale = services.filter(last_verified_at__lt=timezone.now() - timedelta(days=180))
    assert 10 <= stale.count() <= services.count() // 3
    # Every location's postcode is in the demo gazetteer, so distance search works offline.
    postcodes = set(Postcode.objects.values_list("postcode", flat=True))
    used = set(
        services.values_list("service_at_locations__location__addresses__postal_code", flat=True)
    )
    assert used <= postcodes
    provider = User.objects.get(email=demo_email(Role.PROVIDER))
    assert provider.provider_organizations.exists()


def test_seed_demo_has_the_referral_pathway(db, capsys):
    from django.db.models import Count

    from linkwell.referrals.models import CallOutcome, Campaign, Referral
    from linkwell.referrals.states import Status
    from linkwell.resources.models import Resource

    call_command("seed_demo")
    demo = Scheme.objects.get(slug="demo")
    referrals = Referral.objects.filter(scheme=demo)
    assert 280 <= referrals.count() <= 360
    assert set(referrals.values_list("status", flat=True)) == set(Status)
    by_site = dict(referrals.values_list("site__name").annotate(n=Count("id")))
    assert min(by_site["North Riverside PCN"], by_site["Riverside Town Centre"]) > 100
    stories = {
        ("Aled", "Pritchard"),
        ("Carol", "Jenkins"),
        ("Tess", "Morgan"),
        ("Bashir", "Rahimi"),
        ("Edna", "Hughes"),
    }
    found = set(referrals.values_list("person__given_name", "person__family_name"))
    assert stories <= found
    tess = referrals.get(person__given_name="Tess").person
    assert tess.household.members.count() == 4
    # The referrer has referrals of their own to follow.
    assert referrals.filter(referred_by__email=demo_email(Role.REFERRER)).count() >= 20
    campaign = Campaign.objects.get(scheme=demo)
    outcomes = list(campaign.entries.values_list("outcome", flat=True))
    called = [o for o in outcomes if o != CallOutcome.PENDING]
    assert len(outcomes) == 40 and len(called) == 20
    assert CallOutcome.REFERRAL_CREATED in called
    assert Resource.objects.filter(scheme=demo, is_demo=True).count() >= 15
    assert "/waiting-room/" in capsys.readouterr().out
