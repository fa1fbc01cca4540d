"""Referrals, their status history, contact attempts, proactive campaigns, the waiting room."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linkwell.referrals.states import Status

USER = settings.AUTH_USER_MODEL


class SourceType(models.TextChoices):
    GP_PRACTICE = "gp_practice", "GP practice"
    HEALTH_PROFESSIONAL = "health_professional", "Other health professional"
    COUNCIL = "council", "Council"
    VCSE = "vcse", "Voluntary or community organisation"
    SCHOOL = "school", "School"
    SELF = "self", "Self-referral"
    PROACTIVE = "proactive", "Proactive list"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    SOON = "soon", "Soon (within a week)"
    URGENT = "urgent", "Urgent (within 2 working days)"


class Channel(models.TextChoices):
    """How a referral reached the scheme."""

    REFERRER_FORM = "referrer_form", "Referrer form"
    SELF_REFERRAL = "self_referral", "Self-referral page"
    STAFF = "staff", "Entered by staff (phone or paper)"
    FHIR = "fhir", "FHIR e-referral"
    CSV = "csv", "CSV import"
    CAMPAIGN = "campaign", "Proactive call"


class Referral(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scheme = models.ForeignKey("core.Scheme", on_delete=models.PROTECT, related_name="referrals")
    site = models.ForeignKey(
        "core.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="referrals")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    source_type = models.CharField(max_length=20, choices=SourceType.choices)
    referred_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals_made",
        help_text="The referrer's account, when they sent it through Linkwell.",
    )
    referrer_name = models.CharField(max_length=150, blank=True)
    referrer_organisation = models.CharField(max_length=200, blank=True)
    referrer_email = models.EmailField(blank=True)
    referrer_phone = models.CharField(max_length=20, blank=True)
    reasons = models.ManyToManyField("directory.TaxonomyTerm", related_name="referrals")
    summary = models.TextField(blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    safeguarding_concern = models.BooleanField(default=False)
    lives_alone = models.BooleanField(default=False)
    recent_bereavement = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    status_reason = models.CharField(max_length=300, blank=True)
    snomed_code = models.CharField("SNOMED CT code", max_length=20, blank=True)
    assigned_to = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_referrals"
    )
    first_contact_at = models.DateTimeField(null=True, blank=True)
    referrer_told_at = models.DateTimeField(
        null=True, blank=True, help_text="When the referrer was last sent the outcome."
    )
    nhs_number_given = models.CharField(
        "NHS number as given",
        max_length=10,
        blank=True,
        help_text="An NHS number a referrer or the person gave that belongs to someone already "
        "known: kept here until staff merge the two records.",
    )
    external_id = models.CharField(
        max_length=200,
        blank=True,
        help_text="The sending system's identifier (a FHIR ServiceRequest's identifier).",
    )
    fhir_request = models.JSONField(
        null=True, blank=True, help_text="The FHIR ServiceRequest as received, for the record."
    )
    campaign_entry = models.OneToOneField(
        "CampaignEntry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referral",
    )
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]),
                name="referrals_referral_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(source_type__in=[s.value for s in SourceType]),
                name="referrals_referral_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(urgency__in=[u.value for u in Urgency]),
                name="referrals_referral_urgency_valid",
            ),
            models.CheckConstraint(
                condition=Q(first_contact_at__isnull=True)
                | Q(first_contact_at__gte=models.F("received_at")),
                name="referrals_referral_contact_after_received",
            ),
            models.UniqueConstraint(
                fields=["scheme", "external_id"],
                condition=~Q(external_id=""),
                name="referrals_referral_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["scheme", "status", "received_at"]),
            models.Index(fields=["scheme", "site", "status"]),
            models.Index(fields=["scheme", "assigned_to", "status"]),
            models.Index(fields=["scheme", "referred_by", "received_at"]),
            models.Index(fields=["scheme", "received_at"]),
        ]

    def __str__(self):
        return f"Referral of {self.person} ({self.received_at:%d %b %Y})"

    @property
    def audit_person_id(self):
        return self.person_id

    @property
    def is_open(self) -> bool:
        from linkwell.referrals.states import OPEN

        return self.status in OPEN

    def age_days(self, now=None) -> int:
        now = now or timezone.now()
        return (now - self.received_at).days


class ReferralEvent(models.Model):
    """One move of a referral's status: who, when, why. The history is never edited."""

    id = models.BigAutoField(primary_key=True)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    reason = models.CharField(max_length=300, blank=True)
    snomed_code = models.CharField(max_length=20, blank=True)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.from_status or 'new'} → {self.to_status}"


class ContactMethodUsed(models.TextChoices):
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    VISIT = "visit", "Visit"


class ContactOutcome(models.TextChoices):
    REACHED = "reached", "Reached"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Left a voicemail"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    MESSAGE_SENT = "message_sent", "Message sent, no reply yet"


class ContactAttempt(models.Model):
    """One try at the first contact with a referred person."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10, choices=ContactMethodUsed.choices)
    outcome = models.CharField(max_length=15, choices=ContactOutcome.choices)
    note = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=[o.value for o in ContactOutcome]),
                name="referrals_attempt_outcome_valid",
            ),
        ]
        indexes = [models.Index(fields=["referral", "at"])]

    def __str__(self):
        return f"{self.get_method_display()}: {self.get_outcome_display()}"

    @property
    def audit_person_id(self):
        return self.referral.person_id


class Campaign(models.Model):
    """A proactive call list: a named list of people, a script, callers, and each call's outcome."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        FINISHED = "finished", "Finished"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scheme = models.ForeignKey("core.Scheme", on_delete=models.CASCADE, related_name="campaigns")
    site = models.ForeignKey(
        "core.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Who is on the list and why.")
    script = models.TextField(blank=True, help_text="What callers say, in plain words.")
    callers = models.ManyToManyField(USER, blank=True, related_name="campaigns")
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "name"], name="referrals_campaign_name"),
        ]

    def __str__(self):
        return self.name


class CallOutcome(models.TextChoices):
    PENDING = "pending", "Not called yet"
    REACHED = "reached", "Reached, no support needed"
    SUPPORT_NEEDED = "support_needed", "Reached, support needed"
    NO_ANSWER = "no_answer", "No answer"
    DECLINED = "declined", "Declined to talk"
    REFERRAL_CREATED = "referral_created", "Referral created"


class CampaignEntry(models.Model):
    """One person on a campaign's list, and what their call achieved."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="entries")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="campaign_entries"
    )
    caller = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(
        max_length=20, choices=CallOutcome.choices, default=CallOutcome.PENDING
    )
    needs = models.ManyToManyField("directory.TaxonomyTerm", blank=True, related_name="+")
    attempts = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    called_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["person__family_name", "person__given_name"]
        verbose_name_plural = "campaign entries"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="referrals_entry_unique"),
            models.CheckConstraint(
                condition=Q(outcome__in=[o.value for o in CallOutcome]),
                name="referrals_entry_outcome_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "outcome"]),
            # "My calls" on a list's page, and each caller's share of calls still to make.
            models.Index(fields=["campaign", "caller", "outcome"]),
        ]

    def __str__(self):
        return f"{self.person} on {self.campaign}"

    @property
    def audit_person_id(self):
        return self.person_id


class WaitingRoomLink(models.Model):
    """A private link to a person's virtual waiting room. Only a digest of the secret is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="waiting_room_links"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_by = models.CharField(max_length=10, blank=True, help_text="sms or email")
    sent_to = models.CharField(max_length=254, blank=True)
    send_error = models.CharField(max_length=300, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Waiting-room link for {self.referral.person}"

    @property
    def audit_person_id(self):
        return self.referral.person_id

    def usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class PackPosting(models.Model):
    """A printed waiting-room pack posted to someone without digital access."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="pack_postings")
    posted_at = models.DateTimeField(default=timezone.now)
    posted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.TextField(help_text="The address it went to, as printed.")

    class Meta:
        ordering = ["-posted_at"]

    def __str__(self):
        return f"Pack posted {self.posted_at:%d %b %Y}"

    @property
    def audit_person_id(self):
        return self.referral.person_id


class ReferralImport(models.Model):
    """An uploaded CSV of referrals or of a proactive list: mapped, previewed, then imported."""

    class Kind(models.TextChoices):
        REFERRALS = "referrals", "Referrals"
        PROACTIVE = "proactive", "Proactive call list"

    class State(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded: map the columns"
        PREVIEWED = "previewed", "Checked: ready to import"
        IMPORTED = "imported", "Imported"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scheme = models.ForeignKey(
        "core.Scheme", on_delete=models.CASCADE, related_name="referral_imports"
    )
    site = models.ForeignKey(
        "core.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="imports"
    )
    file_name = models.CharField(max_length=255)
    content = models.TextField(help_text="The file's text, decoded, kept until it is imported.")
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    error_rows = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.UPLOADED)
    created_count = models.PositiveIntegerField(default=0)
    matched_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.file_name
