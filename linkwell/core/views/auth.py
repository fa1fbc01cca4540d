"""Sign-in, two-factor, sign-out, lockout and password reset."""

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from linkwell.core.audit import client_ip, log_user_action
from linkwell.core.forms import NewPasswordForm, ResetRequestForm, SignInForm, TwoFactorCodeForm
from linkwell.core.permissions import two_factor_required
from linkwell.core.services import api_tokens_revoke_all
from linkwell.core.signals import sign_in_email, user_for_email
from linkwell.core.views.util import safe_next


def _safe_next(request, default="core:dashboard"):
    return safe_next(request) or reverse_lazy(default)


class SignInView(auth_views.LoginView):
    template_name = "registration/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        # A user who already has a confirmed authenticator is asked for a code next; the
        # middleware sends those who must set one up to the set-up page.
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            query = urlencode({"next": self.get_success_url()})
            return redirect(f"{reverse_lazy('core:two_factor')}?{query}")
        return response


def locked_out(request, response=None, credentials=None, *args, **kwargs):
    """django-axes calls this when an account is locked: say so, and when to try again."""
    cool_off = settings.AXES_COOLOFF_TIME
    retry_at = timezone.localtime(timezone.now() + cool_off)
    email = sign_in_email(request, credentials)
    log_user_action(
        user_for_email(email), "auth.locked_out", attempt_email=email, ip_address=client_ip(request)
    )
    form = SignInForm(request, data=None, initial={"username": email})
    minutes = int(cool_off.total_seconds() // 60)
    return render(
        request,
        "registration/sign_in.html",
        {
            "form": form,
            "locked_out": True,
            "retry_at": retry_at,
            "lockout_minutes": minutes,
        },
        status=429,
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Ask for the code from the user's authenticator app, or send them to set one up."""
    if request.user.is_verified():
        return redirect(_safe_next(request))
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect(f"{reverse_lazy('core:two_factor_setup')}?{request.GET.urlencode()}")
    form = TwoFactorCodeForm(request.POST if request.method == "POST" else None, device=device)
    if request.method == "POST":
        if form.is_valid():
            otp_login(request, device)
            log_user_action(request.user, "auth.two_factor_passed", ip_address=client_ip(request))
            return redirect(_safe_next(request))
        log_user_action(request.user, "auth.two_factor_failed", ip_address=client_ip(request))
    return render(
        request,
        "registration/two_factor.html",
        {"form": form, "next": request.GET.get("next", ""), "required": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Set up an authenticator app: show a QR code and the key, then check one code."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("core:two_factor")
    device, _ = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    form = TwoFactorCodeForm(request.POST if request.method == "POST" else None, device=device)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        log_user_action(request.user, "auth.two_factor_set_up", ip_address=client_ip(request))
        messages.success(request, "Two-factor sign-in is set up.")
        return redirect(_safe_next(request))
    qr = segno.make(device.config_url, error="m")
    base32 = b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": qr.svg_inline(scale=5, title="QR code for your authenticator app"),
            "key_groups": [base32[i : i + 4] for i in range(0, len(base32), 4)],
            "next": request.GET.get("next", ""),
            "required": two_factor_required(request.user),
        },
    )


class SignOutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


class ResetRequestView(auth_views.PasswordResetView):
    template_name = "registration/reset_request.html"
    form_class = ResetRequestForm
    email_template_name = "core/email/password_reset.txt"
    subject_template_name = "core/email/password_reset_subject.txt"
    success_url = reverse_lazy("core:password_reset_done")


class ResetSentView(auth_views.PasswordResetDoneView):
    template_name = "registration/reset_sent.html"


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("core:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        log_user_action(form.user, "auth.password_reset", ip_address=client_ip(self.request))
        # A reset can follow a stolen password: tokens made with it stop working too.
        api_tokens_revoke_all(user=form.user, by=form.user, reason="password_reset")
        return response


class ResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/reset_complete.html"
