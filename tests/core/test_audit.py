"""The audit log: what is written, what is kept out, and who can read it."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linkwell.core.audit import REDACTED, log_action, log_user_action
from linkwell.core.models import LogEntry, Role
from linkwell.core.selectors import AuditFilter, audit_log
from linkwell.core.services import membership_add, membership_change, membership_end
from tests.factories import PASSWORD, MembershipFactory, UserFactory


def test_action_codes_must_be_namespaced(member):
    with pytest.raises(ValueError, match="namespaced"):
        log_action(member().user, "accepted")


def test_secrets_and_free_text_never_reach_the_log(member):
    actor = member().user
    entry = log_action(
        actor,
        "test.recorded",
        data={
            "password": "hunter2",
            "api_token": "lw_abc",
            "notes": "Told me about her husband's death",
            "nested": {"free_text": "private", "status": "open"},
            "status": "accepted",
        },
    )
    entry.refresh_from_db()
    assert entry.data == {
        "password": REDACTED,
        "api_token": REDACTED,
        "notes": REDACTED,
        "nested": {"free_text": REDACTED, "status": "open"},
        "status": "accepted",
    }


def test_entry_records_scheme_object_and_person(member, scheme):
    membership = member(Role.LINK_WORKER)
    membership.audit_person_id = "person-42"  # objects about a person say so
    entry = log_action(membership.user, "test.read", membership)
    assert entry.scheme == scheme
    assert entry.object_type == "core.membership"
    assert entry.object_id == str(membership.pk)
    assert entry.person_id == "person-42"
    assert entry.actor_label == membership.user.email


def test_membership_changes_are_audited(member, scheme):
    admin = member(Role.ADMIN).user
    north = scheme.sites.get(name="North")
    created = membership_add(
        scheme=scheme,
        email="New.Worker@Example.test",
        full_name="New Worker",
        role=Role.LINK_WORKER,
        sites=[north],
        by=admin,
    )
    entry = LogEntry.objects.get(action="membership.created")
    assert entry.actor == admin
    assert entry.data["user"] == "new.worker@example.test"
    assert entry.data["sites"] == [str(north.pk)]

    membership_change(membership=created, role=Role.MANAGER, sites=[], by=admin)
    entry = LogEntry.objects.get(action="membership.changed")
    assert entry.data["before"]["role"] == "link_worker"
    assert entry.data["after"] == {"role": "manager", "sites": []}

    membership_end(membership=created, by=admin)
    assert LogEntry.objects.filter(action="membership.ended", object_id=str(created.pk)).exists()


def test_a_change_that_changes_nothing_writes_nothing(member, scheme):
    admin = member(Role.ADMIN).user
    worker = member(Role.LINK_WORKER)
    membership_change(membership=worker, role=Role.LINK_WORKER, sites=[], by=admin)
    assert not LogEntry.objects.filter(action="membership.changed").exists()


def test_log_is_scoped_to_the_scheme(member, scheme, other_scheme):
    manager = member(Role.MANAGER)
    outsider = MembershipFactory(scheme=other_scheme, role=Role.ADMIN)
    log_action(manager.user, "test.ours", manager)
    log_action(outsider.user, "test.theirs", outsider)
    log_user_action(outsider.user, "auth.signed_in")  # a member of the other scheme only
    assert [e.action for e in audit_log(membership=manager)] == ["test.ours"]


def test_sign_ins_appear_in_each_of_the_members_schemes(member, scheme, other_scheme):
    manager = member(Role.MANAGER)
    theirs = MembershipFactory(scheme=other_scheme, role=Role.ADMIN)
    both = member(Role.LINK_WORKER)
    MembershipFactory(scheme=other_scheme, user=both.user, role=Role.COMMISSIONER)
    Client().post("/sign-in/", {"username": both.user.email, "password": PASSWORD})
    for membership in (manager, theirs):
        entries = list(audit_log(membership=membership).filter(action="auth.signed_in"))
        assert [e.actor for e in entries] == [both.user]
    # Someone with no scheme (an unknown address) is logged once, in no scheme's log.
    Client().post("/sign-in/", {"username": "stranger@example.test", "password": "x"})
    stray = LogEntry.objects.get(data__email_entered="stranger@example.test")
    assert stray.scheme is None and stray.action == "auth.sign_in_failed"
    assert stray.actor is None


def test_log_filters_by_person_user_action_and_date(member):
    manager = member(Role.MANAGER)
    other = member(Role.LINK_WORKER)
    a = log_action(manager.user, "person.viewed", manager)
    a.person_id = "p1"
    a.save()
    b = log_action(other.user, "person.changed", other)
    b.created_at = timezone.now() - timedelta(days=10)
    b.save()

    def ids(**kwargs):
        return [e.pk for e in audit_log(membership=manager, filters=AuditFilter(**kwargs))]

    assert ids(person_id="p1") == [a.pk]
    assert ids(actor_email=other.user.email.upper()) == [b.pk]
    assert ids(action="person.changed") == [b.pk]
    today = timezone.localdate()
    assert ids(date_from=today - timedelta(days=1)) == [a.pk]
    assert ids(date_to=today - timedelta(days=5)) == [b.pk]


def test_only_admins_and_managers_read_the_log(member):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        list(audit_log(membership=member(Role.LINK_WORKER)))


def test_audit_log_page_filters_and_rejects_bad_dates(client_as):
    client = client_as(Role.ADMIN)
    user = client.membership.user
    log_action(user, "test.first", client.membership)
    log_action(user, "test.second", client.membership)
    log_action(user, "membership.ended", client.membership)
    response = client.get("/audit/", {"action": "membership.ended"})
    assert response.status_code == 200
    assert [e.action for e in response.context["page"].object_list] == ["membership.ended"]
    assert "Removed from the team" in response.content.decode()
    response = client.get("/audit/", {"user": "not-an-email"})
    assert "Enter an email address in the correct format" in response.content.decode()

    response = client.get("/audit/", {"date_from": "2026-02-30"})
    body = response.content.decode()
    assert "Enter a real date" in body
    assert "There is a problem" in body
    assert list(response.context["page"].object_list) == []

    response = client.get("/audit/", {"date_from": "2026-11-20", "date_to": "2026-11-01"})
    assert "The end date must be the same as or after the start date" in response.content.decode()


def test_audit_log_page_query_count_does_not_grow(client_as, django_assert_max_num_queries):
    client = client_as(Role.ADMIN)
    membership = client.membership
    for i in range(3):
        log_action(membership.user, f"test.n{i}", membership)
    client.get("/audit/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/audit/")
    for i in range(60):
        log_action(UserFactory(), f"test.m{i}", membership)
        MembershipFactory(scheme=membership.scheme)
    with CaptureQueriesContext(connection) as many:
        client.get("/audit/")
    assert len(many) == len(few)
