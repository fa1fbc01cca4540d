"""Sign-in, sign-out and failed sign-in are audited through Django's auth signals."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from linkwell.core.audit import client_ip, log_user_action


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
    email = str(credentials.get("username") or credentials.get("email") or "")[:254]
    log_user_action(
        user_for_email(email),
        "auth.sign_in_failed",
        ip_address=client_ip(request),
        actor_label=email,
    )
