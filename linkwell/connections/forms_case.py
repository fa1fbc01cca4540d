"""Forms of the case's connection pages: one small form per directory service on the "Refer or
signpost" page (whether to offer it, as what, the message, costs, the waiting list), and the
form that moves a connection on (withdraw, a signpost's outcome, what a provider said by
phone), carrying the status the worker saw."""

from __future__ import annotations

from django import forms

from linkwell.connections.services import MAX_COST
from linkwell.connections.states import Kind, Status
from linkwell.core.forms import NHSUKFormMixin
from linkwell.directory.models import Capacity, ReferralRoute

KIND_CHOICES = [
    (Kind.REFERRAL.value, "Refer: send the details to the service"),
    (Kind.SIGNPOST.value, "Signpost: give the information, they make contact"),
]


def _money(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_value=MAX_COST,
        decimal_places=2,
        widget=forms.TextInput(
            attrs={"class": "nhsuk-input--width-5", "inputmode": "decimal", "spellcheck": "false"}
        ),
        error_messages={
            "invalid": "Enter an amount in pounds, like 2.50",
            "min_value": f"Enter an amount from £0 to £{MAX_COST:,.0f}",
            "max_value": f"Enter an amount from £0 to £{MAX_COST:,.0f}",
            "max_decimal_places": "Enter an amount in pounds and pence, like 2.50",
        },
    )


class OfferForm(NHSUKFormMixin, forms.Form):
    """One service on the "Refer or signpost" page. Prefixed with the service's id."""

    include = forms.BooleanField(required=False)
    kind = forms.ChoiceField(
        label="How",
        choices=KIND_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label="Message to the service",
        help_text="A few lines: what the person hopes for, and the best way to reach them.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    chosen_by_person = forms.BooleanField(
        required=False,
        initial=True,
        label="The person chose this themselves",
        help_text="Untick if it was chosen for them, for example by a carer or by you.",
    )
    in_their_words = forms.CharField(
        label="Why they chose it, in their words (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    cost_to_person = _money("Cost to the person, in pounds (optional)")
    scheme_funds = _money("Paid by the scheme, in pounds (optional)")
    waiting_list_ok = forms.BooleanField(
        required=False,
        label="The person is happy to join the waiting list",
    )

    def __init__(self, *args, service, already_open: bool = False, **kwargs):
        kwargs.setdefault("prefix", f"s-{service.pk}")
        super().__init__(*args, **kwargs)
        self.service = service
        self.already_open = already_open
        self.fields["include"].label = f"Offer {service.name}"
        self.signpost_only = service.referral_route == ReferralRoute.SIGNPOST
        if self.signpost_only:
            self.fields["kind"].choices = [KIND_CHOICES[1]]
            self.fields["kind"].help_text = "This service takes no referrals: signpost only."
        self.has_waiting_list = service.capacity == Capacity.WAITING_LIST
        if not self.has_waiting_list:
            del self.fields["waiting_list_ok"]
        if not self.is_bound:
            self.initial.setdefault("kind", Kind.SIGNPOST if self.signpost_only else Kind.REFERRAL)

    def clean(self):
        data = super().clean()
        if not data.get("include"):
            return data
        name = self.service.name
        kind = data.get("kind")
        if kind not in Kind.values:
            self.add_error("kind", f"Choose whether to refer to or signpost {name}")
            return data
        if kind == Kind.REFERRAL and not (data.get("message") or "").strip():
            self.add_error("message", f"Write a short message to {name}")
        return data

    @property
    def chosen(self) -> bool:
        return bool(self.is_bound and self.is_valid() and self.cleaned_data.get("include"))


class ConnectionMoveForm(NHSUKFormMixin, forms.Form):
    """Move a connection on. `expected` is the status the worker saw on the page."""

    to = forms.ChoiceField(
        choices=Status.choices, error_messages={"required": "Choose what happened"}
    )
    expected = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    reason = forms.CharField(required=False, max_length=300, label="Why")
    note = forms.CharField(
        required=False,
        max_length=2000,
        label="Note (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
