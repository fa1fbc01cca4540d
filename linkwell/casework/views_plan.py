"""Pages of the "what matters to me" conversation and the co-produced plan: the conversation
need area by need area, its finish and the summary the person is given; a need, a goal and its
progress, and the supports the person chose, is thinking about, or declined."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from linkwell.casework import assessment as conversation
from linkwell.casework import selectors, selectors_plan, services
from linkwell.casework.forms_plan import (
    GoalEditForm,
    GoalForm,
    NeedForm,
    SupportForm,
    WhatMattersForm,
)
from linkwell.casework.models import Case
from linkwell.casework.states import GoalStatus, SupportDecision
from linkwell.casework.views_util import case_crumbs, case_url
from linkwell.core.access import scheme_view
from linkwell.core.audit import log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.permissions import Perm
from linkwell.core.views.util import apply_errors
from linkwell.directory.models import ServiceStatus
from linkwell.directory.selectors import visible_services

# The most directory services a search on the support form lists.
SERVICE_RESULTS = 20


def _context(case: Case, **extra) -> dict:
    return {
        "case": case,
        "first_name": case.person.first_name,
        "case_url": case_url(case),
        "reopen_url": reverse("casework:reopen", args=[case.pk]),
        "crumbs": case_crumbs(case),
        **extra,
    }


def _case(request, case_id) -> Case:
    """The case, scoped to the member: an audited read for a page, a plain one for a write."""
    if request.method == "POST":
        return selectors.case_get(membership=request.membership, case_id=case_id)
    return selectors.case_detail(membership=request.membership, case_id=case_id)


def _closed(request, case: Case, template: str, error: ApplicationError | None = None, **extra):
    """The page, without its form: the case is closed and must be reopened first."""
    error = error or services._case_closed_error()
    context = _context(case, closed_error=error.message, **extra)
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def _posted(request):
    return request.POST if request.method == "POST" else None


# --- The what-matters conversation -----------------------------------------------------------


def _skipped_key(assessment_id) -> str:
    return f"lw-skipped-{assessment_id}"


def _skipped(request, assessment) -> set[str]:
    """Areas skipped in this conversation: remembered for this session only (a skip records
    nothing about the person)."""
    return set(request.session.get(_skipped_key(assessment.pk), []))


def _remember_skipped(request, assessment, codes: set[str]) -> None:
    request.session[_skipped_key(assessment.pk)] = sorted(codes)


@scheme_view(Perm.CASELOAD)
@require_GET
def assessment_begin(request, case_id):
    """Start the case's conversation (or carry on the unfinished one) where it was left."""
    case = selectors.case_detail(membership=request.membership, case_id=case_id)
    try:
        current = services.assessment_start(case=case, by=request.user)
    except ApplicationError as error:
        if not _is_closed_error(error):
            raise
        summary = _finished_summary(case)
        if summary is not None:  # nothing to carry on: what they said, read-only
            return summary
        return _closed(request, case, "casework/assessment_step.html", error, step=None)
    next_open = conversation.first_open_step(
        answered=conversation.answered_areas(current), skipped=_skipped(request, current)
    )
    if next_open is None:
        return redirect("casework:assessment_finish", case_id=case.pk)
    return redirect("casework:assessment_step", case_id=case.pk, step=next_open.number)


def _finished_summary(case: Case):
    """A redirect to the case's latest finished conversation's summary, or None."""
    done = conversation.latest_finished(case)
    if done is None:
        return None
    return redirect("casework:assessment_summary", case_id=case.pk, assessment_id=done.pk)


def _attempt(action):
    """Run a service: (its result, None), or (None, the error it refused with)."""
    try:
        return action(), None
    except (ValidationError, ApplicationError) as error:
        return None, error


def _is_closed_error(error) -> bool:
    return getattr(error, "code", None) == "case_closed"


def _refilled(form_class, data: dict, message: str, **kwargs):
    """A form filled with what is saved now, telling the editor their change was not saved."""
    form = form_class(data, **kwargs)
    form.is_valid()
    form.add_error(None, message)
    return form


def _need_data(need) -> dict:
    if need is None:
        return {"version": 0}  # "none seen": if someone records it first, that is a conflict
    return {
        "severity": need.severity,
        "in_their_words": need.in_their_words,
        "version": need.version,
    }


def _set_need(request, case, form, *, area_id, assessment=None):
    data = form.cleaned_data
    return _attempt(
        lambda: services.need_set(
            case=case,
            area=services.need_area(area_id),
            severity=data["severity"],
            in_their_words=data["in_their_words"],
            by=request.user,
            version=data["version"] or 0,
            assessment=assessment,
        )
    )


def _step_url(case: Case, step) -> str:
    return reverse("casework:assessment_step", args=[case.pk, step.number])


def _finish_url(case: Case) -> str:
    return reverse("casework:assessment_finish", args=[case.pk])


def _nothing_new(data, need) -> bool:
    """Whether a step was posted with nothing to record: left blank, or just as it was."""
    severity = (data.get("severity") or "").strip()
    words = (data.get("in_their_words") or "").strip()
    if need is None:
        return not severity and not words
    return severity == str(need.severity) and words == need.in_their_words


def _after(case: Case, step) -> str:
    """Where "Save and continue" and "Skip" lead: the next area, or the finish."""
    following = conversation.step(step.number + 1)
    if following is None:
        return _finish_url(case)
    return _step_url(case, following)


@scheme_view(Perm.CASELOAD)
@require_http_methods(["GET", "POST"])
def assessment_step(request, case_id, step):
    """One need area of the conversation: the question, their words, how much it weighs."""
    current = conversation.step(step)
    if current is None:
        raise Http404("There is no such step.")
    case = _case(request, case_id)
    template = "casework/assessment_step.html"
    if case.is_closed:
        return _closed(request, case, template, step=current, total=conversation.TOTAL)
    under_way = conversation.unfinished(case)
    if under_way is None:
        return redirect("casework:assessment", case_id=case.pk)
    need = conversation.need_in_area(case, current.area_id)
    form = NeedForm(_posted(request), initial=_need_data(need))
    status = 200
    if request.method == "POST":
        skipped = _skipped(request, under_way)
        action = request.POST.get("action")
        if action == "skip":
            _remember_skipped(request, under_way, skipped | {current.code})
            return redirect(_after(case, current))
        # Finishing early: what was entered on this step is saved first; the areas after it
        # are simply not asked.
        finishing = action == "finish"
        if finishing and _nothing_new(request.POST, need):
            return redirect(_finish_url(case))
        status = 400
        if form.is_valid():
            _, error = _set_need(request, case, form, area_id=current.area_id, assessment=under_way)
            if error is None:
                _remember_skipped(request, under_way, skipped - {current.code})
                return redirect(_finish_url(case) if finishing else _after(case, current))
            if _is_closed_error(error):
                return _closed(request, case, template, error, step=current)
            if isinstance(error, services.EditConflict):
                form = _refilled(NeedForm, _need_data(error.current), error.message)
                status = 409
            else:
                apply_errors(form, error)
    previous = conversation.step(step - 1)
    return render(
        request,
        template,
        _context(
            case,
            form=form,
            step=current,
            total=conversation.TOTAL,
            back_url=_step_url(case, previous) if previous else case_url(case),
        ),
        status=status,
    )


@scheme_view(Perm.CASELOAD)
@require_http_methods(["GET", "POST"])
def assessment_finish(request, case_id):
    """ "What matters most to you?", in the person's words, and the conversation is done."""
    case = _case(request, case_id)
    template = "casework/assessment_finish.html"
    if case.is_closed:
        summary = _finished_summary(case) if request.method == "GET" else None
        return summary or _closed(request, case, template)
    under_way = conversation.unfinished(case)
    if under_way is None:
        done = conversation.latest_finished(case)
        if done is not None:
            return redirect("casework:assessment_summary", case_id=case.pk, assessment_id=done.pk)
        return redirect("casework:assessment", case_id=case.pk)
    form = WhatMattersForm(_posted(request), initial={"what_matters": under_way.what_matters})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            _, error = _attempt(
                lambda: services.assessment_complete(
                    assessment=under_way,
                    what_matters=form.cleaned_data["what_matters"],
                    by=request.user,
                )
            )
            if error is None:
                request.session.pop(_skipped_key(under_way.pk), None)
                messages.success(request, "Conversation finished. Here is the summary for them.")
                return redirect(
                    "casework:assessment_summary", case_id=case.pk, assessment_id=under_way.pk
                )
            if _is_closed_error(error):
                return _closed(request, case, template, error)
            apply_errors(form, error)
    steps = {s.area_id: s for s in conversation.STEPS}
    needs = conversation.case_needs(case)
    talked = [(n, steps.get(n.area_id)) for n in needs if n.assessment_id == under_way.pk]
    # Recorded before (by an earlier conversation or on the plan) and not changed in this one:
    # still on their plan and in the summary, so never "nothing was recorded" when skipped.
    earlier = [(n, steps.get(n.area_id)) for n in needs if n.assessment_id != under_way.pk]
    recorded = {n.area_id for n in needs}
    skipped = _skipped(request, under_way)
    skipped_steps = [
        s for s in conversation.STEPS if s.code in skipped and s.area_id not in recorded
    ]
    return render(
        request,
        template,
        _context(
            case,
            form=form,
            talked=talked,
            earlier=earlier,
            skipped_steps=skipped_steps,
            back_url=_step_url(case, conversation.STEPS[-1]),
        ),
        status=status,
    )


@scheme_view(Perm.CASELOAD)
@require_GET
def assessment_summary(request, case_id, assessment_id):
    """What the person told us, their goals and chosen supports: a page they can be given.
    "What you told us" is the case's needs as they are now (whichever conversation recorded
    them), leaving out areas that are not a concern and have no words."""
    case = selectors.case_detail(membership=request.membership, case_id=case_id)
    talk = conversation.assessment_of(case, assessment_id)
    talk.case = case
    log_action(request.user, "case.assessment_viewed", talk)
    plan = selectors_plan.case_plan(case)
    return render(
        request,
        "casework/summary_print.html",
        _context(
            case,
            talk=talk,
            needs=[
                n
                for n in conversation.in_conversation_order(plan.needs)
                if n.severity or n.in_their_words
            ],
            goals=[g for g in plan.goals if g.status != GoalStatus.DROPPED],
            today=timezone.localdate(),
            chosen=plan.chosen,
            considering=plan.considering,
        ),
    )


# --- Needs and goals -------------------------------------------------------------------------


@scheme_view(Perm.CASELOAD)
@require_http_methods(["GET", "POST"])
def need_edit(request, case_id, need_id):
    case = _case(request, case_id)
    need = selectors_plan.need_of(case, need_id)
    template = "casework/need_form.html"
    context = {"need": need}
    if case.is_closed:
        return _closed(request, case, template, **context)
    form = NeedForm(_posted(request), initial=_need_data(need))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            _, error = _set_need(request, case, form, area_id=need.area_id)
            if error is None:
                messages.success(request, f"{need.area.name}: saved.")
                return redirect(case_url(case))
            if _is_closed_error(error):
                return _closed(request, case, template, error, **context)
            if isinstance(error, services.EditConflict):
                form = _refilled(NeedForm, _need_data(error.current), error.message)
                status = 409
            else:
                apply_errors(form, error)
    return render(request, template, _context(case, form=form, **context), status=status)


def _goal_data(goal) -> dict:
    return {
        "text": goal.text,
        "target_date": goal.target_date.isoformat() if goal.target_date else "",
        "progress": goal.progress,
        "status": goal.status,
        "note": "",
        "version": goal.version,
    }


@scheme_view(Perm.CASELOAD)
@require_http_methods(["GET", "POST"])
def goal_add(request, case_id):
    """A goal in the person's own words (a goal without words is refused)."""
    case = _case(request, case_id)
    template = "casework/goal_form.html"
    if case.is_closed:
        return _closed(request, case, template)
    needs = selectors_plan.case_plan(case).needs
    form = GoalForm(_posted(request), needs=needs)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            _, error = _attempt(
                lambda: services.goal_add(
                    case=case,
                    text=data["text"],
                    by=request.user,
                    needs=form.chosen_needs(),
                    target_date=data["target_date"],
                )
            )
            if error is None:
                messages.success(request, "Goal added.")
                return redirect(case_url(case))
            if _is_closed_error(error):
                return _closed(request, case, template, error)
            apply_errors(form, error)
    return render(request, template, _context(case, form=form), status=status)


@scheme_view(Perm.CASELOAD)
@require_http_methods(["GET", "POST"])
def goal_edit(request, case_id, goal_id):
    """Score a goal's progress, review it, or change its words or date; its history below."""
    case = _case(request, case_id)
    goal = selectors_plan.goal_of(case, goal_id)
    template = "casework/goal_form.html"
    if case.is_closed:
        return _closed(request, case, template, goal=goal)
    initial = _goal_data(goal) | {"target_date": goal.target_date}
    form = GoalEditForm(_posted(request), initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            note = data["note"].strip()
            scored = bool(note) or (data["progress"], data["status"]) != (
                goal.progress,
                goal.status,
            )
            _, error = _attempt(
                lambda: services.goal_update(
                    goal=goal,
                    by=request.user,
                    version=data["version"] or 0,
                    progress=data["progress"] if scored else None,
                    status=data["status"] if scored else None,
                    note=note,
                    text=data["text"],
                    target_date=data["target_date"],
                )
            )
            if error is None:
                messages.success(request, "Goal saved.")
                return redirect(case_url(case))
            if _is_closed_error(error):
                return _closed(request, case, template, error, goal=goal)
            if isinstance(error, services.EditConflict):
                goal = selectors_plan.goal_of(case, goal_id)
                latest = _goal_data(goal)
                form = _refilled(
                    GoalEditForm,
                    latest,
                    error.message,
                    initial=latest | {"target_date": goal.target_date},
                )
                status = 409
            else:
                apply_errors(form, error)
    return render(request, template, _context(case, form=form, goal=goal), status=status)


# --- Supports the person chose, is thinking about, or declined ---------------------------------


def _directory_services(membership, query: str, also: str | None):
    """Active listings this member may see whose name (or organisation's) has `query`, a
    bounded few; plus the listing `also` (one already picked) when it is one of them."""
    listings = (
        visible_services(membership=membership)
        .filter(status=ServiceStatus.ACTIVE)
        .select_related("organization")
        .order_by("name", "pk")
    )
    found = []
    if query:
        found = list(
            listings.filter(Q(name__icontains=query) | Q(organization__name__icontains=query))[
                : SERVICE_RESULTS + 1
            ]
        )
    more = len(found) > SERVICE_RESULTS
    found = found[:SERVICE_RESULTS]
    try:
        picked = UUID(str(also)) if also else None
    except ValueError:
        picked = None
    if picked and all(s.pk != picked for s in found):
        extra = listings.filter(pk=picked).first()
        if extra is not None:
            found.insert(0, extra)
    return found, more


def _support_message(first_name: str, decision: str, label: str) -> str:
    if decision == SupportDecision.CHOSEN:
        return f"Recorded: {first_name} chose {label}."
    if decision == SupportDecision.CONSIDERING:
        return f"Recorded: {first_name} is thinking about {label}."
    return f"Recorded: {first_name} chose not to use {label}. Their choice is respected."


@scheme_view(Perm.CASELOAD)
@require_http_methods(["GET", "POST"])
def support_add(request, case_id):
    """A support talked about and what the person decided: a directory service or one named."""
    case = _case(request, case_id)
    template = "casework/support_form.html"
    if case.is_closed:
        return _closed(request, case, template)
    data = request.POST if request.method == "POST" else request.GET
    query = (data.get("q") or "").strip()[:100]
    found, more = _directory_services(request.membership, query, data.get("service"))
    form = SupportForm(
        _posted(request),
        initial={"q": query, "service": request.GET.get("service")},
        services=found,
        first_name=case.person.first_name,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            cleaned = form.cleaned_data
            support, error = _attempt(
                lambda: services.support_record(
                    case=case,
                    by=request.user,
                    decision=cleaned["decision"],
                    service=form.chosen_service(),
                    name=cleaned["name"],
                    in_their_words=cleaned["in_their_words"],
                )
            )
            if error is None:
                messages.success(
                    request,
                    _support_message(case.person.first_name, support.decision, support.label),
                )
                return redirect(case_url(case))
            if _is_closed_error(error):
                return _closed(request, case, template, error)
            apply_errors(form, error)
    return render(
        request,
        template,
        _context(case, form=form, query=query, found=found, more=more),
        status=status,
    )
