"""The referral's status machine: the one place that says which moves are allowed."""

from django.db import models


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    TRIAGED = "triaged", "Triaged"
    WAITING = "waiting", "Waiting for first contact"
    CONTACTED = "contacted", "Contacted"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined by the person"
    UNABLE_TO_CONTACT = "unable_to_contact", "Unable to contact"
    NOT_APPROPRIATE = "not_appropriate", "Not appropriate"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN = frozenset({Status.RECEIVED, Status.TRIAGED, Status.WAITING, Status.CONTACTED})
CLOSED = frozenset(set(Status) - OPEN)
# Not yet reached: the waiting list, and what the waiting-time figures measure.
NOT_YET_CONTACTED = frozenset({Status.RECEIVED, Status.TRIAGED, Status.WAITING})
# New referrals nobody has picked up: the triage queue.
FOR_TRIAGE = frozenset({Status.RECEIVED, Status.TRIAGED})

_ENDINGS = {Status.DECLINED, Status.NOT_APPROPRIATE, Status.WITHDRAWN}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.TRIAGED, Status.WAITING, Status.CONTACTED, *_ENDINGS}),
    Status.TRIAGED: frozenset(
        {Status.WAITING, Status.CONTACTED, Status.UNABLE_TO_CONTACT, *_ENDINGS}
    ),
    Status.WAITING: frozenset({Status.CONTACTED, Status.UNABLE_TO_CONTACT, *_ENDINGS}),
    Status.CONTACTED: frozenset({Status.ACCEPTED, *_ENDINGS}),
    Status.ACCEPTED: frozenset(),
    Status.DECLINED: frozenset(),
    Status.UNABLE_TO_CONTACT: frozenset({Status.CONTACTED}),  # they rang back
    Status.NOT_APPROPRIATE: frozenset(),
    Status.WITHDRAWN: frozenset(),
}

# Moves that need a reason in words.
NEEDS_REASON = frozenset(
    {Status.DECLINED, Status.NOT_APPROPRIATE, Status.WITHDRAWN, Status.UNABLE_TO_CONTACT}
)

# SNOMED CT codes stored for feedback to the GP.
SNOMED_REFERRED = "871731000000106"  # Referral to social prescribing service
SNOMED_DECLINED = "871711000000103"  # Social prescribing declined
SNOMED_LABELS = {
    SNOMED_REFERRED: "Referral to social prescribing service",
    SNOMED_DECLINED: "Social prescribing declined",
}
SNOMED_FOR_STATUS = {
    Status.RECEIVED: SNOMED_REFERRED,
    Status.DECLINED: SNOMED_DECLINED,
}

# FHIR Task.status for each referral status (the Task that follows a FHIR ServiceRequest).
FHIR_TASK_STATUS = {
    Status.RECEIVED: "requested",
    Status.TRIAGED: "received",
    Status.WAITING: "accepted",
    Status.CONTACTED: "in-progress",
    Status.ACCEPTED: "in-progress",
    Status.DECLINED: "rejected",
    Status.UNABLE_TO_CONTACT: "failed",
    Status.NOT_APPROPRIATE: "rejected",
    Status.WITHDRAWN: "cancelled",
}


def can_move(current: str, target: str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]


def allowed_moves(current: str) -> list[Status]:
    return sorted(TRANSITIONS[Status(current)], key=list(Status).index)
