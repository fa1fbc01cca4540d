"""The case: a link worker's work with one person, from the accepted referral to closing, with its
needs, goals, the supports in the plan, contacts, notes and follow-ups."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linkwell.casework.states import (
    MAX_CONTACT_MINUTES,
    CaseStatus,
    ClosingReason,
    ContactMethod,
    FollowUpKind,
    FollowUpStatus,
    GoalStatus,
    Recurrence,
    Severity,
    SupportDecision,
)

USER = settings.AUTH_USER_MODEL


def _choices_check(field: str, choices, name: str, *, blank: bool = False):
    values = [c.value for c in choices]
    condition = Q(**{f"{field}__in": values})
    if blank:
        condition |= Q(**{field: ""})
    return models.CheckConstraint(condition=condition, name=name)


class Case(models.Model):
    """One episode of support: opened when a referral is accepted; a person may have a new case
    later, but only one open at a time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scheme = models.ForeignKey("core.Scheme", on_delete=models.PROTECT, related_name="cases")
    site = models.ForeignKey(
        "core.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="cases")
    referral = models.OneToOneField(
        "referrals.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case",
    )
    worker = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        help_text="The link worker who holds the case.",
    )
    household_members = models.ManyToManyField(
        "people.Person",
        blank=True,
        related_name="involved_in_cases",
        help_text="Other members of the person's household the work involves.",
    )
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    status_changed_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_reason = models.CharField(max_length=20, choices=ClosingReason.choices, blank=True)
    closing_summary = models.TextField(blank=True)
    final_questionnaire_offered = models.BooleanField(default=False)
    goals_reviewed = models.BooleanField(default=False)
    referrer_told_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Raised by every change, so two people never overwrite each other."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            _choices_check("status", CaseStatus, "casework_case_status_valid"),
            _choices_check(
                "closing_reason", ClosingReason, "casework_case_closing_reason_valid", blank=True
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.CLOSED)
                | (Q(closed_at__isnull=False) & ~Q(closing_reason="")),
                name="casework_case_closed_has_reason",
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=~Q(status=CaseStatus.CLOSED),
                name="casework_case_one_open_per_person",
            ),
        ]
        indexes = [
            models.Index(fields=["scheme", "worker", "status"]),
            models.Index(fields=["scheme", "site", "status"]),
            models.Index(fields=["scheme", "status", "opened_at"]),
        ]

    def __str__(self):
        return f"Case {str(self.pk)[:8]}"

    @property
    def audit_person_id(self):
        return self.person_id

    @property
    def is_closed(self) -> bool:
        return self.status == CaseStatus.CLOSED


class CaseChild(models.Model):
    """Something recorded on a case; it belongs to the case's person for the audit log."""

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self._meta.verbose_name} {str(self.pk)[:8]}"

    @property
    def scheme_id(self):
        return self.case.scheme_id

    @property
    def scheme(self):
        return self.case.scheme

    @property
    def audit_person_id(self):
        return self.case.person_id


class CaseEvent(CaseChild):
    """A change of the case's status: opened, paused, closing, closed, reopened."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=CaseStatus.choices)
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "at"])]


class CaseAssignment(CaseChild):
    """Who held the case, from when: the history of reassignments."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    worker = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    previous_worker = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "at"]), models.Index(fields=["worker", "case"])]


class Assessment(CaseChild):
    """One "what matters to me" conversation, taken need area by need area."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    what_matters = models.TextField(
        "What matters to the person", blank=True, help_text="In the person's own words."
    )
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["case", "started_at"])]


class Need(CaseChild):
    """A need area as it is for this person now: how much it weighs, in their words."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="needs")
    area = models.ForeignKey(
        "directory.TaxonomyTerm", on_delete=models.PROTECT, related_name="case_needs"
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    in_their_words = models.TextField(blank=True)
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="needs"
    )
    version = models.PositiveIntegerField(default=1)
    recorded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-severity", "recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "area"], name="casework_need_one_per_area"),
            models.CheckConstraint(
                condition=Q(severity__gte=0) & Q(severity__lte=3),
                name="casework_need_severity_range",
            ),
        ]
        indexes = [models.Index(fields=["case", "recorded_at"])]


class Goal(CaseChild):
    """A goal in the person's own words, with how far along it is (0 to 10)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="goals")
    text = models.TextField("Goal, in the person's words")
    needs = models.ManyToManyField(Need, blank=True, related_name="goals")
    target_date = models.DateField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(10)])
    status = models.CharField(max_length=15, choices=GoalStatus.choices, default=GoalStatus.OPEN)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at"]
        constraints = [
            _choices_check("status", GoalStatus, "casework_goal_status_valid"),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=10),
                name="casework_goal_progress_range",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="casework_goal_has_text"),
        ]
        indexes = [models.Index(fields=["case", "created_at"])]


class GoalProgress(models.Model):
    """Each time a goal's progress was scored: its history."""

    id = models.BigAutoField(primary_key=True)
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="history")
    progress = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    status = models.CharField(max_length=15, choices=GoalStatus.choices)
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=10),
                name="casework_goalprogress_range",
            ),
        ]
        indexes = [models.Index(fields=["goal", "at"])]

    def __str__(self):
        return f"{self.progress}/10"


class PlanSupport(CaseChild):
    """A support talked about for the plan and what the person decided: chosen, thinking about
    it, or declined, with their reason in their words. Declining is a choice, not a failure."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supports")
    service = models.ForeignKey(
        "directory.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_supports",
    )
    name = models.CharField(
        max_length=200, blank=True, help_text="What the support is, when it is not listed."
    )
    decision = models.CharField(max_length=12, choices=SupportDecision.choices)
    in_their_words = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["decided_at"]
        constraints = [
            _choices_check("decision", SupportDecision, "casework_plansupport_decision_valid"),
            models.CheckConstraint(
                condition=Q(service__isnull=False) | ~Q(name=""),
                name="casework_plansupport_names_something",
            ),
        ]
        indexes = [models.Index(fields=["case", "decided_at"])]

    @property
    def label(self) -> str:
        return self.name or (self.service.name if self.service_id else "")


class Contact(CaseChild):
    """An interaction with the person (or about them, with someone they asked us to speak to)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    at = models.DateTimeField()
    method = models.CharField(max_length=15, choices=ContactMethod.choices)
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    who_was_there = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    next_step = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        constraints = [
            _choices_check("method", ContactMethod, "casework_contact_method_valid"),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True)
                | Q(duration_minutes__lte=MAX_CONTACT_MINUTES),
                name="casework_contact_duration_max",
            ),
        ]
        indexes = [models.Index(fields=["case", "at"])]


class Note(CaseChild):
    """A plain-text case note. Safeguarding notes are seen only by the case's workers and
    managers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()
    is_safeguarding = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="casework_note_has_text")]
        indexes = [models.Index(fields=["case", "is_safeguarding", "at"])]


class FollowUp(CaseChild):
    """A check-in due on a day: a support call, a check on a referral, an appointment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followups")
    worker = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups"
    )
    due_on = models.DateField()
    due_time = models.TimeField(null=True, blank=True)
    kind = models.CharField(max_length=15, choices=FollowUpKind.choices)
    purpose = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.DUE
    )
    recurrence = models.CharField(max_length=12, choices=Recurrence.choices, blank=True)
    remind_person = models.BooleanField(
        default=False, help_text="Send the person a reminder the day before, if they agreed."
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups_done"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "due_time"]
        constraints = [
            _choices_check("kind", FollowUpKind, "casework_followup_kind_valid"),
            _choices_check("status", FollowUpStatus, "casework_followup_status_valid"),
            _choices_check(
                "recurrence", Recurrence, "casework_followup_recurrence_valid", blank=True
            ),
            models.CheckConstraint(
                condition=Q(status=FollowUpStatus.DUE) | Q(completed_at__isnull=False),
                name="casework_followup_completed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["worker", "status", "due_on"]),
            models.Index(fields=["case", "status", "due_on"]),
            models.Index(fields=["status", "due_on", "remind_person"]),
        ]
