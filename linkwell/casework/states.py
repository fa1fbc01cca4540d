"""The case's status machine, and the other fixed lists of casework: the one place that says
which moves are allowed."""

from django.db import models


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"  # accepted, plan not yet under way
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    CLOSING = "closing", "Closing"
    CLOSED = "closed", "Closed"


# Statuses on a link worker's caseload.
ON_CASELOAD = frozenset({CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.PAUSED, CaseStatus.CLOSING})

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.ACTIVE, CaseStatus.PAUSED, CaseStatus.CLOSING}),
    CaseStatus.ACTIVE: frozenset({CaseStatus.PAUSED, CaseStatus.CLOSING}),
    CaseStatus.PAUSED: frozenset({CaseStatus.ACTIVE, CaseStatus.CLOSING}),
    CaseStatus.CLOSING: frozenset({CaseStatus.ACTIVE, CaseStatus.CLOSED}),
    # Reopening is its own explicit, audited step (`case_reopen`), never an ordinary move.
    CaseStatus.CLOSED: frozenset(),
}


def can_move(current: str, target: str) -> bool:
    return CaseStatus(target) in TRANSITIONS[CaseStatus(current)]


def allowed_moves(current: str) -> list[CaseStatus]:
    return sorted(TRANSITIONS[CaseStatus(current)], key=list(CaseStatus).index)


class ClosingReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met"
    MOVED_AWAY = "moved_away", "Moved away"
    NOT_ENGAGING = "not_engaging", "No longer engaging"
    STATUTORY = "statutory", "Referred to a statutory service"
    DIED = "died", "Died"
    OTHER = "other", "Other"


class Severity(models.IntegerChoices):
    """How much a need area weighs on the person, as they and the link worker judge it."""

    NONE = 0, "Not a concern"
    LOW = 1, "A little"
    MEDIUM = 2, "Quite a lot"
    HIGH = 3, "A great deal"


class GoalStatus(models.TextChoices):
    OPEN = "open", "Working on it"
    ACHIEVED = "achieved", "Achieved"
    PARTLY = "partly", "Partly achieved"
    NOT_ACHIEVED = "not_achieved", "Not achieved"
    DROPPED = "dropped", "Dropped"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video call"
    FACE_TO_FACE = "face_to_face", "Face to face"
    HOME_VISIT = "home_visit", "Home visit"
    MESSAGE = "message", "Text or email message"
    LETTER = "letter", "Letter"


class SupportDecision(models.TextChoices):
    CHOSEN = "chosen", "Chosen"
    CONSIDERING = "considering", "Thinking about it"
    DECLINED = "declined", "Declined"


class FollowUpKind(models.TextChoices):
    SUPPORT_CALL = "support_call", "Support call"
    CHECK_REFERRAL = "check_referral", "Check a referral is on track"
    APPOINTMENT = "appointment", "Appointment with the person"
    REVIEW = "review", "Review the plan"
    OTHER = "other", "Other"


class FollowUpStatus(models.TextChoices):
    DUE = "due", "Due"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


class Recurrence(models.TextChoices):
    NONE = "", "Once"
    WEEKLY = "weekly", "Every week"
    FORTNIGHTLY = "fortnightly", "Every two weeks"


RECURRENCE_DAYS = {Recurrence.WEEKLY: 7, Recurrence.FORTNIGHTLY: 14}

# The longest a single contact may last, in minutes (12 hours).
MAX_CONTACT_MINUTES = 12 * 60

# SNOMED CT code carried by feedback to the GP about a case (NHS England's social prescribing
# codes name the referral, the offer and a decline; the outcome goes in words beside it).
SNOMED_REFERRED = "871731000000106"
