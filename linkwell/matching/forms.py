"""Forms of the find-support pages: narrowing a search, what the person can manage, a decision
about one service, and the scheme's weights."""

from __future__ import annotations

from django import forms

from linkwell.casework.states import SupportDecision
from linkwell.core.forms import NHSUKFormMixin
from linkwell.directory.search import DAY_NAMES, DAYS
from linkwell.matching.engine import FACTOR_LABELS, MAX_LIMIT
from linkwell.matching.models import FACTORS, CostLimit, Travel
from linkwell.matching.profile import TIMES

WAY_CHOICES = [
    ("in_person", "In person"),
    ("by_phone", "By phone"),
    ("online", "Online"),
    ("home_visit", "A home visit"),
]
DAY_CHOICES = [(d, DAY_NAMES[d]) for d in DAYS]
TIME_CHOICES = [(t, t.capitalize()) for t in TIMES]


def _distance(label: str, help_text: str):
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        required=False,
        min_value=0,
        max_value=200,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4", "step": "0.5"}),
        error_messages={
            "invalid": "Enter the distance as a number of kilometres, like 5",
            "min_value": "Enter a distance of 0 km or more",
            "max_value": "Enter a distance of 200 km or less",
            "max_decimal_places": "Enter the distance to one decimal place at most",
        },
    )


class RefineForm(NHSUKFormMixin, forms.Form):
    """Narrowing the search on the page (GET): some needs, another way of travelling or
    distance, some ways of taking part, more results. Empty means "as recorded"."""

    needs = forms.MultipleChoiceField(
        label="Needs to find support for",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to search for every need.",
    )
    travel = forms.ChoiceField(
        label="How they will travel",
        required=False,
        choices=[("", "As recorded"), *Travel.choices],
    )
    distance = _distance("Furthest they can go (km)", "Leave empty for the usual distance.")
    ways = forms.MultipleChoiceField(
        label="Ways of taking part",
        required=False,
        choices=WAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for the ways recorded for them.",
    )
    limit = forms.TypedChoiceField(
        label="How many to show",
        required=False,
        coerce=int,
        empty_value=10,
        choices=[(10, "10"), (20, "20"), (MAX_LIMIT, str(MAX_LIMIT))],
    )

    def __init__(self, *args, needs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["needs"].choices = [(str(n.area_id), n.name) for n in needs]


class PreferencesForm(NHSUKFormMixin, forms.Form):
    """What the person can manage, recorded with them."""

    travel = forms.ChoiceField(
        label="How can they get to things?",
        choices=Travel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how they can get to things"},
    )
    max_distance_km = _distance(
        "Furthest they can go (km, optional)",
        "Leave empty for the usual distance: 2.5 km walking, 12 by bus, 30 by car.",
    )
    ways = forms.MultipleChoiceField(
        label="Ways they can take part",
        choices=WAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one way they can take part"},
    )
    device_loan_planned = forms.BooleanField(
        label="A device loan is planned",
        required=False,
        help_text="Then online support counts as possible even without their own device.",
    )
    step_free = forms.BooleanField(
        label="They need step-free access",
        required=False,
        help_text="Then only places whose accessibility says step-free or wheelchair count.",
    )
    days = forms.MultipleChoiceField(
        label="Days they are free (optional)",
        required=False,
        choices=DAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    times = forms.MultipleChoiceField(
        label="Times of day they are free (optional)",
        required=False,
        choices=TIME_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    cost_limit = forms.ChoiceField(
        label="What can they pay?",
        choices=CostLimit.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what they can pay"},
    )
    accept_waiting_list = forms.BooleanField(
        label="They are happy to join a waiting list", required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def as_data(self) -> dict:
        data = dict(self.cleaned_data)
        ways = set(data.pop("ways"))
        data.pop("version", None)
        for way, _ in WAY_CHOICES:
            data[way] = way in ways
        return data


class DecisionForm(NHSUKFormMixin, forms.Form):
    """What the person decided about one service on the list."""

    service = forms.UUIDField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=SupportDecision.choices, widget=forms.HiddenInput)
    in_their_words = forms.CharField(
        label="Why, in their own words",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WeightsForm(NHSUKFormMixin, forms.Form):
    """How much each part of the score counts, from 0 (not at all) to 5."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for factor in FACTORS:
            self.fields[factor] = forms.FloatField(
                label=FACTOR_LABELS[factor],
                min_value=0,
                max_value=5,
                widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-3", "step": "0.5"}),
                error_messages={
                    "required": f"Enter a weight for “{FACTOR_LABELS[factor].lower()}”",
                    "invalid": "Enter a number from 0 to 5",
                    "min_value": "Enter a number from 0 to 5",
                    "max_value": "Enter a number from 0 to 5",
                },
            )
