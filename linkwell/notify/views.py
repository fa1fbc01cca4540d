"""The page of messages that could not be sent, and trying one again."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from linkwell.core.errors import ApplicationError
from linkwell.notify import outbox, selectors


def _membership(request):
    membership = request.membership
    if membership is None or not selectors.may_see_messages(membership):
        raise PermissionDenied("Only the team of a scheme sees its messages.")
    return membership


@login_required
@require_GET
def not_sent(request):
    membership = _membership(request)
    return render(
        request,
        "notify/not_sent.html",
        {
            "rows": selectors.messages_not_sent(membership=membership),
            "perms_team": selectors.sees_the_teams(membership),
            "forget_days": settings.NOTIFY_FORGET_FAILED_DAYS,
            "crumbs": [("Dashboard", reverse("core:dashboard"))],
        },
    )


# What each action on a message not sent does, and what the person is told when it is done.
MESSAGE_ACTIONS = {
    "retry": (outbox.message_retry, "The message to {to} will be sent again."),
    "dismiss": (outbox.message_dismiss, "The message to {to} is off the list."),
}


@login_required
@require_POST
def act(request, message_id, action):
    """Try a message again, or dismiss it."""
    membership = _membership(request)
    row = selectors.message_for(membership=membership, message_id=message_id)
    service, done = MESSAGE_ACTIONS[action]
    try:
        service(message=row, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done.format(to=row.to_address))
    return _back(request)


def _back(request):
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("notify:not_sent")
