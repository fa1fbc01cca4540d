"""Request-wide context: the active scheme membership, and the two-factor gate."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from linkwell.core.permissions import two_factor_required
from linkwell.core.selectors import active_membership

SESSION_SCHEME_KEY = "linkwell_scheme_id"


class ActiveMembershipMiddleware:
    """Sets `request.membership`: the user's role in the scheme they are working in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        if request.user.is_authenticated:
            request.membership = active_membership(
                request.user, request.session.get(SESSION_SCHEME_KEY)
            )
            if request.membership is not None:
                request.session[SESSION_SCHEME_KEY] = str(request.membership.scheme_id)
        return self.get_response(request)


# Paths a signed-in user who still owes a second factor may reach.
# (The API and the open Open Referral UK feed have their own rules; an emailed verification
# link is its own key.)
_OPEN_PREFIXES = (
    "/static/",
    "/healthz",
    "/api/",
    "/oruk/",
    "/directory/confirm/",
    "/fhir/",
    "/refer/",
    "/waiting-room/",
    "/r/",  # a provider's emailed link to answer one referral
    "/two-factor/",
    "/sign-out/",
    "/sign-in/",
)


class TwoFactorRequiredMiddleware:
    """Sends a user who must use two-factor, and has not yet, to set it up or enter a code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(_OPEN_PREFIXES)
            and two_factor_required(user)
        ):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('core:two_factor')}?{query}")
        return self.get_response(request)
