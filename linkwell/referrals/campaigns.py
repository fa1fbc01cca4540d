"""Writes to proactive call lists (campaigns): set one up, put people on it, share it among
callers, record what each call achieved, and turn a call into a referral in one step.

Every service is one transaction, checks that everything it is given belongs to the campaign's
scheme, and is audited. Selectors are in `campaign_selectors`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Membership, Scheme, Site, User
from linkwell.core.permissions import ROLE_PERMISSIONS, Perm, role_can
from linkwell.people.models import ConsentMethod, ContactMethod, Person
from linkwell.referrals.models import (
    CallOutcome,
    Campaign,
    CampaignEntry,
    Channel,
    Referral,
    SourceType,
    Urgency,
)
from linkwell.referrals.services import IntakeRequest, need_area_terms, referral_intake

ACTIONS.update(
    {
        "campaign.created": "Set up a proactive call list",
        "campaign.updated": "Changed a proactive call list",
        "campaign.people_added": "Added people to a proactive call list",
        "campaign.callers_assigned": "Assigned callers to a proactive call list",
        "campaign.finished": "Finished a proactive call list",
        "campaign.viewed": "Viewed a proactive call list's people",
        "campaign.people_searched": "Searched people to add to a call list",
        "campaign.entry_viewed": "Opened a person's call on a call list",
        "campaign.call_recorded": "Recorded a call's outcome",
        "campaign.referral_made": "Made a referral from a call",
    }
)

# Outcomes a caller records with `call_record`; a referral is only made by `call_make_referral`.
RECORDABLE = [
    CallOutcome.REACHED,
    CallOutcome.SUPPORT_NEEDED,
    CallOutcome.NO_ANSWER,
    CallOutcome.DECLINED,
]
# Entries still to be worked: never called, or called with no answer (to try again).
STILL_TO_CALL = [CallOutcome.PENDING, CallOutcome.NO_ANSWER]
NAME_MAX = Campaign._meta.get_field("name").max_length
NOTE_MAX = CampaignEntry._meta.get_field("note").max_length


def _active_membership(scheme: Scheme | int, user) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    scheme_id = getattr(scheme, "pk", scheme)
    return Membership.objects.filter(scheme_id=scheme_id, user=user, is_active=True).first()


def _require_member(scheme, user, perm: Perm) -> None:
    membership = _active_membership(scheme, user)
    if membership is None or not role_can(membership.role, perm):
        raise ApplicationError(
            "campaign_not_allowed", "Your role in this scheme does not allow this."
        )


def _require_active(campaign: Campaign) -> None:
    if campaign.state == Campaign.State.FINISHED:
        raise ApplicationError(
            "campaign_finished", "This call list is finished: it cannot be changed."
        )


def _clean_fields(
    *, scheme: Scheme, name: str, description: str, script: str, site: Site | None, exclude=None
) -> dict:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Enter a name for the call list."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"The name must be {NAME_MAX} characters or fewer."]
    elif (
        Campaign.objects.filter(scheme=scheme, name__iexact=name)
        .exclude(pk=getattr(exclude, "pk", None))
        .exists()
    ):
        errors["name"] = ["There is already a call list with this name. Choose another name."]
    if site is not None and site.scheme_id != scheme.pk:
        errors["site"] = ["Choose one of this scheme's sites."]
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "description": (description or "").strip(),
        "script": (script or "").strip(),
        "site": site,
    }


@transaction.atomic
def campaign_create(
    *,
    scheme: Scheme,
    by: User,
    name: str,
    description: str = "",
    script: str = "",
    site: Site | None = None,
) -> Campaign:
    """A new, empty call list; people and callers are added next."""
    _require_member(scheme, by, Perm.CAMPAIGN_MANAGE)
    fields = _clean_fields(
        scheme=scheme, name=name, description=description, script=script, site=site
    )
    campaign = Campaign(scheme=scheme, created_by=by, **fields)
    campaign.full_clean(validate_unique=False)
    campaign.save()
    log_action(by, "campaign.created", campaign, {"site": str(site.pk) if site else None})
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().select_related("scheme").get(pk=campaign.pk)


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    by: User,
    name: str,
    description: str = "",
    script: str = "",
    site: Site | None = None,
) -> Campaign:
    """Change a call list's name, description, script or site."""
    campaign = _locked(campaign)
    _require_member(campaign.scheme, by, Perm.CAMPAIGN_MANAGE)
    _require_active(campaign)
    fields = _clean_fields(
        scheme=campaign.scheme,
        name=name,
        description=description,
        script=script,
        site=site,
        exclude=campaign,
    )
    changed = [f for f, v in fields.items() if getattr(campaign, f) != v]
    for field, value in fields.items():
        setattr(campaign, field, value)
    if changed:
        campaign.full_clean(validate_unique=False)
        campaign.save()
        log_action(by, "campaign.updated", campaign, {"fields": changed})
    return campaign


@transaction.atomic
def campaign_add_people(*, campaign: Campaign, people: Iterable, by) -> int:
    """Put people (Person records or their ids) on the list. Someone already on it is left as
    they are, so adding the same people twice changes nothing. Returns how many were added.

    Every person must belong to the campaign's scheme: otherwise nobody is added."""
    campaign = _locked(campaign)
    _require_active(campaign)
    wanted = list(dict.fromkeys(str(getattr(p, "pk", p)) for p in people))
    if not wanted:
        return 0
    found = set()
    for start in range(0, len(wanted), 500):
        found.update(
            str(pk)
            for pk in Person.objects.filter(
                scheme_id=campaign.scheme_id, pk__in=wanted[start : start + 500]
            ).values_list("pk", flat=True)
        )
    if len(found) != len(wanted):
        raise ApplicationError(
            "campaign_person_not_found",
            "Some of the people chosen were not found in this scheme. Nobody was added.",
            fields={"people": ["Some of the people chosen were not found in this scheme."]},
        )
    already = set()
    for start in range(0, len(wanted), 500):
        already.update(
            str(pk)
            for pk in CampaignEntry.objects.filter(
                campaign=campaign, person_id__in=wanted[start : start + 500]
            ).values_list("person_id", flat=True)
        )
    new = [pk for pk in wanted if pk not in already]
    CampaignEntry.objects.bulk_create(
        [CampaignEntry(campaign=campaign, person_id=pk) for pk in new],
        batch_size=500,
        ignore_conflicts=True,
    )
    if new:
        log_action(
            by,
            "campaign.people_added",
            campaign,
            {"added": len(new), "already_on_list": len(already)},
        )
    return len(new)


def eligible_callers(scheme: Scheme):
    """Users who may make calls in the scheme (an active membership granting CAMPAIGN_CALL)."""
    roles = [r for r, perms in ROLE_PERMISSIONS.items() if Perm.CAMPAIGN_CALL in perms]
    return User.objects.filter(
        memberships__scheme=scheme, memberships__is_active=True, memberships__role__in=roles
    ).distinct()


@transaction.atomic
def campaign_assign_callers(*, campaign: Campaign, callers: Iterable[User], by) -> dict:
    """Set who calls on this list, then share out the people still to call who have no caller
    (and those of anyone taken off the list) so each caller ends with as even a share of
    calls still to make as possible. Calls already made keep their caller.

    Returns {user id: number of entries newly given to them}."""
    campaign = _locked(campaign)
    _require_member(campaign.scheme, by, Perm.CAMPAIGN_MANAGE)
    _require_active(campaign)
    callers = list(dict.fromkeys(callers))
    allowed = set(eligible_callers(campaign.scheme).values_list("pk", flat=True))
    if any(c.pk not in allowed for c in callers):
        raise ApplicationError(
            "campaign_caller_not_allowed",
            "Choose callers who are members of this scheme and can make calls.",
            fields={"callers": ["Choose members of this scheme who can make calls."]},
        )
    previous = set(campaign.callers.values_list("pk", flat=True))
    campaign.callers.set(callers)
    caller_ids = {c.pk for c in callers}
    # Calls still to make that belonged to someone taken off the list go back to the pool.
    CampaignEntry.objects.filter(
        campaign=campaign, outcome__in=STILL_TO_CALL, caller__isnull=False
    ).exclude(caller_id__in=caller_ids).update(caller=None)
    given: dict = {c.pk: 0 for c in callers}
    if callers:
        loads = dict(
            CampaignEntry.objects.filter(
                campaign=campaign, outcome__in=STILL_TO_CALL, caller_id__in=caller_ids
            )
            .values("caller_id")
            .annotate(n=Count("pk"))
            .values_list("caller_id", "n")
        )
        order = {c.pk: i for i, c in enumerate(callers)}
        heap = [(loads.get(c.pk, 0), order[c.pk], c.pk) for c in callers]
        heapq.heapify(heap)
        shares: dict = {c.pk: [] for c in callers}
        unassigned = CampaignEntry.objects.filter(
            campaign=campaign, outcome__in=STILL_TO_CALL, caller__isnull=True
        ).values_list("pk", flat=True)
        for entry_id in unassigned:
            load, position, caller_id = heapq.heappop(heap)
            shares[caller_id].append(entry_id)
            heapq.heappush(heap, (load + 1, position, caller_id))
        for caller_id, entry_ids in shares.items():
            for start in range(0, len(entry_ids), 500):
                CampaignEntry.objects.filter(pk__in=entry_ids[start : start + 500]).update(
                    caller_id=caller_id
                )
            given[caller_id] = len(entry_ids)
    log_action(
        by,
        "campaign.callers_assigned",
        campaign,
        {
            "callers": sorted(str(pk) for pk in caller_ids),
            "removed": sorted(str(pk) for pk in previous - caller_ids),
            "shared_out": sum(given.values()),
        },
    )
    return given


def _locked_entry(entry: CampaignEntry) -> CampaignEntry:
    return (
        CampaignEntry.objects.select_for_update()
        .select_related("campaign__scheme", "person")
        .get(pk=entry.pk)
    )


def _when(at: datetime | None) -> datetime:
    now = timezone.now()
    if at is None:
        return now
    if at > now + timezone.timedelta(minutes=5):
        raise ValidationError({"at": ["The time of the call cannot be in the future."]})
    return at


def _refuse_if_referred(entry: CampaignEntry) -> None:
    referral = Referral.objects.filter(campaign_entry=entry).only("received_at").first()
    if referral is not None or entry.outcome == CallOutcome.REFERRAL_CREATED:
        when = ""
        if referral is not None:
            day = timezone.localtime(referral.received_at)
            when = f" on {day.day} {day:%B %Y}"
        raise ApplicationError(
            "campaign_referral_exists",
            f"A referral was already made from this call{when}. "
            "Only one referral can be made from a call.",
        )


def _needs(values, scheme: Scheme) -> list:
    """Need-area terms (shared, or the scheme's own) from ids or codes."""
    values = list(values)
    if not [v for v in values if str(v).strip()]:
        raise ValidationError({"needs": ["Choose at least one area they want support with."]})
    try:
        terms = need_area_terms(values, scheme=scheme)
    except ValidationError as error:
        raise ValidationError({"needs": error.messages}) from None
    if any(t.scheme_id not in (None, scheme.pk) for t in terms):
        raise ValidationError({"needs": ["Choose from this scheme's need areas."]})
    return terms


def _count_the_call(entry: CampaignEntry, by, at: datetime) -> None:
    entry.attempts = min(entry.attempts + 1, 32767)
    entry.called_at = at
    entry.called_by = by if getattr(by, "is_authenticated", False) else None
    if entry.caller_id is None and entry.called_by is not None:
        entry.caller = entry.called_by


@transaction.atomic
def call_record(
    *,
    entry: CampaignEntry,
    by,
    outcome: str,
    needs: Iterable = (),
    note: str = "",
    at: datetime | None = None,
) -> CampaignEntry:
    """Record one call to a person on the list: the outcome, the needs they want support with
    (for 'support needed'; required then, ignored otherwise) and a short note. Each call counts
    as an attempt. An unassigned person becomes the caller's."""
    entry = _locked_entry(entry)
    _require_member(entry.campaign.scheme, by, Perm.CAMPAIGN_CALL)
    _require_active(entry.campaign)
    _refuse_if_referred(entry)
    errors: dict[str, list[str]] = {}
    if outcome not in RECORDABLE:
        errors["outcome"] = ["Choose what happened on the call."]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [f"The note must be {NOTE_MAX} characters or fewer."]
    terms = []
    if outcome == CallOutcome.SUPPORT_NEEDED:
        try:
            terms = _needs(needs, entry.campaign.scheme)
        except ValidationError as error:
            errors.update(error.message_dict)
    try:
        at = _when(at)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    entry.outcome = outcome
    entry.note = note
    _count_the_call(entry, by, at)
    entry.full_clean(exclude=["needs"])
    entry.save()
    entry.needs.set(terms)
    log_action(
        by,
        "campaign.call_recorded",
        entry,
        {"outcome": outcome, "attempts": entry.attempts, "needs": sorted(t.code for t in terms)},
        scheme=entry.campaign.scheme,
    )
    return entry


@transaction.atomic
def call_make_referral(
    *,
    entry: CampaignEntry,
    by,
    needs: Iterable,
    consent_to_contact: bool,
    contact_channels: Iterable[str] = (ContactMethod.PHONE,),
    note: str = "",
    urgency: str = Urgency.ROUTINE,
    at: datetime | None = None,
) -> Referral:
    """Turn a call into a referral in one step: the person on the list (already known to the
    scheme) is referred for the needs recorded on the call, with their consent to be contacted
    given verbally to the caller. The entry's outcome becomes 'referral created' and the
    referral is linked to it. A second referral from the same entry is refused."""
    entry = _locked_entry(entry)
    campaign = entry.campaign
    _require_member(campaign.scheme, by, Perm.CAMPAIGN_CALL)
    _require_active(campaign)
    _refuse_if_referred(entry)
    errors: dict[str, list[str]] = {}
    if not consent_to_contact:
        errors["consent"] = [
            "Ask whether they agree to be contacted by the team: a referral needs their agreement."
        ]
    channels = sorted(set(contact_channels))
    if not channels:
        errors["contact_channels"] = ["Choose how they agreed to be contacted."]
    elif any(c not in ContactMethod.values for c in channels):
        errors["contact_channels"] = ["Choose how they agreed to be contacted from the list."]
    if urgency not in Urgency.values:
        errors["urgency"] = ["Choose how urgent the referral is."]
    note = (note or "").strip()
    terms = []
    try:
        terms = _needs(needs, entry.campaign.scheme)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        at = _when(at)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)

    person = entry.person
    caller_name = getattr(by, "full_name", "") or getattr(by, "email", "")
    try:
        referral = referral_intake(
            IntakeRequest(
                scheme=campaign.scheme,
                site=campaign.site,
                channel=Channel.CAMPAIGN,
                source_type=SourceType.PROACTIVE,
                person={"given_name": person.given_name, "family_name": person.family_name},
                match_choice=str(person.pk),
                reasons=[str(t.pk) for t in terms],
                consents={
                    "contact": {"method": ConsentMethod.VERBAL, "channels": channels},
                },
                summary=note,
                urgency=urgency,
                referrer_name=caller_name[:150],
                referrer_organisation=f"Proactive calls: {campaign.name}"[:200],
                received_at=at,
            ),
            by=by,
        )
    except ValidationError as error:
        # Reasons are the needs here: show the message where the caller chose them.
        raise ValidationError(
            {("needs" if k == "reasons" else k): v for k, v in error.message_dict.items()}
        ) from None
    referral.campaign_entry = entry
    try:
        with transaction.atomic():
            referral.save(update_fields=["campaign_entry", "updated_at"])
    except IntegrityError:
        raise ApplicationError(
            "campaign_referral_exists",
            "A referral was already made from this call. Only one referral can be made.",
        ) from None
    if entry.outcome in STILL_TO_CALL:
        _count_the_call(entry, by, at)
    entry.outcome = CallOutcome.REFERRAL_CREATED
    if note:
        entry.note = note[:NOTE_MAX]
    entry.full_clean(exclude=["needs"])
    entry.save()
    entry.needs.set(terms)
    log_action(
        by,
        "campaign.referral_made",
        entry,
        {"referral": str(referral.pk), "needs": sorted(t.code for t in terms)},
        scheme=campaign.scheme,
    )
    return referral


@transaction.atomic
def campaign_finish(*, campaign: Campaign, by) -> Campaign:
    """Close the list: no more calls are recorded on it. What it achieved stays to read."""
    campaign = _locked(campaign)
    _require_member(campaign.scheme, by, Perm.CAMPAIGN_MANAGE)
    if campaign.state == Campaign.State.FINISHED:
        raise ApplicationError("campaign_finished", "This call list is already finished.")
    still = CampaignEntry.objects.filter(campaign=campaign).aggregate(
        n=Count("pk", filter=Q(outcome__in=STILL_TO_CALL))
    )["n"]
    campaign.state = Campaign.State.FINISHED
    campaign.save(update_fields=["state"])
    log_action(by, "campaign.finished", campaign, {"still_to_call": still})
    return campaign
