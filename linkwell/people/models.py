"""The person referred, their household, and what they agreed to (consent)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linkwell.people.validation import format_nhs_number, format_phone


class Household(models.Model):
    """A family referred together: adults, children and carers linked to one household."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scheme = models.ForeignKey("core.Scheme", on_delete=models.CASCADE, related_name="households")
    name = models.CharField(max_length=200, help_text="How the team refers to the family.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"


class DigitalAccess(models.TextChoices):
    NONE = "none", "No digital access"
    PHONE_ONLY = "phone_only", "A basic phone only"
    SMARTPHONE = "smartphone", "A smartphone"
    COMPUTER = "computer", "A computer or tablet"


class DigitalConfidence(models.TextChoices):
    UNKNOWN = "", "Not asked"
    LOW = "low", "Not confident"
    SOME = "some", "Fairly confident"
    HIGH = "high", "Confident"


class HouseholdRole(models.TextChoices):
    ADULT = "adult", "Adult"
    CHILD = "child", "Child"
    CARER = "carer", "Carer"


class Person(models.Model):
    """Someone referred for social prescribing. Owned by one scheme; never seen by another."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scheme = models.ForeignKey("core.Scheme", on_delete=models.PROTECT, related_name="people")
    given_name = models.CharField("first name", max_length=100)
    family_name = models.CharField("last name", max_length=100)
    preferred_name = models.CharField(
        max_length=100, blank=True, help_text="What they like to be called, if different."
    )
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=50, blank=True)
    nhs_number = models.CharField(
        "NHS number", max_length=10, blank=True, help_text="10 digits. Optional."
    )
    address_line_1 = models.CharField("address line 1", max_length=200, blank=True)
    address_line_2 = models.CharField("address line 2", max_length=200, blank=True)
    town = models.CharField("town or city", max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="Stored in +44 form.")
    phone_other = models.CharField("other phone", max_length=20, blank=True)
    email = models.EmailField(blank=True)
    preferred_contact_method = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.PHONE
    )
    preferred_contact_times = models.CharField("best times to contact", max_length=200, blank=True)
    language = models.CharField("main language", max_length=50, blank=True, default="English")
    interpreter_needed = models.BooleanField(default=False)
    accessibility_needs = models.TextField(blank=True)
    digital_access = models.CharField(
        max_length=12, choices=DigitalAccess.choices, default=DigitalAccess.SMARTPHONE
    )
    digital_confidence = models.CharField(
        max_length=4, choices=DigitalConfidence.choices, blank=True, default=""
    )
    gp_practice = models.CharField("GP practice", max_length=200, blank=True)
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True)
    emergency_contact_relationship = models.CharField(max_length=50, blank=True)
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    household_role = models.CharField(
        max_length=10, choices=HouseholdRole.choices, blank=True, default=""
    )
    needs_duplicate_check = models.BooleanField(
        default=False,
        help_text="Arrived (from a referrer or the public form) looking like someone already "
        "known; staff choose to merge or keep separate.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name_plural = "people"
        constraints = [
            # One person per NHS number in a scheme: a second referral finds the first person.
            models.UniqueConstraint(
                fields=["scheme", "nhs_number"],
                condition=~Q(nhs_number=""),
                name="people_person_nhs_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(nhs_number="") | Q(nhs_number__regex=r"^[0-9]{10}$"),
                name="people_person_nhs_number_digits",
            ),
            models.CheckConstraint(
                condition=Q(digital_access__in=[c.value for c in DigitalAccess]),
                name="people_person_digital_access_valid",
            ),
            models.CheckConstraint(
                condition=Q(preferred_contact_method__in=[c.value for c in ContactMethod]),
                name="people_person_contact_method_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["scheme", "family_name", "given_name"]),
            models.Index(fields=["scheme", "date_of_birth"]),
            models.Index(fields=["scheme", "phone"]),
        ]

    def __str__(self):
        return self.full_name

    @property
    def audit_person_id(self):
        return self.pk

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def first_name(self) -> str:
        """What to call them: the name they prefer, else their first name."""
        return (self.preferred_name or self.given_name).strip()

    @property
    def nhs_number_display(self) -> str:
        return format_nhs_number(self.nhs_number)

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    def age(self, on=None) -> int | None:
        if self.date_of_birth is None:
            return None
        on = on or timezone.localdate()
        dob = self.date_of_birth
        return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))

    @property
    def postal_address(self) -> list[str]:
        lines = [self.address_line_1, self.address_line_2, self.town, self.postcode]
        return [line for line in lines if line]


class ConsentScope(models.TextChoices):
    CONTACT = "contact", "Be contacted by the social prescribing team"
    SHARE_REFERRER = "share_referrer", "Share updates with the referrer or GP"
    SHARE_PROVIDERS = "share_providers", "Share details with community services they choose"
    REPORTING = "reporting", "Be counted in anonymised reports"


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", "Verbally (phone or in person)"
    WRITTEN = "written", "In writing"
    ONLINE = "online", "Online (self-referral form)"
    REFERRER = "referrer", "Given to the referrer, who recorded it"


class Consent(models.Model):
    """One thing a person agreed to, how and when, and (if so) when they withdrew it.

    Records are never deleted: withdrawal is a date on the record, so the history stays. What
    holds *now* is read at the moment of use (`people.selectors.has_consent`).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    scope = models.CharField(max_length=20, choices=ConsentScope.choices)
    channels = models.JSONField(
        default=list,
        blank=True,
        help_text="For consent to be contacted: the ways they agreed to (phone, sms, email, "
        "letter). Empty means any.",
    )
    providers = models.CharField(
        "named services",
        max_length=500,
        blank=True,
        help_text="For sharing with services: which ones, if they named them.",
    )
    method = models.CharField(max_length=10, choices=ConsentMethod.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawal_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=[c.value for c in ConsentScope]),
                name="people_consent_scope_valid",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True)
                | Q(withdrawn_at__gte=models.F("recorded_at")),
                name="people_consent_withdrawn_after_recorded",
            ),
            # At most one consent in force per person and scope.
            models.UniqueConstraint(
                fields=["person", "scope"],
                condition=Q(withdrawn_at__isnull=True),
                name="people_consent_one_in_force",
            ),
        ]
        indexes = [models.Index(fields=["person", "scope", "withdrawn_at"])]

    def __str__(self):
        return f"{self.get_scope_display()} ({'withdrawn' if self.withdrawn_at else 'in force'})"

    @property
    def audit_person_id(self):
        return self.person_id

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None

    def allows_channel(self, channel: str) -> bool:
        return self.in_force and (not self.channels or channel in self.channels)
