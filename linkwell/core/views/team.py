"""The scheme's team: who has which role at which sites. Administrators change it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from linkwell.core.access import scheme_view
from linkwell.core.errors import ApplicationError
from linkwell.core.forms import MemberAddForm, MemberChangeForm, SchemeSettingsForm, SiteAddForm
from linkwell.core.permissions import Perm, can, require
from linkwell.core.selectors import scheme_sites, team_list, team_member_get
from linkwell.core.services import (
    membership_add,
    membership_change,
    membership_end,
    scheme_update_settings,
    site_create,
    two_factor_reset,
)
from linkwell.core.views.util import apply_errors


def _crumbs(*extra):
    return [("Dashboard", reverse("core:dashboard")), *extra]


@scheme_view(Perm.TEAM_VIEW)
def team(request):
    return render(
        request,
        "core/team/list.html",
        {
            "members": team_list(membership=request.membership),
            "crumbs": _crumbs(),
        },
    )


@scheme_view(Perm.TEAM_MANAGE)
@require_http_methods(["GET", "POST"])
def member_add(request):
    scheme = request.membership.scheme
    form = MemberAddForm(request.POST if request.method == "POST" else None, scheme=scheme)
    if request.method == "POST" and form.is_valid():
        try:
            member = membership_add(
                scheme=scheme,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
                sites=form.cleaned_data["sites"],
                by=request.user,
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{member.user} added as {member.get_role_display()}.")
            return redirect("core:team")
    return render(
        request,
        "core/team/add.html",
        {"form": form, "crumbs": _crumbs(("Team", reverse("core:team")))},
    )


@scheme_view(Perm.TEAM_VIEW)
@require_http_methods(["GET", "POST"])
def member_detail(request, member_id):
    member = team_member_get(membership=request.membership, member_id=member_id)
    form = None
    if can(request.membership, Perm.TEAM_MANAGE):
        initial = {"role": member.role, "sites": list(member.sites.all())}
        form = MemberChangeForm(
            request.POST if request.method == "POST" else None,
            scheme=member.scheme,
            initial=initial,
        )
    if request.method == "POST":
        require(request.membership, Perm.TEAM_MANAGE)
        if form.is_valid():
            try:
                membership_change(
                    membership=member,
                    role=form.cleaned_data["role"],
                    sites=form.cleaned_data["sites"],
                    by=request.user,
                )
            except (ValidationError, ApplicationError) as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"{member.user}'s role and sites are saved.")
                return redirect("core:team")
    return render(
        request,
        "core/team/detail.html",
        {
            "member": member,
            "form": form,
            "crumbs": _crumbs(("Team", reverse("core:team"))),
        },
    )


@scheme_view(Perm.TEAM_MANAGE)
@require_http_methods(["GET", "POST"])
def member_end(request, member_id):
    member = team_member_get(membership=request.membership, member_id=member_id)
    error = None
    if request.method == "POST":
        try:
            membership_end(membership=member, by=request.user)
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, f"{member.user} no longer has access to this scheme.")
            return redirect("core:team")
    return render(
        request,
        "core/team/end.html",
        {
            "member": member,
            "error": error,
            "crumbs": _crumbs(
                ("Team", reverse("core:team")),
                (str(member.user), reverse("core:member_detail", args=[member.pk])),
            ),
        },
    )


@scheme_view(Perm.TEAM_MANAGE)
@require_POST
def member_two_factor_reset(request, member_id):
    member = team_member_get(membership=request.membership, member_id=member_id)
    try:
        two_factor_reset(membership=member, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"{member.user}'s two-factor sign-in is reset. They will set up a new authenticator "
            "app the next time they sign in.",
        )
    return redirect("core:member_detail", member_id=member.pk)


@scheme_view(Perm.SCHEME_SETTINGS)
@require_http_methods(["GET", "POST"])
def scheme_settings(request):
    scheme = request.membership.scheme
    settings_form = SchemeSettingsForm(
        request.POST if request.POST.get("form") == "settings" else None,
        initial={
            "require_two_factor": "yes" if scheme.require_two_factor else "no",
            "directory_freshness_days": scheme.directory_freshness_days,
            "contact_attempts_limit": scheme.contact_attempts_limit,
            "contact_attempts_days": scheme.contact_attempts_days,
            "waiting_room_days": scheme.waiting_room_days,
            "self_referral_open": "yes" if scheme.self_referral_open else "no",
        },
    )
    site_form = SiteAddForm(request.POST if request.POST.get("form") == "site" else None)
    if request.method == "POST":
        if request.POST.get("form") == "settings" and settings_form.is_valid():
            scheme_update_settings(
                scheme=scheme,
                require_two_factor=settings_form.cleaned_data["require_two_factor"],
                directory_freshness_days=settings_form.cleaned_data["directory_freshness_days"],
                referral_settings={
                    name: settings_form.cleaned_data[name]
                    for name in (
                        "contact_attempts_limit",
                        "contact_attempts_days",
                        "waiting_room_days",
                        "self_referral_open",
                    )
                },
                by=request.user,
            )
            messages.success(request, "Settings saved.")
            return redirect("core:scheme_settings")
        if request.POST.get("form") == "site" and site_form.is_valid():
            try:
                site = site_create(
                    scheme=scheme, name=site_form.cleaned_data["name"], by=request.user
                )
            except ValidationError as error:
                if "__all__" in error.message_dict:
                    site_form.add_error("name", "This scheme already has a site with this name")
                else:
                    apply_errors(site_form, error)
            else:
                messages.success(request, f"Site '{site.name}' added.")
                return redirect("core:scheme_settings")
    return render(
        request,
        "core/scheme_settings.html",
        {
            "settings_form": settings_form,
            "site_form": site_form,
            "sites": scheme_sites(membership=request.membership),
            "crumbs": _crumbs(),
        },
    )
