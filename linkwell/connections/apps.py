from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "linkwell.connections"
    label = "connections"
    verbose_name = "Connections"

    def ready(self):
        # Audit labels for connection actions.
        from linkwell.connections import (
            messages,  # noqa: F401  (how the outbox checks messages about referrals)
            services,  # noqa: F401
        )
