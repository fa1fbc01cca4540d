"""Follow-up pages: a link worker's list for the day, scheduling one, marking it done, missed or
cancelled; and the closing checklist with reopening."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from linkwell.casework import selectors, services
from linkwell.casework import selectors_followups as followup_selectors
from linkwell.casework.forms_followups import CloseForm, FollowUpForm, ReopenForm
from linkwell.casework.reminders import reminder_route, say_day
from linkwell.casework.states import FollowUpStatus
from linkwell.casework.views_util import case_crumbs, case_url
from linkwell.core.access import scheme_view
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm, can
from linkwell.core.views.util import apply_errors, safe_next
from linkwell.people.models import ConsentScope
from linkwell.people.selectors import has_consent
from linkwell.referrals.feedback import referrer_address

# --- The daily list ----------------------------------------------------------------------------


def _chosen_worker(request, workers):
    wanted = request.GET.get("worker", "")
    if not wanted or not can(request.membership, Perm.CASELOAD_MANAGE):
        return request.user
    for worker in workers:
        if str(worker.pk) == wanted:
            return worker
    raise Http404("No such link worker in this scheme.")


@scheme_view(Perm.CASELOAD)
def followups(request):
    """The signed-in worker's follow-ups for a day (today unless ?day=), with everything
    overdue at the top; a manager may look at another worker's (?worker=)."""
    membership = request.membership
    today = timezone.localdate()
    day = today
    if request.GET.get("day"):
        try:
            day = date.fromisoformat(request.GET["day"])
            if not date.min < day < date.max:  # the previous and next days must exist too
                raise ValueError(day)
        except ValueError:
            day = today
            messages.error(request, "That is not a date: showing today's follow-ups.")
    workers = followup_selectors.followup_workers(membership)
    worker = _chosen_worker(request, workers)
    listing = followup_selectors.followups_for_day(membership=membership, worker=worker, day=day)
    query = f"&worker={worker.pk}" if worker != request.user else ""
    return render(
        request,
        "casework/followups.html",
        {
            "listing": listing,
            "worker": worker,
            "workers": workers if len(workers) > 1 else [],
            "is_own": worker == request.user,
            "day_label": say_day(day),
            "previous_url": f"?day={(day - timedelta(days=1)).isoformat()}{query}",
            "next_url": f"?day={(day + timedelta(days=1)).isoformat()}{query}",
            "today_url": f"?day={today.isoformat()}{query}",
            "here": request.get_full_path(),
            "crumbs": case_crumbs(),
        },
    )


# --- Scheduling and completing -------------------------------------------------------------------


def _reminder_hint(person) -> str:
    route = reminder_route(person)
    if route:
        how = "text message" if route.channel == "sms" else "email"
        return f"{person.given_name} can be reminded by {how}, as they agreed."
    return f"{person.given_name} cannot be sent a reminder now: {route.why_not}."


@scheme_view(Perm.CASELOAD)
def followup_add(request, case_id):
    membership = request.membership
    if request.method == "POST":
        case = selectors.case_get(membership=membership, case_id=case_id)
        form = FollowUpForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            plan = services.FollowUpPlan(
                due_on=data["due_on"],
                due_time=data["due_time"],
                kind=data["kind"],
                purpose=data["purpose"],
                recurrence=data["recurrence"] or "",
                remind_person=data["remind_person"],
            )
            try:
                services.followup_schedule(case=case, plan=plan, by=request.user)
            except (ValidationError, ApplicationError) as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Follow-up scheduled for {say_day(plan.due_on)}.")
                return redirect(case_url(case))
        status = 400
    else:
        case = selectors.case_detail(membership=membership, case_id=case_id)
        form = FollowUpForm(initial={"due_on": timezone.localdate() + timedelta(days=7)})
        status = 200
    return render(
        request,
        "casework/followup_form.html",
        {
            "case": case,
            "person": case.person,
            "form": form,
            "followups": followup_selectors.case_followups(case),
            "reminder_hint": _reminder_hint(case.person),
            "here": request.get_full_path(),
            "crumbs": case_crumbs(case),
        },
        status=status,
    )


_ACTIONS = {
    "done": FollowUpStatus.DONE,
    "missed": FollowUpStatus.MISSED,
    "cancel": FollowUpStatus.CANCELLED,
}


@require_POST
@scheme_view(Perm.CASELOAD)
def followup_done(request, case_id, followup_id):
    """Mark a follow-up done or missed, or cancel it; back to where the button was."""
    case = selectors.case_get(membership=request.membership, case_id=case_id)
    followup = followup_selectors.followup_get(case=case, followup_id=followup_id)
    back = safe_next(request) or case_url(case)
    status = _ACTIONS.get(request.POST.get("action", ""))
    if status is None:
        messages.error(request, "Choose done, missed or cancel.")
        return redirect(back)
    what = f"{followup.get_kind_display().lower()} for {case.person.full_name}"
    try:
        if status == FollowUpStatus.CANCELLED:
            services.followup_cancel(followup=followup, by=request.user)
            following = None
        else:
            following = services.followup_complete(
                followup=followup, by=request.user, status=status
            )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(back)
    text = f"Marked {status.label.lower()}: {what}."
    if following is not None:
        text += f" It repeats: the next one is due on {say_day(following.due_on)}."
    messages.success(request, text)
    return redirect(back)


# --- Closing and reopening -----------------------------------------------------------------------


def _close_context(request, case, form):
    """The checklist for an open case; for a closed one, how it closed and the reopen form
    (then `form` is the reopen form)."""
    person = case.person
    address = referrer_address(case.referral) if case.referral_id else ""
    return {
        "case": case,
        "person": person,
        "form": form,
        "goals": followup_selectors.closing_goals(case),
        "followups": [] if case.is_closed else followup_selectors.case_followups(case),
        "referrer_address": address,
        "referrer_consent": has_consent(person, ConsentScope.SHARE_REFERRER),
        "crumbs": case_crumbs(case),
    }


def _reopen_form(data=None) -> ReopenForm:
    return ReopenForm(data, auto_id="id_reopen_%s")


def _refreshed_form(form: CloseForm, version: int) -> CloseForm:
    """The form as the closer filled it in, carrying the case's latest version."""
    data = form.data.copy()
    data["version"] = str(version)
    fresh = CloseForm(data)
    fresh.is_valid()
    return fresh


@scheme_view(Perm.CASELOAD)
def close(request, case_id):
    """The closing checklist. Follow-ups still due are cancelled only once the closer
    confirms it; nothing closes until then."""
    membership = request.membership
    if request.method != "POST":
        case = selectors.case_detail(membership=membership, case_id=case_id)
        if case.is_closed:
            form = _reopen_form()
        else:
            form = CloseForm(initial={"version": case.version, "tell_referrer": True})
        return render(request, "casework/close.html", _close_context(request, case, form))
    case = selectors.case_get(membership=membership, case_id=case_id)
    if case.is_closed:
        messages.error(request, "This case is already closed. Reopen it first to change it.")
        return redirect("casework:close", case_id=case.pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_close(
                case=case,
                by=request.user,
                version=data["version"],
                reason=data["reason"],
                summary=data["summary"],
                final_questionnaire_offered=data["final_questionnaire_offered"],
                goals_reviewed=data["goals_reviewed"],
                tell_referrer=data["tell_referrer"],
                cancel_followups=data["cancel_followups"],
            )
        except services.EditConflict as error:
            # Show the latest: the case as it is now, the form carrying its new version.
            case = selectors.case_get(membership=membership, case_id=case_id)
            form = _refreshed_form(form, case.version)
            form.add_error(None, error.message)
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _closed_message(case, data["tell_referrer"]))
            return redirect(case_url(case))
    return render(request, "casework/close.html", _close_context(request, case, form), status=400)


def _closed_message(case, asked_to_tell: bool) -> str:
    """Whether the referrer will be told: the letter itself goes once the close is saved, and
    checks the person's consent again at that moment."""
    if not asked_to_tell:
        return "Case closed. The referrer will not be sent the outcome, as you chose."
    if not case.referral_id or not referrer_address(case.referral):
        return "Case closed. There is no referrer to tell: the referral gave no address."
    if not has_consent(case.person, ConsentScope.SHARE_REFERRER):
        return (
            f"Case closed. The referrer will not be told: {case.person.given_name} has not "
            "agreed to updates being shared with them."
        )
    return "Case closed. The referrer will be told the outcome."


@require_POST
@scheme_view(Perm.CASELOAD)
def reopen(request, case_id):
    """Reopen a closed case: explicit, with a reason, audited."""
    membership = request.membership
    case = selectors.case_get(membership=membership, case_id=case_id)
    if not case.is_closed:
        messages.error(request, "This case is not closed.")
        return redirect(case_url(case))
    form = _reopen_form(request.POST)
    if form.is_valid():
        try:
            case = services.case_reopen(
                case=case, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Case reopened.")
            return redirect(case_url(case))
    return render(request, "casework/close.html", _close_context(request, case, form), status=400)
