"""API for the signed-in user, their schemes and their personal tokens."""

from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status

from linkwell.core import selectors, services
from linkwell.core.api_auth import VerifiedSession
from linkwell.core.errors import ApplicationError, NotFound
from linkwell.core.models import Membership
from linkwell.core.schemas import ErrorOut, MembershipOut, MeOut, TokenCreatedOut, TokenIn, TokenOut

router = Router(tags=["you"])


def acting_user(request: HttpRequest):
    """The user the request acts for: the token's owner, or the session's user."""
    return request.auth


SCHEME_HEADER = "X-Linkwell-Scheme"


def api_membership(request: HttpRequest) -> Membership | None:
    """The membership the request works in: the scheme named by the X-Linkwell-Scheme header,
    else the user's oldest. Naming a scheme the user is not in answers 404."""
    user = acting_user(request)
    raw = request.headers.get(SCHEME_HEADER)
    if raw is None:
        return selectors.active_membership(user, None)
    try:
        scheme_id = UUID(raw.strip())
    except ValueError:
        raise ApplicationError(
            "invalid_scheme",
            f"{SCHEME_HEADER} must be a scheme id.",
            fields={SCHEME_HEADER: ["Send the id of one of your schemes, from /api/v1/schemes."]},
        ) from None
    membership = selectors.memberships_for_user(user).filter(scheme_id=scheme_id).first()
    if membership is None:
        raise NotFound("You are not a member of that scheme.")
    return membership


@router.get("/me", response=MeOut, summary="The signed-in user and their schemes")
def me(request):
    user = acting_user(request)
    memberships = list(selectors.memberships_for_user(user))
    active = api_membership(request)
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "active_scheme_id": active.scheme_id if active else None,
        "memberships": memberships,
    }


@router.get("/schemes", response=list[MembershipOut], summary="The schemes you belong to")
def schemes(request):
    return list(selectors.memberships_for_user(acting_user(request)))


@router.get("/tokens", response=list[TokenOut], summary="Your personal API tokens")
def tokens(request):
    return list(selectors.api_tokens_for(user=acting_user(request)))


@router.post(
    "/tokens",
    response={201: TokenCreatedOut, 400: ErrorOut},
    summary="Create a personal API token; the secret is in the answer, once",
    description="Only from a signed-in browser session: a token cannot make more tokens.",
    auth=VerifiedSession(),
)
def token_create(request, payload: TokenIn):
    token, secret = services.api_token_create(user=acting_user(request), name=payload.name)
    out = TokenOut.model_validate(token).model_dump()
    return Status(201, {**out, "token": secret})


@router.delete("/tokens/{token_id}", response={204: None, 404: ErrorOut}, summary="Revoke a token")
def token_revoke(request, token_id: UUID):
    user = acting_user(request)
    token = selectors.api_token_get(user=user, token_id=token_id)
    services.api_token_revoke(token=token, by=user)
    return Status(204, None)
