"""Managing the team: adding people, changing roles and sites, ending access."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from linkwell.core.errors import ApplicationError
from linkwell.core.models import Membership, Role, User
from linkwell.core.services import membership_add, membership_change, membership_end


def test_adding_a_new_person_invites_them(member, scheme, django_capture_on_commit_callbacks):
    admin = member(Role.ADMIN).user
    with django_capture_on_commit_callbacks(execute=True):
        membership = membership_add(
            scheme=scheme,
            email="aled@example.test",
            full_name="Aled Jones",
            role=Role.LINK_WORKER,
            by=admin,
        )
    assert not membership.user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["aled@example.test"]
    assert "/password-reset/" in mail.outbox[0].body


def test_adding_someone_already_in_another_scheme_reuses_their_account(
    member, scheme, other_scheme, django_capture_on_commit_callbacks
):
    theirs = member(Role.MANAGER, of=other_scheme)
    admin = member(Role.ADMIN).user
    with django_capture_on_commit_callbacks(execute=True):
        membership_add(
            scheme=scheme,
            email=theirs.user.email.upper(),
            full_name="ignored",
            role=Role.COMMISSIONER,
            by=admin,
        )
    assert User.objects.filter(email=theirs.user.email).count() == 1
    assert theirs.user.memberships.count() == 2
    # No invitation (they have a password), but they are told.
    assert [m.subject for m in mail.outbox] == [f"You have been added to {scheme.name} on Linkwell"]
    assert "/password-reset/" not in mail.outbox[0].body


def test_cannot_add_an_existing_member_twice(member, scheme):
    admin = member(Role.ADMIN).user
    worker = member(Role.LINK_WORKER)
    with pytest.raises(ApplicationError) as error:
        membership_add(
            scheme=scheme, email=worker.user.email, full_name="x", role=Role.MANAGER, by=admin
        )
    assert error.value.code == "membership.exists"


def test_sites_must_belong_to_the_scheme(member, scheme, other_scheme):
    admin = member(Role.ADMIN).user
    with pytest.raises(ValidationError):
        membership_add(
            scheme=scheme,
            email="x@example.test",
            full_name="X",
            role=Role.LINK_WORKER,
            sites=list(other_scheme.sites.all()),
            by=admin,
        )
    assert not User.objects.filter(email="x@example.test").exists()  # nothing half-written


def test_the_last_admin_cannot_be_removed_or_demoted(member):
    admin = member(Role.ADMIN)
    with pytest.raises(ApplicationError) as error:
        membership_end(membership=admin, by=admin.user)
    assert error.value.code == "membership.last_admin"
    with pytest.raises(ApplicationError):
        membership_change(membership=admin, role=Role.MANAGER, sites=[], by=admin.user)
    second = member(Role.ADMIN)
    membership_end(membership=admin, by=second.user)
    admin.refresh_from_db()
    assert not admin.is_active
    assert admin.ended_at is not None


def test_an_ended_member_loses_access(client_as, member):
    client = client_as(Role.LINK_WORKER)
    admin = member(Role.ADMIN).user
    assert client.get("/").status_code == 200
    membership_end(membership=client.membership, by=admin)
    response = client.get("/")
    assert "You are not part of a scheme yet" in response.content.decode()


def test_add_member_form_shows_errors_next_to_fields(client_as):
    client = client_as(Role.ADMIN)
    response = client.post("/team/add/", {"full_name": "", "email": "not-an-email"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert 'href="#id_full_name">Enter their full name' in body
    assert "Enter an email address in the correct format" in body
    assert "nhsuk-form-group--error" in body
    assert 'aria-describedby="id_email-hint id_email-error"' in body
    assert Membership.objects.count() == 1


def test_add_member_form_reports_an_existing_member(client_as, member):
    client = client_as(Role.ADMIN)
    worker = member(Role.LINK_WORKER)
    response = client.post(
        "/team/add/",
        {"full_name": "W", "email": worker.user.email, "role": Role.MANAGER},
    )
    assert "already a member of this scheme" in response.content.decode()
    worker.refresh_from_db()
    assert worker.role == Role.LINK_WORKER


def test_admin_adds_changes_and_removes_through_the_pages(client_as, scheme):
    client = client_as(Role.ADMIN)
    north = scheme.sites.get(name="North")
    response = client.post(
        "/team/add/",
        {
            "full_name": "Carol Smith",
            "email": "carol@example.test",
            "role": "link_worker",
            "sites": [str(north.pk)],
        },
    )
    assert response["Location"] == "/team/"
    carol = Membership.objects.get(user__email="carol@example.test")
    assert list(carol.sites.all()) == [north]
    response = client.post(f"/team/{carol.pk}/", {"role": "manager"})
    assert response["Location"] == "/team/"
    carol.refresh_from_db()
    assert carol.role == Role.MANAGER
    assert list(carol.sites.all()) == []
    response = client.post(f"/team/{carol.pk}/end/")
    carol.refresh_from_db()
    assert not carol.is_active


def test_managers_see_the_team_but_cannot_change_it(client_as, member):
    client = client_as(Role.MANAGER)
    worker = member(Role.LINK_WORKER)
    response = client.get(f"/team/{worker.pk}/")
    assert response.status_code == 200
    assert response.context["form"] is None
    assert client.post(f"/team/{worker.pk}/", {"role": "admin"}).status_code == 403
    worker.refresh_from_db()
    assert worker.role == Role.LINK_WORKER


def test_scheme_settings_turn_two_factor_off_and_add_sites(client_as, scheme):
    client = client_as(Role.ADMIN)
    settings = {
        "form": "settings",
        "require_two_factor": "no",
        "directory_freshness_days": "3",
        "contact_attempts_limit": "0",
        "contact_attempts_days": "21",
        "waiting_room_days": "60",
        "self_referral_open": "no",
    }
    response = client.post("/scheme/settings/", settings)
    page = response.content.decode()
    assert "Enter a number of days from 7 to 730" in page
    assert "Enter a number from 1 to 20" in page
    response = client.post(
        "/scheme/settings/",
        {**settings, "directory_freshness_days": "90", "contact_attempts_limit": "4"},
    )
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert scheme.require_two_factor is False
    assert scheme.directory_freshness_days == 90
    assert (
        scheme.contact_attempts_limit,
        scheme.contact_attempts_days,
        scheme.waiting_room_days,
        scheme.self_referral_open,
    ) == (4, 21, 60, False)
    client.post("/scheme/settings/", {"form": "site", "name": "East"})
    assert scheme.sites.filter(name="East").exists()
    response = client.post("/scheme/settings/", {"form": "site", "name": "East"})
    assert "already has a site with this name" in response.content.decode()
    assert scheme.sites.filter(name="East").count() == 1


def test_admin_resets_a_members_two_factor(client_as, member, django_capture_on_commit_callbacks):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from linkwell.core.models import LogEntry
    from tests.factories import TOTPDeviceFactory

    client = client_as(Role.ADMIN)
    worker = member(Role.LINK_WORKER)
    TOTPDeviceFactory(user=worker.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/team/{worker.pk}/two-factor-reset/")
    assert response["Location"] == f"/team/{worker.pk}/"
    assert not TOTPDevice.objects.filter(user=worker.user).exists()
    assert LogEntry.objects.filter(
        action="auth.two_factor_reset", actor=client.membership.user
    ).exists()
    # Not their own: that would let a stolen password remove the second factor.
    client.post(f"/team/{client.membership.pk}/two-factor-reset/")
    assert TOTPDevice.objects.filter(user=client.membership.user).exists()
    assert client.get("/team/").status_code == 200
    assert [m.subject for m in mail.outbox] == ["Your Linkwell two-factor sign-in was reset"]
    assert mail.outbox[0].to == [worker.user.email]
    # Managers cannot.
    manager_client = client_as(Role.MANAGER)
    TOTPDeviceFactory(user=worker.user)
    assert manager_client.post(f"/team/{worker.pk}/two-factor-reset/").status_code == 403
    assert TOTPDevice.objects.filter(user=worker.user).exists()


def test_two_factor_reset_is_refused_for_people_in_other_schemes_or_gone(member, other_scheme):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from linkwell.core.services import two_factor_reset
    from tests.factories import TOTPDeviceFactory

    admin = member(Role.ADMIN).user
    # Someone who is also an admin elsewhere: not this scheme's call.
    shared = member(Role.LINK_WORKER)
    member(Role.ADMIN, of=other_scheme, user=shared.user)
    TOTPDeviceFactory(user=shared.user)
    with pytest.raises(ApplicationError) as error:
        two_factor_reset(membership=shared, by=admin)
    assert error.value.code == "two_factor.reset_other_schemes"
    # Someone who has left.
    gone = member(Role.LINK_WORKER)
    TOTPDeviceFactory(user=gone.user)
    membership_end(membership=gone, by=admin)
    with pytest.raises(ApplicationError) as error:
        two_factor_reset(membership=gone, by=admin)
    assert error.value.code == "membership.ended"
    assert TOTPDevice.objects.filter(user__in=[shared.user, gone.user]).count() == 2


def test_an_ended_membership_cannot_be_changed(client_as, member):
    client = client_as(Role.ADMIN)
    gone = member(Role.LINK_WORKER)
    membership_end(membership=gone, by=client.membership.user)
    response = client.post(f"/team/{gone.pk}/", {"role": "admin"})
    assert "no longer has access" in response.content.decode()
    gone.refresh_from_db()
    assert gone.role == Role.LINK_WORKER
    with pytest.raises(ApplicationError):
        membership_change(membership=gone, role=Role.ADMIN, sites=[], by=client.membership.user)
