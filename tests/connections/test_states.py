"""The connection status machines: every move the issue names is allowed, nothing else is, and
every referral status reads as a FHIR Task status."""

import pytest

from linkwell.connections import states
from linkwell.connections.states import Kind, Status

S = Status


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (S.PROPOSED, S.SENT),
        (S.SENT, S.ACCEPTED),
        (S.SENT, S.DECLINED),
        (S.SENT, S.EXPIRED),
        (S.ACCEPTED, S.STARTED),
        (S.STARTED, S.ATTENDED_SOME),
        (S.ATTENDED_SOME, S.COMPLETED),
        (S.ATTENDED_SOME, S.DROPPED_OUT),
        (S.ACCEPTED, S.DID_NOT_ATTEND),
        (S.STARTED, S.COMPLETED),
    ],
)
def test_the_referral_path_is_allowed(start, end):
    assert states.can_move(Kind.REFERRAL, start, end)


def test_withdrawn_from_every_open_referral_status_and_nowhere_else():
    open_referral = states.OPEN & states.REFERRAL_STATUSES
    for status in states.REFERRAL_STATUSES:
        assert states.can_move(Kind.REFERRAL, status, S.WITHDRAWN) == (status in open_referral)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (S.PROPOSED, S.ACCEPTED),  # never sent
        (S.SENT, S.COMPLETED),  # skips accepting and starting
        (S.DECLINED, S.ACCEPTED),  # closed
        (S.COMPLETED, S.STARTED),
        (S.EXPIRED, S.ACCEPTED),
        (S.SENT, S.TOOK_UP),  # a signpost's status
    ],
)
def test_jumps_the_machine_forbids(start, end):
    assert not states.can_move(Kind.REFERRAL, start, end)


def test_signposts_end_at_follow_up():
    assert states.allowed_next(Kind.SIGNPOST, S.GIVEN) == [
        S.TOOK_UP,
        S.DID_NOT_TAKE_UP,
        S.UNKNOWN,
    ]
    assert not states.can_move(Kind.SIGNPOST, S.GIVEN, S.SENT)
    assert states.allowed_next(Kind.SIGNPOST, S.TOOK_UP) == []


def test_every_referral_status_has_a_fhir_task_status():
    assert set(states.FHIR_TASK_STATUS) == set(states.REFERRAL_STATUSES)
    assert set(states.FHIR_TASK_STATUS.values()) <= {
        "draft",
        "requested",
        "accepted",
        "rejected",
        "in-progress",
        "completed",
        "cancelled",
        "failed",
    }
    for fhir, status in states.FROM_FHIR_TASK_STATUS.items():
        assert states.FHIR_TASK_STATUS[status] == fhir


def test_providers_make_only_their_moves():
    assert S.WITHDRAWN not in states.PROVIDER_MOVES
    assert S.SENT not in states.PROVIDER_MOVES
    assert S.EXPIRED not in states.PROVIDER_MOVES
    assert {S.ACCEPTED, S.DECLINED, S.COMPLETED} <= states.PROVIDER_MOVES
