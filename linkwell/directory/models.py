"""The community directory, named and shaped as Open Referral UK / HSDS 3.0 names it.

Every table has a UUID id, as HSDS requires, so records keep their ids through import and export.
Linkwell adds what social prescribing needs on `Service` (how people take part, who it is for,
capacity, cost, quality and safety checks, verification, referral route) and the scheme and
provider who own a listing.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


class Taxonomy(models.Model):
    """A vocabulary of terms (Linkwell's need areas, activity types, or an imported one)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    uri = models.URLField(max_length=500, blank=True)
    version = models.CharField(max_length=50, blank=True)

    class Meta:
        verbose_name_plural = "taxonomies"
        ordering = ["name"]

    def __str__(self):
        return self.name


class TaxonomyTerm(models.Model):
    """One term of a taxonomy, in a tree. A scheme may add terms of its own."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    taxonomy = models.ForeignKey(
        Taxonomy, null=True, blank=True, on_delete=models.PROTECT, related_name="terms"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    code = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    language = models.CharField(max_length=20, blank=True)
    term_uri = models.URLField(max_length=500, blank=True)
    scheme = models.ForeignKey(
        "core.Scheme",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="taxonomy_terms",
        help_text="Set for a term a scheme added for itself.",
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["taxonomy", "code"])]

    def __str__(self):
        return self.name


class Organization(models.Model):
    """A provider: a charity, community group, council service or business."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=300)
    alternate_name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(max_length=500, blank=True)
    tax_status = models.CharField(max_length=100, blank=True)
    tax_id = models.CharField(max_length=100, blank=True)
    year_incorporated = models.PositiveSmallIntegerField(null=True, blank=True)
    legal_status = models.CharField(max_length=100, blank=True)
    logo = models.URLField(max_length=500, blank=True)
    uri = models.URLField(max_length=500, blank=True)
    parent_organization = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # Linkwell: who keeps the listing, and who may see it.
    owner_scheme = models.ForeignKey(
        "core.Scheme",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="directory_organizations",
        help_text="The scheme that keeps this listing; empty for imported shared listings.",
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="provider_organizations",
        help_text="Provider users who keep this organisation's listings.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class OrganizationIdentifier(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="identifiers"
    )
    identifier_scheme = models.CharField(max_length=100, blank=True)
    identifier_type = models.CharField(max_length=100)
    identifier = models.CharField(max_length=200)

    def __str__(self):
        return f"{self.identifier_type}: {self.identifier}"


class Program(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="programs"
    )
    name = models.CharField(max_length=300)
    alternate_name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)

    def __str__(self):
        return self.name


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DEFUNCT = "defunct", "Closed for good"
    TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"


class Capacity(models.TextChoices):
    OPEN = "open", "Taking people now"
    WAITING_LIST = "waiting_list", "Waiting list"
    FULL = "full", "Full"
    PAUSED = "paused", "Paused"


class CostType(models.TextChoices):
    FREE = "free", "Free"
    CONTRIBUTION = "contribution", "Small contribution"
    FEE = "fee", "Fee"


class ReferralRoute(models.TextChoices):
    LINKWELL = "linkwell", "Referrals through Linkwell"
    EMAIL = "email", "Referrals by email"
    PHONE = "phone", "Referrals by phone"
    SIGNPOST = "signpost", "Signpost only: people contact the service themselves"


class Gender(models.TextChoices):
    ANY = "any", "Anyone"
    WOMEN = "women", "Women"
    MEN = "men", "Men"


class Service(models.Model):
    """Something people can take part in or get help from."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="services"
    )
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    name = models.CharField(max_length=300)
    alternate_name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    interpretation_services = models.TextField(blank=True)
    application_process = models.TextField(blank=True)
    fees_description = models.TextField(blank=True)
    wait_time = models.CharField(max_length=200, blank=True)
    fees = models.TextField(blank=True)
    accreditations = models.TextField(blank=True)
    eligibility_description = models.TextField(blank=True)
    minimum_age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(130)]
    )
    maximum_age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(130)]
    )
    assured_date = models.DateField(null=True, blank=True)
    assurer_email = models.EmailField(blank=True)
    licenses = models.TextField(blank=True)
    alert = models.TextField(blank=True)
    last_modified = models.DateTimeField(auto_now=True, db_index=True)

    # Linkwell: ownership and visibility.
    owner_scheme = models.ForeignKey(
        "core.Scheme",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="directory_services",
    )
    is_public = models.BooleanField(
        default=True, help_text="Listed in the open Open Referral UK feed."
    )
    # How people take part.
    in_person = models.BooleanField(default=False)
    by_phone = models.BooleanField(default=False)
    online = models.BooleanField(default=False)
    home_visit = models.BooleanField(default=False)
    referral_required = models.BooleanField(default=False)
    drop_in = models.BooleanField(default=False)
    booking_required = models.BooleanField(default=False)
    # Who it is for (ages are HSDS's minimum_age / maximum_age).
    gender = models.CharField(max_length=10, choices=Gender.choices, default=Gender.ANY)
    area_served = models.CharField(max_length=300, blank=True)
    # Capacity.
    capacity = models.CharField(max_length=20, choices=Capacity.choices, default=Capacity.OPEN)
    typical_wait_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    # Cost.
    cost_type = models.CharField(max_length=20, choices=CostType.choices, default=CostType.FREE)
    fee_amount = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="In pounds, per session or as described.",
    )
    scheme_can_fund = models.BooleanField(default=False)
    # Quality and safety.
    safeguarding_policy_seen_on = models.DateField(null=True, blank=True)
    dbs_checked_on = models.DateField(null=True, blank=True)
    insurance_checked_on = models.DateField(null=True, blank=True)
    quality_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_verified_at = models.DateTimeField(null=True, blank=True, db_index=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Referral route.
    referral_route = models.CharField(
        max_length=20, choices=ReferralRoute.choices, default=ReferralRoute.SIGNPOST
    )
    referral_email = models.EmailField(blank=True)
    referral_phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["status", "is_public"]),
            models.Index(fields=["owner_scheme", "last_verified_at"]),
            models.Index(fields=["organization", "name"]),
            models.Index(fields=["name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_age__isnull=True)
                | Q(maximum_age__isnull=True)
                | Q(minimum_age__lte=F("maximum_age")),
                name="directory_service_age_range",
            ),
            models.CheckConstraint(
                condition=Q(fee_amount__isnull=True) | Q(fee_amount__gte=0),
                name="directory_service_fee_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ServiceStatus]),
                name="directory_service_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(capacity__in=[c.value for c in Capacity]),
                name="directory_service_capacity_valid",
            ),
        ]

    def __str__(self):
        return self.name


class Location(models.Model):
    """Where a service happens: a building (physical), a postal address, or online (virtual)."""

    class Type(models.TextChoices):
        PHYSICAL = "physical", "Physical"
        POSTAL = "postal", "Postal"
        VIRTUAL = "virtual", "Virtual"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    location_type = models.CharField(max_length=10, choices=Type.choices, default=Type.PHYSICAL)
    url = models.URLField(max_length=500, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="locations"
    )
    name = models.CharField(max_length=300, blank=True)
    alternate_name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    transportation = models.TextField(blank=True)
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    external_identifier = models.CharField(max_length=100, blank=True)
    external_identifier_type = models.CharField(
        max_length=50, blank=True, help_text="For example UPRN."
    )

    class Meta:
        indexes = [models.Index(fields=["latitude", "longitude"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="directory_location_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="directory_location_longitude_range",
            ),
        ]

    def __str__(self):
        return self.name or str(self.id)


class Address(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="addresses")
    attention = models.CharField(max_length=200, blank=True)
    address_1 = models.CharField(max_length=300)
    address_2 = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=200)
    region = models.CharField(max_length=200, blank=True)
    state_province = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2, default="GB")
    address_type = models.CharField(max_length=10, default="physical")

    class Meta:
        verbose_name_plural = "addresses"

    def __str__(self):
        return f"{self.address_1}, {self.city} {self.postal_code}"


class ServiceAtLocation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "location"], name="directory_sal_unique")
        ]

    def __str__(self):
        return f"{self.service} at {self.location}"


class Contact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)

    def __str__(self):
        return self.name or self.email or str(self.id)


class Phone(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, blank=True, on_delete=models.CASCADE, related_name="phones"
    )
    number = models.CharField(max_length=50)
    extension = models.CharField(max_length=20, blank=True)
    type = models.CharField(max_length=20, blank=True, help_text="voice, text, fax, video…")
    description = models.TextField(blank=True)

    def __str__(self):
        return self.number


class Schedule(models.Model):
    """When a service is open or runs: iCalendar-style recurrence, as HSDS describes it."""

    class Freq(models.TextChoices):
        WEEKLY = "WEEKLY", "Weekly"
        MONTHLY = "MONTHLY", "Monthly"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    dtstart = models.DateField(null=True, blank=True)
    timezone = models.CharField(max_length=50, blank=True)
    until = models.DateField(null=True, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    wkst = models.CharField(max_length=2, blank=True)
    freq = models.CharField(max_length=10, choices=Freq.choices, blank=True)
    interval = models.PositiveIntegerField(null=True, blank=True)
    byday = models.CharField(max_length=100, blank=True, help_text="For example MO,WE or 1TU.")
    byweekno = models.CharField(max_length=100, blank=True)
    bymonthday = models.CharField(max_length=100, blank=True)
    byyearday = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    schedule_link = models.URLField(max_length=500, blank=True)
    attending_type = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=F("opens_at")),
                name="directory_schedule_closes_after_opens",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                name="directory_schedule_valid_range",
            ),
        ]

    def __str__(self):
        return self.description or f"{self.freq} {self.byday} {self.opens_at}-{self.closes_at}"


class CostOption(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="cost_options")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    option = models.CharField(max_length=300, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    amount_description = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="directory_cost_not_negative",
            )
        ]

    def __str__(self):
        return f"{self.option} {self.amount} {self.currency}"


class ServiceArea(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_areas")
    name = models.TextField(blank=True)
    description = models.TextField(blank=True)
    extent = models.TextField(blank=True)
    extent_type = models.CharField(max_length=50, blank=True)
    uri = models.URLField(max_length=500, blank=True)

    def __str__(self):
        return self.name[:80]


class Language(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="languages"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, related_name="languages"
    )
    phone = models.ForeignKey(
        Phone, null=True, blank=True, on_delete=models.CASCADE, related_name="languages"
    )
    name = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)

    def __str__(self):
        return self.name or self.code


class Accessibility(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="accessibility")
    description = models.TextField(blank=True)
    details = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        verbose_name_plural = "accessibility"

    def __str__(self):
        return self.description[:80]


class Funding(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="funding"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="funding"
    )
    source = models.TextField()

    def __str__(self):
        return self.source[:80]


class RequiredDocument(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="required_documents"
    )
    document = models.TextField()
    uri = models.URLField(max_length=500, blank=True)

    def __str__(self):
        return self.document[:80]


class Attribute(models.Model):
    """Links a taxonomy term to a record of any kind (HSDS's attribute): a service's need
    areas and activity types are attributes with link_entity 'service'."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    link_id = models.UUIDField()
    link_entity = models.CharField(max_length=40, default="service")
    link_type = models.CharField(max_length=100, blank=True)
    taxonomy_term = models.ForeignKey(
        TaxonomyTerm, on_delete=models.CASCADE, related_name="attributes"
    )
    value = models.TextField(blank=True)
    label = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["link_entity", "link_id"]),
            models.Index(fields=["taxonomy_term", "link_entity", "link_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["link_entity", "link_id", "taxonomy_term", "link_type"],
                name="directory_attribute_unique",
            )
        ]

    def __str__(self):
        return f"{self.link_entity} {self.link_id} → {self.taxonomy_term_id}"


class Flag(models.Model):
    """A link worker's report that a listing is wrong: closed, wrong phone, or something else."""

    class Kind(models.TextChoices):
        CLOSED = "closed", "It has closed"
        WRONG_PHONE = "wrong_phone", "The phone number is wrong"
        WRONG_DETAILS = "wrong_details", "Other details are wrong"
        FULL = "full", "It is full or has a waiting list"
        SAFETY = "safety", "A safety or quality concern"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="flags")
    scheme = models.ForeignKey("core.Scheme", on_delete=models.CASCADE, related_name="flags")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["service", "status"]),
            models.Index(fields=["scheme", "status"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.service}"


class VerificationRequest(models.Model):
    """An emailed request to a provider to confirm a listing is still right, in one click.
    Only a SHA-256 digest of the link's secret is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="verification_requests"
    )
    scheme = models.ForeignKey("core.Scheme", on_delete=models.CASCADE, related_name="+")
    sent_to = models.EmailField()
    digest = models.CharField(max_length=64, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self):
        return f"Verification of {self.service} sent to {self.sent_to}"


class DirectoryImport(models.Model):
    """A manager's import of a directory file or feed, run as a background task."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Finished"
        FAILED = "failed", "Could not be read"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    scheme = models.ForeignKey("core.Scheme", on_delete=models.CASCADE, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    upload = models.FileField(upload_to="directory-imports/", blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    source_label = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Import of {self.source_label} ({self.get_status_display()})"
