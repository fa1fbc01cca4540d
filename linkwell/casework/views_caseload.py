"""The caseload pages: a link worker's caseload (sorted by what is due), the team's caseloads
for a manager, and giving cases to another link worker."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from linkwell.casework import services
from linkwell.casework.forms_caseload import (
    FLAG_LABELS,
    CaseAssignForm,
    CaseloadFilterForm,
    ReassignForm,
)
from linkwell.casework.selectors import case_get
from linkwell.casework.selectors_caseload import (
    STALE_DAYS,
    assignable_workers,
    caseload_page,
    caseload_worker,
    cases_chosen,
    team_caseloads,
)
from linkwell.core.access import scheme_view
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm, can
from linkwell.core.selectors import scheme_sites
from linkwell.core.views.util import apply_errors


def _crumbs(*extra):
    return [("Dashboard", reverse("core:dashboard")), *extra]


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _render_caseload(request, worker, *, reassign_form=None, selected=(), status=200):
    membership = request.membership
    form = CaseloadFilterForm(request.GET or None, sites=scheme_sites(membership=membership))
    result = caseload_page(
        membership=membership,
        worker=worker,
        filters=form.filters(),
        page_number=request.GET.get("page"),
    )
    manage = can(membership, Perm.CASELOAD_MANAGE)
    own = worker.pk == membership.user_id
    next_url = request.POST.get("next") if request.method == "POST" else request.get_full_path()
    context = {
        "caseload": result,
        "form": form,
        "worker": worker,
        "own": own,
        "manage": manage,
        "filtered": bool(result.filters.as_data()),
        "query": _query_without_page(request)
        if request.method == "GET"
        else ("" if own else urlencode({"worker": worker.pk})),
        "next_url": next_url or reverse("casework:caseload"),
        "flag_labels": FLAG_LABELS,
        "selected": {str(s) for s in selected},
        "crumbs": _crumbs(("Team caseloads", reverse("casework:team")))
        if manage and not own
        else _crumbs(),
    }
    if manage:
        workers = assignable_workers(team_caseloads(membership=membership))
        context["reassign_form"] = reassign_form or ReassignForm(
            workers=[w for w in workers if w.user.pk != worker.pk]
        )
    return render(request, "casework/caseload.html", context, status=status)


@scheme_view(Perm.CASELOAD)
def caseload(request):
    """The signed-in worker's caseload; a manager may look at another worker's (?worker=)."""
    worker = caseload_worker(membership=request.membership, worker_id=request.GET.get("worker"))
    return _render_caseload(request, worker)


@scheme_view(Perm.CASELOAD_MANAGE)
def team(request):
    loads = team_caseloads(membership=request.membership)
    totals = {
        "cases": sum(w.cases for w in loads),
        "overdue_followups": sum(w.overdue_followups for w in loads),
        "no_recent_contact": sum(w.no_recent_contact for w in loads),
    }
    return render(
        request,
        "casework/team.html",
        {"loads": loads, "totals": totals, "stale_days": STALE_DAYS, "crumbs": _crumbs()},
    )


def _back(request, worker) -> str:
    back = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
    if allowed and back.startswith(reverse("casework:caseload")):
        return back
    url = reverse("casework:caseload")
    return url if worker.pk == request.user.pk else f"{url}?worker={worker.pk}"


@require_POST
@scheme_view(Perm.CASELOAD_MANAGE)
def reassign(request):
    """Give the ticked cases to another link worker. Every case must be one this manager may
    see (another scheme's is a 404, and nothing moves); a service error moves none of them."""
    membership = request.membership
    from_worker = caseload_worker(membership=membership, worker_id=request.POST.get("from_worker"))
    chosen = request.POST.getlist("case")
    cases = cases_chosen(membership=membership, case_ids=chosen)
    workers = assignable_workers(team_caseloads(membership=membership))
    form = ReassignForm(request.POST, workers=[w for w in workers if w.user.pk != from_worker.pk])
    if not cases:
        form.add_error(None, "Select at least one case to give to another link worker")
    if form.is_valid() and cases:
        to = next(w.user for w in workers if str(w.user.pk) == form.cleaned_data["to"])
        try:
            moved = services.case_assign_many(
                cases=cases, to=to, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            name = to.full_name or to.email
            if moved:
                noun = "case" if moved == 1 else "cases"
                messages.success(request, f"{moved} {noun} given to {name}.")
            else:
                messages.success(request, f"The selected cases are already with {name}.")
            return redirect(_back(request, from_worker))
    return _render_caseload(
        request, from_worker, reassign_form=form, selected=[c.pk for c in cases], status=400
    )


@require_POST
@scheme_view(Perm.CASELOAD_MANAGE)
def assign(request, case_id):
    """Give one case to another link worker, from the case record. The form carries the case's
    version: if the case changed meanwhile, nothing is changed and the manager is told."""
    membership = request.membership
    case = case_get(membership=membership, case_id=case_id)
    workers = assignable_workers(team_caseloads(membership=membership))
    form = CaseAssignForm(request.POST, workers=workers)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("casework:detail", case.pk)
    to = next(w.user for w in workers if str(w.user.pk) == form.cleaned_data["to"])
    if to.pk == case.worker_id:
        messages.info(request, f"The case is already with {to.full_name or to.email}.")
        return redirect("casework:detail", case.pk)
    try:
        services.case_assign(
            case=case,
            to=to,
            by=request.user,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Case given to {to.full_name or to.email}.")
    return redirect("casework:detail", case.pk)
