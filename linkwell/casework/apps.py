from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "linkwell.casework"
    label = "casework"
    verbose_name = "Casework"

    def ready(self):
        # Audit labels for casework actions.
        from linkwell.casework import (
            feedback,  # noqa: F401  (how the outbox checks and records letters to referrers)
            reminders,  # noqa: F401  (how the outbox checks and records appointment reminders)
            services,  # noqa: F401
        )
