"""A system check that the postcode backend settings make sense, so a typo fails at start-up."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def check_postcode_backend(app_configs, **kwargs):
    from linkwell.geo.backends import get_backend

    try:
        get_backend()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="geo.E001")]
    timeout = getattr(settings, "GEO_POSTCODES_IO_TIMEOUT", 3.0)
    if not timeout > 0:
        return [
            Error("GEO_POSTCODES_IO_TIMEOUT must be a number of seconds above 0.", id="geo.E002")
        ]
    return []
