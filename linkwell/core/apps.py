from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "linkwell.core"
    label = "core"
    verbose_name = "Schemes, users and audit"

    def ready(self):
        from linkwell.core import signals  # noqa: F401  (sign-in auditing)
