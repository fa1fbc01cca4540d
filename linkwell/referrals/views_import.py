"""Pages of the CSV import: upload, choose the columns, preview the problems, import."""

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from linkwell.core.access import scheme_view
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm
from linkwell.core.views.util import apply_errors
from linkwell.referrals import csv_import
from linkwell.referrals.forms_import import ImportMappingForm, ImportUploadForm
from linkwell.referrals.models import ReferralImport

SAMPLE = Path(__file__).resolve().parent / "demo_data" / "proactive_over_75s.csv"
RECENT_SHOWN = 20


def _crumbs(*extra):
    return [
        ("Dashboard", reverse("core:dashboard")),
        ("Import from a CSV file", reverse("referral_import:start")),
        *extra,
    ]


@scheme_view(Perm.REFERRAL_IMPORT)
@require_http_methods(["GET", "POST"])
def start(request):
    """Upload a file; below, the scheme's past imports."""
    bound = request.method == "POST"
    form = ImportUploadForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        membership=request.membership,
    )
    if bound and form.is_valid():
        try:
            imp = csv_import.referral_import_upload(
                membership=request.membership,
                upload=form.cleaned_data["upload"],
                kind=form.cleaned_data["kind"],
                campaign=form.cleaned_data.get("campaign"),
                new_campaign=form.cleaned_data.get("new_campaign", ""),
                site=form.cleaned_data.get("site"),
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            return redirect("referral_import:detail", import_id=imp.pk)
    return render(
        request,
        "referrals/import_start.html",
        {
            "form": form,
            "imports": csv_import.imports_for(request.membership)[:RECENT_SHOWN],
            "max_rows": csv_import.MAX_ROWS,
            "crumbs": [("Dashboard", reverse("core:dashboard"))],
        },
    )


@scheme_view(Perm.REFERRAL_IMPORT)
@require_http_methods(["GET", "POST"])
def detail(request, import_id):
    """The import's current step: the column choices, the preview, or the result."""
    imp = csv_import.import_get(membership=request.membership, import_id=import_id)
    State = ReferralImport.State
    remap = (
        request.GET.get("change") == "columns"
        and imp.state == State.PREVIEWED
        and not csv_import.is_queued(imp)
    )
    if request.method == "POST" or imp.state == State.UPLOADED or remap:
        return _mapping(request, imp)
    if csv_import.is_queued(imp):
        template = (
            "referrals/partials/import_running.html"
            if request.htmx
            else "referrals/import_running.html"
        )
    elif imp.state == State.PREVIEWED:
        template = "referrals/import_preview.html"
    else:
        template = "referrals/import_result.html"
    return render(
        request,
        template,
        {
            "imp": imp,
            "problems": csv_import.problems_shown(imp),
            "problem_count": csv_import.problem_count(imp),
            "bad_rows": len(imp.error_rows),
            "good_rows": imp.row_count - len(imp.error_rows),
            "shown_limit": csv_import.PROBLEMS_SHOWN,
            "result": imp.mapping.get("result", {}),
            "failed": imp.mapping.get("failed", ""),
            "crumbs": _crumbs(),
        },
    )


def _mapping(request, imp):
    form = ImportMappingForm(request.POST if request.method == "POST" else None, imp=imp)
    if request.method == "POST" and form.is_valid():
        try:
            csv_import.referral_import_map(
                membership=request.membership,
                imp=imp,
                columns=form.columns(),
                source_type=form.cleaned_data.get("default_source_type", ""),
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            return redirect("referral_import:detail", import_id=imp.pk)
    return render(
        request,
        "referrals/import_map.html",
        {
            "imp": imp,
            "form": form,
            "encoding": imp.mapping.get("encoding", ""),
            "crumbs": _crumbs(),
        },
    )


@scheme_view(Perm.REFERRAL_IMPORT)
@require_POST
def run(request, import_id):
    imp = csv_import.import_get(membership=request.membership, import_id=import_id)
    try:
        imp = csv_import.referral_import_queue(membership=request.membership, imp=imp)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("referral_import:detail", import_id=imp.pk)


@scheme_view(Perm.REFERRAL_IMPORT)
@require_POST
def cancel(request, import_id):
    imp = csv_import.import_get(membership=request.membership, import_id=import_id)
    try:
        csv_import.referral_import_cancel(membership=request.membership, imp=imp)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("referral_import:detail", import_id=imp.pk)
    messages.success(request, f"The import of {imp.file_name} was cancelled. Nothing was stored.")
    return redirect("referral_import:start")


@scheme_view(Perm.REFERRAL_IMPORT)
def rejected(request, import_id):
    """The rows left out, with the reason for each, as a CSV file to correct and upload again."""
    imp = csv_import.import_get(membership=request.membership, import_id=import_id)
    text = csv_import.rejected_csv(membership=request.membership, imp=imp)
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    stem = Path(imp.file_name).stem or "import"
    response["Content-Disposition"] = f'attachment; filename="{stem}-rejected-rows.csv"'
    response["Cache-Control"] = "no-store"
    return response


@scheme_view(Perm.REFERRAL_IMPORT)
def sample(request):
    """A made-up proactive list to try the import with."""
    return FileResponse(
        SAMPLE.open("rb"),
        as_attachment=True,
        filename=SAMPLE.name,
        content_type="text/csv; charset=utf-8",
    )
