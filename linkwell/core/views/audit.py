"""The scheme's audit log, for administrators and managers."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse

from linkwell.core.access import scheme_view
from linkwell.core.forms import AuditFilterForm
from linkwell.core.permissions import Perm
from linkwell.core.selectors import AuditFilter, audit_log

PAGE_SIZE = 50


@scheme_view(Perm.AUDIT_VIEW)
def audit_log_view(request):
    form = AuditFilterForm(request.GET or None)
    filters = AuditFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = AuditFilter(
            person_id=data["person"].strip(),
            actor_email=data["user"],
            action=data["action"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    entries = audit_log(membership=request.membership, filters=filters)
    if form.is_bound and not form.is_valid():
        entries = entries.none()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_log.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "crumbs": [("Dashboard", reverse("core:dashboard"))],
        },
    )
