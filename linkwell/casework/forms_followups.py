"""Forms for follow-ups, the closing checklist, reopening, and opening a case from a referral.

The services check the rules (a date not in the past, a time for a reminder, a closing reason);
these forms only turn what was typed into values and say so next to the field when they cannot.
"""

from django import forms

from linkwell.casework.states import ClosingReason, FollowUpKind, Recurrence
from linkwell.core.forms import NHSUKFormMixin
from linkwell.referrals.forms import AssignForm

_DATE = forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}, format="%Y-%m-%d")
_TIME = forms.TimeInput(
    attrs={"type": "time", "class": "nhsuk-input nhsuk-input--width-5"}, format="%H:%M"
)


class FollowUpForm(NHSUKFormMixin, forms.Form):
    due_on = forms.DateField(
        label="Date",
        help_text="For example, 2026-11-30",
        widget=_DATE,
        error_messages={
            "required": "Give the date the follow-up is due",
            "invalid": "Enter a real date, like 2026-11-30",
        },
    )
    due_time = forms.TimeField(
        label="Time (optional)",
        required=False,
        help_text="For example, 14:30. Needed for a reminder to the person.",
        widget=_TIME,
        error_messages={"invalid": "Enter a time, like 14:30"},
    )
    kind = forms.ChoiceField(
        label="What is it?",
        choices=FollowUpKind.choices,
        initial=FollowUpKind.SUPPORT_CALL,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the follow-up is for"},
    )
    purpose = forms.CharField(
        label="Purpose (optional)",
        required=False,
        max_length=300,
        help_text="What to check or talk about, for example 'Has the art group started?'",
        error_messages={"max_length": "Keep the purpose to 300 characters or fewer"},
    )
    recurrence = forms.ChoiceField(
        label="Repeats",
        choices=Recurrence.choices,
        initial=Recurrence.NONE,
        required=False,
        widget=forms.RadioSelect,
    )
    remind_person = forms.BooleanField(
        label="Remind the person the day before",
        required=False,
        help_text="For appointments with a time. Sent by text message or email only if they "
        "agreed to be contacted that way.",
    )

    def full_clean(self):
        super().full_clean()
        # The mixin styles the widgets it knows; a time input is styled here.
        if "due_time" in self.errors:
            widget = self.fields["due_time"].widget
            widget.attrs["class"] += " nhsuk-input--error"
            described = widget.attrs.get("aria-describedby", "")
            widget.attrs["aria-describedby"] = f"{described} id_due_time-error".strip()

    def clean(self):
        data = super().clean()
        if data.get("remind_person") and data.get("kind") not in (None, FollowUpKind.APPOINTMENT):
            self.add_error(
                "remind_person", "Reminders are sent for appointments only: choose 'Appointment'"
            )
        return data


class CloseForm(NHSUKFormMixin, forms.Form):
    reason = forms.ChoiceField(
        label="Why is the case closing?",
        choices=ClosingReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the case is closing"},
    )
    summary = forms.CharField(
        label="Closing summary",
        required=False,
        help_text="What changed for the person and where things stand. Needed when the reason "
        "is 'Other'. It stays with the scheme: the referrer is sent the reason only.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    final_questionnaire_offered = forms.BooleanField(
        label="The final wellbeing questionnaire was offered", required=False
    )
    goals_reviewed = forms.BooleanField(
        label="The goals were reviewed with the person", required=False
    )
    tell_referrer = forms.BooleanField(
        label="Send the referrer the outcome", required=False, initial=True
    )
    cancel_followups = forms.BooleanField(
        label="Cancel these follow-ups and close the case", required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReopenForm(NHSUKFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why is the case being reopened?",
        max_length=300,
        help_text="This is kept in the case's history and the audit log.",
        error_messages={"required": "Say why the case is reopened"},
    )


class OpenCaseForm(AssignForm):
    """Accepting a contacted referral: which link worker will hold the person's case."""

    def __init__(self, *args, loads, **kwargs):
        super().__init__(*args, loads=loads, **kwargs)
        self.fields["assigned_to"].label = "Link worker who will hold the case"
        # The counts beside each name are referrals still in progress, not cases held: say so.
        self.fields["assigned_to"].choices = [("", "Choose a link worker")] + [
            (str(load.user.pk), f"{load.user.full_name} ({load.open} referrals in progress)")
            for load in loads
        ]
