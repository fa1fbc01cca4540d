"""How API requests authenticate: a personal token, or the browser session."""

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from linkwell.core.permissions import two_factor_required
from linkwell.core.services import api_token_authenticate


class PersonalToken(HttpBearer):
    """`Authorization: Bearer <token>`; tokens are made on the account page or by
    `manage.py create_api_token`."""

    def authenticate(self, request: HttpRequest, token: str):
        return api_token_authenticate(token.strip())


class VerifiedSession(SessionAuth):
    """The browser session, once the user has passed two-factor where it is required.

    A request that sends a token, or has no session, is not a session request: it answers 401
    rather than failing the session's CSRF check with 403.
    """

    def __call__(self, request: HttpRequest):
        if "Authorization" in request.headers or not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key):
        user = request.user
        if two_factor_required(user) and not user.is_verified():
            return None
        return user
