"""Forms of the what-matters conversation and the co-produced plan: a need area, a goal, a goal's
progress, a support the person chose or declined."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from linkwell.casework.states import GoalStatus, Severity, SupportDecision
from linkwell.core.forms import NHSUKFormMixin

WORDS_HINT = "Write what they say, in their own words."


def _words(label: str, *, help_text: str = WORDS_HINT, required: bool = False, rows: int = 4):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _version():
    return forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


def _target_date(label: str = "Target date (optional)"):
    return forms.DateField(
        label=label,
        required=False,
        help_text="When they would like to have done it by. For example, 2026-11-30",
        # ISO format: a date input shows nothing for the en-GB "20/12/2026".
        widget=forms.DateInput(
            attrs={"type": "date", "class": "nhsuk-input--width-10"}, format="%Y-%m-%d"
        ),
        error_messages={"invalid": "Enter a real date, like 2026-11-30"},
    )


def _service_label(service) -> str:
    """The listing's name and its organisation's, once (some names already end with it)."""
    suffix = f"({service.organization.name})"
    return service.name if service.name.endswith(suffix) else f"{service.name} {suffix}"


class NeedForm(NHSUKFormMixin, forms.Form):
    """One need area: how much it weighs on the person, and what they said about it."""

    in_their_words = _words("What they said")
    severity = forms.TypedChoiceField(
        label="How much does this weigh on them?",
        choices=Severity.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how much this weighs on them"},
    )
    version = _version()


class WhatMattersForm(NHSUKFormMixin, forms.Form):
    what_matters = _words(
        "What matters most to you?",
        help_text="Ask the person this, and write their answer in their own words.",
        required=True,
        rows=5,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["what_matters"].error_messages["required"] = (
            "Write down what matters most to the person, in their words"
        )


class GoalForm(NHSUKFormMixin, forms.Form):
    """A new goal, in the person's words, linked to the needs it is about."""

    text = _words(
        "The goal, in their words",
        help_text="For example, 'Get out of the house twice a week'.",
        required=True,
        rows=3,
    )
    needs = forms.MultipleChoiceField(
        label="Which of their needs is it about? (optional)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    target_date = _target_date()

    def __init__(self, *args, needs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].error_messages["required"] = "Write the goal in the person's own words"
        self._needs = {str(n.pk): n for n in needs}
        self.fields["needs"].choices = [(key, n.area.name) for key, n in self._needs.items()]

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Write the goal in the person's own words")
        return text

    def clean_target_date(self):
        target = self.cleaned_data["target_date"]
        if target and target < timezone.localdate() and target != self.initial.get("target_date"):
            raise forms.ValidationError("The target date cannot be in the past")
        return target

    def chosen_needs(self):
        return [self._needs[key] for key in self.cleaned_data.get("needs", [])]


class GoalEditForm(GoalForm):
    """Progress on a goal, its review, and changes to its words or target date."""

    field_order = ["progress", "status", "note", "text", "target_date", "version"]

    progress = forms.TypedChoiceField(
        label="How far along is it?",
        help_text="From 0 (not started) to 10 (done), as the person sees it.",
        choices=[(i, f"{i} out of 10") for i in range(11)],
        coerce=int,
        widget=forms.Select(attrs={"class": "nhsuk-select"}),
        error_messages={"required": "Choose how far along it is"},
    )
    status = forms.ChoiceField(
        label="Where are they with it?",
        choices=GoalStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where they are with it"},
    )
    note = forms.CharField(
        label="Note (optional)",
        help_text="What has helped or got in the way. Kept with this score in the history.",
        required=False,
        max_length=300,
        widget=forms.TextInput,
    )
    version = _version()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["needs"]


class SupportForm(NHSUKFormMixin, forms.Form):
    """A support talked about and what the person decided: from the directory or named."""

    service = forms.ChoiceField(
        label="Service from the directory",
        required=False,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label="Or name the support",
        help_text="When it is not in the directory: for example, 'Walks with a neighbour'.",
        required=False,
        max_length=200,
        widget=forms.TextInput,
    )
    decision = forms.ChoiceField(
        label="What did they decide?",
        choices=SupportDecision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what they decided"},
    )
    in_their_words = _words(
        "What they said about it",
        help_text="In their own words. If they chose not to use it, write why, as they put it.",
    )
    q = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, services=(), first_name: str = "They", **kwargs):
        super().__init__(*args, **kwargs)
        # In words that respect the choice: declining is a decision, not a failure.
        self.fields["decision"].choices = [
            (SupportDecision.CHOSEN, f"{first_name} chose it"),
            (SupportDecision.CONSIDERING, f"{first_name} is thinking about it"),
            (SupportDecision.DECLINED, f"{first_name} chose not to use it"),
        ]
        self._services = {str(s.pk): s for s in services}
        self.fields["service"].choices = [
            (key, _service_label(s)) for key, s in self._services.items()
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("service") and cleaned.get("name", "").strip():
            self.add_error("name", "Choose a service from the directory or name it, not both")
        return cleaned

    def chosen_service(self):
        return self._services.get(self.cleaned_data.get("service") or "")
