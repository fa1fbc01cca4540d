"""Another scheme's record answers 404, never the record, for every URL that takes an id."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.plugins.otp_totp.models import TOTPDevice

from linkwell.core.models import Role
from linkwell.core.services import api_token_create
from linkwell.directory.models import Flag, Location, Organization, Service, ServiceAtLocation
from tests.factories import MembershipFactory, TOTPDeviceFactory, UserFactory


def _other_member(other_scheme):
    """Another scheme's member (with an authenticator), and how to read what might change."""
    theirs = MembershipFactory(scheme=other_scheme, role=Role.LINK_WORKER)
    TOTPDeviceFactory(user=theirs.user)

    def state():
        theirs.refresh_from_db()
        devices = TOTPDevice.objects.filter(user=theirs.user).count()
        return (theirs.role, theirs.is_active, sorted(s.pk for s in theirs.sites.all()), devices)

    return {"member_id": theirs.pk}, state


def _other_users_token(other_scheme):
    owner = MembershipFactory(scheme=other_scheme).user
    token, _ = api_token_create(user=owner, name="theirs")

    def state():
        token.refresh_from_db()
        return token.revoked_at

    return {"token_id": token.pk}, state


def _private_service(other_scheme):
    """Another scheme's listing, kept out of the open feed."""
    org = Organization.objects.create(name="Their organisation", owner_scheme=other_scheme)
    service = Service.objects.create(
        organization=org, name="Their private group", owner_scheme=other_scheme, is_public=False
    )
    location = Location.objects.create(organization=org, latitude=52.5, longitude=-1.9)
    sal = ServiceAtLocation.objects.create(service=service, location=location)
    Flag.objects.create(service=service, scheme=other_scheme, kind=Flag.Kind.OTHER)

    def state():
        service.refresh_from_db()
        flags = list(service.flags.values_list("status", flat=True))
        return (service.name, service.capacity, service.last_verified_at, flags)

    return service, sal, state


def _other_service(other_scheme):
    service, _, state = _private_service(other_scheme)
    return {"service_id": service.pk}, state


def _other_service_at_location(other_scheme):
    _, sal, state = _private_service(other_scheme)
    return {"sal_id": sal.pk}, state


def _other_organization(other_scheme):
    service, _, state = _private_service(other_scheme)
    return {"organization_id": service.organization_id}, state


def _other_flag(other_scheme):
    service, _, state = _private_service(other_scheme)
    return {"flag_id": service.flags.get().pk}, state


def _other_import(other_scheme):
    from linkwell.directory.models import DirectoryImport

    job = DirectoryImport.objects.create(scheme=other_scheme, source_label="theirs.json")

    def state():
        job.refresh_from_db()
        return (job.status, job.summary)

    return {"import_id": job.pk}, state


# Every URL pattern that takes an object id: how to make another scheme's object for it, the
# methods to try, and a role that may use the URL in its own scheme. A new pattern with an id
# must be added here (the first test checks).
OBJECT_URLS = {
    "core:member_detail": (_other_member, ["get", "post"], Role.MANAGER),
    "core:member_end": (_other_member, ["get", "post"], Role.ADMIN),
    "core:member_two_factor_reset": (_other_member, ["post"], Role.ADMIN),
    "core:api_token_revoke": (_other_users_token, ["post"], Role.LINK_WORKER),
    "api:token_revoke": (_other_users_token, ["delete"], Role.REFERRER),
    "directory:service": (_other_service, ["get"], Role.LINK_WORKER),
    "directory:flag": (_other_service, ["get", "post"], Role.LINK_WORKER),
    "directory:edit": (_other_service, ["get", "post"], Role.MANAGER),
    "directory:verify": (_other_service, ["post"], Role.MANAGER),
    "directory:flag_close": (_other_flag, ["post"], Role.MANAGER),
    "directory:import_detail": (_other_import, ["get"], Role.MANAGER),
    "directory:organization_edit": (_other_organization, ["get", "post"], Role.MANAGER),
    # The open feed has no scheme, but a listing kept out of it must not show there.
    "oruk:service_detail": (_other_service, ["get"], Role.LINK_WORKER),
    "oruk:service_at_location_detail": (_other_service_at_location, ["get"], Role.LINK_WORKER),
}
# Patterns with parameters that are not records of a scheme, and why.
NOT_RECORDS = {
    "core:password_reset_confirm": "a signed, expiring link for one user; checked by Django",
    "directory:confirm": "a one-time emailed secret, not a record id (tests/directory)",
    "oruk:taxonomy_detail": "taxonomies are a shared vocabulary, public by design",
    "oruk:taxonomy_term_detail": "taxonomy terms are a shared vocabulary, public by design",
}
# Django's admin site is for staff operators; non-staff users are sent to its sign-in page
# (checked by test_scheme_users_cannot_use_the_admin_site).
EXEMPT_NAMESPACES = {"admin"}


def _patterns_with_params(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full = f"{namespace}:{ns}".strip(":") if ns else namespace
            yield from _patterns_with_params(entry, full)
        elif isinstance(entry, URLPattern) and entry.pattern.regex.groupindex:
            yield f"{namespace}:{entry.name}".strip(":"), entry


def test_every_url_with_an_id_is_covered():
    found = set()
    for name, _ in _patterns_with_params():
        if name.split(":")[0] in EXEMPT_NAMESPACES:
            continue
        found.add(name)
    uncovered = found - set(OBJECT_URLS) - set(NOT_RECORDS)
    assert not uncovered, f"Add these to OBJECT_URLS in {__file__}: {sorted(uncovered)}"
    assert set(OBJECT_URLS) <= found, "OBJECT_URLS names a pattern that no longer exists"


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_another_schemes_record_is_404(name, client_as, other_scheme):
    from django.urls import reverse

    make, methods, role = OBJECT_URLS[name]
    client = client_as(role)
    kwargs, state = make(other_scheme)
    before = state()
    url = reverse(name, kwargs=kwargs)
    for method in methods:
        response = getattr(client, method)(url, {"role": "admin"})
        assert response.status_code == 404, f"{method.upper()} {url} gave {response.status_code}"
        assert other_scheme.name.encode() not in response.content
    assert state() == before, "the request changed another scheme's record"


def test_own_schemes_record_is_found(client_as, scheme):
    """The 404s above are about the scheme, not a broken URL."""
    from django.urls import reverse

    client = client_as(Role.ADMIN)
    mine = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    assert client.get(reverse("core:member_detail", args=[mine.pk])).status_code == 200


def test_scheme_users_cannot_use_the_admin_site(client_as, other_scheme):
    client = client_as(Role.ADMIN)
    theirs = MembershipFactory(scheme=other_scheme)
    response = client.get(f"/admin/core/membership/{theirs.pk}/change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("value", ["other", "not-a-uuid", ""])
def test_switching_to_a_scheme_you_are_not_in_is_404(client_as, other_scheme, value):
    client = client_as(Role.MANAGER)
    scheme_id = str(other_scheme.pk) if value == "other" else value
    response = client.post("/scheme/switch/", {"scheme": scheme_id})
    assert response.status_code == 404
    assert client.get("/").context["membership"].scheme_id == client.membership.scheme_id


def test_user_without_membership_sees_no_scheme(db):
    from django.test import Client

    user = UserFactory()
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert "You are not part of a scheme yet" in response.content.decode()
    assert client.get("/team/").status_code == 403
