from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "linkwell.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self):
        # Audit labels for the referral pathway's actions.
        from linkwell.referrals import (
            campaigns,  # noqa: F401  (proactive call list labels)
            csv_import,  # noqa: F401  (CSV import labels and its background task)
            feedback,  # noqa: F401  (how the outbox checks and records letters to referrers)
            fhir,  # noqa: F401  (FHIR e-referral audit labels)
            services,  # noqa: F401
            waiting_room,  # noqa: F401  (waiting-room audit labels)
        )
