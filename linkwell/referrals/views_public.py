"""The public self-referral page of each scheme: no sign-in, plain English, a clear consent
step, and two guards against spam (a honeypot field and a per-address rate limit)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from linkwell import notify
from linkwell.core.audit import ACTIONS, client_ip, log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.models import LogEntry, Scheme
from linkwell.core.views.util import apply_errors
from linkwell.people.models import ConsentMethod, ConsentScope, ContactMethod
from linkwell.referrals import services
from linkwell.referrals.forms import SelfReferralForm
from linkwell.referrals.models import Channel, SourceType

ACTIONS.update(
    {
        "self_referral.refused": "Refused a self-referral (spam guard)",
        "self_referral.confirmation_failed": "Could not send a self-referral's confirmation",
    }
)
SESSION_DONE_KEY = "linkwell_self_referral_done"


def _recent_from(scheme: Scheme, ip: str | None) -> int:
    """Self-referrals (and refused tries) from this address in the last hour."""
    if not ip:
        return 0
    since = timezone.now() - timedelta(hours=1)
    return LogEntry.objects.filter(
        scheme=scheme,
        ip_address=ip,
        created_at__gte=since,
        action__in=["referral.received", "self_referral.refused"],
        actor__isnull=True,
    ).count()


@never_cache
def self_referral(request, scheme_slug):
    scheme = get_object_or_404(Scheme, slug=scheme_slug)
    if not scheme.self_referral_open:
        return render(request, "referrals/self_closed.html", {"scheme": scheme}, status=404)
    form = SelfReferralForm(request.POST or None, scheme=scheme)
    limited = False
    if request.method == "POST":
        ip = client_ip(request)
        if _recent_from(scheme, ip) >= settings.SELF_REFERRAL_LIMIT_PER_HOUR:
            limited = True
            log_action(
                None,
                "self_referral.refused",
                scheme,
                {"why": "rate"},
                ip_address=ip,
                actor_label="public self-referral page",
            )
            return render(
                request,
                "referrals/self_referral.html",
                {"form": form, "scheme": scheme, "limited": limited},
                status=429,
            )
        if form.is_robot:
            # Answer as if it worked: a robot learns nothing; nothing is stored.
            log_action(
                None,
                "self_referral.refused",
                scheme,
                {"why": "honeypot"},
                ip_address=ip,
                actor_label="public self-referral page",
            )
            return redirect("refer:done", scheme_slug=scheme.slug)
        if form.is_valid():
            data = form.cleaned_data
            channels = [data["preferred_contact_method"]]
            if data["phone"] and ContactMethod.PHONE not in channels:
                channels.append(ContactMethod.PHONE)
            consents = {
                ConsentScope.CONTACT: {"method": ConsentMethod.ONLINE, "channels": channels}
            }
            if data["consent_share_gp"]:
                consents[ConsentScope.SHARE_REFERRER] = {"method": ConsentMethod.ONLINE}
            if data["consent_reporting"]:
                consents[ConsentScope.REPORTING] = {"method": ConsentMethod.ONLINE}
            person_keys = [
                "given_name",
                "family_name",
                "date_of_birth",
                "nhs_number",
                "phone",
                "email",
                "postcode",
                "preferred_contact_method",
                "preferred_contact_times",
                "digital_access",
            ]
            req = services.IntakeRequest(
                scheme=scheme,
                channel=Channel.SELF_REFERRAL,
                source_type=SourceType.SELF,
                person={k: data[k] for k in person_keys},
                reasons=data["reasons"],
                consents=consents,
                summary=data["summary"],
                ip_address=ip,
            )
            try:
                referral = services.referral_intake(req, by=None)
            except (ValidationError, ApplicationError) as error:
                apply_errors(form, error)
            else:
                _confirm(referral, data)
                request.session[SESSION_DONE_KEY] = data["given_name"]
                return redirect("refer:done", scheme_slug=scheme.slug)
    return render(
        request,
        "referrals/self_referral.html",
        {"form": form, "scheme": scheme, "limited": limited},
        status=400 if form.is_bound and form.errors else 200,
    )


def _confirm(referral, data) -> None:
    """A confirmation message to the person, by email when they gave one."""
    if not data.get("email"):
        return
    try:
        _send_confirmation(referral, data)
    except notify.NotifyError as error:
        # The referral is stored: the person must not be told to try again.
        log_action(
            None,
            "self_referral.confirmation_failed",
            referral,
            {"error": str(error)[:300]},
            actor_label="Linkwell",
        )


def _send_confirmation(referral, data) -> None:
    notify.send(
        notify.Message(
            to_email=data["email"],
            subject=f"{referral.scheme.name}: we have your request",
            body=(
                f"Dear {data['given_name']},\n\nThank you for asking {referral.scheme.name} for "
                "support. A member of the team will contact you. If you need help urgently, "
                "call NHS 111, or 999 in an emergency. You can call Samaritans free on "
                "116 123 at any time."
            ),
            reference=f"self-referral-{referral.pk}",
        )
    )


@never_cache
def self_referral_done(request, scheme_slug):
    scheme = get_object_or_404(Scheme, slug=scheme_slug)
    if not scheme.self_referral_open:
        raise Http404
    name = request.session.pop(SESSION_DONE_KEY, "")
    return render(request, "referrals/self_done.html", {"scheme": scheme, "name": name})
