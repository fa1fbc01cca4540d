"""The role matrix: which pages each role may open."""

import pytest

from linkwell.core.models import Role

ALL = set(Role)
PAGES = {
    "/": ALL,
    "/account/": ALL,
    "/accessibility/": ALL,
    "/team/": {Role.ADMIN, Role.MANAGER},
    "/team/add/": {Role.ADMIN},
    "/audit/": {Role.ADMIN, Role.MANAGER},
    "/scheme/settings/": {Role.ADMIN},
    "/directory/": ALL,
    "/directory/freshness/": {Role.ADMIN, Role.MANAGER},
    "/directory/flags/": {Role.ADMIN, Role.MANAGER},
    "/directory/yours/": {Role.PROVIDER},
    "/directory/import/": {Role.ADMIN, Role.MANAGER},
    "/directory/add/": {Role.ADMIN, Role.MANAGER},
    "/directory/terms/": {Role.ADMIN, Role.MANAGER},
    "/resources/": {Role.ADMIN, Role.MANAGER},
    "/resources/add/": {Role.ADMIN, Role.MANAGER},
    "/referrals/import/": {Role.ADMIN, Role.MANAGER},
    "/referrals/import/sample.csv": {Role.ADMIN, Role.MANAGER},
    "/campaigns/": {Role.MANAGER, Role.LINK_WORKER},
    "/campaigns/new/": {Role.MANAGER},
    "/referrals/triage/": {Role.MANAGER, Role.LINK_WORKER},
    "/referrals/waiting/": {Role.MANAGER, Role.LINK_WORKER},
    "/referrals/new/": {Role.MANAGER, Role.LINK_WORKER, Role.REFERRER},
    "/referrals/sent/": {Role.REFERRER},
    "/cases/follow-ups/": {Role.MANAGER, Role.LINK_WORKER},
    "/cases/": {Role.MANAGER, Role.LINK_WORKER},
    "/cases/team/": {Role.MANAGER},
}
MATRIX = [(role, url, role in allowed) for url, allowed in PAGES.items() for role in Role]


@pytest.mark.parametrize(("role", "url", "allowed"), MATRIX, ids=lambda v: str(v))
def test_role_matrix(client_as, role, url, allowed):
    response = client_as(role).get(url)
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert "You do not have access to this page" in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_its_own_dashboard(client_as, role):
    response = client_as(role).get("/")
    assert response.templates[0].name == f"core/dashboard/{role}.html"


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (
            Role.ADMIN,
            ["Dashboard", "Resources", "Directory", "Team", "Audit log", "Scheme settings"],
        ),
        (
            Role.MANAGER,
            [
                "Dashboard",
                "Caseload",
                "Follow-ups",
                "Triage",
                "Waiting list",
                "Call lists",
                "Resources",
                "Directory",
                "Team",
                "Audit log",
            ],
        ),
        (
            Role.LINK_WORKER,
            [
                "Dashboard",
                "Caseload",
                "Follow-ups",
                "Triage",
                "Waiting list",
                "Call lists",
                "Directory",
            ],
        ),
        (Role.REFERRER, ["Dashboard", "Your referrals", "Directory"]),
        (Role.PROVIDER, ["Dashboard", "Directory", "Referrals to you", "Your listings"]),
        (Role.COMMISSIONER, ["Dashboard", "Directory"]),
    ],
)
def test_navigation_follows_the_role(client_as, role, links):
    response = client_as(role).get("/")
    assert [item["label"] for item in response.context["navigation"]] == links


def test_anonymous_users_are_sent_to_sign_in(db):
    from django.test import Client

    for url in PAGES:
        if url == "/accessibility/":
            continue
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/")
