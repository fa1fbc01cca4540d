"""The dashboard's casework figures: the worker's own next things, and the team's for managers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linkwell.casework.selectors_dashboard import dashboard_casework
from linkwell.core.models import Role
from tests.factories import CaseFactory, ContactFactory, FollowUpFactory

pytestmark = pytest.mark.django_db


def test_a_workers_figures_count_their_own_open_cases_and_follow_ups(scheme, member):
    me = member(Role.LINK_WORKER)
    other = member(Role.LINK_WORKER).user
    today = timezone.localdate()
    long_ago = timezone.now() - timedelta(days=60)
    quiet = CaseFactory(scheme=scheme, worker=me.user, opened_at=long_ago)
    talked = CaseFactory(scheme=scheme, worker=me.user, opened_at=long_ago)
    ContactFactory(case=talked, at=timezone.now() - timedelta(days=3))
    CaseFactory(
        scheme=scheme,
        worker=me.user,
        status="closed",
        closed_at=long_ago,
        closing_reason="goals_met",
    )
    theirs = CaseFactory(scheme=scheme, worker=other)
    FollowUpFactory(case=quiet, due_on=today)
    FollowUpFactory(case=quiet, due_on=today - timedelta(days=2))
    FollowUpFactory(case=talked, due_on=today + timedelta(days=2))
    FollowUpFactory(case=theirs, due_on=today - timedelta(days=1))

    figures = dashboard_casework(membership=me)

    assert (figures.open_cases, figures.due_today, figures.overdue, figures.quiet) == (2, 1, 1, 1)
    assert figures.team_open is None


def test_a_manager_also_sees_the_team(scheme, member):
    manager = member(Role.MANAGER)
    case = CaseFactory(scheme=scheme)
    CaseFactory(scheme=scheme)
    FollowUpFactory(case=case, due_on=timezone.localdate() - timedelta(days=1))
    figures = dashboard_casework(membership=manager)
    assert (figures.team_open, figures.team_overdue) == (2, 1)


def test_roles_without_a_caseload_see_no_casework(scheme, member):
    for role in (Role.ADMIN, Role.REFERRER, Role.PROVIDER, Role.COMMISSIONER):
        assert dashboard_casework(membership=member(role)) is None


def test_the_link_workers_dashboard_shows_what_is_due(client_as, scheme):
    client = client_as(Role.LINK_WORKER)
    me = client.session["_auth_user_id"]
    case = CaseFactory(scheme=scheme, worker_id=me)
    FollowUpFactory(case=case, due_on=timezone.localdate() - timedelta(days=1))
    page = client.get("/").content.decode()
    assert 'data-testid="open-cases">1 open case<' in page
    assert "1 overdue" in page
    assert 'href="/cases/follow-ups/"' in page


def test_referrals_reached_but_without_a_case_are_counted_and_listed(client_as, scheme):
    from tests.factories import ReferralFactory

    client = client_as(Role.LINK_WORKER)
    me = client.session["_auth_user_id"]
    reached = ReferralFactory(scheme=scheme, status="contacted", assigned_to_id=me)
    ReferralFactory(scheme=scheme, status="contacted")  # someone else's
    ReferralFactory(scheme=scheme, status="waiting", assigned_to_id=me)
    page = client.get("/").content.decode()
    assert "1 contacted, ready to open a case" in page
    listing = client.get("/referrals/waiting/?who=mine&stage=contacted")
    assert [r.pk for r, _age, _suggest in listing.context["rows"]] == [reached.pk]
