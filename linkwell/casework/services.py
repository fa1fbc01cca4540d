"""Writes of casework: opening a case from an accepted referral, moving and reassigning it,
contacts, notes, needs, goals, the supports in the plan, follow-ups, closing and reopening.

Every write is one transaction, checks the case is not closed (reopening is its own explicit
step), is audited, and edits of something that already exists carry the version the editor
saw: if someone else changed it since, the edit is refused with `EditConflict` and nothing is
overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from linkwell.casework import states
from linkwell.casework.models import (
    Assessment,
    Case,
    CaseAssignment,
    CaseEvent,
    Contact,
    FollowUp,
    Goal,
    GoalProgress,
    Need,
    Note,
    PlanSupport,
)
from linkwell.casework.states import (
    MAX_CONTACT_MINUTES,
    RECURRENCE_DAYS,
    CaseStatus,
    ClosingReason,
    FollowUpKind,
    FollowUpStatus,
    GoalStatus,
    Recurrence,
    Severity,
    SupportDecision,
)
from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm, member_can
from linkwell.directory.models import Service, TaxonomyTerm
from linkwell.directory.taxonomy import NEED_AREAS_ID
from linkwell.notify.outbox import messages_hand_over
from linkwell.referrals.models import Referral
from linkwell.referrals.states import Status as ReferralStatus

ACTIONS.update(
    {
        "case.opened": "Opened a case",
        "case.viewed": "Viewed a case record",
        "case.moved": "Changed a case's status",
        "case.assigned": "Gave a case to a link worker",
        "case.closed": "Closed a case",
        "case.reopened": "Reopened a closed case",
        "case.household_changed": "Changed who in the household a case involves",
        "case.contact_recorded": "Recorded a contact",
        "case.note_added": "Added a case note",
        "case.need_recorded": "Recorded a need",
        "case.need_changed": "Changed a need",
        "case.assessment_started": "Started a what-matters conversation",
        "case.assessment_completed": "Finished a what-matters conversation",
        "case.assessment_viewed": "Viewed a what-matters summary",
        "case.goal_added": "Added a goal",
        "case.goal_changed": "Changed a goal",
        "case.support_recorded": "Recorded a support the person chose or declined",
        "case.followup_scheduled": "Scheduled a follow-up",
        "case.followup_done": "Marked a follow-up done or missed",
        "case.followup_cancelled": "Cancelled a follow-up",
        "case.referrer_told": "Told the referrer how the case ended",
        "case.referrer_not_told": "Did not tell the referrer how the case ended",
        "case.reminder_sent": "Sent the person an appointment reminder",
        "case.reminder_not_sent": "Did not send the person an appointment reminder",
    }
)

# A contact may be recorded a few minutes "ahead" to allow for clocks that differ slightly.
CLOCK_SLACK = timedelta(minutes=5)


class EditConflict(ApplicationError):
    """Someone else changed this since the editor loaded it: nothing was saved."""

    status = 409

    def __init__(self, current, what: str = "case"):
        super().__init__(
            "edit_conflict",
            f"Someone else changed this {what} while you were editing it. Nothing you entered "
            "was saved: here is the latest version; make your change again if it is still "
            "needed.",
        )
        self.current = current


def _case_closed_error() -> ApplicationError:
    return ApplicationError(
        "case_closed", "This case is closed. Reopen it first if you need to change it."
    )


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("scheme", "person").get(pk=case.pk)


def open_case_for_update(case: Case) -> Case:
    """Lock the case for this transaction and refuse if it is closed."""
    case = _locked(case)
    if case.status == CaseStatus.CLOSED:
        raise _case_closed_error()
    return case


def check_version(obj, version: int | None, what: str) -> None:
    """Refuse an edit begun on an older copy: `version` is what the form or request saw (None
    skips the check); `what` names the thing in the conflict message."""
    if version is not None and int(version) != obj.version:
        raise EditConflict(obj, what)


def bump_version(case: Case) -> None:
    """Every change to a case raises its version, so an edit begun earlier is refused."""
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1, updated_at=timezone.now())
    case.version += 1


def _choice(choices, value, field: str, message: str):
    """`value` as one of `choices`, or a clear error naming the field (never a 500)."""
    try:
        return choices(value)
    except ValueError as error:
        raise ApplicationError("invalid_choice", message, fields={field: [message]}) from error


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def _require_worker(scheme, user) -> None:
    if not member_can(scheme, user, Perm.CASELOAD):
        raise ApplicationError(
            "case_worker_invalid",
            "Choose a link worker of this scheme.",
            fields={"worker": ["Choose a link worker of this scheme."]},
        )


# --- Opening, moving, reassigning --------------------------------------------------------


@transaction.atomic
def case_open(*, referral: Referral, by, worker=None, at: datetime | None = None) -> Case:
    """Accept the referral and open the person's case, held by `worker` (else whoever the
    referral was assigned to, else the person accepting it)."""
    from linkwell.referrals.services import referral_move

    now = at or timezone.now()
    worker = worker or referral.assigned_to or _actor(by)
    if worker is None:
        raise ApplicationError("case_worker_invalid", "Choose the link worker who will hold it.")
    _require_worker(referral.scheme, worker)
    if Case.objects.filter(person_id=referral.person_id).exclude(status=CaseStatus.CLOSED).exists():
        raise ApplicationError(
            "case_already_open",
            "This person already has an open case: add this referral's reasons to it instead.",
        )
    referral = referral_move(
        referral=referral, to=ReferralStatus.ACCEPTED, by=by, at=now, case_opening=True
    )
    try:
        with transaction.atomic():
            case = Case.objects.create(
                scheme=referral.scheme,
                site=referral.site,
                person=referral.person,
                referral=referral,
                worker=worker,
                opened_at=now,
                status_changed_at=now,
            )
    except IntegrityError as error:
        raise ApplicationError(
            "case_already_open", "This person already has an open case."
        ) from error
    CaseEvent.objects.create(case=case, to_status=CaseStatus.OPEN, at=now, by=_actor(by))
    CaseAssignment.objects.create(case=case, worker=worker, at=now, by=_actor(by))
    log_action(by, "case.opened", case, {"referral": str(referral.pk), "worker": worker.email})
    return case


def _move(case: Case, to: CaseStatus, by, reason: str, now: datetime) -> None:
    previous = case.status
    case.status = to
    case.status_changed_at = now
    CaseEvent.objects.create(
        case=case, from_status=previous, to_status=to, reason=reason[:300], at=now, by=_actor(by)
    )
    log_action(by, "case.moved", case, {"from": previous, "to": str(to)})


@transaction.atomic
def case_move(
    *,
    case: Case,
    to: CaseStatus | str,
    by,
    version: int | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> Case:
    """Pause, resume, start closing: any move the status machine allows, except closing and
    reopening, which have their own steps. `at` records a move made earlier (imports, demo)."""
    case = open_case_for_update(case)
    check_version(case, version, "case")
    to = _choice(CaseStatus, to, "to", "Choose the case's new status.")
    if to == CaseStatus.CLOSED:
        raise ApplicationError("case_close_via_checklist", "Close the case from its checklist.")
    if not states.can_move(case.status, to):
        raise ApplicationError(
            "case_illegal_move",
            f"A case that is '{CaseStatus(case.status).label}' cannot become '{to.label}'.",
        )
    _move(case, to, by, (reason or "").strip(), at or timezone.now())
    case.save(update_fields=["status", "status_changed_at", "updated_at"])
    bump_version(case)
    return case


@transaction.atomic
def case_assign(
    *, case: Case, to, by, version: int | None = None, reason: str = "", at=None
) -> Case:
    """Give the case to another link worker; their due follow-ups go with it."""
    case = open_case_for_update(case)
    check_version(case, version, "case")
    _require_worker(case.scheme, to)
    if case.worker_id == to.pk:
        return case
    now = at or timezone.now()
    previous = case.worker
    case.worker = to
    case.save(update_fields=["worker", "updated_at"])
    due = FollowUp.objects.filter(case=case, status=FollowUpStatus.DUE)
    due_ids = list(due.values_list("pk", flat=True))
    due.update(worker=to)
    _hand_over_messages(case, previous, to, by, due_ids)
    CaseAssignment.objects.create(
        case=case,
        worker=to,
        previous_worker=previous,
        reason=(reason or "").strip()[:300],
        at=now,
        by=_actor(by),
    )
    log_action(
        by,
        "case.assigned",
        case,
        {"from": previous.email if previous else None, "to": to.email},
    )
    bump_version(case)
    return case


def _hand_over_messages(case, previous, to, by, followup_ids) -> None:
    """What is still being sent about the case, its referral, its supports and the follow-ups
    that went with it, sent for the previous worker, is the new worker's to see if it fails."""
    abouts = [
        (Case._meta.label_lower, [case.pk]),
        (FollowUp._meta.label_lower, followup_ids),
        ("connections.connection", case.connections.values_list("pk", flat=True)),
    ]
    if case.referral_id:
        abouts.append((Referral._meta.label_lower, [case.referral_id]))
    messages_hand_over(abouts=abouts, previous=previous, to=to, by=by, record=case)


@transaction.atomic
def case_assign_many(*, cases, to, by, reason: str = "") -> int:
    """A manager balancing caseloads: give each of `cases` to `to`."""
    moved = 0
    for case in cases:
        if case.worker_id != to.pk:
            case_assign(case=case, to=to, by=by, reason=reason)
            moved += 1
    return moved


@transaction.atomic
def case_set_household(*, case: Case, members, by) -> Case:
    """Which other members of the person's household this case involves."""
    case = open_case_for_update(case)
    household_id = case.person.household_id
    members = list(members)
    if any(m.household_id is None or m.household_id != household_id for m in members) or any(
        m.pk == case.person_id for m in members
    ):
        raise ApplicationError(
            "case_household_invalid",
            "Choose other members of the person's own household.",
            fields={"members": ["Choose other members of the person's own household."]},
        )
    case.household_members.set(members)
    log_action(by, "case.household_changed", case, {"members": [str(m.pk) for m in members]})
    bump_version(case)
    return case


# --- Contacts and notes ------------------------------------------------------------------


@dataclass
class FollowUpPlan:
    """A follow-up to schedule, for example in the same step as recording a contact."""

    due_on: date
    kind: str = FollowUpKind.SUPPORT_CALL
    purpose: str = ""
    due_time: time | None = None
    recurrence: str = Recurrence.NONE
    remind_person: bool = False


def _contact_errors(case: Case, at: datetime, method: str, minutes) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if at > timezone.now() + CLOCK_SLACK:
        errors["at"] = ["The contact cannot be in the future."]
    earliest = case.referral.received_at if case.referral_id else case.opened_at
    if at < earliest - timedelta(days=1):
        errors["at"] = [f"The contact cannot be before the referral ({earliest:%-d %B %Y})."]
    if method not in states.ContactMethod.values:
        errors["method"] = ["Choose how the contact happened."]
    if minutes is not None and not 0 <= int(minutes) <= MAX_CONTACT_MINUTES:
        errors["duration_minutes"] = ["A contact lasts between 0 minutes and 12 hours."]
    return errors


@transaction.atomic
def contact_record(
    *,
    case: Case,
    by,
    at: datetime,
    method: str,
    duration_minutes: int | None = None,
    who_was_there: str = "",
    notes: str = "",
    outcome: str = "",
    next_step: str = "",
    followup: FollowUpPlan | None = None,
    completes: FollowUp | None = None,
) -> Contact:
    """Record a contact; optionally mark the follow-up it answers done and schedule the next one
    in the same step. The first contact makes an open case active."""
    case = open_case_for_update(case)
    errors = _contact_errors(case, at, method, duration_minutes)
    if followup is not None:
        errors.update(_followup_errors(followup, prefix="followup_"))
    if errors:
        raise ApplicationError("contact_invalid", "Check the contact's details.", fields=errors)
    contact = Contact.objects.create(
        case=case,
        at=at,
        method=method,
        duration_minutes=duration_minutes,
        who_was_there=who_was_there.strip()[:200],
        notes=notes.strip(),
        outcome=outcome.strip()[:300],
        next_step=next_step.strip()[:300],
        by=_actor(by),
    )
    log_action(by, "case.contact_recorded", contact, {"method": method, "at": at.isoformat()})
    if case.status == CaseStatus.OPEN:
        _move(case, CaseStatus.ACTIVE, by, "First contact recorded", min(at, timezone.now()))
        case.save(update_fields=["status", "status_changed_at", "updated_at"])
    if completes is not None:
        _complete(case, completes, by=by, status=FollowUpStatus.DONE, contact=contact)
    if followup is not None:
        _schedule(case, followup, by=by)
    bump_version(case)
    return contact


@transaction.atomic
def note_add(
    *, case: Case, by, text: str, is_safeguarding: bool = False, at: datetime | None = None
) -> Note:
    case = open_case_for_update(case)
    text = (text or "").strip()
    if not text:
        raise ApplicationError(
            "note_empty", "Write the note.", fields={"text": ["Write the note."]}
        )
    note = Note.objects.create(
        case=case,
        text=text,
        is_safeguarding=is_safeguarding,
        at=at or timezone.now(),
        by=_actor(by),
    )
    log_action(by, "case.note_added", note, {"safeguarding": is_safeguarding})
    bump_version(case)
    return note


# --- Needs and the what-matters conversation -----------------------------------------------


def need_area(value) -> TaxonomyTerm:
    """A need-area term by id or code."""
    term = TaxonomyTerm.objects.filter(taxonomy_id=NEED_AREAS_ID).filter(pk=value).first()
    if term is None:
        raise ApplicationError(
            "need_area_unknown", "Choose a need area.", fields={"area": ["Choose a need area."]}
        )
    return term


@transaction.atomic
def need_set(
    *,
    case: Case,
    area: TaxonomyTerm,
    severity: int,
    in_their_words: str = "",
    by,
    version: int | None = None,
    assessment: Assessment | None = None,
    at: datetime | None = None,
) -> Need:
    """Record how a need area is for the person now (a second record of the same area updates
    it; `version` guards an edit of a need already shown)."""
    case = open_case_for_update(case)
    if area.taxonomy_id != NEED_AREAS_ID or area.scheme_id not in (None, case.scheme_id):
        raise ApplicationError("need_area_unknown", "Choose a need area.")
    try:
        severity = Severity(int(severity))
    except (TypeError, ValueError) as error:
        raise ApplicationError(
            "need_severity_invalid",
            "Choose how much this weighs on the person.",
            fields={"severity": ["Choose how much this weighs on the person."]},
        ) from error
    words = (in_their_words or "").strip()
    need = Need.objects.select_for_update().filter(case=case, area=area).first()
    if need is None:
        need = Need.objects.create(
            case=case,
            area=area,
            severity=severity,
            in_their_words=words,
            assessment=assessment,
            recorded_at=at or timezone.now(),
            by=_actor(by),
        )
        log_action(by, "case.need_recorded", need, {"area": area.name, "severity": int(severity)})
    else:
        check_version(need, version, "need")
        need.severity = severity
        need.in_their_words = words
        need.assessment = assessment or need.assessment
        need.version += 1
        need.by = _actor(by)
        need.recorded_at = at or timezone.now()
        need.save()
        log_action(by, "case.need_changed", need, {"area": area.name, "severity": int(severity)})
    bump_version(case)
    return need


@transaction.atomic
def assessment_start(*, case: Case, by, at: datetime | None = None) -> Assessment:
    """Begin a what-matters conversation (or carry on the one not yet finished)."""
    case = open_case_for_update(case)
    current = case.assessments.filter(completed_at__isnull=True).first()
    if current is not None:
        return current
    assessment = Assessment.objects.create(
        case=case, started_at=at or timezone.now(), by=_actor(by)
    )
    log_action(by, "case.assessment_started", assessment)
    bump_version(case)
    return assessment


@transaction.atomic
def assessment_complete(
    *, assessment: Assessment, what_matters: str, by, at: datetime | None = None
) -> Assessment:
    case = open_case_for_update(assessment.case)
    assessment.what_matters = (what_matters or "").strip()
    if not assessment.what_matters:
        raise ApplicationError(
            "assessment_what_matters_missing",
            "Write down what matters most to the person, in their words.",
            fields={"what_matters": ["Write down what matters to the person, in their words."]},
        )
    assessment.completed_at = at or timezone.now()
    assessment.save(update_fields=["what_matters", "completed_at"])
    log_action(by, "case.assessment_completed", assessment)
    bump_version(case)
    return assessment


# --- Goals and the supports in the plan -------------------------------------------------------


def _goal_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(
            "goal_text_missing",
            "Write the goal in the person's own words.",
            fields={"text": ["Write the goal in the person's own words."]},
        )
    return text


@transaction.atomic
def goal_add(
    *,
    case: Case,
    text: str,
    by,
    needs=(),
    target_date: date | None = None,
    at: datetime | None = None,
) -> Goal:
    case = open_case_for_update(case)
    text = _goal_text(text)
    needs = list(needs)
    if any(n.case_id != case.pk for n in needs):
        raise ApplicationError("goal_need_invalid", "Link the goal to this case's needs.")
    now = at or timezone.now()
    goal = Goal.objects.create(
        case=case, text=text, target_date=target_date, created_at=now, by=_actor(by)
    )
    goal.needs.set(needs)
    GoalProgress.objects.create(
        goal=goal, progress=0, status=GoalStatus.OPEN, at=now, by=_actor(by)
    )
    log_action(by, "case.goal_added", goal)
    bump_version(case)
    return goal


@transaction.atomic
def goal_update(
    *,
    goal: Goal,
    by,
    version: int | None,
    progress: int | None = None,
    status: str | None = None,
    note: str = "",
    text: str | None = None,
    target_date: date | None = None,
    at: datetime | None = None,
) -> Goal:
    """Score progress, change the wording or target, or review the goal (achieved, partly, not,
    dropped). Each score is kept as history."""
    case = open_case_for_update(goal.case)
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    check_version(goal, version, "goal")
    changed = {}
    if text is not None:
        goal.text = _goal_text(text)
        changed["text"] = True
    if target_date is not None:
        goal.target_date = target_date
        changed["target_date"] = target_date.isoformat()
    if progress is not None:
        if not 0 <= int(progress) <= 10:
            raise ApplicationError(
                "goal_progress_invalid",
                "Progress is a score from 0 to 10.",
                fields={"progress": ["Progress is a score from 0 to 10."]},
            )
        goal.progress = int(progress)
        changed["progress"] = goal.progress
    if status is not None:
        goal.status = _choice(GoalStatus, status, "status", "Choose how the goal stands.")
        goal.closed_at = None if status == GoalStatus.OPEN else (at or timezone.now())
        changed["status"] = str(goal.status)
    goal.version += 1
    goal.save()
    if progress is not None or status is not None:
        GoalProgress.objects.create(
            goal=goal,
            progress=goal.progress,
            status=goal.status,
            note=(note or "").strip()[:300],
            at=at or timezone.now(),
            by=_actor(by),
        )
    log_action(by, "case.goal_changed", goal, changed)
    bump_version(case)
    return goal


@transaction.atomic
def support_record(
    *,
    case: Case,
    by,
    decision: str,
    service: Service | None = None,
    name: str = "",
    in_their_words: str = "",
    at: datetime | None = None,
) -> PlanSupport:
    """What the person decided about a support: chosen, thinking about it, or declined (with
    their reason in their words). A later decision about the same support replaces it."""
    case = open_case_for_update(case)
    name = (name or "").strip()[:200]
    if service is None and not name:
        raise ApplicationError(
            "support_unnamed",
            "Choose a service from the directory or name the support.",
            fields={"name": ["Choose a service from the directory or name the support."]},
        )
    decision = _choice(SupportDecision, decision, "decision", "Choose what the person decided.")
    words = (in_their_words or "").strip()
    if decision == SupportDecision.DECLINED and not words:
        raise ApplicationError(
            "support_reason_missing",
            "Write why the person declined, in their own words.",
            fields={"in_their_words": ["Write why the person declined, in their own words."]},
        )
    existing = PlanSupport.objects.filter(case=case)
    existing = existing.filter(service=service) if service else existing.filter(name=name)
    support = existing.first() or PlanSupport(case=case, service=service, name=name)
    support.decision = decision
    support.in_their_words = words
    support.decided_at = at or timezone.now()
    support.by = _actor(by)
    support.save()
    log_action(
        by,
        "case.support_recorded",
        support,
        {"decision": str(decision), "service": str(service.pk) if service else "not listed"},
    )
    bump_version(case)
    return support


# --- Follow-ups ------------------------------------------------------------------------------


def _followup_errors(
    plan: FollowUpPlan, prefix: str = "", today: date | None = None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    today = today or timezone.localdate()
    if plan.due_on is None:
        errors[f"{prefix}due_on"] = ["Give the date the follow-up is due."]
    elif plan.due_on < today:
        errors[f"{prefix}due_on"] = ["A new follow-up cannot be due in the past."]
    elif plan.due_on > today + timedelta(days=366):
        errors[f"{prefix}due_on"] = ["Schedule follow-ups at most a year ahead."]
    if plan.kind not in FollowUpKind.values:
        errors[f"{prefix}kind"] = ["Choose what the follow-up is for."]
    if plan.recurrence not in Recurrence.values:
        errors[f"{prefix}recurrence"] = ["Choose how often it repeats."]
    if plan.remind_person and plan.due_time is None:
        errors[f"{prefix}due_time"] = ["Give a time, so the reminder can say when."]
    return errors


def _schedule(case: Case, plan: FollowUpPlan, *, by, at: datetime | None = None) -> FollowUp:
    followup = FollowUp.objects.create(
        case=case,
        worker_id=case.worker_id,
        due_on=plan.due_on,
        due_time=plan.due_time,
        kind=plan.kind,
        purpose=(plan.purpose or "").strip()[:300],
        recurrence=plan.recurrence or "",
        remind_person=plan.remind_person,
        created_at=at or timezone.now(),
        created_by=_actor(by),
    )
    log_action(
        by,
        "case.followup_scheduled",
        followup,
        {"due_on": plan.due_on.isoformat(), "kind": plan.kind},
    )
    return followup


@transaction.atomic
def followup_schedule(
    *, case: Case, plan: FollowUpPlan, by, at: datetime | None = None
) -> FollowUp:
    """Schedule a follow-up. `at` records one scheduled earlier (imports, the demo): it is
    checked as it was then, so it may now be overdue, but it cannot be scheduled in the future
    nor be due before the day it was scheduled."""
    case = open_case_for_update(case)
    if at is not None and at > timezone.now() + CLOCK_SLACK:
        raise ApplicationError("followup_invalid", "A follow-up cannot be scheduled in the future.")
    errors = _followup_errors(plan, today=timezone.localtime(at).date() if at else None)
    if errors:
        raise ApplicationError("followup_invalid", "Check the follow-up.", fields=errors)
    followup = _schedule(case, plan, by=by, at=at)
    bump_version(case)
    return followup


def _complete(
    case: Case,
    followup: FollowUp,
    *,
    by,
    status: FollowUpStatus,
    contact: Contact | None = None,
    at: datetime | None = None,
) -> FollowUp | None:
    """Mark done or missed; a recurring follow-up then schedules its next one. Returns that."""
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    if followup.case_id != case.pk:
        raise ApplicationError("followup_not_this_case", "That follow-up is not on this case.")
    if followup.status != FollowUpStatus.DUE:
        raise ApplicationError(
            "followup_not_due",
            f"This follow-up is already marked {FollowUpStatus(followup.status).label.lower()}.",
        )
    now = at or timezone.now()
    followup.status = status
    followup.completed_at = now
    followup.completed_by = _actor(by)
    followup.contact = contact
    followup.save()
    log_action(by, "case.followup_done", followup, {"status": str(status)})
    if not followup.recurrence:
        return None
    step = timedelta(days=RECURRENCE_DAYS[Recurrence(followup.recurrence)])
    due_on = followup.due_on + step
    today = timezone.localtime(now).date()
    while due_on <= today:
        due_on += step
    return _schedule(
        case,
        FollowUpPlan(
            due_on=due_on,
            kind=followup.kind,
            purpose=followup.purpose,
            due_time=followup.due_time,
            recurrence=followup.recurrence,
            remind_person=followup.remind_person,
        ),
        by=by,
        at=now,
    )


@transaction.atomic
def followup_complete(
    *, followup: FollowUp, by, status: str = FollowUpStatus.DONE, at: datetime | None = None
) -> FollowUp | None:
    """Mark a follow-up done or missed. Returns the next one when it repeats."""
    status = FollowUpStatus(status)
    if status not in (FollowUpStatus.DONE, FollowUpStatus.MISSED):
        raise ApplicationError("followup_status_invalid", "Mark it done or missed.")
    case = open_case_for_update(followup.case)
    following = _complete(case, followup, by=by, status=status, at=at)
    bump_version(case)
    return following


@transaction.atomic
def followup_cancel(*, followup: FollowUp, by, at: datetime | None = None) -> FollowUp:
    case = open_case_for_update(followup.case)
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk, case=case)
    if followup.status != FollowUpStatus.DUE:
        raise ApplicationError("followup_not_due", "Only a follow-up still due can be cancelled.")
    followup.status = FollowUpStatus.CANCELLED
    followup.completed_at = at or timezone.now()
    followup.completed_by = _actor(by)
    followup.save()
    log_action(by, "case.followup_cancelled", followup)
    bump_version(case)
    return followup


# --- Closing and reopening -------------------------------------------------------------------


class OpenFollowUps(ApplicationError):
    """Closing would leave follow-ups due: the closer is asked to confirm cancelling them."""

    def __init__(self, count: int):
        noun = "follow-up is" if count == 1 else "follow-ups are"
        super().__init__(
            "case_open_followups",
            f"{count} {noun} still due. Confirm that they should be cancelled when the case "
            "closes.",
            fields={
                "cancel_followups": [
                    f"{count} {noun} still due: confirm to cancel {'it' if count == 1 else 'them'}."
                ]
            },
        )
        self.count = count


@transaction.atomic
def case_close(
    *,
    case: Case,
    by,
    version: int | None,
    reason: str,
    summary: str = "",
    final_questionnaire_offered: bool = False,
    goals_reviewed: bool = False,
    tell_referrer: bool = True,
    cancel_followups: bool = False,
    at: datetime | None = None,
) -> Case:
    """Close the case from its checklist. Follow-ups still due are cancelled only when the
    closer confirmed it; the referrer is sent the outcome afterwards if the person agreed."""
    case = open_case_for_update(case)
    check_version(case, version, "case")
    errors: dict[str, list[str]] = {}
    if reason not in ClosingReason.values:
        errors["reason"] = ["Choose why the case is closing."]
    summary = (summary or "").strip()
    if reason == ClosingReason.OTHER and not summary:
        errors["summary"] = ["Say why in the closing summary."]
    if errors:
        raise ApplicationError("case_close_invalid", "Check the closing details.", fields=errors)
    due = list(FollowUp.objects.filter(case=case, status=FollowUpStatus.DUE))
    if due and not cancel_followups:
        raise OpenFollowUps(len(due))
    now = at or timezone.now()
    for followup in due:
        followup.status = FollowUpStatus.CANCELLED
        followup.completed_at = now
        followup.completed_by = _actor(by)
        followup.save()
        log_action(by, "case.followup_cancelled", followup, {"why": "case closed"})
    if case.status != CaseStatus.CLOSING:
        _move(case, CaseStatus.CLOSING, by, "", now)
    _move(case, CaseStatus.CLOSED, by, ClosingReason(reason).label, now)
    case.closed_at = now
    case.closing_reason = reason
    case.closing_summary = summary
    case.final_questionnaire_offered = final_questionnaire_offered
    case.goals_reviewed = goals_reviewed
    case.save()
    log_action(
        by,
        "case.closed",
        case,
        {"reason": reason, "followups_cancelled": len(due), "tell_referrer": tell_referrer},
    )
    bump_version(case)
    if tell_referrer:
        from linkwell.casework import feedback

        transaction.on_commit(lambda: feedback.tell_referrer_closed(case_id=case.pk))
    return case


@transaction.atomic
def case_reopen(*, case: Case, by, reason: str) -> Case:
    """Reopen a closed case: an explicit, audited step with a reason."""
    case = _locked(case)
    if case.status != CaseStatus.CLOSED:
        raise ApplicationError("case_not_closed", "Only a closed case can be reopened.")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "case_reopen_reason", "Say why the case is reopened.", fields={"reason": ["Say why."]}
        )
    if (
        Case.objects.filter(person_id=case.person_id)
        .exclude(status=CaseStatus.CLOSED)
        .exclude(pk=case.pk)
        .exists()
    ):
        raise ApplicationError(
            "case_already_open", "This person has another open case; work on that one."
        )
    _move(case, CaseStatus.ACTIVE, by, reason, timezone.now())
    case.closed_at = None
    case.closing_reason = ""
    case.save()
    log_action(by, "case.reopened", case, {"reason_given": True})
    bump_version(case)
    return case
