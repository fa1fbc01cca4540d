from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "linkwell.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self):
        # Audit labels for the referral pathway's actions.
        from linkwell.referrals import services  # noqa: F401
