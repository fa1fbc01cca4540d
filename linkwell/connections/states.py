"""The connection status machines, in one place: which moves are allowed, which need a reason,
which are the provider's to make, and how each status reads as a FHIR Task status.

A *signpost* is information given: the person makes contact themselves, and the link worker
learns at follow-up whether they took it up. A *referral* is sent to the provider on the
person's behalf; the provider answers and reports how it went.
"""

from __future__ import annotations

from django.db import models


class Kind(models.TextChoices):
    SIGNPOST = "signpost", "Signpost (information given)"
    REFERRAL = "referral", "Referral (sent to the service)"


class Status(models.TextChoices):
    # Referrals.
    PROPOSED = "proposed", "Proposed"
    SENT = "sent", "Sent, waiting for the service"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined by the service"
    STARTED = "started", "Started"
    ATTENDED_SOME = "attended_some", "Attended some sessions"
    COMPLETED = "completed", "Completed"
    DROPPED_OUT = "dropped_out", "Dropped out"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "No answer in time"
    # Signposts.
    GIVEN = "given", "Information given"
    TOOK_UP = "took_up", "Took it up"
    DID_NOT_TAKE_UP = "did_not_take_up", "Did not take it up"
    UNKNOWN = "unknown", "Not known"


S = Status
REFERRAL_MOVES: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.SENT, S.WITHDRAWN}),
    S.SENT: frozenset({S.ACCEPTED, S.DECLINED, S.WITHDRAWN, S.EXPIRED}),
    S.ACCEPTED: frozenset({S.STARTED, S.DID_NOT_ATTEND, S.WITHDRAWN}),
    S.STARTED: frozenset({S.ATTENDED_SOME, S.COMPLETED, S.DROPPED_OUT, S.WITHDRAWN}),
    S.ATTENDED_SOME: frozenset({S.COMPLETED, S.DROPPED_OUT, S.WITHDRAWN}),
}
SIGNPOST_MOVES: dict[str, frozenset[str]] = {
    S.GIVEN: frozenset({S.TOOK_UP, S.DID_NOT_TAKE_UP, S.UNKNOWN}),
    S.UNKNOWN: frozenset({S.TOOK_UP, S.DID_NOT_TAKE_UP}),
}
MOVES = {Kind.REFERRAL: REFERRAL_MOVES, Kind.SIGNPOST: SIGNPOST_MOVES}
FIRST = {Kind.REFERRAL: S.PROPOSED, Kind.SIGNPOST: S.GIVEN}
REFERRAL_STATUSES = frozenset(
    {
        S.PROPOSED,
        S.SENT,
        S.ACCEPTED,
        S.DECLINED,
        S.STARTED,
        S.ATTENDED_SOME,
        S.COMPLETED,
        S.DROPPED_OUT,
        S.DID_NOT_ATTEND,
        S.WITHDRAWN,
        S.EXPIRED,
    }
)
SIGNPOST_STATUSES = frozenset({S.GIVEN, S.TOOK_UP, S.DID_NOT_TAKE_UP, S.UNKNOWN})
# Still going: a case's open connections, and at most one open per case and service.
OPEN = frozenset({S.PROPOSED, S.SENT, S.ACCEPTED, S.STARTED, S.ATTENDED_SOME, S.GIVEN, S.UNKNOWN})
NEEDS_REASON = frozenset({S.DECLINED, S.DROPPED_OUT, S.WITHDRAWN})
# The moves a provider makes (from their inbox or an emailed link); the rest are the team's.
PROVIDER_MOVES = frozenset(
    {
        S.ACCEPTED,
        S.DECLINED,
        S.STARTED,
        S.ATTENDED_SOME,
        S.COMPLETED,
        S.DROPPED_OUT,
        S.DID_NOT_ATTEND,
    }
)
# The provider has answered once the referral leaves "sent" by their hand.
ANSWERS = frozenset({S.ACCEPTED, S.DECLINED})

# FHIR R4 Task.status for each referral status (signposts are not sent, so have no Task).
# Statuses sharing a Task.status are told apart by Task.businessStatus: a coding from
# Linkwell's connection-status CodeSystem whose code is the status itself (`attended_some`).
FHIR_TASK_STATUS = {
    S.PROPOSED: "draft",
    S.SENT: "requested",
    S.ACCEPTED: "accepted",
    S.DECLINED: "rejected",
    S.STARTED: "in-progress",
    S.ATTENDED_SOME: "in-progress",
    S.COMPLETED: "completed",
    S.DROPPED_OUT: "failed",
    S.DID_NOT_ATTEND: "failed",
    S.WITHDRAWN: "cancelled",
    S.EXPIRED: "failed",
}
# What a provider system's Task update means here: the statuses each Task.status it may set
# can mean (the provider's moves with that Task.status, picked by businessStatus)...
FROM_FHIR_TASK_STATUSES: dict[str, tuple[str, ...]] = {
    fhir: tuple(s for s in Status if s in PROVIDER_MOVES and FHIR_TASK_STATUS[s] == fhir)
    for fhir in dict.fromkeys(FHIR_TASK_STATUS[s] for s in Status if s in PROVIDER_MOVES)
}
# ...and what a Task.status means without a businessStatus. "failed" has no default: the
# provider says whether the person dropped out or did not attend.
FROM_FHIR_TASK_STATUS = {
    "accepted": S.ACCEPTED,
    "rejected": S.DECLINED,
    "in-progress": S.STARTED,
    "completed": S.COMPLETED,
}


def can_move(kind: str, from_status: str, to_status: str) -> bool:
    return to_status in MOVES.get(kind, {}).get(from_status, frozenset())


def allowed_next(kind: str, status: str) -> list[str]:
    """The statuses a connection in `status` may move to, in the order they are declared."""
    moves = MOVES.get(kind, {}).get(status, frozenset())
    return [s for s in Status if s in moves]
