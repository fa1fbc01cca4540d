"""Writes for schemes, memberships and API tokens. Every change is audited."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from linkwell.core.audit import log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.models import ApiToken, Membership, Role, Scheme, Site, User

TOKEN_PREFIX = "lw_"


def _site_ids(sites: Iterable[Site]) -> list[str]:
    return sorted(str(s.pk) for s in sites)


def _check_sites(scheme: Scheme, sites: Iterable[Site]) -> list[Site]:
    sites = list(sites)
    if any(site.scheme_id != scheme.pk for site in sites):
        raise ValidationError({"sites": "Choose sites of this scheme only."})
    return sites


def _send_invitation(user: User, scheme: Scheme) -> None:
    link = settings.LINKWELL_BASE_URL + reverse(
        "core:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"user": user, "scheme": scheme, "link": link}
    send_mail(
        subject=f"You have been added to {scheme.name} on Linkwell",
        message=render_to_string("core/email/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def _send_added_notice(user: User, scheme: Scheme, by: User | None) -> None:
    context = {"user": user, "scheme": scheme, "by": by, "link": settings.LINKWELL_BASE_URL}
    send_mail(
        subject=f"You have been added to {scheme.name} on Linkwell",
        message=render_to_string("core/email/added_to_scheme.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def membership_add(
    *,
    scheme: Scheme,
    email: str,
    full_name: str,
    role: str,
    sites: Iterable[Site] = (),
    by: User,
) -> Membership:
    """Give someone a role in a scheme, creating their account (and inviting them) if new."""
    role = Role(role)
    sites = _check_sites(scheme, sites)
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    created_user = user is None
    if created_user:
        user = User(email=email, full_name=full_name.strip())
        user.set_unusable_password()
        user.full_clean()
        user.save()
    membership = Membership.objects.filter(user=user, scheme=scheme).first()
    if membership is not None and membership.is_active:
        raise ApplicationError(
            "membership.exists",
            f"{user.email} is already a member of {scheme.name}.",
            fields={"email": ["This person is already a member of this scheme."]},
        )
    if membership is None:
        membership = Membership(user=user, scheme=scheme, role=role)
    membership.role = role
    membership.is_active = True
    membership.ended_at = None
    membership.full_clean()
    membership.save()
    membership.sites.set(sites)
    log_action(
        by,
        "membership.created",
        membership,
        {
            "user": user.email,
            "role": role.value,
            "sites": _site_ids(sites),
            "new_user": created_user,
        },
    )
    if created_user:
        transaction.on_commit(lambda: _send_invitation(user, scheme))
    else:
        transaction.on_commit(lambda: _send_added_notice(user, scheme, by))
    return membership


def _ensure_active(membership: Membership) -> None:
    if not membership.is_active:
        raise ApplicationError(
            "membership.ended", "This person no longer has access to this scheme."
        )


def _ensure_another_admin(membership: Membership) -> None:
    others = (
        Membership.objects.filter(scheme=membership.scheme, role=Role.ADMIN, is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise ApplicationError(
            "membership.last_admin",
            "A scheme must keep at least one administrator. Add another administrator first.",
            fields={"role": ["This is the scheme's only administrator."]},
        )


@transaction.atomic
def membership_change(
    *, membership: Membership, role: str, sites: Iterable[Site], by: User
) -> Membership:
    """Change someone's role or sites in a scheme."""
    role = Role(role)
    sites = _check_sites(membership.scheme, sites)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    _ensure_active(membership)
    before = {"role": membership.role, "sites": _site_ids(membership.sites.all())}
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _ensure_another_admin(membership)
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    membership.sites.set(sites)
    after = {"role": role.value, "sites": _site_ids(sites)}
    if before != after:
        log_action(
            by,
            "membership.changed",
            membership,
            {"user": membership.user.email, "before": before, "after": after},
        )
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, by: User) -> Membership:
    """Take someone out of a scheme. The membership is kept, marked ended, for the record."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not membership.is_active:
        raise ApplicationError("membership.already_ended", "This membership has already ended.")
    if membership.role == Role.ADMIN:
        _ensure_another_admin(membership)
    membership.is_active = False
    membership.ended_at = timezone.now()
    membership.save(update_fields=["is_active", "ended_at"])
    log_action(
        by, "membership.ended", membership, {"user": membership.user.email, "role": membership.role}
    )
    return membership


@transaction.atomic
def two_factor_reset(*, membership: Membership, by: User) -> int:
    """Remove a member's authenticator (a lost or new phone): they set up a new one at their
    next sign-in, after their password. Returns how many devices were removed.

    Only for someone who works in this scheme alone: removing a second factor weakens their
    account everywhere, so for people in several schemes it is an operator's job.
    """
    membership = (
        Membership.objects.select_for_update()
        .select_related("user", "scheme")
        .get(pk=membership.pk)
    )
    _ensure_active(membership)
    if membership.user_id == by.pk:
        raise ApplicationError(
            "two_factor.reset_self",
            "You cannot reset your own two-factor sign-in. Ask another administrator.",
        )
    elsewhere = (
        Membership.objects.filter(user_id=membership.user_id, is_active=True)
        .exclude(scheme_id=membership.scheme_id)
        .exists()
    )
    if elsewhere:
        raise ApplicationError(
            "two_factor.reset_other_schemes",
            "This person also works in other schemes, so only your Linkwell operator can reset "
            "their two-factor sign-in.",
        )
    removed, _ = TOTPDevice.objects.filter(user_id=membership.user_id).delete()
    log_action(by, "auth.two_factor_reset", membership, {"user": membership.user.email})
    user = membership.user
    transaction.on_commit(
        lambda: send_mail(
            subject="Your Linkwell two-factor sign-in was reset",
            message=render_to_string(
                "core/email/two_factor_reset.txt",
                {"user": user, "by": by, "scheme": membership.scheme},
            ),
            from_email=None,
            recipient_list=[user.email],
        )
    )
    return removed


# The scheme's referral settings that are numbers, and the range each may take.
REFERRAL_SETTING_LIMITS = {
    "contact_attempts_limit": (1, 20),
    "contact_attempts_days": (1, 90),
    "waiting_room_days": (7, 365),
}


@transaction.atomic
def scheme_update_settings(
    *,
    scheme: Scheme,
    require_two_factor: bool,
    by: User,
    directory_freshness_days: int | None = None,
    referral_settings: dict | None = None,
) -> Scheme:
    """Change a scheme's sign-in rules, how often its listings must be checked, and how its
    referrals are handled (tries before 'unable to contact', waiting-room links, the public
    self-referral page)."""
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.require_two_factor != require_two_factor:
        scheme.require_two_factor = require_two_factor
        scheme.save(update_fields=["require_two_factor"])
        log_action(
            by, "scheme.two_factor_changed", scheme, {"require_two_factor": require_two_factor}
        )
    days = directory_freshness_days
    if days is not None and days != scheme.directory_freshness_days:
        if not 7 <= days <= 730:
            raise ValidationError(
                {"directory_freshness_days": "Enter a number of days from 7 to 730"}
            )
        scheme.directory_freshness_days = days
        scheme.save(update_fields=["directory_freshness_days"])
        log_action(by, "scheme.freshness_changed", scheme, {"days": days})
    if referral_settings:
        limits = REFERRAL_SETTING_LIMITS
        errors = {}
        for name, (low, high) in limits.items():
            value = referral_settings.get(name)
            if value is not None and not low <= value <= high:
                errors[name] = f"Enter a number from {low} to {high}"
        if errors:
            raise ValidationError(errors)
        changed = {
            name: value
            for name, value in referral_settings.items()
            if name in (*limits, "self_referral_open") and getattr(scheme, name) != value
        }
        if changed:
            for name, value in changed.items():
                setattr(scheme, name, value)
            scheme.save(update_fields=list(changed))
            log_action(by, "scheme.referral_settings_changed", scheme, changed)
    return scheme


@transaction.atomic
def site_create(*, scheme: Scheme, name: str, by: User) -> Site:
    """Add a place or team to a scheme."""
    site = Site(scheme=scheme, name=name.strip())
    site.full_clean()
    site.save()
    log_action(by, "site.created", site, {"name": site.name})
    return site


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Make a personal API token. Returns it and its secret, which is shown once, never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, such as what will use it."})
    if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise ApplicationError(
            "api_token.name_taken",
            f"You already have a token called {name!r}.",
            fields={"name": ["You already have a live token with this name."]},
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, prefix=secret[:10], digest=_digest(secret))
    token.full_clean()
    token.save()
    log_action(user, "api_token.created", token, {"name": name})
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Stop a token working. Revoked tokens stay listed, marked revoked."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        log_action(by, "api_token.revoked", token, {"name": token.name})
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user: User, by: User, reason: str) -> int:
    """Stop all of a user's tokens working (after a password reset, say)."""
    live = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    for token in live:
        api_token_revoke(token=token, by=by)
    if live:
        log_action(by, "api_token.all_revoked", user, {"count": len(live), "reason": reason})
    return len(live)


def api_token_authenticate(secret: str) -> User | None:
    """The live token's user for this secret, or None. Marks the token used."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
