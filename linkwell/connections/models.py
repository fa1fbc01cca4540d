"""Connections: each support offered to a person, a signpost or a referral to a directory
service, with its own status, history, what was shared and what it costs."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linkwell.casework.models import CaseChild
from linkwell.connections.states import (
    NEEDS_REASON,
    OPEN,
    REFERRAL_STATUSES,
    SIGNPOST_STATUSES,
    Kind,
    Status,
)

USER = settings.AUTH_USER_MODEL


class ConnectionRules(models.Model):
    """A scheme's timings for referrals: when to check a referral is on track, when to remind a
    provider who has not answered, and when an unanswered referral expires."""

    scheme = models.OneToOneField(
        "core.Scheme", on_delete=models.CASCADE, primary_key=True, related_name="connection_rules"
    )
    check_after_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Schedule a 'check this referral is on track' call this many days after sending.",
    )
    remind_after_working_days = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="Remind a provider who has not answered after this many working days.",
    )
    expire_after_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(2), MaxValueValidator(90)],
        help_text="An unanswered referral expires after this many days.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(check_after_days__gte=1, check_after_days__lte=90),
                name="connections_rules_check_range",
            ),
            models.CheckConstraint(
                condition=Q(remind_after_working_days__gte=1, remind_after_working_days__lte=30),
                name="connections_rules_remind_range",
            ),
            models.CheckConstraint(
                condition=Q(expire_after_days__gte=2, expire_after_days__lte=90),
                name="connections_rules_expire_range",
            ),
        ]

    def __str__(self):
        return f"Connection rules of {self.scheme_id}"


class Connection(CaseChild):
    """A support offered to the person on a case: a signpost (information given) or a referral
    (sent to the service on their behalf), with its status machine in `states.py`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="connections")
    scheme = models.ForeignKey("core.Scheme", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        "directory.Service", on_delete=models.PROTECT, related_name="connections"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    status_reason = models.CharField(max_length=300, blank=True)
    chosen_by_person = models.BooleanField(
        default=True, help_text="The person chose this support (it was not chosen for them)."
    )
    in_their_words = models.TextField(blank=True)
    message = models.TextField(
        "message to the service", blank=True, help_text="A short note sent with the referral."
    )
    shared = models.JSONField(
        default=list,
        blank=True,
        help_text="What was shared with the service when it was sent, as consent allowed.",
    )
    cost_to_person = models.DecimalField(
        max_digits=8, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    scheme_funds = models.DecimalField(
        "funded by the scheme",
        max_digits=8,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in Kind]), name="connections_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind=Kind.REFERRAL) & Q(status__in=sorted(REFERRAL_STATUSES)))
                | (Q(kind=Kind.SIGNPOST) & Q(status__in=sorted(SIGNPOST_STATUSES))),
                name="connections_status_fits_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=sorted(NEEDS_REASON)) | ~Q(status_reason=""),
                name="connections_reason_where_needed",
            ),
            models.CheckConstraint(
                condition=Q(cost_to_person__gte=0) & Q(scheme_funds__gte=0),
                name="connections_costs_not_negative",
            ),
            models.UniqueConstraint(
                fields=["case", "service"],
                condition=Q(status__in=sorted(OPEN)),
                name="connections_one_open_per_case_and_service",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "status"]),
            models.Index(fields=["service", "status", "sent_at"]),
            models.Index(fields=["scheme", "status", "sent_at"]),
            models.Index(fields=["scheme", "service", "status", "sent_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.service_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


class ConnectionEvent(models.Model):
    """One change of a connection's status: who (a user, or a provider by emailed link), when,
    and the note they left."""

    id = models.BigAutoField(primary_key=True)
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    reason = models.CharField(max_length=300, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by_label = models.CharField(
        max_length=254, blank=True, help_text="Who answered when not signed in (an emailed link)."
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["connection", "at"])]

    def __str__(self):
        return f"{self.from_status or '-'} → {self.to_status}"


class ProviderLink(models.Model):
    """A signed, expiring link emailed to a provider without an account, letting them answer
    one referral. Only a SHA-256 digest of the link's secret is stored."""

    id = models.BigAutoField(primary_key=True)
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="provider_links"
    )
    sent_to = models.EmailField(max_length=254)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["connection", "expires_at"])]

    def __str__(self):
        return f"Link to a referral for {self.sent_to}"

    @property
    def audit_person_id(self):
        return self.connection.case.person_id
