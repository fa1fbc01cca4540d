"""The provider's side of referrals: the inbox of referrals to their services (signed in), and
the page an emailed link opens for a provider without an account.

Every move goes through `connection_move(as_provider=True)` with the status the provider saw
(`expected`), so a second answer racing the first changes nothing and says so. A move needing
a reason (decline, dropped out) takes two clicks: the button, then a short reason form; the
others are one POST.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linkwell.connections import provider_links, selectors
from linkwell.connections.forms_provider import CapacityForm, InboxFilterForm, MoveReasonForm
from linkwell.connections.services import ConnectionChanged, connection_move
from linkwell.connections.states import NEEDS_REASON, PROVIDER_MOVES, Status
from linkwell.core.access import scheme_view
from linkwell.core.audit import client_ip
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm
from linkwell.core.views.util import apply_errors, safe_next
from linkwell.directory import services as directory_services

INBOX = "provider_inbox:inbox"


def _crumbs(*extra):
    return [("Dashboard", reverse("core:dashboard")), *extra]


def _capacity_forms(services, bound=None):
    forms = []
    for service in services:
        if bound is not None and bound.prefix == f"s-{service.pk}":
            form = bound
        else:
            form = CapacityForm(
                prefix=f"s-{service.pk}",
                initial={
                    "capacity": service.capacity,
                    "typical_wait_weeks": service.typical_wait_weeks,
                },
            )
        forms.append((service, form))
    return forms


def _inbox_page(request, *, capacity_form=None, status=200):
    inbox = selectors.provider_inbox(
        membership=request.membership,
        group=request.GET.get("status", ""),
        service_id=request.GET.get("service", ""),
        page=request.GET.get("page"),
        ip_address=client_ip(request),
    )
    filters = InboxFilterForm(request.GET or None, services=inbox.services)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "connections/provider/inbox.html",
        {
            "inbox": inbox,
            "page": inbox.page,
            "rows": inbox.rows,
            "filters": filters,
            "query": params.urlencode(),
            "here": request.get_full_path(),
            # The places forms only when asked for (or to show an error in one): rendering a
            # form for each of a provider's services on every inbox page was half its cost.
            "capacity_forms": (
                _capacity_forms(inbox.services, capacity_form)
                if capacity_form is not None or request.GET.get("places")
                else []
            ),
            "places_url": f"{reverse('provider_inbox:inbox')}?places=1#places",
            "form": capacity_form,
            "crumbs": _crumbs(),
        },
        status=status,
    )


def _services(request):
    """The provider's services, read once per request."""
    if not hasattr(request, "_provider_services"):
        request._provider_services = selectors.provider_services(membership=request.membership)
    return request._provider_services


@scheme_view(Perm.DIRECTORY_EDIT_OWN)
@require_GET
def inbox(request):
    return _inbox_page(request)


def _back(request):
    return safe_next(request) or reverse(INBOX)


@scheme_view(Perm.DIRECTORY_EDIT_OWN)
@require_http_methods(["GET", "POST"])
def move(request, connection_id):
    """GET: the reason form of a move that needs one. POST: make the move."""
    membership = request.membership
    connection = selectors.provider_connection_get(
        membership=membership, connection_id=connection_id
    )
    data = request.POST if request.method == "POST" else request.GET
    to = data.get("to", "")
    expected = data.get("expected", "")
    if to not in PROVIDER_MOVES or expected not in Status.values:
        raise Http404("No such move.")
    row = selectors.inbox_row(connection)
    reason_form = None
    if to in NEEDS_REASON:
        reason_form = MoveReasonForm(
            request.POST if request.method == "POST" else None,
            to=to,
            initial={"to": to, "expected": expected},
        )
        if request.method == "GET" or not reason_form.is_valid():
            return _reason_page(
                request, row, reason_form, status=200 if request.method == "GET" else 400
            )
    try:
        connection_move(
            connection=connection,
            to=to,
            by=request.user,
            reason=reason_form.cleaned_data["reason"] if reason_form else "",
            expected=expected,
            as_provider=True,
        )
    except ConnectionChanged as error:
        messages.error(request, error.message)
    except ApplicationError as error:
        if reason_form is not None and error.fields:
            apply_errors(reason_form, error)
            return _reason_page(request, row, reason_form, status=400)
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"{_who(row)} at {connection.service.name}: now '{Status(to).label}'."
        )
    return redirect(_back(request))


def _who(row) -> str:
    return f"Referral for {row.first_name}" if row.first_name else "Referral"


def _reason_page(request, row, form, *, status):
    return render(
        request,
        "connections/provider/reason.html",
        {
            "row": row,
            "form": form,
            "move_label": dict((m[0], m[1]) for m in selectors.provider_moves(row.connection)).get(
                form.initial.get("to") or form.data.get("to"), ""
            ),
            "next": safe_next(request) or "",
            "cancel": safe_next(request) or reverse(INBOX),
            "crumbs": _crumbs(("Referrals to you", reverse(INBOX))),
        },
        status=status,
    )


@scheme_view(Perm.DIRECTORY_EDIT_OWN)
@require_POST
def capacity(request, service_id):
    """The optional capacity update for one of the provider's services."""
    service = next((s for s in _services(request) if str(s.pk) == str(service_id)), None)
    if service is None:
        raise Http404("No such service of yours.")
    form = CapacityForm(request.POST, prefix=f"s-{service.pk}")
    if form.is_valid():
        try:
            directory_services.service_update(
                service=service,
                membership=request.membership,
                changes={
                    "capacity": form.cleaned_data["capacity"],
                    "typical_wait_weeks": form.cleaned_data["typical_wait_weeks"],
                },
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{service.name}: places and wait updated.")
            return redirect(_back(request))
    return _inbox_page(request, capacity_form=form, status=400)


# --- The emailed link --------------------------------------------------------------------------


def _private(response):
    """The page is for one provider: not stored, not indexed, the link not passed on."""
    response["Cache-Control"] = "no-store"
    # Not "no-referrer": browsers then send "Origin: null" with the form, which CSRF refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _gone(request, state):
    return _private(
        render(
            request,
            "connections/provider/link_gone.html",
            {"state": state},
            status=404 if state == provider_links.LinkState.UNKNOWN else 410,
        )
    )


def _link_page(request, link, secret, *, form=None, to="", error="", status=200):
    row = selectors.inbox_row(link.connection)
    moves = {m[0]: m[1] for m in row.moves}
    return _private(
        render(
            request,
            "connections/provider/link.html",
            {
                "link": link,
                "row": row,
                "secret": secret,
                "form": form,
                "to": to,
                "move_label": moves.get(to, ""),
                "error": error,
            },
            status=status,
        )
    )


@require_http_methods(["GET", "POST"])
def link_page(request, secret):
    """A provider without an account answers one referral from the emailed link. The link is
    the key: no sign-in. GET shows the referral (and, with ?to=, a reason form); only a POST
    changes anything, and only the link's own referral."""
    state, link = provider_links.provider_link_for_secret(secret)
    if state != provider_links.LinkState.OK:
        return _gone(request, state)
    connection = link.connection
    if request.method == "GET":
        to = request.GET.get("to", "")
        form = None
        if to in NEEDS_REASON and to in {m[0] for m in selectors.provider_moves(connection)}:
            form = MoveReasonForm(to=to, initial={"to": to, "expected": connection.status})
        else:
            to = ""
        provider_links.provider_link_used(link, viewed=True, ip_address=client_ip(request))
        return _link_page(request, link, secret, form=form, to=to)
    if request.POST.get("connection") != str(connection.pk):
        # A link answers its own referral only.
        raise Http404("This link is for another referral.")
    to = request.POST.get("to", "")
    expected = request.POST.get("expected", "")
    if to not in PROVIDER_MOVES or expected not in Status.values:
        return _link_page(request, link, secret, error="Choose one of the answers.", status=400)
    form = None
    if to in NEEDS_REASON:
        form = MoveReasonForm(request.POST, to=to)
        if not form.is_valid():
            return _link_page(request, link, secret, form=form, to=to, status=400)
    try:
        connection_move(
            connection=connection,
            to=to,
            by=None,
            by_label=link.sent_to,
            reason=form.cleaned_data["reason"] if form else "",
            expected=expected,
            as_provider=True,
        )
    except ConnectionChanged as error:
        link.connection.refresh_from_db()
        return _link_page(request, link, secret, error=error.message, status=409)
    except ApplicationError as error:
        if form is not None and error.fields:
            apply_errors(form, error)
            return _link_page(request, link, secret, form=form, to=to, status=400)
        link.connection.refresh_from_db()
        return _link_page(request, link, secret, error=error.message, status=error.status)
    provider_links.provider_link_used(link)
    messages.success(request, f"Thank you. The referral is now '{Status(to).label}'.")
    return redirect(reverse("provider_inbox:link", args=[secret]))
