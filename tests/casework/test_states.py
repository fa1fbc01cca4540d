"""The case's status machine and casework's fixed lists: what the services rely on."""

import pytest

from linkwell.casework import states
from linkwell.casework.states import (
    MAX_CONTACT_MINUTES,
    ON_CASELOAD,
    RECURRENCE_DAYS,
    TRANSITIONS,
    CaseStatus,
    Recurrence,
    Severity,
)
from linkwell.referrals import states as referral_states


def test_every_status_has_a_row_in_the_transitions_table():
    assert set(TRANSITIONS) == set(CaseStatus)


def test_the_happy_path_is_open_active_closing_closed():
    assert states.can_move(CaseStatus.OPEN, CaseStatus.ACTIVE)
    assert states.can_move(CaseStatus.ACTIVE, CaseStatus.CLOSING)
    assert states.can_move(CaseStatus.CLOSING, CaseStatus.CLOSED)


def test_a_case_can_be_paused_and_resumed():
    assert states.can_move(CaseStatus.ACTIVE, CaseStatus.PAUSED)
    assert states.can_move(CaseStatus.PAUSED, CaseStatus.ACTIVE)
    assert states.can_move(CaseStatus.OPEN, CaseStatus.PAUSED)


def test_closing_can_be_stepped_back_from():
    assert states.can_move(CaseStatus.CLOSING, CaseStatus.ACTIVE)


def test_a_closed_case_moves_nowhere_by_an_ordinary_move():
    """Reopening is its own audited step, never an entry in the table."""
    assert TRANSITIONS[CaseStatus.CLOSED] == frozenset()
    for target in CaseStatus:
        assert not states.can_move(CaseStatus.CLOSED, target)


def test_only_closing_leads_to_closed():
    assert [s for s in CaseStatus if CaseStatus.CLOSED in TRANSITIONS[s]] == [CaseStatus.CLOSING]


def test_no_status_moves_to_itself():
    for status, targets in TRANSITIONS.items():
        assert status not in targets


def test_every_case_still_open_can_start_closing():
    """`case_close` steps through CLOSING from wherever the case is: the table must allow it."""
    for status in CaseStatus:
        if status in (CaseStatus.CLOSING, CaseStatus.CLOSED):
            continue
        assert states.can_move(status, CaseStatus.CLOSING), status


def test_no_ordinary_move_goes_back_to_open():
    for status in CaseStatus:
        assert not states.can_move(status, CaseStatus.OPEN)


def test_every_status_is_reachable_from_open():
    seen, todo = {CaseStatus.OPEN}, [CaseStatus.OPEN]
    while todo:
        for target in TRANSITIONS[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(CaseStatus)


def test_allowed_moves_follow_the_order_of_the_statuses():
    assert states.allowed_moves("open") == [
        CaseStatus.ACTIVE,
        CaseStatus.PAUSED,
        CaseStatus.CLOSING,
    ]
    assert states.allowed_moves("closing") == [CaseStatus.ACTIVE, CaseStatus.CLOSED]
    assert states.allowed_moves("closed") == []


def test_can_move_takes_plain_strings_and_refuses_unknown_ones():
    assert states.can_move("paused", "active") is True
    assert states.can_move("active", "open") is False
    with pytest.raises(ValueError):
        states.can_move("active", "archived")


def test_the_caseload_holds_every_status_but_closed():
    assert set(CaseStatus) - {CaseStatus.CLOSED} == ON_CASELOAD


def test_recurring_follow_ups_repeat_weekly_or_fortnightly():
    assert RECURRENCE_DAYS == {Recurrence.WEEKLY: 7, Recurrence.FORTNIGHTLY: 14}
    assert Recurrence.NONE == ""


def test_a_contact_lasts_at_most_twelve_hours():
    assert MAX_CONTACT_MINUTES == 720


def test_severity_runs_from_zero_to_three():
    assert [int(s) for s in Severity] == [0, 1, 2, 3]


def test_the_closing_code_is_the_referral_code_the_gp_record_knows():
    assert states.SNOMED_REFERRED == "871731000000106"
    assert states.SNOMED_REFERRED == referral_states.SNOMED_REFERRED
    assert states.SNOMED_REFERRED in referral_states.SNOMED_LABELS
