"""Writes to the directory: flags, verification, provider and manager edits. All audited."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from linkwell import notify
from linkwell.core.audit import log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Membership, Role, User
from linkwell.core.permissions import Perm, can
from linkwell.directory import taxonomy
from linkwell.directory.models import (
    Attribute,
    Flag,
    Organization,
    Service,
    TaxonomyTerm,
    VerificationRequest,
)
from linkwell.matching.tasks import listings_changed
from linkwell.notify.outbox import message_queue, register_kind

VERIFICATION_LINK_DAYS = 30
VERIFICATION_KIND = "directory.verification_request"

# Fields a provider or a manager may change on a listing's page.
EDITABLE_FIELDS = [
    "name",
    "description",
    "status",
    "url",
    "email",
    "capacity",
    "typical_wait_weeks",
    "in_person",
    "by_phone",
    "online",
    "home_visit",
    "referral_required",
    "drop_in",
    "booking_required",
    "minimum_age",
    "maximum_age",
    "gender",
    "area_served",
    "eligibility_description",
    "cost_type",
    "fee_amount",
    "referral_route",
    "referral_email",
    "referral_phone",
]
MANAGER_ONLY_FIELDS = [
    "scheme_can_fund",
    "is_public",
    "safeguarding_policy_seen_on",
    "dbs_checked_on",
    "insurance_checked_on",
]


def can_edit_service(membership: Membership | None, service: Service) -> bool:
    """Providers edit their own organisation's listings; managers, their scheme's."""
    if membership is None:
        return False
    if can(membership, Perm.DIRECTORY_MANAGE) and service.owner_scheme_id == membership.scheme_id:
        return True
    return (
        can(membership, Perm.DIRECTORY_EDIT_OWN)
        and service.organization.staff.filter(pk=membership.user_id).exists()
    )


def _require_edit(membership: Membership, service: Service) -> None:
    if not can_edit_service(membership, service):
        raise ApplicationError(
            "directory.not_yours", "Only the provider or the scheme that keeps it can change this."
        )


@transaction.atomic
def flag_raise(*, service: Service, membership: Membership, kind: str, note: str = "") -> Flag:
    """Report that a listing is wrong. The provider and the scheme's managers see it."""
    if not can(membership, Perm.DIRECTORY_FLAG):
        raise ApplicationError("directory.cannot_flag", "Your role cannot flag listings.")
    flag = Flag(
        service=service,
        scheme_id=membership.scheme_id,
        raised_by_id=membership.user_id,
        kind=kind,
        note=note.strip(),
    )
    flag.full_clean()
    flag.save()
    log_action(
        membership.user, "directory.flag_raised", service, {"kind": kind}, scheme=membership.scheme
    )
    return flag


@transaction.atomic
def flag_close(*, flag: Flag, membership: Membership, status: str) -> Flag:
    """Mark a flag resolved (the listing was put right) or dismissed (it was right)."""
    if status not in (Flag.Status.RESOLVED, Flag.Status.DISMISSED):
        raise ApplicationError("directory.flag_status", "Choose resolved or dismissed.")
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.status != Flag.Status.OPEN:
        raise ApplicationError("directory.flag_closed", "This flag has already been dealt with.")
    flag.status = status
    flag.resolved_by_id = membership.user_id
    flag.resolved_at = timezone.now()
    flag.save(update_fields=["status", "resolved_by", "resolved_at"])
    log_action(
        membership.user,
        "directory.flag_closed",
        flag.service,
        {"status": status, "kind": flag.kind},
        scheme=membership.scheme,
    )
    return flag


@transaction.atomic
def service_mark_verified(*, service: Service, membership: Membership) -> Service:
    """Confirm a listing is right, as of now."""
    _require_edit(membership, service)
    service.last_verified_at = timezone.now()
    service.verified_by_id = membership.user_id
    service.save(update_fields=["last_verified_at", "verified_by", "last_modified"])
    log_action(membership.user, "directory.verified", service, scheme=membership.scheme)
    return service


@transaction.atomic
def service_update(
    *, service: Service, membership: Membership, changes: dict, terms: list | None = None
) -> Service:
    """Change a listing's details (and, given `terms`, its need areas and types of support).
    Saving the listing also counts as verifying it."""
    _require_edit(membership, service)
    allowed = set(EDITABLE_FIELDS)
    if can(membership, Perm.DIRECTORY_MANAGE):
        allowed |= set(MANAGER_ONLY_FIELDS)
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(
            "directory.field_not_editable", f"These cannot be changed here: {sorted(unknown)}"
        )
    before = {name: getattr(service, name) for name in changes}
    for name, value in changes.items():
        setattr(service, name, value)
    service.last_verified_at = timezone.now()
    service.verified_by_id = membership.user_id
    service.full_clean()
    service.save()
    changed = sorted(name for name in changes if before[name] != getattr(service, name))
    if terms is not None:
        _set_service_terms(service, membership, terms)
        changed.append("terms")
    listings_changed([service.pk])
    log_action(
        membership.user,
        "directory.service_changed",
        service,
        {"fields": changed},
        scheme=membership.scheme,
    )
    return service


def _set_service_terms(service: Service, membership: Membership, term_ids: list) -> None:
    """Replace the service's shared and scheme terms (imported taxonomies' terms stay)."""
    allowed = TaxonomyTerm.objects.filter(
        Q(scheme__isnull=True) | Q(scheme_id=membership.scheme_id),
        taxonomy_id__in=[taxonomy.NEED_AREAS_ID, taxonomy.ACTIVITY_TYPES_ID],
    )
    chosen = list(allowed.filter(pk__in=term_ids))
    if len(chosen) != len(set(map(str, term_ids))):
        raise ApplicationError("directory.unknown_term", "Choose terms from the lists.")
    Attribute.objects.filter(
        link_entity="service", link_id=service.pk, taxonomy_term__in=allowed
    ).delete()
    Attribute.objects.bulk_create(
        [Attribute(link_entity="service", link_id=service.pk, taxonomy_term=t) for t in chosen]
    )


@transaction.atomic
def taxonomy_term_add(*, membership: Membership, taxonomy_id, name: str) -> TaxonomyTerm:
    """A scheme adds a need area or type of support of its own."""
    if not can(membership, Perm.DIRECTORY_MANAGE):
        raise ApplicationError("directory.cannot_add_term", "Your role cannot add terms.")
    if str(taxonomy_id) not in {str(taxonomy.NEED_AREAS_ID), str(taxonomy.ACTIVITY_TYPES_ID)}:
        raise ApplicationError(
            "directory.unknown_taxonomy", "Choose need areas or types of support."
        )
    name = name.strip()
    clash = TaxonomyTerm.objects.filter(
        Q(scheme__isnull=True) | Q(scheme_id=membership.scheme_id),
        taxonomy_id=taxonomy_id,
        name__iexact=name,
    ).exists()
    if clash:
        raise ApplicationError(
            "directory.term_exists",
            "That term is already there.",
            fields={"name": ["That term is already in the list"]},
        )
    term = TaxonomyTerm(
        taxonomy_id=taxonomy_id,
        name=name,
        code=slugify(name)[:100],
        scheme_id=membership.scheme_id,
        language="en",
    )
    term.full_clean()
    term.save()
    log_action(
        membership.user, "directory.term_added", term, {"name": name}, scheme=membership.scheme
    )
    return term


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def verification_requests_send(
    *, services: Iterable[Service], membership: Membership
) -> tuple[list[VerificationRequest], list[Service]]:
    """Email each listing's provider a link to confirm it is still right in one click.

    Returns the requests sent and the services that have no email address to send to.
    """
    if not can(membership, Perm.DIRECTORY_MANAGE):
        raise ApplicationError("directory.cannot_request", "Your role cannot send these.")
    sent: list[VerificationRequest] = []
    no_address: list[Service] = []
    now = timezone.now()
    for service in services:
        if service.owner_scheme_id != membership.scheme_id:
            raise ApplicationError(
                "directory.not_yours", f"{service.name} is not one of this scheme's listings."
            )
        address = service.email or service.organization.email
        if not address:
            no_address.append(service)
            continue
        secret = secrets.token_urlsafe(32)
        request = VerificationRequest.objects.create(
            service=service,
            scheme_id=membership.scheme_id,
            sent_to=address,
            digest=_digest(secret),
            requested_by_id=membership.user_id,
            expires_at=now + timedelta(days=VERIFICATION_LINK_DAYS),
        )
        link = settings.LINKWELL_BASE_URL + reverse("directory:confirm", args=[secret])
        body = render_to_string(
            "directory/email/verification_request.txt",
            {
                "service": service,
                "scheme": membership.scheme,
                "link": link,
                "days": VERIFICATION_LINK_DAYS,
            },
        )
        # Sent in the background with retries; one that cannot be delivered is shown to the
        # manager who asked, under "Messages not sent", with this page to ask again from.
        message_queue(
            notify.Message(
                kind=VERIFICATION_KIND,
                to_email=address,
                subject=f"Is your listing for {service.name} still right?",
                body=body,
                reference=str(request.pk),
                personalisation={
                    "service": service.name,
                    "organisation": service.organization.name,
                    "scheme": membership.scheme.name,
                    "link": link,
                    "days": str(VERIFICATION_LINK_DAYS),
                },
            ),
            scheme_id=membership.scheme_id,
            about=service,
            link=reverse("directory:freshness"),
            sender=membership.user,
            secret=True,
        )
        log_action(
            membership.user,
            "directory.verification_requested",
            service,
            {"to": address},
            scheme=membership.scheme,
        )
        sent.append(request)
    return sent, no_address


def _verification_still_wanted(row) -> str:
    """Asked just before each try: a request already answered, or out of date, is not sent."""
    request = VerificationRequest.objects.filter(pk=row.reference).first()
    if request is None:
        return "The request to check the listing was removed."
    if request.confirmed_at is not None:
        return "The listing was confirmed already."
    if request.expires_at < timezone.now():
        return "The link in it has expired."
    return ""


def _verification_not_sent(row, why: str) -> None:
    """A request whose email could not be delivered is not waiting for an answer: its link is
    closed, so the listing shows as not asked and can be asked again."""
    VerificationRequest.objects.filter(pk=row.reference, confirmed_at__isnull=True).update(
        expires_at=timezone.now()
    )


register_kind(
    VERIFICATION_KIND,
    still_wanted=_verification_still_wanted,
    on_not_sent=_verification_not_sent,
)


def verification_request_for(secret: str) -> VerificationRequest | None:
    """The live request for an emailed link's secret, or None if unknown, used or expired."""
    request = (
        VerificationRequest.objects.select_related("service__organization")
        .filter(digest=_digest(secret))
        .first()
    )
    if request is None or request.confirmed_at is not None or request.expires_at < timezone.now():
        return None
    return request


@transaction.atomic
def verification_confirm(*, secret: str) -> Service:
    """The provider confirms from the emailed link that their listing is still right."""
    request = verification_request_for(secret)
    now = timezone.now()
    # Claim the link in one conditional update, so two clicks at once confirm only once.
    claimed = (
        request is not None
        and VerificationRequest.objects.filter(pk=request.pk, confirmed_at__isnull=True).update(
            confirmed_at=now
        )
        == 1
    )
    if not claimed:
        raise ApplicationError(
            "directory.link_expired", "This link has expired or has already been used."
        )
    service = request.service
    service.last_verified_at = now
    service.verified_by = None
    service.save(update_fields=["last_verified_at", "verified_by", "last_modified"])
    log_action(
        None,
        "directory.verified_by_link",
        service,
        {"by_email": request.sent_to},
        scheme=request.scheme,
    )
    return service


@transaction.atomic
def listing_create(
    *, membership: Membership, organization_name: str, service_name: str, description: str = ""
) -> Service:
    """A manager adds a listing the scheme will keep: the organisation (found by name among the
    scheme's, or new) and its service. The rest is filled in on the listing's edit page."""
    if not can(membership, Perm.DIRECTORY_MANAGE):
        raise ApplicationError("directory.cannot_add", "Your role cannot add listings.")
    organization = Organization.objects.filter(
        owner_scheme_id=membership.scheme_id, name__iexact=organization_name.strip()
    ).first()
    if organization is None:
        organization = Organization(
            name=organization_name.strip(), owner_scheme_id=membership.scheme_id
        )
        organization.full_clean()
        organization.save()
    service = Service(
        organization=organization,
        name=service_name.strip(),
        description=description.strip(),
        owner_scheme_id=membership.scheme_id,
        last_verified_at=timezone.now(),
        verified_by_id=membership.user_id,
    )
    service.full_clean()
    service.save()
    listings_changed([service.pk])
    log_action(membership.user, "directory.listing_added", service, scheme=membership.scheme)
    return service


ORGANIZATION_FIELDS = ["name", "description", "email", "website"]


def can_edit_organization(membership: Membership | None, organization: Organization) -> bool:
    if membership is None:
        return False
    if (
        can(membership, Perm.DIRECTORY_MANAGE)
        and organization.owner_scheme_id == membership.scheme_id
    ):
        return True
    return (
        can(membership, Perm.DIRECTORY_EDIT_OWN)
        and organization.staff.filter(pk=membership.user_id).exists()
    )


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    membership: Membership,
    changes: dict,
    staff_ids: list | None = None,
) -> Organization:
    """A provider (or the scheme) changes the organisation's own details; the scheme's managers
    also say which of the scheme's provider users keep its listings (`staff_ids`)."""
    if not can_edit_organization(membership, organization):
        raise ApplicationError(
            "directory.not_yours", "Only the provider or the scheme that keeps it can change this."
        )
    unknown = set(changes) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise ApplicationError("directory.field_not_editable", f"Not editable: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(organization, name, value)
    organization.full_clean()
    organization.save()
    data = {"fields": sorted(changes)}
    if staff_ids is not None:
        if not can(membership, Perm.DIRECTORY_MANAGE):
            raise ApplicationError("directory.cannot_link", "Only the scheme's managers can.")
        providers = User.objects.filter(
            memberships__scheme_id=membership.scheme_id,
            memberships__role=Role.PROVIDER,
            memberships__is_active=True,
        )
        chosen = list(providers.filter(pk__in=staff_ids))
        if len(chosen) != len(set(map(str, staff_ids))):
            raise ApplicationError(
                "directory.not_a_provider", "Choose provider users of this scheme only."
            )
        # Keep links to other schemes' providers; set this scheme's.
        organization.staff.remove(*organization.staff.filter(pk__in=providers))
        organization.staff.add(*chosen)
        data["staff"] = sorted(u.email for u in chosen)
    log_action(
        membership.user,
        "directory.organization_changed",
        organization,
        data,
        scheme=membership.scheme,
    )
    return organization


def provider_link_user(*, organization, user: User, by: User) -> None:
    """Let a provider user keep this organisation's listings."""
    organization.staff.add(user)
    log_action(by, "directory.provider_linked", organization, {"user": user.email})
