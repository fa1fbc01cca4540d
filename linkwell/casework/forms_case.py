"""Forms of the case record: recording a contact (and the next follow-up in the same step), a
note, a change of status, and the household members the case involves."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone

from linkwell.casework import states
from linkwell.casework.services import FollowUpPlan
from linkwell.casework.states import CaseStatus, ContactMethod, FollowUpKind, Recurrence
from linkwell.core.forms import NHSUKFormMixin

_DATE = {"type": "date", "class": "nhsuk-input--width-10"}
_TIME = {"type": "time", "class": "nhsuk-input nhsuk-input--width-10"}


def _date_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs=dict(_DATE), format="%Y-%m-%d"),
        error_messages={
            "required": "Enter the date",
            "invalid": "Enter a real date, like 2026-11-01",
        },
    )


class ContactForm(NHSUKFormMixin, forms.Form):
    """One short form: what happened on a call or visit, and optionally the next follow-up."""

    at_date = _date_field("Date")
    at_time = forms.TimeField(
        label="Time",
        widget=forms.TimeInput(attrs=dict(_TIME), format="%H:%M"),
        error_messages={
            "required": "Enter the time",
            "invalid": "Enter a real time, like 14:30",
        },
    )
    method = forms.ChoiceField(
        label="How",
        choices=ContactMethod.choices,
        initial=ContactMethod.PHONE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the contact happened"},
    )
    duration_minutes = forms.IntegerField(
        label="How long, in minutes (optional)",
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter the length as a whole number of minutes, like 20",
            "min_value": "A contact lasts between 0 minutes and 12 hours.",
        },
    )
    who_was_there = forms.CharField(
        label="Who was there (optional)",
        required=False,
        max_length=200,
        help_text="For example, the person and their daughter.",
    )
    notes = forms.CharField(
        label="Notes (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome = forms.CharField(label="Outcome (optional)", required=False, max_length=300)
    next_step = forms.CharField(label="Next step (optional)", required=False, max_length=300)
    completes = forms.ChoiceField(
        label="Was this a follow-up that was due?",
        required=False,
        widget=forms.RadioSelect,
        help_text="It is marked done; one that repeats schedules its next date.",
    )
    schedule_followup = forms.BooleanField(label="Schedule the next follow-up", required=False)
    followup_due_on = _date_field("Due on", required=False)
    followup_kind = forms.ChoiceField(
        label="What for",
        choices=FollowUpKind.choices,
        initial=FollowUpKind.SUPPORT_CALL,
        required=False,
        widget=forms.RadioSelect,
    )
    followup_purpose = forms.CharField(
        label="Purpose (optional)",
        required=False,
        max_length=300,
        help_text="For example, check the art group place is confirmed.",
    )
    followup_recurrence = forms.ChoiceField(
        label="Repeats",
        choices=Recurrence.choices,
        initial=Recurrence.NONE,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, due_followups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.due_followups = {str(f.pk): f for f in due_followups}
        if self.due_followups:
            self.fields["completes"].choices = [("", "No")] + [
                (
                    pk,
                    f"Yes: {f.get_kind_display().lower()} due {f.due_on:%-d %B}"
                    + (f" ({f.purpose})" if f.purpose else ""),
                )
                for pk, f in self.due_followups.items()
            ]
            self.fields["completes"].initial = ""
        else:
            del self.fields["completes"]

    @classmethod
    def fresh(cls, *, due_followups=(), prefix=None):
        now = timezone.localtime()
        # A contact made on a follow-up's day (or after it) most likely answers it.
        due_now = next((f for f in due_followups if f.due_on <= now.date()), None)
        return cls(
            due_followups=due_followups,
            prefix=prefix,
            initial={
                "at_date": now.date(),
                "at_time": now.strftime("%H:%M"),
                "completes": str(due_now.pk) if due_now else "",
            },
        )

    def clean(self):
        data = super().clean()
        wanted = data.get("schedule_followup") and not data.get("followup_due_on")
        if wanted and "followup_due_on" not in self.errors:
            self.add_error("followup_due_on", "Give the date the follow-up is due.")
        return data

    @property
    def at(self) -> datetime:
        data = self.cleaned_data
        return timezone.make_aware(datetime.combine(data["at_date"], data["at_time"]))

    def followup_plan(self) -> FollowUpPlan | None:
        data = self.cleaned_data
        if not data.get("schedule_followup"):
            return None
        return FollowUpPlan(
            due_on=data["followup_due_on"],
            kind=data.get("followup_kind") or FollowUpKind.SUPPORT_CALL,
            purpose=data.get("followup_purpose") or "",
            recurrence=data.get("followup_recurrence") or Recurrence.NONE,
        )

    def completed_followup(self):
        return self.due_followups.get(self.cleaned_data.get("completes") or "")


class NoteForm(NHSUKFormMixin, forms.Form):
    text = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the note."},
    )
    is_safeguarding = forms.BooleanField(
        label="This is a safeguarding note",
        required=False,
        help_text="Only the case's link workers and managers will see it.",
    )


class MoveForm(NHSUKFormMixin, forms.Form):
    """Pause, resume or start closing. Closing itself has its own checklist."""

    LABELS = {
        CaseStatus.ACTIVE: "Active (resume work)",
        CaseStatus.PAUSED: "Paused",
        CaseStatus.CLOSING: "Closing (start winding down)",
    }

    to = forms.ChoiceField(
        label="New status",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the new status"},
    )
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=300)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, case, **kwargs):
        kwargs.setdefault("initial", {})["version"] = case.version
        super().__init__(*args, **kwargs)
        # A posted form accepts any move: the service checks the version first (someone else
        # may have changed the case meanwhile), then whether the move is allowed now.
        moves = list(self.LABELS) if self.is_bound else states.allowed_moves(case.status)
        labels = dict(self.LABELS)
        if case.status == CaseStatus.OPEN:  # nothing to resume yet: work is starting
            labels[CaseStatus.ACTIVE] = "Active (work has started)"
        self.fields["to"].choices = [
            (s.value, labels.get(s, s.label)) for s in moves if s != CaseStatus.CLOSED
        ]


class HouseholdMembersForm(NHSUKFormMixin, forms.Form):
    members = forms.MultipleChoiceField(
        label="Who else in the household this case involves",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked if the work is with the person only.",
    )

    def __init__(self, *args, others, **kwargs):
        super().__init__(*args, **kwargs)
        self.others = {str(p.pk): p for p in others}
        self.fields["members"].choices = [
            (
                pk,
                p.full_name
                + (f" ({p.get_household_role_display().lower()})" if p.household_role else ""),
            )
            for pk, p in self.others.items()
        ]

    def chosen(self):
        return [self.others[pk] for pk in self.cleaned_data["members"]]
