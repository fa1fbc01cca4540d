"""Shared fixtures: schemes, members of each role, and signed-in clients."""

import factory.random
import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from linkwell.core.models import Role
from tests.factories import MembershipFactory, SchemeFactory, SiteFactory, TOTPDeviceFactory


@pytest.fixture(autouse=True)
def _same_made_up_data_every_run(request):
    # Factories invent names with Faker. Seeding by the test's id makes a test see the same
    # names on every run and every worker, so a made-up name that happens to contain a word a
    # test looks for (a provider called "Whitehead" on a page that must not say "White")
    # fails every time, not one run in fifty.
    factory.random.reseed_random(request.node.nodeid)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is deliberately slow; the hasher itself is checked in tests/core/test_auth.py.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


@pytest.fixture
def scheme(db):
    scheme = SchemeFactory(name="Riverside Social Prescribing", slug="riverside")
    SiteFactory(scheme=scheme, name="North")
    SiteFactory(scheme=scheme, name="South")
    return scheme


@pytest.fixture
def other_scheme(db):
    scheme = SchemeFactory(name="Hillside Link", slug="hillside")
    SiteFactory(scheme=scheme, name="Hillside")
    return scheme


@pytest.fixture
def member(scheme):
    """Make a member of `scheme` (or another scheme) with a role: member(Role.MANAGER)."""

    def make(role=Role.LINK_WORKER, *, of=None, **kwargs):
        return MembershipFactory(scheme=of or scheme, role=role, **kwargs)

    return make


def sign_in(client: Client, user, *, verified: bool = True) -> Client:
    """Sign `user` in on `client`, having passed two-factor when `verified`."""
    client.force_login(user)
    if verified:
        device = TOTPDeviceFactory(user=user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_as(member):
    """A client signed in (with two-factor passed) as a new member with the given role."""

    def make(role=Role.LINK_WORKER, *, of=None):
        membership = member(role, of=of)
        client = sign_in(Client(), membership.user)
        client.membership = membership
        return client

    return make
