"""What every page's shell needs: the active membership, the scheme switcher, navigation."""

from django.urls import reverse

from linkwell.core.permissions import Perm, can
from linkwell.core.selectors import memberships_for_user

# (label, url name, permission): the header navigation, shown by role.
NAVIGATION = [
    ("Dashboard", "core:dashboard", Perm.DASHBOARD_VIEW),
    ("Caseload", "casework:caseload", Perm.CASELOAD),
    ("Follow-ups", "casework:followups", Perm.CASELOAD),
    ("Triage", "referrals:triage", Perm.REFERRAL_TRIAGE),
    ("Waiting list", "referrals:waiting", Perm.REFERRAL_TRIAGE),
    ("Your referrals", "referrals:sent", Perm.REFERRALS_OWN),
    ("Call lists", "campaigns:list", Perm.CAMPAIGN_CALL),
    ("Resources", "resources:list", Perm.RESOURCES_MANAGE),
    ("Directory", "directory:search", Perm.DIRECTORY_VIEW),
    ("Referrals to you", "provider_inbox:inbox", Perm.DIRECTORY_EDIT_OWN),
    ("Your listings", "directory:mine", Perm.DIRECTORY_EDIT_OWN),
    ("Team", "core:team", Perm.TEAM_VIEW),
    ("Audit log", "core:audit_log", Perm.AUDIT_VIEW),
    ("Scheme settings", "core:scheme_settings", Perm.SCHEME_SETTINGS),
]


class _Can:
    """Lets templates ask `{% if can.team_view %}`."""

    def __init__(self, membership):
        self._membership = membership

    def __getattr__(self, name):
        try:
            perm = Perm(name.replace("_", ".", 1))
        except ValueError:
            raise AttributeError(name) from None
        return can(self._membership, perm)


def shell(request):
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"membership": None, "can": _Can(None), "navigation": [], "memberships": []}
    path = request.path
    navigation = []
    for label, name, perm in NAVIGATION:
        if can(membership, perm):
            url = reverse(name)
            navigation.append({"label": label, "url": url, "current": False})
    # The current item is the one whose address is the longest start of this page's (so
    # /cases/follow-ups/ is "Follow-ups", not also "Caseload" at /cases/).
    matching = [
        i for i in navigation if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))
    ]
    if matching:
        max(matching, key=lambda i: len(i["url"]))["current"] = True
    return {
        "membership": membership,
        "can": _Can(membership),
        "navigation": navigation,
        # The switcher needs names and roles only, not each membership's sites.
        "memberships": (
            memberships_for_user(user).prefetch_related(None) if membership is not None else []
        ),
    }
