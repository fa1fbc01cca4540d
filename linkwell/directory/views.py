"""The directory's pages: search, a listing's page, flags, provider edits, freshness."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from linkwell.connections.statistics import response_stats
from linkwell.core.access import scheme_view
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm, can
from linkwell.core.views.util import apply_errors
from linkwell.directory import imports, search, selectors, services
from linkwell.directory.forms import (
    DirectoryImportForm,
    DirectorySearchForm,
    FlagForm,
    ListingAddForm,
    OrganizationEditForm,
    ServiceEditForm,
    TermAddForm,
)
from linkwell.directory.models import Flag, Organization, Service
from linkwell.geo import PostcodeError, lookup_postcode

PAGE_SIZE = 20


def _crumbs(*extra):
    return [("Dashboard", reverse("core:dashboard")), *extra]


def _service_crumbs(service: Service):
    return _crumbs(
        ("Directory", reverse("directory:search")),
        (service.name, reverse("directory:service", args=[service.pk])),
    )


def _query(form: DirectorySearchForm) -> search.ServiceQuery | None:
    """The search the form asks for, or None when the form has errors."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    point = None
    if data["postcode"].strip():
        try:
            point = lookup_postcode(data["postcode"])
        except PostcodeError as error:
            form.add_error("postcode", error.message)
            return None
    terms = [t for t in (data["need"], data["activity"]) if t]
    take_part = set(data["take_part"])
    start = data["time"]
    return search.ServiceQuery(
        text=data["q"].strip(),
        taxonomy_term_ids=tuple(terms),
        minimum_age=data["age"],
        maximum_age=data["age"],
        day=data["day"] or None,
        start_time=start,
        end_time=start,
        in_person="in_person" in take_part or None,
        by_phone="by_phone" in take_part or None,
        online="online" in take_part or None,
        home_visit="home_visit" in take_part or None,
        free_only=data["free_only"],
        latitude=point.latitude if point else None,
        longitude=point.longitude if point else None,
        proximity_m=int(data["distance"] or 5000) if point else None,
    )


@scheme_view(Perm.DIRECTORY_VIEW)
def directory_search(request):
    membership = request.membership
    form = DirectorySearchForm(request.GET or None, scheme=membership.scheme)
    query = _query(form) if form.is_bound else search.ServiceQuery()
    results = selectors.visible_services(membership=membership).none()
    if query is not None:
        results = search.apply_query(
            selectors.visible_services(membership=membership), query
        ).select_related("organization")
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    services_on_page = list(page.object_list)
    terms = selectors.terms_by_service(services_on_page)
    for service in services_on_page:
        service.terms = terms.get(service.pk, [])
        service.stale = selectors.is_stale(service, days=membership.scheme.directory_freshness_days)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "services": services_on_page,
        "query": params.urlencode(),
        "crumbs": _crumbs(),
    }
    template = "directory/partials/results.html" if request.htmx else "directory/search.html"
    return render(request, template, context)


@scheme_view(Perm.DIRECTORY_VIEW)
def service_detail(request, service_id):
    membership = request.membership
    service = selectors.service_page(membership=membership, service_id=service_id)
    return render(
        request,
        "directory/service.html",
        {
            "service": service,
            "stale": selectors.is_stale(service, days=membership.scheme.directory_freshness_days),
            "can_edit": services.can_edit_service(membership, service),
            "responses": response_stats(scheme_id=membership.scheme_id, service_id=service.pk),
            "crumbs": _crumbs(("Directory", reverse("directory:search"))),
        },
    )


@scheme_view(Perm.DIRECTORY_FLAG)
@require_http_methods(["GET", "POST"])
def service_flag(request, service_id):
    membership = request.membership
    service = selectors.service_page(membership=membership, service_id=service_id)
    form = FlagForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.flag_raise(
            service=service,
            membership=membership,
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
        )
        messages.success(
            request, "Thank you. The provider and the scheme's managers will see this."
        )
        return redirect("directory:service", service_id=service.pk)
    return render(
        request,
        "directory/flag.html",
        {
            "service": service,
            "form": form,
            "crumbs": _service_crumbs(service),
        },
    )


@scheme_view(Perm.DIRECTORY_VIEW)
@require_http_methods(["GET", "POST"])
def service_edit(request, service_id):
    membership = request.membership
    service = selectors.service_page(membership=membership, service_id=service_id)
    if not services.can_edit_service(membership, service):
        return render(request, "403.html", status=403)
    manager = can(membership, Perm.DIRECTORY_MANAGE)
    form = ServiceEditForm(
        request.POST if request.method == "POST" else None,
        instance=Service.objects.get(pk=service.pk),
        manager=manager,
        scheme=membership.scheme,
        current_terms=[t.pk for t in service.terms],
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.service_update(
                service=service,
                membership=membership,
                changes=form.changes(),
                terms=form.terms(),
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Listing saved, and marked as checked today.")
            return redirect("directory:service", service_id=service.pk)
    return render(
        request,
        "directory/edit.html",
        {
            "service": service,
            "form": form,
            "crumbs": _service_crumbs(service),
        },
    )


@scheme_view(Perm.DIRECTORY_VIEW)
@require_POST
def service_verify(request, service_id):
    membership = request.membership
    service = selectors.service_page(membership=membership, service_id=service_id)
    try:
        services.service_mark_verified(service=service, membership=membership)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Marked as still correct today.")
    return redirect("directory:service", service_id=service.pk)


@scheme_view(Perm.DIRECTORY_MANAGE)
@require_http_methods(["GET", "POST"])
def freshness(request):
    membership = request.membership
    queue = selectors.freshness_queue(membership=membership)
    error = None
    if request.method == "POST":
        chosen = request.POST.getlist("service")
        picked = list(queue.filter(pk__in=[c for c in chosen if _is_uuid(c)]))
        if not picked:
            error = "Choose at least one listing to ask about"
        else:
            sent, no_address = services.verification_requests_send(
                services=picked, membership=membership
            )
            note = (
                f"Asking {len(sent)} provider{'s' if len(sent) != 1 else ''} to check their "
                "listing. An email that cannot be delivered will be listed under Messages not sent."
            )
            if no_address:
                names = ", ".join(s.name for s in no_address)
                note += f" No email address for: {names}."
            messages.success(request, note)
            return redirect("directory:freshness")
    page = Paginator(queue, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "directory/freshness.html",
        {
            "page": page,
            "error": error,
            "days": membership.scheme.directory_freshness_days,
            "crumbs": _crumbs(("Directory", reverse("directory:search"))),
        },
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@scheme_view(Perm.DIRECTORY_MANAGE)
def flags(request):
    page = Paginator(selectors.scheme_flags(membership=request.membership), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "directory/flags.html",
        {"page": page, "crumbs": _crumbs(("Directory", reverse("directory:search")))},
    )


@scheme_view(Perm.DIRECTORY_MANAGE)
@require_POST
def flag_close(request, flag_id):
    flag = selectors.scheme_flag_get(membership=request.membership, flag_id=flag_id)
    status = request.POST.get("status", "")
    try:
        services.flag_close(flag=flag, membership=request.membership, status=status)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        label = "resolved" if status == Flag.Status.RESOLVED else "dismissed"
        messages.success(request, f"Flag on {flag.service.name} {label}.")
    return redirect("directory:flags")


@scheme_view(Perm.DIRECTORY_EDIT_OWN)
def provider_listings(request):
    return render(
        request,
        "directory/mine.html",
        {
            "services": selectors.provider_services(membership=request.membership),
            "crumbs": _crumbs(),
        },
    )


@require_http_methods(["GET", "POST"])
def confirm(request, secret):
    """The provider's one-click "still correct" from the emailed link. No sign-in needed: the
    link is the key. GET shows the listing; only the POST confirms (link scanners GET)."""
    pending = services.verification_request_for(secret)
    if pending is None:
        return render(request, "directory/confirm_expired.html", status=404)
    if request.method == "POST":
        try:
            service = services.verification_confirm(secret=secret)
        except ApplicationError:
            return render(request, "directory/confirm_expired.html", status=404)
        return render(request, "directory/confirmed.html", {"service": service})
    return render(request, "directory/confirm.html", {"service": pending.service})


@scheme_view(Perm.DIRECTORY_MANAGE)
@require_http_methods(["GET", "POST"])
def import_start(request):
    bound = request.method == "POST"
    form = DirectoryImportForm(request.POST if bound else None, request.FILES if bound else None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.directory_import_start(
                membership=request.membership,
                upload=form.cleaned_data["upload"],
                url=form.cleaned_data["url"],
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            return redirect("directory:import_detail", import_id=job.pk)
    return render(
        request,
        "directory/import_start.html",
        {
            "form": form,
            "recent": selectors.scheme_imports(membership=request.membership)[:10],
            "crumbs": _crumbs(("Directory", reverse("directory:search"))),
        },
    )


@scheme_view(Perm.DIRECTORY_MANAGE)
def import_detail(request, import_id):
    job = selectors.scheme_import_get(membership=request.membership, import_id=import_id)
    template = (
        "directory/partials/import_progress.html"
        if request.htmx
        else "directory/import_detail.html"
    )
    return render(
        request,
        template,
        {
            "job": job,
            "crumbs": _crumbs(
                ("Directory", reverse("directory:search")),
                ("Import", reverse("directory:import")),
            ),
        },
    )


@scheme_view(Perm.DIRECTORY_MANAGE)
@require_http_methods(["GET", "POST"])
def listing_add(request):
    form = ListingAddForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            service = services.listing_create(membership=request.membership, **form.cleaned_data)
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{service.name} added. Now fill in the details.")
            return redirect("directory:edit", service_id=service.pk)
    return render(
        request,
        "directory/add.html",
        {"form": form, "crumbs": _crumbs(("Directory", reverse("directory:search")))},
    )


@scheme_view(Perm.DIRECTORY_VIEW)
@require_http_methods(["GET", "POST"])
def organization_edit(request, organization_id):
    organization = selectors.organization_get(
        membership=request.membership, organization_id=organization_id
    )
    if not services.can_edit_organization(request.membership, organization):
        return render(request, "403.html", status=403)
    manager = can(request.membership, Perm.DIRECTORY_MANAGE)
    form = OrganizationEditForm(
        request.POST if request.method == "POST" else None,
        instance=organization,
        provider_choices=selectors.scheme_provider_choices(membership=request.membership)
        if manager
        else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(
                organization=Organization.objects.get(pk=organization.pk),
                membership=request.membership,
                changes=form.changes(),
                staff_ids=form.cleaned_data["staff"] if manager else None,
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['name']} saved.")
            return redirect(
                "directory:mine"
                if can(request.membership, Perm.DIRECTORY_EDIT_OWN)
                else "directory:search"
            )
    return render(
        request,
        "directory/organization_edit.html",
        {"form": form, "organization": organization, "crumbs": _crumbs()},
    )


@scheme_view(Perm.DIRECTORY_MANAGE)
@require_http_methods(["GET", "POST"])
def terms(request):
    form = TermAddForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            term = services.taxonomy_term_add(
                membership=request.membership,
                taxonomy_id=form.cleaned_data["taxonomy"],
                name=form.cleaned_data["name"],
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"'{term.name}' added.")
            return redirect("directory:terms")
    return render(
        request,
        "directory/terms.html",
        {
            "form": form,
            "taxonomies": selectors.scheme_taxonomies(membership=request.membership),
            "crumbs": _crumbs(("Directory", reverse("directory:search"))),
        },
    )
