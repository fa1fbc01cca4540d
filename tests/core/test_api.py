"""The API skeleton: authentication, the error envelope, /me, /schemes and tokens."""

import json
import uuid

import pytest
from django.core.management import call_command
from django.test import Client

from linkwell.core.models import ApiToken, LogEntry, Role
from linkwell.core.services import api_token_create, api_token_revoke
from tests.conftest import sign_in


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def assert_envelope(response, status, code):
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]
    return body


@pytest.fixture
def token(member):
    membership = member(Role.LINK_WORKER)
    _, secret = api_token_create(user=membership.user, name="tests")
    return membership, secret


def test_me_with_a_token(token, scheme):
    membership, secret = token
    response = Client().get("/api/v1/me", **bearer(secret))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == membership.user.email
    assert body["active_scheme_id"] == str(scheme.pk)
    assert body["memberships"][0]["role"] == "link_worker"
    assert {s["name"] for s in body["memberships"][0]["sites"]} == set()
    assert ApiToken.objects.get(user=membership.user).last_used_at is not None


def test_schemes_lists_only_the_users_schemes(token, other_scheme, member):
    _, secret = token
    member(Role.COMMISSIONER, of=other_scheme)  # someone else's membership
    response = Client().get("/api/v1/schemes", **bearer(secret))
    assert [m["scheme"]["slug"] for m in response.json()] == ["riverside"]


@pytest.mark.parametrize(
    "header",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer lw_not-a-real-token"},
        {"HTTP_AUTHORIZATION": "Bearer "},
        {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"},
    ],
)
def test_missing_or_bad_token_is_401_in_the_envelope(db, header):
    assert_envelope(Client().get("/api/v1/me", **header), 401, "unauthenticated")


def test_revoked_token_stops_working(token):
    membership, secret = token
    api_token_revoke(token=ApiToken.objects.get(user=membership.user), by=membership.user)
    assert_envelope(Client().get("/api/v1/me", **bearer(secret)), 401, "unauthenticated")


def test_tokens_are_stored_hashed(token):
    membership, secret = token
    stored = ApiToken.objects.get(user=membership.user)
    assert secret not in (stored.digest, stored.prefix)
    assert stored.digest != secret and len(stored.digest) == 64
    assert secret.startswith(stored.prefix)


def test_session_api_needs_two_factor_where_the_scheme_requires_it(member):
    membership = member(Role.LINK_WORKER)
    unverified = sign_in(Client(), membership.user, verified=False)
    assert_envelope(unverified.get("/api/v1/me"), 401, "unauthenticated")
    verified = sign_in(Client(), membership.user)
    assert verified.get("/api/v1/me").status_code == 200


def post_json(client, url, data, **extra):
    body = data if isinstance(data, str) else json.dumps(data)
    return client.post(url, body, content_type="application/json", **extra)


def test_create_list_and_revoke_tokens_through_the_api(token):
    membership, secret = token
    session = sign_in(Client(enforce_csrf_checks=False), membership.user)
    response = post_json(session, "/api/v1/tokens", {"name": "reports"})
    assert response.status_code == 201
    created = response.json()
    assert created["token"].startswith("lw_")
    assert Client().get("/api/v1/me", **bearer(created["token"])).status_code == 200

    listed = Client().get("/api/v1/tokens", **bearer(secret)).json()
    assert {t["name"] for t in listed} == {"tests", "reports"}
    assert all("token" not in t and "digest" not in t for t in listed)

    body = assert_envelope(
        post_json(session, "/api/v1/tokens", {"name": "reports"}), 400, "api_token.name_taken"
    )
    assert "name" in body["fields"]

    response = Client().delete(f"/api/v1/tokens/{created['id']}", **bearer(secret))
    assert response.status_code == 204
    assert_envelope(Client().get("/api/v1/me", **bearer(created["token"])), 401, "unauthenticated")
    assert LogEntry.objects.filter(action="api_token.revoked").count() == 1


def test_a_token_cannot_make_more_tokens(token):
    membership, secret = token
    response = post_json(Client(), "/api/v1/tokens", {"name": "more"}, **bearer(secret))
    assert_envelope(response, 401, "unauthenticated")
    assert ApiToken.objects.filter(user=membership.user).count() == 1


@pytest.mark.parametrize("method", ["post", "delete"])
def test_bad_token_on_a_write_is_401_not_a_csrf_403(db, method):
    url = "/api/v1/tokens" if method == "post" else f"/api/v1/tokens/{uuid.uuid4()}"
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(
        url, "{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer lw_wrong"
    )
    assert_envelope(response, 401, "unauthenticated")


def test_session_writes_still_need_csrf(member):
    membership = member(Role.LINK_WORKER)
    client = sign_in(Client(enforce_csrf_checks=True), membership.user)
    response = post_json(client, "/api/v1/tokens", {"name": "x"})
    assert_envelope(response, 403, "forbidden")
    assert not ApiToken.objects.exists()


def test_validation_errors_use_the_envelope(token):
    membership, _ = token
    session = sign_in(Client(), membership.user)
    body = assert_envelope(
        post_json(session, "/api/v1/tokens", {"name": ""}), 422, "validation_error"
    )
    assert "name" in body["fields"]
    body = assert_envelope(post_json(session, "/api/v1/tokens", {}), 422, "validation_error")
    assert "name" in body["fields"]
    assert_envelope(post_json(session, "/api/v1/tokens", "{not json"), 400, "bad_request")


def test_scheme_header_chooses_the_scheme_and_rejects_bad_ones(token, other_scheme, member):
    membership, secret = token
    member(Role.MANAGER, of=other_scheme, user=membership.user)
    response = Client().get(
        "/api/v1/me", HTTP_X_LINKWELL_SCHEME=str(other_scheme.pk), **bearer(secret)
    )
    assert response.json()["active_scheme_id"] == str(other_scheme.pk)
    response = Client().get("/api/v1/me", HTTP_X_LINKWELL_SCHEME="not-a-uuid", **bearer(secret))
    body = assert_envelope(response, 400, "invalid_scheme")
    assert "X-Linkwell-Scheme" in body["fields"]
    response = Client().get(
        "/api/v1/me", HTTP_X_LINKWELL_SCHEME=str(uuid.uuid4()), **bearer(secret)
    )
    assert_envelope(response, 404, "not_found")


def test_unknown_token_id_is_404_in_the_envelope(token):
    _, secret = token
    response = Client().delete(
        "/api/v1/tokens/00000000-0000-0000-0000-000000000000", **bearer(secret)
    )
    assert_envelope(response, 404, "not_found")


def test_openapi_schema_and_docs_are_served(db):
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Linkwell API"
    assert {"/api/v1/me", "/api/v1/schemes", "/api/v1/tokens"} <= set(schema["paths"])
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn." not in docs.content  # Swagger UI is served from our own static files


def test_create_api_token_command_prints_a_working_token(member, capsys):
    membership = member(Role.MANAGER)
    call_command("create_api_token", user=membership.user.email.upper(), name="integration")
    secret = capsys.readouterr().out.strip()
    assert Client().get("/api/v1/me", **bearer(secret)).json()["email"] == membership.user.email


def test_create_api_token_command_rejects_unknown_users_and_duplicate_names(member):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", user="nobody@example.test", name="x")
    membership = member(Role.MANAGER)
    call_command("create_api_token", user=membership.user.email, name="x")
    with pytest.raises(CommandError, match="already have a token"):
        call_command("create_api_token", user=membership.user.email, name="x")


def test_account_page_creates_shows_once_and_revokes_tokens(client_as):
    client = client_as(Role.REFERRER)
    response = client.post("/account/", {"name": "GP system"})
    secret = response.context["new_secret"]
    assert secret in response.content.decode()
    assert secret not in client.get("/account/").content.decode()
    token = ApiToken.objects.get(user=client.membership.user)
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = client.post("/account/", {"name": ""})
    assert "Enter a name for the token" in response.content.decode()
