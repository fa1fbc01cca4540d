"""Matching: what a scheme weighs when it ranks the directory for a person, what the person can
manage (travel, times, cost, ways of taking part), the directory's text kept ready for ranking,
how each service has done for the scheme's people, and needs with nowhere to send people."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linkwell.casework.models import CaseChild

USER = settings.AUTH_USER_MODEL
WEIGHT = [MinValueValidator(0), MaxValueValidator(5)]


class Travel(models.TextChoices):
    WALK = "walk", "Walking"
    BUS = "bus", "Bus or train"
    CAR = "car", "Car or a lift"
    NONE = "none", "Cannot travel"


class CostLimit(models.TextChoices):
    FREE = "free", "Free only"
    CONTRIBUTION = "contribution", "A small contribution"
    FEE = "fee", "A fee"


FACTORS = (
    "need",
    "text",
    "distance",
    "schedule",
    "cost",
    "capacity",
    "freshness",
    "track_record",
)


class MatchWeights(models.Model):
    """How much each part of the score counts in a scheme (0 leaves it out, 5 is the most)."""

    FACTORS = FACTORS

    scheme = models.OneToOneField(
        "core.Scheme", on_delete=models.CASCADE, primary_key=True, related_name="match_weights"
    )
    need = models.FloatField("Needs met", default=3.0, validators=WEIGHT)
    text = models.FloatField("The person's own words", default=2.0, validators=WEIGHT)
    distance = models.FloatField("Getting there", default=2.0, validators=WEIGHT)
    schedule = models.FloatField("When it runs", default=1.0, validators=WEIGHT)
    cost = models.FloatField("Cost", default=1.0, validators=WEIGHT)
    capacity = models.FloatField("Room and waiting time", default=1.0, validators=WEIGHT)
    freshness = models.FloatField("Listing checked recently", default=0.5, validators=WEIGHT)
    track_record = models.FloatField(
        "How it has gone for our people", default=1.0, validators=WEIGHT
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "match weights"
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{f}__gte": 0, f"{f}__lte": 5}), name=f"matching_weight_{f}_range"
            )
            for f in FACTORS
        ] + [
            models.CheckConstraint(
                condition=Q(need__gt=0)
                | Q(text__gt=0)
                | Q(distance__gt=0)
                | Q(schedule__gt=0)
                | Q(cost__gt=0)
                | Q(capacity__gt=0)
                | Q(freshness__gt=0)
                | Q(track_record__gt=0),
                name="matching_weights_not_all_zero",
            )
        ]

    def __str__(self):
        return f"Match weights of {self.scheme}"

    def as_dict(self) -> dict[str, float]:
        return {f: getattr(self, f) for f in self.FACTORS}


class MatchPreferences(CaseChild):
    """What the person can manage, recorded with them for finding support: how they travel and
    how far, the ways they can take part, when they are free, and what they can pay."""

    case = models.OneToOneField(
        "casework.Case",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="match_preferences",
    )
    travel = models.CharField(max_length=10, choices=Travel.choices, default=Travel.BUS)
    max_distance_km = models.DecimalField(
        "furthest they can go (km)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(200)],
        help_text="Leave empty to use the usual distance for how they travel.",
    )
    in_person = models.BooleanField(default=True)
    by_phone = models.BooleanField(default=True)
    online = models.BooleanField(default=True)
    home_visit = models.BooleanField(default=True)
    device_loan_planned = models.BooleanField(
        default=False, help_text="A device loan is planned, so online support is possible."
    )
    step_free = models.BooleanField(
        "needs step-free access",
        default=False,
        help_text="In person only where a place's accessibility says step-free or wheelchair.",
    )
    days = models.JSONField(default=list, blank=True, help_text="Days free: MO … SU.")
    times = models.JSONField(
        default=list, blank=True, help_text="Parts of the day free: morning, afternoon, evening."
    )
    cost_limit = models.CharField(
        max_length=15, choices=CostLimit.choices, default=CostLimit.CONTRIBUTION
    )
    accept_waiting_list = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "match preferences"
        constraints = [
            models.CheckConstraint(
                condition=Q(travel__in=[t.value for t in Travel]),
                name="matching_preferences_travel_valid",
            ),
            models.CheckConstraint(
                condition=Q(cost_limit__in=[c.value for c in CostLimit]),
                name="matching_preferences_cost_valid",
            ),
            models.CheckConstraint(
                condition=Q(max_distance_km__isnull=True)
                | Q(max_distance_km__gte=0, max_distance_km__lte=200),
                name="matching_preferences_distance_range",
            ),
            models.CheckConstraint(
                condition=Q(in_person=True)
                | Q(by_phone=True)
                | Q(online=True)
                | Q(home_visit=True),
                name="matching_preferences_some_way",
            ),
        ]

    def __str__(self):
        return f"Match preferences for {self.case}"


class ServiceMatchText(models.Model):
    """A service's words, stemmed and ready for ranking (and, with the semantic extra, its
    sentence embedding); rebuilt by a task when the listing changes, never per request."""

    service = models.OneToOneField(
        "directory.Service", on_delete=models.CASCADE, primary_key=True, related_name="match_text"
    )
    tokens = models.TextField(help_text="Stemmed words, space-separated, with a space each end.")
    token_count = models.PositiveIntegerField(default=0)
    source_hash = models.CharField(max_length=64)
    embedding = models.BinaryField(null=True, blank=True)
    embedding_model = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Match text of {self.service_id}"


class ServiceTrackRecord(models.Model):
    """How a service has done for one scheme's people: how often it was taken up when offered,
    and (from onward referrals) accepted, completed and how fast the provider answered.
    Rebuilt by `refresh_track_records`; read by matching, shrunk toward the scheme's average."""

    id = models.BigAutoField(primary_key=True)
    scheme = models.ForeignKey("core.Scheme", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(
        "directory.Service", on_delete=models.CASCADE, related_name="track_records"
    )
    offered = models.PositiveIntegerField(default=0)
    taken_up = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    answer_days_total = models.FloatField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "service"], name="matching_track_record_unique"
            ),
            models.CheckConstraint(
                condition=Q(taken_up__lte=models.F("offered")),
                name="matching_track_record_taken_up_le_offered",
            ),
            models.CheckConstraint(
                condition=Q(accepted__lte=models.F("sent")) & Q(completed__lte=models.F("sent")),
                name="matching_track_record_outcomes_le_sent",
            ),
        ]

    def __str__(self):
        return f"Track record of {self.service_id} in {self.scheme_id}"


class UnmetReason(models.TextChoices):
    NOTHING_LISTED = "nothing_listed", "Nothing listed nearby or by phone or online helps"
    TOO_FAR = "too_far", "What helps is too far to reach"
    FULL = "full", "What helps is full, paused or closed for now"
    NOT_ELIGIBLE = "not_eligible", "What helps does not suit the person (how it runs, or where)"


class UnmetNeed(models.Model):
    """A need with nowhere reachable to send the person: the area, where they live, and why;
    the gap-analysis report counts these. Resolved when a later search finds support."""

    Reason = UnmetReason

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="unmet_needs")
    scheme = models.ForeignKey("core.Scheme", on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(
        "directory.TaxonomyTerm", on_delete=models.PROTECT, related_name="unmet_needs"
    )
    place = models.CharField(
        max_length=20, blank=True, help_text="The postcode district, never the full postcode."
    )
    reason = models.CharField(max_length=20, choices=UnmetReason.choices)
    recorded_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "area"],
                condition=Q(resolved_at__isnull=True),
                name="matching_unmet_need_one_open_per_area",
            ),
            models.CheckConstraint(
                condition=Q(reason__in=[r.value for r in UnmetReason]),
                name="matching_unmet_need_reason_valid",
            ),
        ]
        indexes = [models.Index(fields=["scheme", "resolved_at", "area"])]

    def __str__(self):
        return f"Unmet need: {self.area_id} ({self.get_reason_display()})"

    @property
    def audit_person_id(self):
        return self.case.person_id
