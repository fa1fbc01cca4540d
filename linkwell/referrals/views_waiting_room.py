"""The waiting room's pages: the person's private page (no sign-in), and the staff actions on
the referral page (send a link, stop one, print and record the posted pack).

Paths under /waiting-room/ skip the two-factor middleware (the person's page has no sign-in),
so the staff views here enforce the second factor themselves.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from linkwell.core.access import scheme_view
from linkwell.core.audit import client_ip, log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm, require, two_factor_required
from linkwell.people.selectors import MESSAGE_CHANNEL_WORDS
from linkwell.referrals import waiting_room
from linkwell.referrals.models import Referral, WaitingRoomLink
from linkwell.referrals.waiting_room import LinkState
from linkwell.resources.selectors import resource_for_waiting_room
from linkwell.resources.views import leaflet_response


def _private(response):
    """The page is for one person: not stored, not indexed, no address passed on."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _gone(request, state, link):
    scheme = link.referral.scheme if link is not None else None
    response = render(
        request,
        "referrals/waiting_room_gone.html",
        {"state": state, "scheme": scheme},
        status=404 if state == LinkState.UNKNOWN else 410,
    )
    return _private(response)


@require_GET
def waiting_room_page(request, secret):
    state, link = waiting_room.link_for_secret(secret)
    if state != LinkState.OK:
        return _gone(request, state, link)
    waiting_room.record_view(link, ip_address=client_ip(request))
    content = waiting_room.waiting_room_content(link.referral)
    return _private(
        render(
            request,
            "referrals/waiting_room.html",
            {**content, "link": link, "secret": secret},
        )
    )


@require_GET
def waiting_room_leaflet(request, secret, resource_id):
    state, link = waiting_room.link_for_secret(secret)
    if state != LinkState.OK:
        return _gone(request, state, link)
    resource = resource_for_waiting_room(scheme=link.referral.scheme, resource_id=resource_id)
    if resource is None:
        raise Http404("No such leaflet.")
    response = leaflet_response(resource)
    waiting_room.record_leaflet_opened(link, resource, ip_address=client_ip(request))
    return _private(response)


# --- Staff -------------------------------------------------------------------------------------


def staff_view(perm):
    """`scheme_view`, plus the two-factor check the middleware skips under /waiting-room/."""

    def decorator(view):
        checked = scheme_view(perm)(view)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if user.is_authenticated and not user.is_verified() and two_factor_required(user):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('core:two_factor')}?{query}")
            return checked(request, *args, **kwargs)

        return wrapped

    return decorator


def _referral(membership, referral_id) -> Referral:
    """A referral the member may triage: their scheme's (and sites'), else 404."""
    from linkwell.referrals.selectors import referrals_for

    require(membership, Perm.REFERRAL_TRIAGE)
    return get_object_or_404(
        referrals_for(membership).select_related("person", "scheme"), pk=referral_id
    )


def _back(request, referral_id):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("referrals:detail", args=[referral_id]) + "#waiting-room")


@staff_view(Perm.REFERRAL_TRIAGE)
@require_POST
def link_send(request, referral_id):
    referral = _referral(request.membership, referral_id)
    send_by = request.POST.get("send_by") or None
    try:
        link = waiting_room.waiting_room_link_create(
            referral=referral, by=request.user, send_by=send_by
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if link.send_error:
            messages.error(request, f"The link was not sent: {link.send_error}")
        else:
            how = MESSAGE_CHANNEL_WORDS.get(link.sent_by, "message")
            messages.success(request, f"A new waiting-room link was sent by {how}.")
    return _back(request, referral.pk)


@staff_view(Perm.REFERRAL_TRIAGE)
@require_POST
def link_revoke(request, link_id):
    link = get_object_or_404(WaitingRoomLink.objects.only("id", "referral_id"), pk=link_id)
    # Scoped through the referral: another scheme's (or site's) link is 404.
    referral = _referral(request.membership, link.referral_id)
    try:
        waiting_room.waiting_room_link_revoke(link=link, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The waiting-room link no longer works.")
    return _back(request, referral.pk)


@staff_view(Perm.REFERRAL_TRIAGE)
@require_GET
def pack_download(request, referral_id):
    from linkwell.referrals.waiting_room_pack import pack_pdf

    referral = _referral(request.membership, referral_id)
    try:
        waiting_room.require_pack_consent(referral.person)
    except ApplicationError as error:
        messages.error(request, error.message)
        return _back(request, referral.pk)
    content = pack_pdf(referral)
    log_action(
        request.user,
        "waiting_room.pack_printed",
        referral,
        ip_address=client_ip(request),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="waiting-room-pack.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@staff_view(Perm.REFERRAL_TRIAGE)
@require_POST
def pack_posted(request, referral_id):
    referral = _referral(request.membership, referral_id)
    try:
        waiting_room.pack_posted_record(referral=referral, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Recorded that the pack was posted today.")
    return _back(request, referral.pk)
