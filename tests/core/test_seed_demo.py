"""The demo data: one scheme with two sites and a user per role, safe to load twice."""

from django.core.management import call_command
from django.test import Client

from linkwell.core.management.commands.seed_demo import DEMO_PEOPLE, demo_email
from linkwell.core.models import LogEntry, Membership, Role, Scheme, Site, User


def test_seed_demo_is_idempotent_and_every_login_works(db, settings, capsys):
    settings.LINKWELL_DEMO_PASSWORD = "a-demo-password-for-tests"
    call_command("seed_demo")
    counts = (
        User.objects.count(),
        Scheme.objects.count(),
        Site.objects.count(),
        Membership.objects.count(),
        LogEntry.objects.count(),
    )
    call_command("seed_demo")
    assert counts == (
        User.objects.count(),
        Scheme.objects.count(),
        Site.objects.count(),
        Membership.objects.count(),
        LogEntry.objects.count(),
    )
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
