"""Sign-in, lockout, two-factor, sign-out, session expiry and password reset."""

import re

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from linkwell.core.models import LogEntry, Role
from tests.conftest import sign_in
from tests.factories import PASSWORD, TOTPDeviceFactory, UserFactory

SIGN_IN = "/sign-in/"


def post_sign_in(client, email, password):
    return client.post(SIGN_IN, {"username": email, "password": password})


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


@pytest.fixture
def no_2fa_scheme(scheme):
    scheme.require_two_factor = False
    scheme.save()
    return scheme


def test_passwords_are_hashed_with_argon2(settings, db):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = UserFactory()
    assert identify_hasher(user.password).algorithm == "argon2"


def test_sign_in_with_email_reaches_dashboard_and_is_audited(member, no_2fa_scheme):
    membership = member(Role.LINK_WORKER)
    client = Client()
    response = post_sign_in(client, membership.user.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    entry = LogEntry.objects.get(action="auth.signed_in")
    assert entry.actor == membership.user


@pytest.mark.parametrize("which", ["password", "email"])
def test_wrong_sign_in_does_not_say_which_part_was_wrong(member, which):
    membership = member(Role.LINK_WORKER)
    email = membership.user.email if which == "password" else "nobody@example.test"
    password = "wrong-password-123" if which == "password" else PASSWORD
    response = post_sign_in(Client(), email, password)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a correct email address and password." in body
    assert "There is a problem" in body
    assert "_auth_user_id" not in response.wsgi_request.session
    entry = LogEntry.objects.get(action="auth.sign_in_failed")
    # The attempt is about the account; whoever made it is not known to be its owner.
    assert entry.actor is None
    assert entry.data == {"email_entered": email}
    assert entry.object_id == (str(membership.user.pk) if which == "password" else "")


def test_account_locks_after_repeated_failures_and_says_when_to_retry(settings, member):
    settings.AXES_FAILURE_LIMIT = 3
    membership = member(Role.LINK_WORKER)
    client = Client()
    for _ in range(2):
        assert post_sign_in(client, membership.user.email, "nope-nope-nope").status_code == 200
    response = post_sign_in(client, membership.user.email, "nope-nope-nope")
    assert response.status_code == 429
    body = response.content.decode()
    assert "This account is locked" in body
    assert re.search(r"Try again in 15 minutes, after \d\d:\d\d", body)
    # Even the right password is refused while locked, however the address is written.
    for spelling in (
        membership.user.email,
        membership.user.email.upper(),
        f"  {membership.user.email} ",
    ):
        assert post_sign_in(Client(), spelling, PASSWORD).status_code == 429, spelling
    response = post_sign_in(client, membership.user.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert LogEntry.objects.filter(action="auth.locked_out").exists()


def test_sign_out_is_post_only_and_audited(client_as):
    client = client_as(Role.LINK_WORKER)
    assert client.get("/sign-out/").status_code == 405
    response = client.post("/sign-out/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to sign-in
    assert LogEntry.objects.filter(action="auth.signed_out", actor=client.membership.user).exists()


def test_sessions_expire_after_inactivity_and_each_request_extends_them(settings, client_as):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = client_as(Role.LINK_WORKER)
    key = client.session.session_key
    idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES)

    # A request made while the session is live pushes its end back to a full idle period.
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get("/").status_code == 200
    expires = Session.objects.get(pk=key).expire_date
    assert abs((expires - timezone.now()) - idle) < timedelta(seconds=30)

    # Past its end, the session no longer signs anyone in.
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


@pytest.mark.parametrize(
    ("role", "required"),
    [
        (Role.ADMIN, True),
        (Role.MANAGER, True),
        (Role.LINK_WORKER, True),
        (Role.REFERRER, True),
        (Role.PROVIDER, True),
        (Role.COMMISSIONER, False),
    ],
)
def test_two_factor_is_enforced_for_roles_that_see_person_data(member, role, required):
    membership = member(role)
    client = sign_in(Client(), membership.user, verified=False)
    response = client.get("/")
    if required:
        assert response.status_code == 302
        assert response["Location"].startswith("/two-factor/")
    else:
        assert response.status_code == 200


def test_two_factor_is_needed_if_any_of_the_users_schemes_needs_it(member, other_scheme):
    # Oldest membership: a commissioner (no person data) in a scheme with two-factor off...
    other_scheme.require_two_factor = False
    other_scheme.save()
    first = member(Role.COMMISSIONER, of=other_scheme)
    # ...but a link worker in a scheme that requires it.
    member(Role.LINK_WORKER, user=first.user)
    client = sign_in(Client(), first.user, verified=False)
    assert client.get("/")["Location"].startswith("/two-factor/")
    assert client.get("/account/")["Location"].startswith("/two-factor/")
    assert client.get("/api/v1/me").status_code == 401


def test_a_scheme_can_turn_two_factor_off(member, no_2fa_scheme):
    membership = member(Role.LINK_WORKER)
    client = sign_in(Client(), membership.user, verified=False)
    assert client.get("/").status_code == 200


def test_set_up_two_factor_then_sign_in_with_a_code(member):
    membership = member(Role.LINK_WORKER)
    client = Client()
    response = post_sign_in(client, membership.user.email, PASSWORD)
    # No authenticator yet: the dashboard sends them to set one up.
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/two-factor/set-up/")
    assert "<svg" in response.content.decode()  # the QR code
    device = TOTPDevice.objects.get(user=membership.user, confirmed=False)

    response = client.post("/two-factor/set-up/?next=/", {"code": "000000"})
    assert "The security code is not right" in response.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post("/two-factor/set-up/?next=/", {"code": code_for(device)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert LogEntry.objects.filter(action="auth.two_factor_set_up").exists()

    # Next time: password, then the code.
    client.post("/sign-out/")
    response = post_sign_in(client, membership.user.email, PASSWORD)
    assert response["Location"].startswith("/two-factor/")
    assert client.get("/")["Location"].startswith("/two-factor/")
    response = client.post("/two-factor/?next=/", {"code": "12ab56"})
    assert "numbers only" in response.content.decode()
    device.last_t = -1
    device.throttling_failure_count = 0
    device.save()
    response = client.post("/two-factor/?next=/", {"code": code_for(device)})
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "http:evil.example"]
)
def test_two_factor_next_does_not_redirect_off_site(member, target):
    membership = member(Role.LINK_WORKER)
    device = TOTPDeviceFactory(user=membership.user)
    client = sign_in(Client(), membership.user, verified=False)
    response = client.post("/two-factor/", {"code": code_for(device), "next": target})
    assert response["Location"] == "/"


def test_sign_in_keeps_the_whole_next_address_through_two_factor(member):
    membership = member(Role.MANAGER)
    device = TOTPDeviceFactory(user=membership.user)
    client = Client()
    response = client.post(
        "/sign-in/",
        {
            "username": membership.user.email,
            "password": PASSWORD,
            "next": "/audit/?action=x&page=2",
        },
    )
    assert response["Location"] == "/two-factor/?next=%2Faudit%2F%3Faction%3Dx%26page%3D2"
    response = client.post(response["Location"], {"code": code_for(device)})
    assert response["Location"] == "/audit/?action=x&page=2"


def test_sign_in_does_not_redirect_off_site(member, no_2fa_scheme):
    membership = member(Role.LINK_WORKER)
    response = Client().post(
        "/sign-in/",
        {"username": membership.user.email, "password": PASSWORD, "next": "//evil.example/"},
    )
    assert response["Location"] == "/"


def test_password_reset_by_email(member, no_2fa_scheme):
    membership = member(Role.LINK_WORKER)
    client = Client()
    response = client.post("/password-reset/", {"email": membership.user.email})
    assert response["Location"] == reverse("core:password_reset_done")
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Set a new password" in form_page.content.decode()
    new = "a-new-long-passphrase-for-tests"
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": "different-one"}
    )
    assert "There is a problem" in response.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response["Location"] == reverse("core:password_reset_complete")
    assert LogEntry.objects.filter(action="auth.password_reset").exists()
    assert post_sign_in(Client(), membership.user.email, new)["Location"] == "/"


def test_password_reset_revokes_api_tokens(member, no_2fa_scheme):
    from linkwell.core.models import ApiToken
    from linkwell.core.services import api_token_create

    membership = member(Role.LINK_WORKER)
    token, _ = api_token_create(user=membership.user, name="laptop script")
    client = Client()
    client.post("/password-reset/", {"email": membership.user.email})
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(
        form_url,
        {"new_password1": "another-long-passphrase", "new_password2": "another-long-passphrase"},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert LogEntry.objects.filter(action="api_token.all_revoked").exists()
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_invited_people_can_ask_for_a_new_link(member, scheme):
    from linkwell.core.services import membership_add

    admin = member(Role.ADMIN).user
    invited = membership_add(
        scheme=scheme, email="new@example.test", full_name="New", role=Role.REFERRER, by=admin
    )
    assert not invited.user.has_usable_password()
    Client().post("/password-reset/", {"email": "new@example.test"})
    assert [m.to for m in mail.outbox] == [["new@example.test"]]


def test_a_stale_form_gets_the_styled_csrf_page(db):
    response = Client(enforce_csrf_checks=True).post(
        "/sign-in/", {"username": "a@example.test", "password": "x"}
    )
    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(db):
    response = Client().post("/password-reset/", {"email": "nobody@example.test"})
    assert response["Location"] == reverse("core:password_reset_done")
    assert mail.outbox == []
