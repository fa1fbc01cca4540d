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
