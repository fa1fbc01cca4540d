"""The case's connection pages: "Refer or signpost" (several services at once, all or nothing),
one connection with its history, and the team's moves on it (withdraw with a reason, a
signpost's outcome at follow-up, what a provider said by phone). Every move carries the status
the worker saw, so a race changes nothing and says so."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linkwell.casework import selectors as case_selectors
from linkwell.casework.views_util import case_crumbs, case_url
from linkwell.connections import services
from linkwell.connections.forms_case import ConnectionMoveForm, OfferForm
from linkwell.connections.selectors_case import (
    SYSTEM_MOVES,
    candidate_services,
    connection_of,
    team_moves,
)
from linkwell.connections.services import ConnectionChanged
from linkwell.connections.states import Kind, Status
from linkwell.core.access import scheme_view
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm
from linkwell.notify.selectors import messages_about

CLOSED = "This case is closed. Reopen it first if you need to change it."
OFFER_FIELDS = ("include", "kind", "message", "cost_to_person", "scheme_funds", "waiting_list_ok")


def _case(request, case_id):
    """A page read is audited; a write reads the case plainly (the write is audited)."""
    if request.method == "GET":
        return case_selectors.case_detail(membership=request.membership, case_id=case_id)
    return case_selectors.case_get(membership=request.membership, case_id=case_id)


def _carried(data, service, preselect: dict) -> dict:
    """What the worker had entered for a service before searching again (or what the match
    list asked for), as the form's starting values."""
    prefix = f"s-{service.pk}-"
    initial = {
        name: data.get(prefix + name)
        for name in ("kind", "message", "in_their_words", "cost_to_person", "scheme_funds")
        if data.get(prefix + name) not in (None, "")
    }
    if data.get(prefix + "kind"):  # the form was on the page before: keep the box as it was
        initial["chosen_by_person"] = bool(data.get(prefix + "chosen_by_person"))
    initial["include"] = bool(data.get(prefix + "include"))
    initial["waiting_list_ok"] = bool(data.get(prefix + "waiting_list_ok"))
    if str(service.pk) in preselect:
        initial["include"] = True
        if preselect[str(service.pk)] in Kind.values:
            initial["kind"] = preselect[str(service.pk)]
    return initial


def _refused(form: OfferForm, error: ApplicationError) -> None:
    """A service's refusal, next to that service: at the field it names, else at its box."""
    placed = False
    for field, field_messages in (error.fields or {}).items():
        if field in form.fields:
            for message in field_messages:
                form.add_error(field, f"{form.service.name}: {message}")
            placed = True
    if not placed:
        form.add_error("include", error.message)


def _offer_all(case, chosen: list[OfferForm], by):
    """Offer every chosen service (all or nothing); returns what was made, or each refusal
    with its form."""
    offers = [
        services.Offer(
            service=form.service,
            kind=form.cleaned_data["kind"],
            message=form.cleaned_data["message"],
            cost_to_person=form.cleaned_data["cost_to_person"] or 0,
            scheme_funds=form.cleaned_data["scheme_funds"] or 0,
            waiting_list_ok=bool(form.cleaned_data.get("waiting_list_ok")),
            chosen_by_person=bool(form.cleaned_data.get("chosen_by_person")),
            in_their_words=form.cleaned_data.get("in_their_words") or "",
        )
        for form in chosen
    ]
    try:
        return services.connection_offer_many(case=case, offers=offers, by=by), []
    except services.OffersRefused as refusal:
        return [], [(chosen[index], error) for index, error in refusal.refused]


def _warn_untold(request, made) -> None:
    """A referral sent to a service that could not be told about it: say so, now."""
    for connection in made:
        why_not = getattr(connection, "not_told", "")
        if why_not:
            messages.warning(
                request,
                f"{connection.service.name} was not told about the referral: {why_not}. "
                "Contact them another way.",
            )


def _done_message(made) -> str:
    referrals = sum(1 for c in made if c.kind == Kind.REFERRAL)
    signposts = len(made) - referrals
    parts = []
    if referrals:
        parts.append(f"sent {referrals} referral{'s' if referrals != 1 else ''}")
    if signposts:
        parts.append(f"recorded {signposts} signpost{'s' if signposts != 1 else ''}")
    return " and ".join(parts).capitalize() + "."


@require_http_methods(["GET", "POST"])
@scheme_view(Perm.CASELOAD)
def new(request, case_id):
    """Refer or signpost: pick one or several services, each as a referral (with a message)
    or a signpost; sending is all or nothing."""
    case = _case(request, case_id)
    sending = request.method == "POST" and request.POST.get("action") == "send"
    data = request.POST if request.method == "POST" else request.GET
    query = (data.get("q") or "").strip()[:100]
    preselect = {}
    if request.method == "GET":
        kind = request.GET.get("kind", "")
        preselect = {value: kind for value in request.GET.getlist("service")}
    candidates = candidate_services(
        membership=request.membership, case=case, query=query, picked=data.getlist("service")
    )
    offers = []
    for service in candidates.services:
        already = service.pk in candidates.open_service_ids
        if sending:
            form = OfferForm(request.POST, service=service, already_open=already)
        else:
            form = OfferForm(
                service=service,
                already_open=already,
                initial=_carried(data, service, preselect),
            )
        offers.append(form)
    page_errors: list[str] = []
    status = 200
    if sending:
        status = 400
        if case.is_closed:
            page_errors.append(CLOSED)
        else:
            valid = all(form.is_valid() for form in offers)
            chosen = [f for f in offers if valid and f.cleaned_data.get("include")]
            shown = {str(s.pk) for s in candidates.services}
            gone = [
                key
                for key in request.POST
                if key.startswith("s-") and key.endswith("-include") and key[2:-8] not in shown
            ]
            if gone:
                valid = False
                page_errors.append(
                    "A service you chose is no longer in the directory. Check the list and "
                    "choose again."
                )
            if valid and not chosen:
                page_errors.append("Choose at least one service to refer to or signpost.")
            elif valid:
                made, refused = _offer_all(case, chosen, request.user)
                for form, error in refused:
                    _refused(form, error)
                if made:
                    first = case.person.first_name
                    messages.success(request, f"{_done_message(made)} Recorded for {first}.")
                    _warn_untold(request, made)
                    return redirect(case_url(case, "supports-offered"))
    errors = page_errors or any(form.is_bound and form.errors for form in offers)
    return render(
        request,
        "connections/new.html",
        {
            "case": case,
            "person": case.person,
            "first_name": case.person.first_name,
            "offers": offers,
            "candidates": candidates,
            "query": query,
            "page_errors": page_errors,
            "has_errors": bool(errors),
            "crumbs": case_crumbs(case),
            "case_url": case_url(case),
        },
        status=status,
    )


def _detail_context(request, case, connection, **extra) -> dict:
    return {
        "case": case,
        "person": case.person,
        "first_name": case.person.first_name,
        "connection": connection,
        "moves": team_moves(connection),
        "crumbs": case_crumbs(case),
        "case_url": case_url(case, "supports-offered"),
        "move_url": reverse("case_connections:move", args=[case.pk, connection.pk]),
        "outgoing": messages_about(connection, membership=request.membership),
        "retell_url": reverse("case_connections:tell_provider", args=[case.pk, connection.pk]),
        **extra,
    }


@require_GET
@scheme_view(Perm.CASELOAD)
def detail(request, case_id, connection_id):
    """One connection: what was offered, shared and costs, its history, and what to do next."""
    case = _case(request, case_id)
    connection = connection_of(case, connection_id)
    return render(request, "connections/detail.html", _detail_context(request, case, connection))


@require_POST
@scheme_view(Perm.CASELOAD)
def tell_provider(request, case_id, connection_id):
    """Tell the service again about a referral waiting for its answer."""
    case = _case(request, case_id)
    connection = connection_of(case, connection_id)
    try:
        why_not = services.connection_tell_provider(connection=connection, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if why_not:
            messages.error(request, f"{connection.service.name} could not be told: {why_not}.")
        else:
            messages.success(request, f"{connection.service.name} will be told again.")
    return redirect("case_connections:detail", case.pk, connection.pk)


MOVED = {
    Status.SENT: "Referral sent to {service}.",
    Status.WITHDRAWN: "Withdrawn: {service}.",
    Status.TOOK_UP: "Recorded: {first} took up {service}.",
    Status.DID_NOT_TAKE_UP: "Recorded: {first} did not take up {service}.",
    Status.UNKNOWN: "Recorded: not known yet whether {first} took up {service}.",
}


@require_POST
@scheme_view(Perm.CASELOAD)
def move(request, case_id, connection_id):
    """A team move on a connection, from the status the worker saw (`expected`)."""
    case = _case(request, case_id)
    connection = connection_of(case, connection_id)
    form = ConnectionMoveForm(request.POST)
    action = request.POST.get("action", "")
    if action not in ("withdraw", "outcome", "provider", "send"):
        raise Http404("No such action.")
    error_message, error_field, conflict = "", "", ""
    moved = None
    if case.is_closed:
        error_message = CLOSED
    elif not form.is_valid():
        error_field = "to" if "to" in form.errors else ""
        error_message = "Choose what happened." if error_field else "Try again from the page."
    else:
        to, expected = form.cleaned_data["to"], form.cleaned_data["expected"]
        try:
            if to in SYSTEM_MOVES:
                raise ApplicationError(
                    "connection_move_invalid", "Only time can do that.", status=409
                )
            if to == Status.SENT:
                if connection.status != expected:
                    raise ConnectionChanged(connection)
                moved = services.connection_send(connection=connection, by=request.user)
            else:
                moved = services.connection_move(
                    connection=connection,
                    to=to,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    expected=expected,
                )
        except ConnectionChanged as changed:
            conflict = changed.message
        except ApplicationError as error:
            error_message = error.message
            error_field = "reason" if "reason" in (error.fields or {}) else ""
            if error_field:
                error_message = "Say why it is withdrawn" if to == Status.WITHDRAWN else "Say why"
    if moved is not None:
        _warn_untold(request, [moved])
        words = MOVED.get(moved.status, "Recorded: {service} is now '{label}'.")
        messages.success(
            request,
            words.format(
                service=moved.service.name,
                first=case.person.first_name,
                label=moved.get_status_display().lower(),
            ),
        )
        return redirect(case_url(case, "supports-offered"))
    latest = connection_of(case, connection_id)
    return render(
        request,
        "connections/detail.html",
        _detail_context(
            request,
            case,
            latest,
            conflict=conflict,
            error_action=action,
            error_message=error_message,
            error_field=error_field,
            posted=request.POST,
        ),
        status=409 if conflict else 400,
    )
