"""The audit log: `log_action` is called by services on every change to person data and on
every read of a person's record, and by the sign-in signals.

Action codes are namespaced (`referral.accepted`, `auth.signed_in`). Secrets and free-text notes
never reach the log: keys that look like either are replaced before the entry is written.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from linkwell.core.models import LogEntry, Membership, Scheme

REDACTED = "[not logged]"

# Known action codes and what they mean, for people reading the log. Each app adds its own.
ACTIONS: dict[str, str] = {
    "auth.signed_in": "Signed in",
    "auth.signed_out": "Signed out",
    "auth.sign_in_failed": "Failed sign-in",
    "auth.locked_out": "Account locked after failed sign-ins",
    "auth.two_factor_set_up": "Set up two-factor sign-in",
    "auth.two_factor_passed": "Entered a two-factor code",
    "auth.two_factor_failed": "Entered a wrong two-factor code",
    "auth.password_reset": "Reset their password",
    "auth.two_factor_reset": "Reset someone's two-factor sign-in",
    "membership.created": "Added to the team",
    "membership.changed": "Role or sites changed",
    "membership.ended": "Removed from the team",
    "scheme.two_factor_changed": "Changed the two-factor rule",
    "scheme.freshness_changed": "Changed how often listings are checked",
    "scheme.referral_settings_changed": "Changed how referrals are handled",
    "site.created": "Added a site",
    "api_token.created": "Created an API token",
    "api_token.revoked": "Revoked an API token",
    "api_token.all_revoked": "All API tokens revoked",
}
# Keys whose values are never copied into audit data (matched on the key's last word).
_SECRET_WORDS = {"password", "token", "secret", "key", "otp", "digest"}
_FREE_TEXT_WORDS = {"note", "notes", "text", "summary", "comment", "comments", "body", "message"}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if _is_sensitive(k) else _clean(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _is_sensitive(key: str) -> bool:
    last = str(key).lower().replace("-", "_").split("_")[-1]
    return last in _SECRET_WORDS or last in _FREE_TEXT_WORDS


def _scheme_of(obj: Any) -> Scheme | None:
    if isinstance(obj, Scheme):
        return obj
    scheme_id = getattr(obj, "scheme_id", None)
    if scheme_id is not None:
        return obj.scheme
    return None


def log_action(
    actor,
    action: str,
    obj: models.Model | None = None,
    data: dict | None = None,
    *,
    scheme: Scheme | None = None,
    ip_address: str | None = None,
    actor_label: str = "",
) -> LogEntry:
    """Write one audit entry and return it.

    `actor` is the user who acted (None for the system or an unknown sign-in attempt); `obj`
    the record acted on. The scheme is taken from `obj` unless given. An object that belongs to
    a person says so with an `audit_person_id` attribute, so the log can be read per person.
    """
    if "." not in action:
        raise ValueError(f"Audit action codes are namespaced, like 'referral.accepted': {action!r}")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    entry = LogEntry(
        scheme=scheme or _scheme_of(obj),
        actor=actor,
        actor_label=(actor.email if actor is not None else actor_label)[:254],
        action=action,
        ip_address=ip_address,
        data=_clean(data or {}),
    )
    if obj is not None:
        entry.object_type = obj._meta.label_lower
        entry.object_id = str(obj.pk)
        entry.object_label = str(obj)[:200]
        person_id = getattr(obj, "audit_person_id", None)
        if person_id is not None:
            entry.person_id = str(person_id)
    entry.save()
    return entry


def log_user_action(
    user, action: str, *, ip_address: str | None = None, attempt_email: str | None = None
) -> None:
    """Log something about a user's own account (signing in, say) once in each scheme they
    belong to, so that every scheme's log shows its own members' sign-ins.

    For an attempt by someone not yet known to be the user (a failed sign-in), pass the email
    address typed as `attempt_email`: the entry is then about the account, with no actor. An
    address with no account is logged once, in no scheme's log; operators see it.
    """
    schemes: list[Scheme | None] = [None]
    if user is not None:
        memberships = Membership.objects.filter(user=user, is_active=True).select_related("scheme")
        schemes = [m.scheme for m in memberships] or [None]
    attempt = attempt_email is not None
    for scheme in schemes:
        log_action(
            None if attempt else user,
            action,
            user,
            {"email_entered": attempt_email} if attempt else None,
            scheme=scheme,
            ip_address=ip_address,
        )


def client_ip(request) -> str | None:
    """The client's address as Django sees it (REMOTE_ADDR; set by the proxy in production)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
