"""Writes to the waiting-room library: add, change, retire and restore a resource, each checked
and audited. Uploaded leaflets are checked by their content (a PDF, not too big) before they
are stored."""

from __future__ import annotations

import re
import uuid
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Membership
from linkwell.core.permissions import Perm, require
from linkwell.directory.models import TaxonomyTerm
from linkwell.directory.taxonomy import NEED_AREAS_ID
from linkwell.resources.models import Resource, ResourceFormat

ACTIONS.update(
    {
        "resource.created": "Added a waiting-room resource",
        "resource.updated": "Changed a waiting-room resource",
        "resource.retired": "Retired a waiting-room resource",
        "resource.restored": "Brought back a retired waiting-room resource",
    }
)

LEAFLET_MAX_BYTES = 5 * 1024 * 1024
_SHORT_CODE = re.compile(r"^[0-9]{3,6}$")
FIELDS = (
    "title",
    "summary",
    "format",
    "url",
    "phone",
    "phone_hours",
    "accessibility_notes",
    "review_date",
)


def check_leaflet(upload: UploadedFile) -> None:
    """A leaflet must be a PDF (by its content, whatever its name says) of at most 5 MB."""
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": ["The file is empty."]})
    if size > LEAFLET_MAX_BYTES:
        raise ValidationError(
            {"file": [f"The file must be smaller than {LEAFLET_MAX_BYTES // (1024 * 1024)} MB."]}
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(max(0, size - 2048))
    tail = upload.read()
    upload.seek(0)
    if b"%PDF-" not in head[:1024] or b"%%EOF" not in tail:
        raise ValidationError({"file": ["The file must be a PDF."]})


def clean_resource_phone(value: str) -> str:
    """A phone line as people will dial it: a UK number in its national form (01632 960001),
    an international number, or a short code like 116 123; blank stays blank."""
    text = (value or "").strip()
    if not text:
        return ""
    digits = re.sub(r"[\s-]", "", text)
    if _SHORT_CODE.match(digits):
        return text
    from linkwell.people.validation import format_phone, normalise_phone

    try:
        return format_phone(normalise_phone(text))
    except ValidationError:
        pass
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return format_phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    raise ValidationError(
        {"phone": ["Enter a phone number, like 01632 960 001, or a short number like 116 123."]}
    )


def _need_areas(values) -> list[TaxonomyTerm]:
    ids = [str(v) for v in values or [] if str(v).strip()]
    if not ids:
        return []
    try:
        ids = [uuid.UUID(v) for v in ids]
    except ValueError:
        raise ValidationError({"need_areas": ["Choose need areas from the list."]}) from None
    terms = list(TaxonomyTerm.objects.filter(taxonomy_id=NEED_AREAS_ID, pk__in=ids))
    if len(terms) != len(set(ids)):
        raise ValidationError({"need_areas": ["Choose need areas from the list."]})
    return terms


def _check_ways_in(resource: Resource, errors: dict[str, list[str]]) -> None:
    """Each format needs its way in: a web address, a phone number, or a leaflet."""
    match resource.format:
        case ResourceFormat.WEB | ResourceFormat.VIDEO:
            if not resource.url:
                errors.setdefault("url", []).append("Enter the web address.")
        case ResourceFormat.PHONE:
            if not resource.phone:
                errors.setdefault("phone", []).append("Enter the phone number.")
        case ResourceFormat.LEAFLET:
            if not resource.file and not resource.url:
                errors.setdefault("file", []).append(
                    "Upload the leaflet as a PDF, or give the web address where it is."
                )
    if resource.url and not resource.url.lower().startswith(("https://", "http://")):
        errors.setdefault("url", []).append("Enter a web address starting with https://")


def _apply(resource: Resource, data: dict, file: UploadedFile | None, remove_file: bool) -> list:
    """Copy the data onto the resource and check it; raise with every problem at once."""
    errors: dict[str, list[str]] = {}
    for name in FIELDS:
        if name in data:
            value = data[name]
            setattr(resource, name, value.strip() if isinstance(value, str) else value)
    if "phone" in data:
        try:
            resource.phone = clean_resource_phone(data["phone"])
        except ValidationError as error:
            errors.update(error.message_dict)
    if not resource.title:
        errors.setdefault("title", []).append("Enter a title.")
    if not resource.summary:
        errors.setdefault("summary", []).append("Say in a sentence or two what it is.")
    if resource.format not in ResourceFormat.values:
        errors.setdefault("format", []).append("Choose what kind of resource it is.")
    if not isinstance(resource.review_date, date):
        errors.setdefault("review_date", []).append("Enter the date it should next be checked.")
    if file is not None:
        try:
            check_leaflet(file)
        except ValidationError as error:
            errors.update(error.message_dict)
    elif remove_file:
        resource.file = ""
    terms = None
    if "need_areas" in data:
        try:
            terms = _need_areas(data["need_areas"])
        except ValidationError as error:
            errors.update(error.message_dict)
    if file is not None:
        resource.file = "pending.pdf"  # a placeholder while the other fields are checked
    _check_ways_in(resource, errors)
    if not errors:
        try:
            resource.full_clean(exclude=["file", "need_areas", "scheme", "created_by"])
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if file is not None:
        # Stored under a name of our own: the uploader's file name says nothing to anyone.
        resource.file.save(f"{uuid.uuid4()}.pdf", file, save=False)
    return terms


@transaction.atomic
def resource_create(
    *, membership: Membership, data: dict, file: UploadedFile | None = None
) -> Resource:
    require(membership, Perm.RESOURCES_MANAGE)
    resource = Resource(scheme=membership.scheme, created_by=membership.user)
    terms = _apply(resource, data, file, remove_file=False)
    resource.save()
    if terms:
        resource.need_areas.set(terms)
    log_action(membership.user, "resource.created", resource, {"format": resource.format})
    return resource


@transaction.atomic
def resource_update(
    *,
    membership: Membership,
    resource: Resource,
    data: dict,
    file: UploadedFile | None = None,
    remove_file: bool = False,
) -> Resource:
    require(membership, Perm.RESOURCES_MANAGE)
    resource = _locked(membership, resource)
    before = {name: getattr(resource, name) for name in FIELDS}
    before_file = resource.file.name
    before_terms = set(resource.need_areas.values_list("pk", flat=True))
    terms = _apply(resource, data, file, remove_file)
    resource.save()
    changed = [name for name in FIELDS if getattr(resource, name) != before[name]]
    if resource.file.name != before_file:
        changed.append("file")
    if terms is not None and {t.pk for t in terms} != before_terms:
        resource.need_areas.set(terms)
        changed.append("need_areas")
    if changed:
        log_action(membership.user, "resource.updated", resource, {"fields": changed})
    return resource


def _locked(membership: Membership, resource: Resource) -> Resource:
    locked = Resource.objects.select_for_update().filter(pk=resource.pk, scheme=membership.scheme)
    found = locked.first()
    if found is None:
        raise ApplicationError("resource_not_found", "That resource was not found.")
    return found


@transaction.atomic
def resource_retire(*, membership: Membership, resource: Resource) -> Resource:
    """Take a resource out of every waiting room; it stays on record and can come back."""
    require(membership, Perm.RESOURCES_MANAGE)
    resource = _locked(membership, resource)
    if not resource.is_active:
        raise ApplicationError("resource_already_retired", "This resource is already retired.")
    resource.is_active = False
    resource.retired_at = timezone.now()
    resource.save(update_fields=["is_active", "retired_at", "updated_at"])
    log_action(membership.user, "resource.retired", resource)
    return resource


@transaction.atomic
def resource_restore(*, membership: Membership, resource: Resource) -> Resource:
    require(membership, Perm.RESOURCES_MANAGE)
    resource = _locked(membership, resource)
    if resource.is_active:
        raise ApplicationError("resource_not_retired", "This resource is in use already.")
    resource.is_active = True
    resource.retired_at = None
    resource.save(update_fields=["is_active", "retired_at", "updated_at"])
    log_action(membership.user, "resource.restored", resource)
    return resource
