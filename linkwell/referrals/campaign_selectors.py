"""Reads of proactive call lists, scoped to the acting membership's scheme (another scheme's
list or entry answers 404). Progress comes from one query with conditional counts, however many
lists and people there are. Reads that show people are audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from linkwell.core.audit import log_action
from linkwell.core.models import Membership, User
from linkwell.core.permissions import Perm, require
from linkwell.people.models import Person
from linkwell.referrals.campaigns import STILL_TO_CALL, eligible_callers
from linkwell.referrals.models import CallOutcome, Campaign, CampaignEntry

ENTRIES_PER_PAGE = 25
SEARCH_LIMIT = 50
# The outcomes in the order the progress table shows them.
OUTCOME_ORDER = [
    CallOutcome.PENDING,
    CallOutcome.NO_ANSWER,
    CallOutcome.REACHED,
    CallOutcome.SUPPORT_NEEDED,
    CallOutcome.REFERRAL_CREATED,
    CallOutcome.DECLINED,
]


@dataclass(frozen=True)
class Progress:
    """How far a call list has got: `called` is everyone with an outcome other than 'not
    called yet'; `by_outcome` is [(outcome, label, count)] in OUTCOME_ORDER."""

    total: int
    called: int
    by_outcome: list[tuple[str, str, int]]
    mine_to_call: int = 0

    @property
    def percent(self) -> int:
        return round(self.called * 100 / self.total) if self.total else 0

    @property
    def text(self) -> str:
        return f"{self.called} of {self.total} called ({self.percent}%)"

    @property
    def counts(self) -> dict[str, int]:
        """{outcome: count}, for templates: `progress.counts.support_needed`."""
        return {o: n for o, _, n in self.by_outcome}


def _progress_annotations(user: User | None) -> dict:
    counts = {
        "n_total": Count("entries"),
        **{
            f"n_{outcome.value}": Count("entries", filter=Q(entries__outcome=outcome))
            for outcome in OUTCOME_ORDER
        },
    }
    if user is not None:
        counts["n_mine_to_call"] = Count(
            "entries", filter=Q(entries__caller=user, entries__outcome__in=STILL_TO_CALL)
        )
    return counts


def _attach_progress(campaign: Campaign) -> Campaign:
    by_outcome = [(o.value, o.label, getattr(campaign, f"n_{o.value}")) for o in OUTCOME_ORDER]
    total = campaign.n_total
    campaign.progress = Progress(
        total=total,
        called=total - getattr(campaign, f"n_{CallOutcome.PENDING.value}"),
        by_outcome=by_outcome,
        mine_to_call=getattr(campaign, "n_mine_to_call", 0),
    )
    return campaign


def _visible(membership: Membership) -> QuerySet[Campaign]:
    """The scheme's call lists; a member limited to some sites sees theirs and those with no
    site."""
    require(membership, Perm.CAMPAIGN_CALL)
    qs = Campaign.objects.filter(scheme_id=membership.scheme_id)
    site_ids = [s.pk for s in membership.sites.all()]
    if site_ids:
        qs = qs.filter(Q(site_id__in=site_ids) | Q(site__isnull=True))
    return qs


def campaign_list(*, membership: Membership, state: str | None = None) -> list[Campaign]:
    """Every call list the member may see, each with `.progress`, in two queries (the lists
    with their counts, and their callers)."""
    qs = _visible(membership)
    if state:
        qs = qs.filter(state=state)
    qs = (
        qs.select_related("site")
        .prefetch_related("callers")
        .annotate(**_progress_annotations(membership.user))
        .order_by("state", "-created_at")
    )
    return [_attach_progress(c) for c in qs]


def campaign_detail(*, membership: Membership, campaign_id) -> Campaign:
    """One call list of the scheme, with `.progress` and its callers; 404 otherwise."""
    qs = (
        _visible(membership)
        .select_related("site", "created_by")
        .prefetch_related("callers")
        .annotate(**_progress_annotations(membership.user))
    )
    return _attach_progress(get_object_or_404(qs, pk=campaign_id))


def campaign_get(*, membership: Membership, campaign_id) -> Campaign:
    """One call list of the scheme, without counts (for the forms that change it)."""
    return get_object_or_404(_visible(membership).select_related("site"), pk=campaign_id)


@dataclass(frozen=True)
class EntryFilter:
    mine: bool = False
    outcome: str = ""


def campaign_entries(
    *,
    membership: Membership,
    campaign: Campaign,
    filters: EntryFilter | None = None,
    page: int | str | None = 1,
    per_page: int = ENTRIES_PER_PAGE,
    audit: bool = True,
) -> Page:
    """One page of the people on a list, with what each call achieved. Showing them is logged
    once, with the people on the page."""
    require(membership, Perm.CAMPAIGN_CALL)
    if campaign.scheme_id != membership.scheme_id:
        raise Http404("No such call list.")
    filters = filters or EntryFilter()
    qs = CampaignEntry.objects.filter(campaign=campaign)
    if filters.mine:
        qs = qs.filter(caller=membership.user)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    qs = (
        qs.select_related("person", "caller", "called_by", "referral")
        .prefetch_related("needs")
        .order_by("person__family_name", "person__given_name", "pk")
    )
    result = Paginator(qs, per_page).get_page(page)
    if audit and result.object_list:
        log_action(
            membership.user,
            "campaign.viewed",
            campaign,
            {"page": result.number, "people": [str(e.person_id) for e in result.object_list]},
        )
    return result


def entry_get(*, membership: Membership, campaign_id, entry_id, audit: bool = True):
    """One person on a list (for the call screen): their details, the list and its script, and
    the referral made from the call if any. 404 unless the list is the scheme's. Audited."""
    require(membership, Perm.PERSON_DATA)
    campaign = campaign_get(membership=membership, campaign_id=campaign_id)
    entry = get_object_or_404(
        CampaignEntry.objects.select_related(
            "person", "caller", "called_by", "referral"
        ).prefetch_related("needs"),
        pk=entry_id,
        campaign=campaign,
    )
    entry.campaign = campaign
    if audit:
        log_action(membership.user, "campaign.entry_viewed", entry, scheme=campaign.scheme)
    return entry


def next_to_call(*, membership: Membership, campaign: Campaign, after=None):
    """The next person on the list this member should call: their own first, then anyone
    unassigned; None when nobody is left."""
    qs = CampaignEntry.objects.filter(campaign=campaign, outcome=CallOutcome.PENDING)
    if after is not None:
        qs = qs.exclude(pk=after.pk)
    order = ("person__family_name", "person__given_name", "pk")
    return (
        qs.filter(caller=membership.user).order_by(*order).first()
        or qs.filter(caller__isnull=True).order_by(*order).first()
    )


_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?(\s*[0-9][A-Z]{0,2})?$")


def people_search(
    *, membership: Membership, campaign: Campaign, query: str, limit: int = SEARCH_LIMIT
) -> tuple[list[Person], bool]:
    """People of the scheme not yet on the list, by name, NHS number or postcode. Returns up
    to `limit` people and whether there were more. The people shown are logged."""
    require(membership, Perm.PERSON_DATA)
    text = " ".join((query or "").split())
    if not text:
        return [], False
    conditions = Q()
    digits = re.sub(r"[\s-]", "", text)
    if digits.isdigit():
        conditions |= Q(nhs_number__startswith=digits)
    upper = text.upper()
    if _POSTCODE.match(upper):
        compact = upper.replace(" ", "")
        if " " in upper:
            conditions |= Q(postcode__istartswith=upper)
        elif len(compact) >= 5:  # a whole postcode typed without its space
            conditions |= Q(postcode__iexact=f"{compact[:-3]} {compact[-3:]}")
        else:  # the outward code alone, like RV1
            conditions |= Q(postcode__istartswith=f"{compact} ")
    words = Q()
    for word in text.split():
        words &= (
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    conditions |= words
    people = list(
        Person.objects.filter(conditions, scheme_id=membership.scheme_id)
        .exclude(campaign_entries__campaign=campaign)
        .order_by("family_name", "given_name", "pk")[: limit + 1]
    )
    more = len(people) > limit
    people = people[:limit]
    log_action(
        membership.user,
        "campaign.people_searched",
        campaign,
        {"found": len(people), "people": [str(p.pk) for p in people]},
    )
    return people, more


def callers_with_load(*, membership: Membership, campaign: Campaign) -> list[User]:
    """The scheme's members who can make calls, each with `.to_call` (calls still to make on
    this list) and `.is_caller`."""
    require(membership, Perm.CAMPAIGN_MANAGE)
    loads = dict(
        CampaignEntry.objects.filter(campaign=campaign, outcome__in=STILL_TO_CALL)
        .exclude(caller__isnull=True)
        .values("caller_id")
        .annotate(n=Count("pk"))
        .values_list("caller_id", "n")
    )
    current = {u.pk for u in campaign.callers.all()}
    users = list(eligible_callers(membership.scheme).order_by("full_name", "email"))
    for user in users:
        user.to_call = loads.get(user.pk, 0)
        user.is_caller = user.pk in current
    return users
