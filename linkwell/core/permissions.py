"""What each role may do: the one place that says so.

Views use `permission_required`-style helpers from `linkwell.core.access`, the API uses
`require`, and templates read `can` from the context; nobody checks a role by name elsewhere.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from linkwell.core.models import Membership, Role


class Perm(StrEnum):
    DASHBOARD_VIEW = "dashboard.view"
    TEAM_VIEW = "team.view"
    TEAM_MANAGE = "team.manage"
    SCHEME_SETTINGS = "scheme.settings"
    AUDIT_VIEW = "audit.view"
    PERSON_DATA = "person.data"
    CASELOAD = "caseload.work"
    REFERRAL_SEND = "referral.send"
    DIRECTORY_EDIT_OWN = "directory.edit_own"
    REPORTS_VIEW = "reports.view"
    DIRECTORY_VIEW = "directory.view"
    DIRECTORY_FLAG = "directory.flag"
    DIRECTORY_MANAGE = "directory.manage"
    REFERRAL_TRIAGE = "referral.triage"  # triage queue, waiting list, contact attempts, staff entry
    REFERRAL_IMPORT = "referral.import"  # CSV imports of referrals and proactive lists
    CAMPAIGN_MANAGE = "campaign.manage"  # set up proactive call lists
    CAMPAIGN_CALL = "campaign.call"  # make the calls on a list
    RESOURCES_MANAGE = "resources.manage"  # the waiting-room library
    REFERRALS_OWN = "referral.own"  # follow the referrals one sent (referrers)
    CASELOAD_MANAGE = "caseload.manage"  # see every worker's caseload and reassign cases
    MATCHING_TUNE = "matching.tune"  # how matching weighs services in the scheme


ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(
        {
            Perm.DASHBOARD_VIEW,
            Perm.TEAM_VIEW,
            Perm.TEAM_MANAGE,
            Perm.SCHEME_SETTINGS,
            Perm.AUDIT_VIEW,
            Perm.PERSON_DATA,
            Perm.REPORTS_VIEW,
            Perm.DIRECTORY_VIEW,
            Perm.DIRECTORY_FLAG,
            Perm.DIRECTORY_MANAGE,
            Perm.REFERRAL_IMPORT,
            Perm.RESOURCES_MANAGE,
            Perm.MATCHING_TUNE,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Perm.DASHBOARD_VIEW,
            Perm.TEAM_VIEW,
            Perm.AUDIT_VIEW,
            Perm.PERSON_DATA,
            Perm.CASELOAD,
            Perm.CASELOAD_MANAGE,
            Perm.REFERRAL_SEND,
            Perm.REPORTS_VIEW,
            Perm.DIRECTORY_VIEW,
            Perm.DIRECTORY_FLAG,
            Perm.DIRECTORY_MANAGE,
            Perm.REFERRAL_TRIAGE,
            Perm.REFERRAL_IMPORT,
            Perm.CAMPAIGN_MANAGE,
            Perm.CAMPAIGN_CALL,
            Perm.RESOURCES_MANAGE,
            Perm.MATCHING_TUNE,
        }
    ),
    Role.LINK_WORKER: frozenset(
        {
            Perm.DASHBOARD_VIEW,
            Perm.PERSON_DATA,
            Perm.CASELOAD,
            Perm.REFERRAL_SEND,
            Perm.DIRECTORY_VIEW,
            Perm.DIRECTORY_FLAG,
            Perm.REFERRAL_TRIAGE,
            Perm.CAMPAIGN_CALL,
        }
    ),
    Role.REFERRER: frozenset(
        {
            Perm.DASHBOARD_VIEW,
            Perm.PERSON_DATA,
            Perm.REFERRAL_SEND,
            Perm.REFERRALS_OWN,
            Perm.DIRECTORY_VIEW,
            Perm.DIRECTORY_FLAG,
        }
    ),
    Role.PROVIDER: frozenset(
        {Perm.DASHBOARD_VIEW, Perm.PERSON_DATA, Perm.DIRECTORY_EDIT_OWN, Perm.DIRECTORY_VIEW}
    ),
    # Commissioners see aggregate, anonymised figures only (and the directory, to see what
    # provision exists): no person data.
    Role.COMMISSIONER: frozenset({Perm.DASHBOARD_VIEW, Perm.REPORTS_VIEW, Perm.DIRECTORY_VIEW}),
}


def role_can(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(Role(role), frozenset())


def can(membership: Membership | None, perm: Perm) -> bool:
    return bool(membership and membership.is_active and role_can(membership.role, perm))


def member_can(scheme, user, perm: Perm) -> bool:
    """Whether `user` is an active member of `scheme` whose role grants `perm` (say, whether
    someone a case or referral is being given to works a caseload there)."""
    membership = Membership.objects.filter(scheme=scheme, user=user, is_active=True).first()
    return can(membership, perm)


def require(membership: Membership | None, perm: Perm) -> Membership:
    """Return the membership if it grants `perm`; else raise PermissionDenied."""
    if not can(membership, perm):
        raise PermissionDenied(f"Your role does not allow this ({perm}).")
    return membership


PERSON_DATA_ROLES = frozenset(
    r for r, perms in ROLE_PERMISSIONS.items() if Perm.PERSON_DATA in perms
)


def two_factor_required(user) -> bool:
    """Whether this user must have passed a second factor to use the service at all.

    Everyone who can see person data in any of their schemes needs one (unless each such scheme
    turned it off), whichever scheme they are working in now: a session or token reaches every
    scheme the user belongs to. Django admin operators always need one.
    """
    if user.is_staff:
        return True
    return Membership.objects.filter(
        user=user,
        is_active=True,
        scheme__require_two_factor=True,
        role__in=PERSON_DATA_ROLES,
    ).exists()
