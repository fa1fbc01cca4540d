from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "linkwell.resources"
    label = "resources"
    verbose_name = "Waiting-room resources"

    def ready(self):
        # Audit labels for the library's actions.
        from linkwell.resources import services  # noqa: F401
