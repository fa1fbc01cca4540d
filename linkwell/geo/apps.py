from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "linkwell.geo"
    label = "geo"
    verbose_name = "Geography"

    def ready(self):
        from linkwell.geo import checks  # noqa: F401  (registers the settings check)
