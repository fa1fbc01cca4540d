"""The waiting-room library's pages, for managers and administrators."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from linkwell.core.access import scheme_view
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm
from linkwell.core.views.util import apply_errors
from linkwell.resources import selectors, services
from linkwell.resources.forms import ResourceFilterForm, ResourceForm

PAGE_SIZE = 25


def _crumbs(*extra):
    return [("Dashboard", reverse("core:dashboard")), *extra]


def _library_crumbs():
    return _crumbs(("Waiting-room resources", reverse("resources:list")))


@scheme_view(Perm.RESOURCES_MANAGE)
def resource_list(request):
    form = ResourceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    resources = selectors.resources_for(
        membership=request.membership,
        need=filters.get("need") or None,
        format=filters.get("format") or None,
        due_for_review=bool(filters.get("due")),
        retired=bool(filters.get("retired")),
    )
    page = Paginator(resources, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "resources/list.html",
        {
            "form": form,
            "page": page,
            "today": timezone.localdate(),
            "retired": bool(filters.get("retired")),
            "query": params.urlencode(),
            "crumbs": _crumbs(),
        },
    )


def _form_data(form: ResourceForm) -> dict:
    data = dict(form.cleaned_data)
    data.pop("file", None)
    data.pop("remove_file", None)
    return data


@scheme_view(Perm.RESOURCES_MANAGE)
@require_http_methods(["GET", "POST"])
def resource_add(request):
    bound = request.method == "POST"
    form = ResourceForm(request.POST if bound else None, request.FILES if bound else None)
    if bound and form.is_valid():
        try:
            resource = services.resource_create(
                membership=request.membership,
                data=_form_data(form),
                file=form.cleaned_data.get("file"),
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Added {resource.title}.")
            return redirect("resources:list")
    return render(
        request,
        "resources/form.html",
        {"form": form, "resource": None, "crumbs": _library_crumbs()},
    )


@scheme_view(Perm.RESOURCES_MANAGE)
@require_http_methods(["GET", "POST"])
def resource_edit(request, resource_id):
    resource = selectors.resource_get(membership=request.membership, resource_id=resource_id)
    bound = request.method == "POST"
    initial = {
        "title": resource.title,
        "summary": resource.summary,
        "format": resource.format,
        "url": resource.url,
        "phone": resource.phone,
        "phone_hours": resource.phone_hours,
        "need_areas": [str(t.pk) for t in resource.need_areas.all()],
        "accessibility_notes": resource.accessibility_notes,
        "review_date": resource.review_date,
    }
    form = ResourceForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        initial=initial,
        has_file=bool(resource.file),
    )
    if bound and form.is_valid():
        try:
            services.resource_update(
                membership=request.membership,
                resource=resource,
                data=_form_data(form),
                file=form.cleaned_data.get("file"),
                remove_file=form.cleaned_data.get("remove_file", False),
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Saved {form.cleaned_data['title']}.")
            return redirect("resources:list")
    return render(
        request,
        "resources/form.html",
        {
            "form": form,
            "resource": resource,
            "today": timezone.localdate(),
            "crumbs": _library_crumbs(),
        },
    )


@scheme_view(Perm.RESOURCES_MANAGE)
@require_POST
def resource_retire(request, resource_id):
    resource = selectors.resource_get(membership=request.membership, resource_id=resource_id)
    try:
        services.resource_retire(membership=request.membership, resource=resource)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Retired {resource.title}. People no longer see it.")
    return redirect("resources:list")


@scheme_view(Perm.RESOURCES_MANAGE)
@require_POST
def resource_restore(request, resource_id):
    resource = selectors.resource_get(membership=request.membership, resource_id=resource_id)
    try:
        services.resource_restore(membership=request.membership, resource=resource)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Brought back {resource.title}.")
    return redirect("resources:edit", resource_id=resource.pk)


def leaflet_response(resource) -> FileResponse:
    """The resource's uploaded leaflet, as a PDF download named after its title."""
    if not resource.file:
        raise Http404("This resource has no file.")
    try:
        handle = resource.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    name = "".join(c if c.isalnum() or c in " -" else " " for c in resource.title).strip()
    response = FileResponse(
        handle,
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{name or 'leaflet'}.pdf",
    )
    response["Cache-Control"] = "no-store"
    return response


@scheme_view(Perm.RESOURCES_MANAGE)
def resource_file(request, resource_id):
    resource = selectors.resource_get(membership=request.membership, resource_id=resource_id)
    return leaflet_response(resource)
