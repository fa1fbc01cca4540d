"""The dashboard, the account page, scheme switching, health and the error pages."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from linkwell.core.errors import ApplicationError
from linkwell.core.forms import ApiTokenForm
from linkwell.core.middleware import SESSION_SCHEME_KEY
from linkwell.core.selectors import (
    api_token_get,
    api_tokens_for,
    dashboard_for,
    memberships_for_user,
)
from linkwell.core.services import api_token_create, api_token_revoke
from linkwell.core.views.util import apply_errors


@login_required
def dashboard(request):
    if request.membership is None:
        return render(request, "core/no_scheme.html", status=200)
    from linkwell.casework.selectors_dashboard import dashboard_casework
    from linkwell.notify.selectors import may_see_messages, messages_not_sent_count
    from linkwell.referrals.selectors import dashboard_referrals

    membership = request.membership
    not_sent = messages_not_sent_count(membership=membership) if may_see_messages(membership) else 0
    data = dashboard_for(membership=request.membership)
    referrals = dashboard_referrals(membership=request.membership)
    casework = dashboard_casework(membership=request.membership)
    return render(
        request,
        f"core/dashboard/{request.membership.role}.html",
        {"data": data, "referrals": referrals, "casework": casework, "not_sent": not_sent},
    )


@login_required
@require_POST
def switch_scheme(request):
    try:
        scheme_id = uuid.UUID(request.POST.get("scheme", ""))
    except ValueError:
        raise Http404("No such scheme.") from None
    chosen = memberships_for_user(request.user).filter(scheme_id=scheme_id).first()
    if chosen is None:
        raise Http404("You are not a member of that scheme.")
    request.session[SESSION_SCHEME_KEY] = str(chosen.scheme_id)
    messages.success(request, f"You are now working in {chosen.scheme.name}.")
    # The dashboard, not `next`: the page they were on belongs to the other scheme.
    return redirect("core:dashboard")


@login_required
def account(request):
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_secret = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Token '{token.name}' created. Copy it now.")
            form = ApiTokenForm()
    return render(
        request,
        "core/account.html",
        {
            "form": form,
            "tokens": api_tokens_for(user=request.user),
            "new_secret": new_secret,
            "memberships": memberships_for_user(request.user),
            "has_two_factor": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
        },
    )


@login_required
@require_POST
def api_token_revoke_view(request, token_id):
    token = api_token_get(user=request.user, token_id=token_id)
    api_token_revoke(token=token, by=request.user)
    messages.success(request, f"Token '{token.name}' revoked. It no longer works.")
    return redirect("core:account")


@require_GET
def accessibility(request):
    return render(request, "core/accessibility.html")


@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "error"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)
