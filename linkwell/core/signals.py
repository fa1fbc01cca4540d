"""Sign-in, sign-out and failed sign-in are audited through Django's auth signals."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from linkwell.core.audit import client_ip, log_user_action


def sign_in_email(request, credentials) -> str:
    """The email address a sign-in attempt was for, as sign-in compares it: trimmed, lower
    case. django-axes counts failures per this value."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username", "")
    return str(raw or "").strip().lower()[:254]


def user_for_email(email: str):
    return get_user_model().objects.filter(email__iexact=email).first() if email else None


@receiver(user_logged_in, dispatch_uid="linkwell.audit.signed_in")
def _signed_in(sender, request, user, **kwargs):
    log_user_action(user, "auth.signed_in", ip_address=client_ip(request))


@receiver(user_logged_out, dispatch_uid="linkwell.audit.signed_out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        log_user_action(user, "auth.signed_out", ip_address=client_ip(request))


@receiver(user_login_failed, dispatch_uid="linkwell.audit.sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    email = sign_in_email(request, credentials)
    log_user_action(
        user_for_email(email),
        "auth.sign_in_failed",
        attempt_email=email,
        ip_address=client_ip(request),
    )
