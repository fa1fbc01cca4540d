"""The self-care library a scheme offers in its virtual waiting room."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ResourceFormat(models.TextChoices):
    WEB = "web", "Website or online tool"
    PHONE = "phone", "Phone line"
    VIDEO = "video", "Video"
    LEAFLET = "leaflet", "Leaflet (PDF)"


class Resource(models.Model):
    """One self-care item: an advice line, a website, a video, a leaflet to download or post."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scheme = models.ForeignKey("core.Scheme", on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(max_length=200)
    summary = models.TextField(help_text="Two or three plain sentences: what it is, who it helps.")
    format = models.CharField(max_length=10, choices=ResourceFormat.choices)
    url = models.URLField("web address", max_length=500, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    phone_hours = models.CharField("when the line is open", max_length=200, blank=True)
    file = models.FileField(upload_to="resources/%Y/", blank=True)
    need_areas = models.ManyToManyField(
        "directory.TaxonomyTerm", blank=True, related_name="resources"
    )
    accessibility_notes = models.CharField(max_length=300, blank=True)
    review_date = models.DateField(help_text="When someone should check it is still right.")
    is_active = models.BooleanField(
        default=True, help_text="Retired resources stay on record but are not shown to anyone."
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(
        default=False, help_text="Written for the demo: not a real service's details."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=[c.value for c in ResourceFormat]),
                name="resources_resource_format_valid",
            ),
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(phone="") | ~Q(file=""),
                name="resources_resource_has_a_way_in",
            ),
        ]
        indexes = [
            models.Index(fields=["scheme", "is_active", "title"]),
            models.Index(fields=["scheme", "format"]),
            models.Index(fields=["scheme", "review_date"]),
        ]

    def __str__(self):
        return self.title

    def review_due(self, today=None) -> bool:
        """Its review date has come: someone should check it is still right."""
        return self.review_date <= (today or timezone.localdate())
