"""Reads for the FHIR endpoint, scoped to the token user's membership.

Staff who triage see every referral of their scheme; a referrer sees only those they sent.
Anything else (another scheme's, another referrer's, an id that is not one) is not found.
"""

from __future__ import annotations

import uuid

from django.db.models import Min, Prefetch, Q, QuerySet

from linkwell.core.models import Membership
from linkwell.core.permissions import Perm, can
from linkwell.directory.models import TaxonomyTerm
from linkwell.referrals.models import Referral


def may_read(membership: Membership) -> bool:
    return can(membership, Perm.REFERRAL_TRIAGE) or can(membership, Perm.REFERRAL_SEND)


def fhir_referrals(membership: Membership) -> QuerySet[Referral]:
    """The referrals this membership may read over FHIR."""
    referrals = Referral.objects.filter(scheme=membership.scheme)
    if can(membership, Perm.REFERRAL_TRIAGE):
        # Staff limited to some sites read those sites' referrals, as on the pages.
        from linkwell.referrals.selectors import site_limited

        referrals = site_limited(membership, referrals)
    else:
        if not can(membership, Perm.REFERRAL_SEND):
            return referrals.none()
        user = membership.user
        referrals = referrals.filter(Q(referred_by=user) | Q(created_by=user))
    # The case the referral became, and when its plan was agreed (the first support offered
    # or sent), for the Task's milestones.
    return (
        referrals.select_related("scheme", "person", "case")
        .annotate(plan_agreed_at=Min("case__connections__created_at"))
        .prefetch_related(Prefetch("reasons", queryset=TaxonomyTerm.objects.order_by("name")))
    )


def fhir_referral_get(*, membership: Membership, referral_id: str) -> Referral | None:
    try:
        pk = uuid.UUID(str(referral_id))
    except ValueError:
        return None
    return fhir_referrals(membership).filter(pk=pk).first()


def fhir_referral_by_identifier(*, membership: Membership, external_id: str) -> Referral | None:
    """The referral of the scheme already received with this identifier, whoever sent it."""
    if not external_id:
        return None
    return (
        Referral.objects.filter(scheme=membership.scheme, external_id=external_id)
        .select_related("scheme", "person")
        .first()
    )
