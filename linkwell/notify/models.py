"""The outbox: each message sent on someone's behalf in the background, kept until it is sent or
has failed for good, so a failure is seen by the person it was sent for. Its body and fields are
wiped once it is sent, no longer needed, or (for one holding a private link) has failed."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class OutgoingStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Not sent"
    # Not sent because it was no longer wanted: what it was about moved on, consent to share
    # was withdrawn, it was sent again another way, or someone dismissed it.
    CANCELLED = "cancelled", "Not needed"


class OutgoingMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scheme = models.ForeignKey(
        "core.Scheme", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # What it is ("connection.provider_link"), which picks its GOV.UK Notify template.
    kind = models.CharField(max_length=60)
    channel = models.CharField(max_length=5, choices=[("email", "Email"), ("sms", "Text")])
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    personalisation = models.JSONField(default=dict, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    # A message holding a secret (a private link) has its body and fields wiped once it ends.
    secret = models.BooleanField(default=False)
    # The record it is about, as in the audit log: "connections.connection" and its id.
    about_type = models.CharField(max_length=100, blank=True)
    about_id = models.CharField(max_length=64, blank=True)
    # The page of that record, for the person it was sent for.
    link = models.CharField(max_length=300, blank=True)
    # Who it was sent for: they are shown it if it cannot be sent.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=OutgoingStatus.choices, default=OutgoingStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When it was last found not sendable: its words are forgotten NOTIFY_FORGET_FAILED_DAYS on.
    failed_at = models.DateTimeField(null=True, blank=True)
    # The message backend's id for it (GOV.UK Notify's notification id).
    provider_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["about_type", "about_id"], name="notify_out_about_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="notify_out_due_idx"),
            models.Index(fields=["scheme", "status", "sender"], name="notify_out_failed_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in OutgoingStatus]),
                name="notify_out_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["email", "sms"]), name="notify_out_channel_valid"
            ),
            models.CheckConstraint(condition=~Q(to_address=""), name="notify_out_has_address"),
            models.CheckConstraint(
                condition=~Q(status=OutgoingStatus.SENT) | Q(sent_at__isnull=False),
                name="notify_out_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=OutgoingStatus.FAILED) | ~Q(last_error=""),
                name="notify_out_failed_says_why",
            ),
            models.CheckConstraint(
                condition=~Q(status=OutgoingStatus.FAILED) | Q(failed_at__isnull=False),
                name="notify_out_failed_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.kind} to {self.to_address} ({self.status})"

    @property
    def retrying(self) -> bool:
        return self.status == OutgoingStatus.QUEUED and self.attempts > 0
