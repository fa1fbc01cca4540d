"""Pages for proactive call lists: the lists with their progress, a list's page, setting one up
(people, callers, script), the call screen, and making a referral from a call."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from linkwell.core.access import scheme_view
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm
from linkwell.core.views.util import apply_errors
from linkwell.referrals import campaign_selectors as selectors
from linkwell.referrals import campaigns as services
from linkwell.referrals.forms_campaigns import (
    AddPeopleForm,
    CallersForm,
    CallForm,
    CallReferralForm,
    CampaignForm,
    EntryFilterForm,
    PeopleSearchForm,
)
from linkwell.referrals.models import CallOutcome, Campaign


def _crumbs(*extra):
    return [
        ("Dashboard", reverse("core:dashboard")),
        ("Call lists", reverse("campaigns:list")),
        *extra,
    ]


def _posted(request):
    """The POST data to bind a form with (even an empty POST binds it), or None on GET."""
    return request.POST if request.method == "POST" else None


def _campaign_crumbs(campaign: Campaign):
    return _crumbs((campaign.name, reverse("campaigns:detail", args=[campaign.pk])))


@scheme_view(Perm.CAMPAIGN_CALL)
def campaign_list(request):
    campaigns = selectors.campaign_list(membership=request.membership)
    return render(
        request,
        "referrals/campaign_list.html",
        {
            "active": [c for c in campaigns if c.state == Campaign.State.ACTIVE],
            "finished": [c for c in campaigns if c.state == Campaign.State.FINISHED],
            "crumbs": [("Dashboard", reverse("core:dashboard"))],
        },
    )


@scheme_view(Perm.CAMPAIGN_MANAGE)
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    membership = request.membership
    form = CampaignForm(_posted(request), scheme=membership.scheme)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                scheme=membership.scheme, by=request.user, **form.cleaned_data
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Call list set up. Now add the people to call.")
            return redirect("campaigns:people", campaign_id=campaign.pk)
    return render(
        request,
        "referrals/campaign_form.html",
        {"form": form, "heading": "Set up a call list", "crumbs": _crumbs()},
    )


@scheme_view(Perm.CAMPAIGN_CALL)
def campaign_detail(request, campaign_id):
    membership = request.membership
    campaign = selectors.campaign_detail(membership=membership, campaign_id=campaign_id)
    filter_form = EntryFilterForm(request.GET or None)
    filters = selectors.EntryFilter()
    if filter_form.is_valid():
        filters = selectors.EntryFilter(
            mine=filter_form.cleaned_data["show"] == "mine",
            outcome=filter_form.cleaned_data["outcome"],
        )
    page = selectors.campaign_entries(
        membership=membership,
        campaign=campaign,
        filters=filters,
        page=request.GET.get("page"),
    )
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "campaign": campaign,
        "filter_form": filter_form,
        "filtered": bool(filters.mine or filters.outcome),
        "page": page,
        "query": params.urlencode(),
        "next_entry": (
            selectors.next_to_call(membership=membership, campaign=campaign)
            if campaign.state == Campaign.State.ACTIVE
            else None
        ),
        "crumbs": _crumbs(),
    }
    if request.htmx and request.htmx.target == "campaign-entries":
        return render(request, "referrals/partials/campaign_entries.html", context)
    return render(request, "referrals/campaign_detail.html", context)


@scheme_view(Perm.CAMPAIGN_MANAGE)
@require_http_methods(["GET", "POST"])
def campaign_edit(request, campaign_id):
    membership = request.membership
    campaign = selectors.campaign_get(membership=membership, campaign_id=campaign_id)
    initial = {
        "name": campaign.name,
        "description": campaign.description,
        "script": campaign.script,
        "site": campaign.site_id,
    }
    form = CampaignForm(_posted(request), initial=initial, scheme=membership.scheme)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(campaign=campaign, by=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Call list saved.")
            return redirect("campaigns:detail", campaign_id=campaign.pk)
    return render(
        request,
        "referrals/campaign_form.html",
        {
            "form": form,
            "campaign": campaign,
            "heading": f"Change {campaign.name}",
            "crumbs": _campaign_crumbs(campaign),
        },
    )


@scheme_view(Perm.CAMPAIGN_MANAGE)
@require_http_methods(["GET", "POST"])
def campaign_people(request, campaign_id):
    """Find people of the scheme by name, NHS number or postcode, and tick who to add."""
    membership = request.membership
    campaign = selectors.campaign_get(membership=membership, campaign_id=campaign_id)
    data = request.POST if request.method == "POST" else request.GET
    search_form = PeopleSearchForm(data or None)
    query = search_form.cleaned_data["q"] if search_form.is_valid() else ""
    people, more = (
        selectors.people_search(membership=membership, campaign=campaign, query=query)
        if query and campaign.state == Campaign.State.ACTIVE
        else ([], False)
    )
    add_form = AddPeopleForm(
        request.POST if request.method == "POST" else None,
        initial={"q": query},
        people=people,
    )
    if request.method == "POST" and add_form.is_valid():
        try:
            added = services.campaign_add_people(
                campaign=campaign, people=add_form.cleaned_data["people"], by=request.user
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(add_form, error)
        else:
            messages.success(
                request, f"Added {added} {'person' if added == 1 else 'people'} to the list."
            )
            return redirect(f"{reverse('campaigns:people', args=[campaign.pk])}")
    return render(
        request,
        "referrals/campaign_people.html",
        {
            "campaign": campaign,
            "search_form": search_form,
            "form": add_form,
            "people": people,
            "more": more,
            "query": query,
            "crumbs": _campaign_crumbs(campaign),
        },
    )


@scheme_view(Perm.CAMPAIGN_MANAGE)
@require_http_methods(["GET", "POST"])
def campaign_callers(request, campaign_id):
    membership = request.membership
    campaign = selectors.campaign_get(membership=membership, campaign_id=campaign_id)
    users = selectors.callers_with_load(membership=membership, campaign=campaign)
    form = CallersForm(
        _posted(request),
        initial={"callers": [str(u.pk) for u in users if u.is_caller]},
        users=users,
    )
    if request.method == "POST" and form.is_valid():
        try:
            given = services.campaign_assign_callers(
                campaign=campaign, callers=form.chosen(), by=request.user
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            shared = sum(given.values())
            messages.success(
                request,
                f"Callers saved. {shared} {'person' if shared == 1 else 'people'} "
                "still to call shared out between them.",
            )
            return redirect("campaigns:detail", campaign_id=campaign.pk)
    return render(
        request,
        "referrals/campaign_callers.html",
        {"campaign": campaign, "form": form, "crumbs": _campaign_crumbs(campaign)},
    )


@scheme_view(Perm.CAMPAIGN_MANAGE)
@require_http_methods(["GET", "POST"])
def campaign_finish(request, campaign_id):
    membership = request.membership
    campaign = selectors.campaign_detail(membership=membership, campaign_id=campaign_id)
    if request.method == "POST":
        try:
            services.campaign_finish(campaign=campaign, by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{campaign.name} is finished.")
        return redirect("campaigns:detail", campaign_id=campaign.pk)
    return render(
        request,
        "referrals/campaign_finish.html",
        {"campaign": campaign, "crumbs": _campaign_crumbs(campaign)},
    )


def _call_context(request, entry, *, form=None, referral_form=None):
    scheme = request.membership.scheme
    initial_needs = [str(t.pk) for t in entry.needs.all()]
    if form is None:
        initial = {"note": entry.note}
        if entry.outcome in services.RECORDABLE:
            initial["outcome"] = entry.outcome
            initial["needs"] = initial_needs
        form = CallForm(initial=initial, scheme=scheme)
    if referral_form is None:
        referral_form = CallReferralForm(initial={"needs": initial_needs}, scheme=scheme)
    campaign = entry.campaign
    return {
        "entry": entry,
        "campaign": campaign,
        "person": entry.person,
        "form": form,
        "referral_form": referral_form,
        # The page's error summary and title read `page_form`: the form that was sent.
        "page_form": form if form.is_bound else referral_form,
        "support_needed": CallOutcome.SUPPORT_NEEDED.value,
        "crumbs": _campaign_crumbs(campaign),
    }


@scheme_view(Perm.CAMPAIGN_CALL)
@require_http_methods(["GET", "POST"])
def call(request, campaign_id, entry_id):
    """The call screen: who to call, the script, and one short form for what happened."""
    membership = request.membership
    entry = selectors.entry_get(membership=membership, campaign_id=campaign_id, entry_id=entry_id)
    form = None
    if request.method == "POST":
        form = CallForm(request.POST, scheme=membership.scheme)
        if form.is_valid():
            try:
                services.call_record(
                    entry=entry,
                    by=request.user,
                    outcome=form.cleaned_data["outcome"],
                    needs=form.cleaned_data["needs"],
                    note=form.cleaned_data["note"],
                )
            except (ValidationError, ApplicationError) as error:
                apply_errors(form, error)
            else:
                label = CallOutcome(form.cleaned_data["outcome"]).label.lower()
                following = selectors.next_to_call(
                    membership=membership, campaign=entry.campaign, after=entry
                )
                if following is None:
                    messages.success(
                        request,
                        f"Call to {entry.person.full_name} saved: {label}. "
                        "Nobody is left to call on this list for you.",
                    )
                    return redirect("campaigns:detail", campaign_id=entry.campaign.pk)
                messages.success(
                    request,
                    f"Call to {entry.person.full_name} saved: {label}. "
                    "This is the next person to call.",
                )
                return redirect(
                    "campaigns:call", campaign_id=entry.campaign.pk, entry_id=following.pk
                )
    return render(request, "referrals/campaign_call.html", _call_context(request, entry, form=form))


@scheme_view(Perm.CAMPAIGN_CALL)
@require_http_methods(["GET", "POST"])
def call_referral(request, campaign_id, entry_id):
    """'Make a referral' from the call screen: one step, with their verbal consent."""
    membership = request.membership
    entry = selectors.entry_get(
        membership=membership, campaign_id=campaign_id, entry_id=entry_id, audit=False
    )
    if request.method == "GET":
        return redirect("campaigns:call", campaign_id=entry.campaign.pk, entry_id=entry.pk)
    form = CallReferralForm(request.POST, scheme=membership.scheme)
    if form.is_valid():
        try:
            services.call_make_referral(
                entry=entry,
                by=request.user,
                needs=form.cleaned_data["needs"],
                consent_to_contact=form.cleaned_data["consent"],
                contact_channels=form.cleaned_data["contact_channels"],
                note=form.cleaned_data["note"],
                urgency=form.cleaned_data["urgency"],
            )
        except ApplicationError as error:
            if error.code == "campaign_referral_exists":
                messages.error(request, error.message)
                return redirect("campaigns:call", campaign_id=entry.campaign.pk, entry_id=entry.pk)
            apply_errors(form, error)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                f"Referral made for {entry.person.full_name}. It is waiting for triage.",
            )
            return redirect("campaigns:call", campaign_id=entry.campaign.pk, entry_id=entry.pk)
    return render(
        request, "referrals/campaign_call.html", _call_context(request, entry, referral_form=form)
    )
