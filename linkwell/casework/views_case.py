"""The case record: one page with the person, the plan, follow-ups and a timeline of everything;
recording a contact (HTMX, no page reload) or a note; pausing, resuming and starting to close;
and the family view of the person's household."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from linkwell.casework import selectors, services
from linkwell.casework.forms_case import ContactForm, HouseholdMembersForm, MoveForm, NoteForm
from linkwell.casework.forms_caseload import case_assign_form
from linkwell.casework.selectors_followups import case_followups
from linkwell.casework.selectors_household import case_family, involved_members
from linkwell.casework.selectors_plan import case_plan
from linkwell.casework.selectors_timeline import case_timeline
from linkwell.casework.services import EditConflict
from linkwell.casework.states import CaseStatus
from linkwell.casework.views_util import case_crumbs, case_url
from linkwell.connections.selectors_case import case_connections
from linkwell.core.access import scheme_view
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm, can
from linkwell.core.views.util import apply_errors
from linkwell.notify.selectors import messages_about

DETAIL = "casework/detail.html"

# The case's other pages, by the name the record's template links to them with.
LINKED_PAGES = {
    "assessment": "casework:assessment",
    "goal_add": "casework:goal_add",
    "support_add": "casework:support_add",
    "followup_add": "casework:followup_add",
    "close": "casework:close",
    "reopen": "casework:reopen",
    "assign": "casework:assign",
}


def _links(case) -> dict[str, str]:
    return {key: reverse(name, args=[case.pk]) for key, name in LINKED_PAGES.items()}


def _assign_form(membership, case):
    """A manager's form to give the case to another link worker (the caseload pages' own form,
    posted to their `casework:assign`)."""
    if case.is_closed or not can(membership, Perm.CASELOAD_MANAGE):
        return None
    return case_assign_form(membership=membership, case=case)


def _context(request, case, *, followups=None, **forms) -> dict:
    membership = request.membership
    followups = list(case_followups(case)) if followups is None else followups
    links = _links(case)
    context = {
        "case": case,
        "person": case.person,
        "referral": case.referral,
        "plan": case_plan(case),
        "offered": case_connections(case),
        # Letters to the referrer about this case that could not be sent.
        "outgoing": messages_about(case, membership=membership, failed_only=True),
        "followups": followups,
        "timeline": forms.pop("timeline", None) or case_timeline(membership=membership, case=case),
        "involved": involved_members(case),
        "links": links,
        "crumbs": case_crumbs(),
        "form": forms.get("form"),
        "conflict": forms.get("conflict"),
    }
    if not case.is_closed:
        context["contact_form"] = forms.get("contact_form") or ContactForm.fresh(
            due_followups=followups
        )
        context["note_form"] = forms.get("note_form") or NoteForm(prefix="note")
        context["move_form"] = forms.get("move_form") or MoveForm(case=case, prefix="move")
        context["assign_form"] = _assign_form(membership, case)
    return context


def _back_to_record(request, case_id):
    """A GET of a form's address (a page re-shown after an error, or a link back to it from a
    panel on that page) goes to the record."""
    case = selectors.case_get(membership=request.membership, case_id=case_id)
    return redirect(case_url(case))


def _render_page(request, case, status=200, **forms):
    return render(request, DETAIL, _context(request, case, **forms), status=status)


# --- The record ---------------------------------------------------------------------------------


@scheme_view(Perm.CASELOAD)
def detail(request, case_id):
    case = selectors.case_detail(membership=request.membership, case_id=case_id)
    return _render_page(request, case)


def _cursor(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@scheme_view(Perm.CASELOAD)
def timeline(request, case_id):
    """Older timeline entries: with HTMX, added under those already shown; without, a page."""
    before = _cursor(request.GET.get("before"))
    if before is None and not request.htmx:
        return _back_to_record(request, case_id)
    case = selectors.case_detail(membership=request.membership, case_id=case_id)
    page = case_timeline(membership=request.membership, case=case, before=before)
    context = {"case": case, "person": case.person, "timeline": page}
    if request.htmx:
        return render(request, "casework/partials/timeline_older.html", context)
    context["crumbs"] = case_crumbs(case)
    return render(request, "casework/timeline.html", context)


# --- Contacts and notes ----------------------------------------------------------------------


def _contact_errors(form, error) -> None:
    """The service names the contact's time `at`: show that next to the date."""
    if isinstance(error, ApplicationError) and error.fields and "at" in error.fields:
        error.fields = {("at_date" if k == "at" else k): v for k, v in error.fields.items()}
    apply_errors(form, error)


def _recorded_partial(request, case_id, template, extra):
    """After an HTMX save: the fresh form (with the success message), and, swapped in out of
    band, the timeline, follow-ups and status panels as they are now (a read of the record,
    audited as one)."""
    case = selectors.case_detail(membership=request.membership, case_id=case_id)
    context = _context(request, case)
    context.update(extra, saved=True)
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@scheme_view(Perm.CASELOAD)
def contact_add(request, case_id):
    if request.method == "GET":
        return _back_to_record(request, case_id)
    membership = request.membership
    case = selectors.case_get(membership=membership, case_id=case_id)
    followups = list(case_followups(case))
    form = ContactForm(request.POST, due_followups=followups)
    contact = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            contact = services.contact_record(
                case=case,
                by=request.user,
                at=form.at,
                method=data["method"],
                duration_minutes=data["duration_minutes"],
                who_was_there=data["who_was_there"],
                notes=data["notes"],
                outcome=data["outcome"],
                next_step=data["next_step"],
                followup=form.followup_plan(),
                completes=form.completed_followup(),
            )
        except (ValidationError, ApplicationError) as error:
            _contact_errors(form, error)
    if contact is not None:
        plan = form.followup_plan()
        message = "Contact recorded."
        if plan is not None:
            message = f"Contact recorded. Next follow-up due {plan.due_on:%-d %B %Y}."
        if request.htmx:
            return _recorded_partial(
                request,
                case_id,
                "casework/partials/contact_saved.html",
                {"saved_message": message, "new_entry": f"contact-{contact.pk}"},
            )
        messages.success(request, message)
        return redirect(case_url(case, "timeline"))
    if request.htmx:
        # htmx swaps only successful answers by default: the form with its errors is one.
        context = {"case": case, "contact_form": form, "partial": True}
        return render(request, "casework/partials/contact_form.html", context)
    case = selectors.case_detail(membership=membership, case_id=case_id)
    return _render_page(
        request, case, status=400, followups=followups, contact_form=form, form=form
    )


@require_http_methods(["GET", "POST"])
@scheme_view(Perm.CASELOAD)
def note_add(request, case_id):
    if request.method == "GET":
        return _back_to_record(request, case_id)
    membership = request.membership
    case = selectors.case_get(membership=membership, case_id=case_id)
    form = NoteForm(request.POST, prefix="note")
    note = None
    if form.is_valid():
        try:
            note = services.note_add(
                case=case,
                by=request.user,
                text=form.cleaned_data["text"],
                is_safeguarding=form.cleaned_data["is_safeguarding"],
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
    if note is not None:
        message = "Safeguarding note added." if note.is_safeguarding else "Note added."
        if request.htmx:
            return _recorded_partial(
                request,
                case_id,
                "casework/partials/note_saved.html",
                {"saved_message": message, "new_entry": f"note-{note.pk}"},
            )
        messages.success(request, message)
        return redirect(case_url(case, "timeline"))
    if request.htmx:
        context = {"case": case, "note_form": form, "partial": True}
        return render(request, "casework/partials/note_form.html", context)
    case = selectors.case_detail(membership=membership, case_id=case_id)
    return _render_page(request, case, status=400, note_form=form, form=form)


# --- Status ----------------------------------------------------------------------------------

MOVED = {
    CaseStatus.ACTIVE: "The case is active again.",
    CaseStatus.PAUSED: "The case is paused.",
    CaseStatus.CLOSING: "The case is closing. Close it from its checklist when ready.",
}


@require_http_methods(["GET", "POST"])
@scheme_view(Perm.CASELOAD)
def move(request, case_id):
    """Pause, resume or start closing. The form carries the version of the case the worker saw:
    if someone else changed the case since, nothing is changed and the latest is shown."""
    if request.method == "GET":
        return _back_to_record(request, case_id)
    membership = request.membership
    case = selectors.case_get(membership=membership, case_id=case_id)
    form = MoveForm(request.POST, case=case, prefix="move")
    if form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_move(
                case=case,
                to=data["to"],
                by=request.user,
                version=data["version"],
                reason=data["reason"],
            )
        except EditConflict as conflict:
            latest = selectors.case_detail(membership=membership, case_id=case_id)
            return _render_page(request, latest, status=409, conflict=conflict.message)
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, MOVED[CaseStatus(data["to"])])
            return redirect(case_url(case))
    case = selectors.case_detail(membership=membership, case_id=case_id)
    return _render_page(request, case, status=400, move_form=form, form=form)


# --- The family view -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@scheme_view(Perm.CASELOAD)
def family(request, case_id):
    """Everyone in the person's household with their cases here, and which of them this case
    involves."""
    membership = request.membership
    if request.method == "POST":
        case = selectors.case_get(membership=membership, case_id=case_id)
    else:
        case = selectors.case_detail(membership=membership, case_id=case_id)
    household = case_family(membership=membership, case=case)
    form = None
    status = 200
    if household is not None and household.others and not case.is_closed:
        form = HouseholdMembersForm(
            request.POST if request.method == "POST" else None,
            others=household.others,
            initial={"members": [str(pk) for pk in household.involved_ids]},
            prefix="household",
        )
    if request.method == "POST":
        status = 400
        if form is None:
            messages.error(
                request,
                "This case is closed: reopen it to change who it involves."
                if case.is_closed
                else "There is no one else in the household to choose.",
            )
            return redirect("casework:family", case.pk)
        if form.is_valid():
            try:
                services.case_set_household(case=case, members=form.chosen(), by=request.user)
            except (ValidationError, ApplicationError) as error:
                apply_errors(form, error)
            else:
                chosen = form.chosen()
                messages.success(
                    request,
                    "Saved: this case involves "
                    + (", ".join(p.full_name for p in chosen) if chosen else "the person only")
                    + ".",
                )
                return redirect("casework:family", case.pk)
    context = {
        "case": case,
        "person": case.person,
        "household": household,
        "household_form": form,
        "form": form if status == 400 else None,
        "referral_url": (
            reverse("referrals:detail", args=[case.referral_id])
            if case.referral_id and can(membership, Perm.REFERRAL_TRIAGE)
            else ""
        ),
        "crumbs": case_crumbs(case),
    }
    return render(request, "casework/family.html", context, status=status)
