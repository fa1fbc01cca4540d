"""Forms of the provider inbox and the emailed-link page."""

from django import forms

from linkwell.connections.selectors import INBOX_GROUPS
from linkwell.connections.states import Status
from linkwell.core.forms import NHSUKFormMixin
from linkwell.directory.models import Capacity

REASON_LABELS = {
    Status.DECLINED: "Why are you declining this referral?",
    Status.DROPPED_OUT: "Why did they stop coming?",
}
REASON_HINTS = {
    Status.DECLINED: "For example, they live outside the area you cover, or you are full. "
    "The link worker sees this and will find another service.",
    Status.DROPPED_OUT: "For example, the time no longer suits them. Keep it short: the link "
    "worker will follow up.",
}


class InboxFilterForm(NHSUKFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "All referrals")] + [(k, label) for k, (label, _) in INBOX_GROUPS.items()],
    )
    service = forms.ChoiceField(label="Service", required=False)

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "All your services")] + [
            (str(s.pk), s.name) for s in services
        ]


class MoveReasonForm(NHSUKFormMixin, forms.Form):
    """The second click of a move that needs a reason (decline, dropped out)."""

    to = forms.CharField(widget=forms.HiddenInput)
    expected = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Say why",
            "max_length": "Keep the reason to 300 characters or fewer",
        },
    )

    def __init__(self, *args, to: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = REASON_LABELS.get(to, "Why?")
        self.fields["reason"].help_text = REASON_HINTS.get(to, "")
        if self.fields["reason"].help_text:
            self.fields["reason"].widget.attrs["aria-describedby"] = (
                f"id_{self.add_prefix('reason')}-hint"
            )


CAPACITY_CHOICES = [
    (Capacity.OPEN, "Open: taking people now"),
    (Capacity.WAITING_LIST, "Waiting list"),
    (Capacity.FULL, "Full: not taking people"),
    (Capacity.PAUSED, "Paused: not running for now (a break, or no staff)"),
]


class CapacityForm(NHSUKFormMixin, forms.Form):
    capacity = forms.ChoiceField(
        label="Can you take people?",
        choices=CAPACITY_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you can take people"},
    )
    typical_wait_weeks = forms.IntegerField(
        label="Typical wait, in weeks",
        required=False,
        min_value=0,
        max_value=104,
        help_text="Leave empty if you do not know.",
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-3", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter the typical wait as a number of weeks",
            "min_value": "The typical wait cannot be less than 0 weeks",
            "max_value": "Enter a typical wait of 104 weeks or fewer",
        },
    )
