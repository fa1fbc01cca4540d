"""The postcode table: one row per postcode with its centre in WGS84 latitude and longitude."""

from django.db import models
from django.db.models import Q


class PostcodeSource(models.TextChoices):
    """Where a postcode's coordinates came from."""

    ONSPD = "onspd", "ONS Postcode Directory"
    CODEPOINT = "codepoint", "Code-Point Open"
    HTTP = "http", "Postcode lookup service"
    DEMO = "demo", "Demo gazetteer"


class Postcode(models.Model):
    """Where a postcode is, as imported from the ONS Postcode Directory or Code-Point Open,
    written by the demo, or remembered from an answer of the HTTP lookup service.

    `postcode` is always in normal form ("SW1A 1AA"): see `linkwell.geo.normalise_postcode`.
    """

    Source = PostcodeSource

    postcode = models.CharField(max_length=8, unique=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    source = models.CharField(max_length=20, choices=Source.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["postcode"]
        indexes = [models.Index(fields=["source"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90),
                name="geo_postcode_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180),
                name="geo_postcode_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(source__in=[s.value for s in PostcodeSource]),
                name="geo_postcode_source_valid",
            ),
        ]

    def __str__(self):
        return self.postcode
