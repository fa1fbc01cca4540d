"""Referral pages for staff and referrers: intake, the triage queue, the waiting list, one
referral's page (status, consent, contact attempts, duplicates), and a referrer's own list."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from linkwell.casework.forms_followups import OpenCaseForm
from linkwell.casework.services import case_open
from linkwell.casework.views_util import case_url
from linkwell.core.access import scheme_view
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Role, User
from linkwell.core.permissions import Perm, can, require
from linkwell.core.views.util import apply_errors
from linkwell.people.models import Consent, ConsentMethod, ConsentScope
from linkwell.people.selectors import consents_in_force, likely_matches
from linkwell.people.services import (
    consent_record,
    consent_withdraw,
    household_join_by_name,
    person_keep_separate,
)
from linkwell.people.services import person_merge as merge_people
from linkwell.referrals import selectors, services
from linkwell.referrals.forms import (
    RISK_FLAGS,
    AssignForm,
    ConsentForm,
    ContactAttemptForm,
    HouseholdForm,
    MoveForm,
    ReferralEditForm,
    ReferrerReferralForm,
    StaffReferralForm,
    TriageFilterForm,
    WithdrawConsentForm,
)
from linkwell.referrals.models import Channel
from linkwell.referrals.states import Status
from linkwell.referrals.waiting_room import waiting_room_summary

PAGE_SIZE = 25


def _crumbs(*extra):
    return [("Dashboard", reverse("core:dashboard")), *extra]


def _flags(data) -> dict:
    flags = set(data.get("risk_flags") or [])
    return {f: f in flags for f in RISK_FLAGS}


# --- Intake ----------------------------------------------------------------------------------


@scheme_view(Perm.REFERRAL_SEND)
def referral_new(request):
    """The referrer's one-page form, or (for the team) the fuller staff entry form."""
    membership = request.membership
    if membership.role == Role.REFERRER:
        return _referrer_form(request)
    if not can(membership, Perm.REFERRAL_TRIAGE):
        raise PermissionDenied("Your role does not allow this.")
    return _staff_form(request)


def _referrer_form(request):
    membership = request.membership
    form = ReferrerReferralForm(request.POST or None, scheme=membership.scheme)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        consents = {ConsentScope.CONTACT: {"method": ConsentMethod.REFERRER}}
        if data["consent_share_referrer"]:
            consents[ConsentScope.SHARE_REFERRER] = {"method": ConsentMethod.REFERRER}
        req = services.IntakeRequest(
            scheme=membership.scheme,
            channel=Channel.REFERRER_FORM,
            source_type=data["source_type"],
            person={
                k: data[k]
                for k in (
                    "given_name",
                    "family_name",
                    "date_of_birth",
                    "nhs_number",
                    "phone",
                    "postcode",
                )
            },
            reasons=data["reasons"],
            consents=consents,
            summary=data["summary"],
            urgency=data["urgency"],
            referrer_name=request.user.full_name,
            referrer_email=request.user.email,
            **_flags(data),
        )
        try:
            services.referral_intake(req, by=request.user)
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                f"Referral sent for {data['given_name']} {data['family_name']}. You can follow "
                "it here.",
            )
            return redirect("referrals:sent")
    return render(
        request,
        "referrals/new_referrer.html",
        {"form": form, "crumbs": _crumbs(("Your referrals", reverse("referrals:sent")))},
    )


def _staff_form(request):
    membership = request.membership
    scheme = membership.scheme
    matches = None
    data = request.POST or None
    form = StaffReferralForm(data, scheme=scheme)
    if request.method == "POST" and form.is_valid() and data.get("match_choice"):
        # The user answered "is this the same person?": ask the same question again so the
        # answer is checked against the people it could be.
        cd = form.cleaned_data
        matches = likely_matches(
            scheme=scheme,
            nhs_number=cd["nhs_number"],
            given_name=cd["given_name"],
            family_name=cd["family_name"],
            date_of_birth=cd["date_of_birth"],
            phone=cd["phone"],
        )
        form = StaffReferralForm(data, scheme=scheme, matches=matches or None)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        consents = {
            scope: {
                "method": cd["consent_method"],
                "channels": cd["contact_channels"] if scope == ConsentScope.CONTACT else [],
            }
            for scope in cd["consents"]
        }
        received = (
            timezone.make_aware(datetime.combine(cd["received_on"], time(9, 0)))
            if cd["received_on"] != timezone.localdate()
            else timezone.now()
        )
        person_keys = [
            "given_name",
            "family_name",
            "date_of_birth",
            "nhs_number",
            "phone",
            "email",
            "address_line_1",
            "address_line_2",
            "town",
            "postcode",
            "gp_practice",
            "preferred_contact_method",
            "preferred_contact_times",
            "language",
            "interpreter_needed",
            "accessibility_needs",
            "digital_access",
            "digital_confidence",
        ]
        req = services.IntakeRequest(
            scheme=scheme,
            site=form.sites.get(cd["site"]),
            channel=Channel.STAFF,
            source_type=cd["source_type"],
            person={k: cd[k] for k in person_keys},
            reasons=cd["reasons"],
            consents=consents,
            summary=cd["summary"],
            urgency=cd["urgency"],
            referrer_name=cd["referrer_name"],
            referrer_organisation=cd["referrer_organisation"],
            referrer_email=cd["referrer_email"],
            referrer_phone=cd["referrer_phone"],
            received_at=received,
            match_choice=cd.get("match_choice") or None,
            **_flags(cd),
        )
        try:
            referral = services.referral_intake(req, by=request.user)
        except services.DuplicateSuspected as suspected:
            matches = suspected.matches
            form = StaffReferralForm(data, scheme=scheme, matches=matches)
            form.is_valid()
            form.add_error(
                "match_choice",
                "This person may already be known. Check the details and choose.",
            )
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Referral of {referral.person.full_name} saved.")
            return redirect("referrals:detail", referral_id=referral.pk)
    return render(
        request,
        "referrals/new_staff.html",
        {
            "form": form,
            "matches": matches,
            "crumbs": _crumbs(("Triage", reverse("referrals:triage"))),
        },
    )


# --- Lists -----------------------------------------------------------------------------------


@scheme_view(Perm.REFERRAL_TRIAGE)
def triage(request):
    membership = request.membership
    form = TriageFilterForm(request.GET or None, scheme=membership.scheme)
    filters = form.cleaned_data if form.is_valid() else {}
    queue = selectors.triage_queue(
        membership=membership,
        site_id=filters.get("site") or None,
        urgency=filters.get("urgency") or "",
    )
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    loads = selectors.worker_loads(scheme=membership.scheme)
    now = timezone.now()
    rows = [(r, r.age_days(now)) for r in page.object_list]
    return render(
        request,
        "referrals/triage.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "loads": loads,
            "assign_form": AssignForm(loads=loads, prefix="assign"),
            "crumbs": _crumbs(),
        },
    )


@scheme_view(Perm.REFERRAL_TRIAGE)
def waiting(request):
    membership = request.membership
    scheme = membership.scheme
    mine = request.GET.get("who", "mine" if membership.role == Role.LINK_WORKER else "all")
    contacted = request.GET.get("stage") == "contacted"
    suggested = request.GET.get("suggested") == "1" and not contacted
    qs = selectors.waiting_list(
        membership=membership,
        worker_id=request.user.pk if mine == "mine" else None,
        suggested_only=suggested,
        contacted=contacted,
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        (r, r.age_days(now), selectors.suggest_unable_to_contact(r, scheme))
        for r in page.object_list
    ]
    return render(
        request,
        "referrals/waiting.html",
        {
            "page": page,
            "rows": rows,
            "who": mine,
            "suggested": suggested,
            "contacted": contacted,
            "crumbs": _crumbs(),
        },
    )


@scheme_view(Perm.REFERRALS_OWN)
def sent(request):
    qs = selectors.sent_by(membership=request.membership)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "referrals/sent.html", {"page": page, "crumbs": _crumbs()})


# --- One referral ----------------------------------------------------------------------------


def _detail_context(request, referral, **forms):
    membership = request.membership
    person = referral.person
    loads = selectors.worker_loads(scheme=membership.scheme)
    context = {
        "referral": referral,
        "person": person,
        "history": selectors.referral_history(referral),
        "attempts": selectors.referral_attempts(referral),
        "consents": consents_in_force(person),
        "consent_history": Consent.objects.filter(person=person).select_related(
            "recorded_by", "withdrawn_by"
        ),
        "suggest_unable": selectors.suggest_unable_to_contact(referral, membership.scheme),
        "assign_form": forms.get("assign_form")
        or AssignForm(
            loads=loads, initial={"assigned_to": referral.assigned_to_id}, prefix="assign"
        ),
        "move_form": forms.get("move_form") or MoveForm(referral=referral, prefix="move"),
        "open_case_form": forms.get("open_case_form")
        or OpenCaseForm(
            loads=loads, initial={"assigned_to": referral.assigned_to_id}, prefix="open_case"
        ),
        "case": getattr(referral, "case", None) if referral.status == Status.ACCEPTED else None,
        "attempt_form": forms.get("attempt_form") or ContactAttemptForm(prefix="attempt"),
        "consent_form": forms.get("consent_form") or ConsentForm(prefix="consent"),
        "edit_form": forms.get("edit_form")
        or ReferralEditForm(
            prefix="edit",
            scheme=membership.scheme,
            initial={
                "urgency": referral.urgency,
                "risk_flags": [f for f in RISK_FLAGS if getattr(referral, f)],
                "site": str(referral.site_id or ""),
                "reasons": [str(t.pk) for t in referral.reasons.all()],
            },
        ),
        "household_form": forms.get("household_form")
        or HouseholdForm(
            prefix="household",
            initial={
                "name": person.household.name if person.household else "",
                "role": person.household_role or "adult",
            },
        ),
        "household_members": (
            list(person.household.members.exclude(pk=person.pk).order_by("date_of_birth"))
            if person.household_id
            else []
        ),
        "form": forms.get("form"),
        "crumbs": _crumbs(("Triage", reverse("referrals:triage"))),
    }
    if person.needs_duplicate_check:
        context["possible_duplicates"] = selectors.possible_duplicates(referral)
    context["waiting_room"] = waiting_room_summary(referral=referral)
    return context


@scheme_view(Perm.REFERRAL_TRIAGE)
def referral_detail(request, referral_id):
    referral = selectors.referral_detail(membership=request.membership, referral_id=referral_id)
    return render(request, "referrals/detail.html", _detail_context(request, referral))


def _post_action(request, referral_id, form_name, form, action, success):
    referral = selectors.referral_detail(membership=request.membership, referral_id=referral_id)
    if form.is_valid():
        try:
            action(referral, form.cleaned_data)
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("referrals:detail", referral_id=referral.pk)
    context = _detail_context(request, referral, **{form_name: form, "form": form})
    return render(request, "referrals/detail.html", context, status=400)


@require_POST
@scheme_view(Perm.REFERRAL_TRIAGE)
def referral_assign(request, referral_id):
    loads = selectors.worker_loads(scheme=request.membership.scheme)
    form = AssignForm(request.POST, loads=loads, prefix="assign")

    def act(referral, data):
        worker = User.objects.get(pk=data["assigned_to"])
        services.referral_assign(referral=referral, to=worker, by=request.user)

    return _post_action(request, referral_id, "assign_form", form, act, "Referral assigned.")


@require_POST
@scheme_view(Perm.REFERRAL_TRIAGE)
def referral_move(request, referral_id):
    referral = selectors.referral_detail(membership=request.membership, referral_id=referral_id)
    form = MoveForm(request.POST, referral=referral, prefix="move")
    return _post_action(
        request,
        referral_id,
        "move_form",
        form,
        lambda r, d: services.referral_move(
            referral=r, to=d["to"], reason=d["reason"], by=request.user
        ),
        "Status changed.",
    )


@require_POST
@scheme_view(Perm.REFERRAL_TRIAGE)
def referral_attempt(request, referral_id):
    form = ContactAttemptForm(request.POST, prefix="attempt")
    return _post_action(
        request,
        referral_id,
        "attempt_form",
        form,
        lambda r, d: services.contact_attempt_record(
            referral=r, by=request.user, method=d["method"], outcome=d["outcome"], note=d["note"]
        ),
        "Contact attempt logged.",
    )


@require_POST
@scheme_view(Perm.REFERRAL_TRIAGE)
def consent_add(request, referral_id):
    form = ConsentForm(request.POST, prefix="consent")
    return _post_action(
        request,
        referral_id,
        "consent_form",
        form,
        lambda r, d: consent_record(
            person=r.person,
            scope=d["scope"],
            method=d["method"],
            channels=d["channels"] if d["scope"] == ConsentScope.CONTACT else [],
            providers=d["providers"],
            by=request.user,
        ),
        "Consent recorded.",
    )


@require_POST
@scheme_view(Perm.REFERRAL_TRIAGE)
def consent_withdraw_view(request, referral_id, consent_id):
    referral = selectors.referral_detail(membership=request.membership, referral_id=referral_id)
    consent = get_object_or_404(Consent, pk=consent_id, person=referral.person)
    form = WithdrawConsentForm(request.POST)
    if form.is_valid():
        try:
            consent_withdraw(consent=consent, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, f"Withdrawal recorded: {consent.get_scope_display().lower()}."
            )
    return redirect("referrals:detail", referral_id=referral.pk)


@require_POST
@scheme_view(Perm.REFERRAL_TRIAGE)
def person_duplicate(request, referral_id):
    """Staff settle a likely duplicate: merge into the known person, or keep apart."""
    referral = selectors.referral_detail(membership=request.membership, referral_id=referral_id)
    person = referral.person
    choice = request.POST.get("choice", "")
    if choice == "separate":
        person_keep_separate(person=person, by=request.user)
        messages.success(request, "Kept as a separate person.")
        return redirect("referrals:detail", referral_id=referral.pk)
    candidates = {str(m.person.pk): m.person for m in selectors.possible_duplicates(referral)}
    into = candidates.get(choice)
    if into is None:
        messages.error(request, "Choose the person to merge with, or keep them separate.")
        return redirect("referrals:detail", referral_id=referral.pk)
    try:
        merge_people(duplicate=person, into=into, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Merged into {into.full_name}'s record.")
    return redirect("referrals:detail", referral_id=referral.pk)


@require_POST
@scheme_view(Perm.REFERRAL_TRIAGE)
def household(request, referral_id):
    form = HouseholdForm(request.POST, prefix="household")
    return _post_action(
        request,
        referral_id,
        "household_form",
        form,
        lambda r, d: household_join_by_name(
            person=r.person, by=request.user, name=d["name"], role=d["role"]
        ),
        "Household saved.",
    )


@require_POST
@scheme_view(Perm.REFERRAL_TRIAGE)
def referral_edit(request, referral_id):
    form = ReferralEditForm(request.POST, prefix="edit", scheme=request.membership.scheme)

    def act(referral, data):
        services.referral_update(
            referral=referral,
            by=request.user,
            data={
                "urgency": data["urgency"],
                **_flags(data),
                "site": form.sites.get(data["site"]),
                "reasons": data["reasons"],
            },
        )

    return _post_action(request, referral_id, "edit_form", form, act, "Referral updated.")


@require_POST
@scheme_view(Perm.REFERRAL_TRIAGE)
def referral_open_case(request, referral_id):
    """Accept a contacted referral by opening the person's case, held by the chosen link worker
    (the assignee unless another is chosen)."""
    require(request.membership, Perm.CASELOAD)
    referral = selectors.referral_detail(membership=request.membership, referral_id=referral_id)
    loads = selectors.worker_loads(scheme=request.membership.scheme)
    form = OpenCaseForm(request.POST, loads=loads, prefix="open_case")
    if form.is_valid():
        worker = User.objects.get(pk=form.cleaned_data["assigned_to"])
        try:
            case = case_open(referral=referral, by=request.user, worker=worker)
        except (ValidationError, ApplicationError) as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, f"Referral accepted: {referral.person.full_name}'s case is open."
            )
            return redirect(case_url(case))
    context = _detail_context(request, referral, open_case_form=form, form=form)
    return render(request, "referrals/detail.html", context, status=400)


@require_POST
@scheme_view(Perm.REFERRAL_TRIAGE)
def referral_assign_many(request):
    """From the triage queue: the selected referrals, to one link worker."""
    loads = selectors.worker_loads(scheme=request.membership.scheme)
    form = AssignForm(request.POST, loads=loads, prefix="assign")
    chosen = request.POST.getlist("referral")
    back = request.POST.get("next", "")
    if not back.startswith("/referrals/triage/"):
        back = reverse("referrals:triage")
    if not chosen:
        messages.error(request, "Select at least one referral to assign.")
        return redirect(back)
    if not form.is_valid():
        messages.error(request, "Choose a link worker to assign the selected referrals to.")
        return redirect(back)
    worker = User.objects.get(pk=form.cleaned_data["assigned_to"])
    try:
        count = services.referral_assign_many(
            membership=request.membership, referral_ids=chosen, to=worker, by=request.user
        )
    except (ValidationError, ApplicationError) as error:
        messages.error(request, getattr(error, "message", None) or error.messages[0])
    else:
        messages.success(
            request, f"{count} referral{'s' if count != 1 else ''} assigned to {worker.full_name}."
        )
    return redirect(back)
