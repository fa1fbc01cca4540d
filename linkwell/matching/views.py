"""Find support: the ranked list for a person on their case, narrowed with them, and what they
decide about each service; what they can manage; the scheme's weights; the gaps in provision."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linkwell.casework import selectors as case_selectors
from linkwell.casework import services as case_services
from linkwell.casework.states import SupportDecision
from linkwell.casework.views_util import case_crumbs, case_url
from linkwell.connections import services as connection_services
from linkwell.connections.states import Kind as ConnectionKind
from linkwell.connections.states import Status
from linkwell.core.access import scheme_view
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm, can
from linkwell.core.views.util import apply_errors, safe_next
from linkwell.directory.search import DAY_NAMES, DAYS
from linkwell.directory.selectors import visible_services
from linkwell.matching import selectors, services
from linkwell.matching.engine import FACTOR_LABELS, weights_for
from linkwell.matching.forms import (
    WAY_CHOICES,
    DecisionForm,
    PreferencesForm,
    RefineForm,
    WeightsForm,
)
from linkwell.matching.models import FACTORS, MatchWeights
from linkwell.matching.profile import TIMES, WAYS

DECISION_WORDS = {
    SupportDecision.CHOSEN: "chose",
    SupportDecision.CONSIDERING: "is thinking about",
    SupportDecision.DECLINED: "chose not to use",
}


def _case(request, case_id):
    """The case, scoped to the member: an audited read for a page, a plain one for a write
    (the write is audited)."""
    if request.method == "GET":
        return case_selectors.case_detail(membership=request.membership, case_id=case_id)
    return case_selectors.case_get(membership=request.membership, case_id=case_id)


def _find_url(case) -> str:
    return reverse("matching:find_support", args=[case.pk])


def _crumbs(case):
    return case_crumbs(case)


def _refinement(form: RefineForm) -> selectors.Refinement:
    if not form.is_bound or not form.is_valid():
        return selectors.Refinement()
    data = form.cleaned_data
    return selectors.Refinement(
        area_ids=tuple(data["needs"]),
        travel=data["travel"] or None,
        max_distance_km=float(data["distance"]) if data["distance"] is not None else None,
        ways=frozenset(data["ways"]) or None,
        limit=data["limit"] or 10,
    )


@scheme_view(Perm.CASELOAD)
@require_GET
def find_support(request, case_id):
    """The ranked list of services for the person, with reasons, near-misses and unmet needs."""
    case = case_selectors.case_get(membership=request.membership, case_id=case_id)
    built = selectors.case_profile(case=case)
    form = RefineForm(request.GET or None, needs=built.all_needs)
    refinement = _refinement(form)
    result, built = selectors.case_matches(
        membership=request.membership, case=case, refinement=refinement, built=built
    )
    recorded = services.search_recorded(
        case=case, result=result, built=built, refinement=refinement, by=request.user
    )
    profile = result.profile
    decisions = selectors.decisions_for(case)
    connected = selectors.connections_by_service(case)
    return render(
        request,
        "matching/find_support.html",
        {
            "case": case,
            "first_name": case.person.first_name,
            "case_url": case_url(case),
            "crumbs": _crumbs(case),
            "form": form,
            "result": result,
            "built": built,
            "profile": profile,
            "ways_said": [label for way, label in WAY_CHOICES if way in profile.ways],
            "free_said": _free_said(profile),
            "rows": [
                (m, decisions.get(m.service_id, ""), connected.get(m.service_id))
                for m in result.matches
            ],
            "fell_through": [
                c for c in connected.values() if c.status in (Status.EXPIRED, Status.DECLINED)
            ],
            "recorded": recorded,
            "here": request.get_full_path(),
            "can_tune": can(request.membership, Perm.MATCHING_TUNE),
        },
    )


def _free_said(profile) -> str:
    """When the person is free, in words: "Monday, Tuesday; mornings"."""
    days = [DAY_NAMES[d] for d in DAYS if d in profile.days]
    times = [f"{t}s" for t in TIMES if t in profile.times]
    said = "; ".join(part for part in (", ".join(days), ", ".join(times)) if part)
    return said or "Any time"


def _back(request, case) -> str:
    return safe_next(request) or _find_url(case)


@scheme_view(Perm.CASELOAD)
@require_POST
def decide(request, case_id):
    """Record in one click that the person chose a service or is thinking about it. Declining
    has its own page, for their reason in their words. Chosen "as a signpost" also records the
    signpost (a connection) with the choice, in one transaction; chosen "as a referral" records
    the choice and goes on to the case's "Refer or signpost" page to write the message and send
    it."""
    case = case_selectors.case_get(membership=request.membership, case_id=case_id)
    form = DecisionForm(request.POST)
    connect = request.POST.get("connect", "")
    if (
        not form.is_valid()
        or form.cleaned_data["decision"] == SupportDecision.DECLINED
        or connect not in ("", *ConnectionKind.values)
        or (connect and form.cleaned_data["decision"] != SupportDecision.CHOSEN)
    ):
        messages.error(request, "That choice could not be recorded. Try again from the list.")
        return redirect(_back(request, case))
    service = (
        visible_services(membership=request.membership)
        .filter(pk=form.cleaned_data["service"])
        .first()
    )
    if service is None:
        raise Http404("No such service.")
    try:
        with transaction.atomic():
            support = case_services.support_record(
                case=case,
                by=request.user,
                decision=form.cleaned_data["decision"],
                service=service,
            )
            if connect == ConnectionKind.SIGNPOST:
                connection_services.connection_offer(
                    case=case, service=service, kind=ConnectionKind.SIGNPOST, by=request.user
                )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(_back(request, case))
    first = case.person.first_name
    if connect == ConnectionKind.SIGNPOST:
        messages.success(
            request, f"Recorded: {first} chose {service.name}, and you signposted them to it."
        )
        return redirect(_back(request, case))
    if connect == ConnectionKind.REFERRAL:
        messages.success(
            request, f"Recorded: {first} chose {service.name}. Write the referral and send it."
        )
        refer = reverse("case_connections:new", args=[case.pk])
        return redirect(f"{refer}?service={service.pk}&kind=referral")
    messages.success(
        request, f"Recorded: {first} {DECISION_WORDS[support.decision]} {service.name}."
    )
    return redirect(_back(request, case))


@scheme_view(Perm.CASELOAD)
@require_http_methods(["GET", "POST"])
def decline(request, case_id, service_id):
    """Record that the person chose not to use a service, with their reason in their words."""
    case = _case(request, case_id)
    service = (
        visible_services(membership=request.membership)
        .select_related("organization")
        .filter(pk=service_id)
        .first()
    )
    if service is None:
        raise Http404("No such service.")
    form = DecisionForm(
        request.POST or None,
        initial={"service": service.pk, "decision": SupportDecision.DECLINED},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                case_services.support_record(
                    case=case,
                    by=request.user,
                    decision=SupportDecision.DECLINED,
                    service=service,
                    in_their_words=form.cleaned_data["in_their_words"],
                )
            except ApplicationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Recorded: {case.person.first_name} chose not to use {service.name}. "
                    "Their choice is respected.",
                )
                return redirect(_back(request, case))
    return render(
        request,
        "matching/decline.html",
        {
            "case": case,
            "first_name": case.person.first_name,
            "service": service,
            "form": form,
            "crumbs": [*_crumbs(case), ("Find support", _find_url(case))],
            "back": _back(request, case),
        },
        status=status,
    )


def _preference_initial(preferences) -> dict:
    return {
        "travel": preferences.travel,
        "max_distance_km": preferences.max_distance_km,
        "ways": [w for w in WAYS if getattr(preferences, w)],
        "device_loan_planned": preferences.device_loan_planned,
        "step_free": preferences.step_free,
        "days": preferences.days,
        "times": preferences.times,
        "cost_limit": preferences.cost_limit,
        "accept_waiting_list": preferences.accept_waiting_list,
        "version": preferences.version if preferences.pk and preferences.version else None,
    }


@scheme_view(Perm.CASELOAD)
@require_http_methods(["GET", "POST"])
def preferences(request, case_id):
    """What the person can manage: travel, ways of taking part, when they are free, cost."""
    case = _case(request, case_id)
    current, saved = selectors.preferences_of(case)
    form = PreferencesForm(request.POST or None, initial=_preference_initial(current))
    status = 200
    if request.method == "POST":
        status = 400
        if case.is_closed:
            form.add_error(None, "This case is closed. Reopen it first if you need to change it.")
        elif form.is_valid():
            version = form.cleaned_data.get("version") if saved else None
            try:
                services.preferences_save(
                    case=case, by=request.user, data=form.as_data(), version=version
                )
            except ApplicationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request, f"Saved what {case.person.first_name} can manage. The list is updated."
                )
                return redirect(_find_url(case))
    return render(
        request,
        "matching/preferences.html",
        {
            "case": case,
            "first_name": case.person.first_name,
            "form": form,
            "saved": saved,
            "crumbs": [*_crumbs(case), ("Find support", _find_url(case))],
            "back": _find_url(case),
        },
        status=status,
    )


@scheme_view(Perm.MATCHING_TUNE)
@require_http_methods(["GET", "POST"])
def weights(request):
    """How much each part of the score counts in this scheme."""
    current = weights_for(request.membership.scheme_id)
    form = WeightsForm(request.POST or None, initial=current)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.weights_save(membership=request.membership, values=form.cleaned_data)
            except ApplicationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request, "Saved. Every search in the scheme now uses these weights."
                )
                return redirect("matching:weights")
    defaults = {f: MatchWeights._meta.get_field(f).default for f in FACTORS}
    return render(
        request,
        "matching/weights.html",
        {
            "form": form,
            "defaults": [(FACTOR_LABELS[f], defaults[f]) for f in FACTORS],
            "crumbs": [("Dashboard", reverse("core:dashboard"))],
        },
        status=status,
    )


@scheme_view(Perm.REPORTS_VIEW)
@require_GET
def gaps(request):
    """Needs with nowhere to send people, counted by need area and postcode district."""
    rows = list(selectors.unmet_needs(membership=request.membership))
    return render(
        request,
        "matching/gaps.html",
        {"rows": rows, "crumbs": [("Dashboard", reverse("core:dashboard"))]},
    )
