"""Forms for the directory pages, in NHS.UK markup (see linkwell.core.forms)."""

from django import forms
from django.db import models
from django.db.models import Q

from linkwell.core.forms import NHSUKFormMixin
from linkwell.directory import taxonomy
from linkwell.directory.models import Flag, Organization, Service, TaxonomyTerm
from linkwell.directory.search import DAY_NAMES
from linkwell.directory.services import EDITABLE_FIELDS, MANAGER_ONLY_FIELDS

DAYS = [("", "Any day"), *DAY_NAMES.items()]
DISTANCES = [
    ("1000", "1 km"),
    ("2000", "2 km"),
    ("5000", "5 km"),
    ("10000", "10 km"),
    ("25000", "25 km"),
]
TAKE_PART = [
    ("in_person", "In person"),
    ("by_phone", "By phone"),
    ("online", "Online"),
    ("home_visit", "Home visit"),
]


def _terms(taxonomy_id, scheme=None):
    """A taxonomy's shared terms, and the scheme's own."""
    terms = TaxonomyTerm.objects.filter(taxonomy_id=taxonomy_id).filter(
        Q(scheme__isnull=True) | Q(scheme=scheme)
    )
    return [(str(t.pk), t.name) for t in terms]


class DirectorySearchForm(NHSUKFormMixin, forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    need = forms.ChoiceField(label="Need area", required=False)
    activity = forms.ChoiceField(label="Type of support", required=False)
    take_part = forms.MultipleChoiceField(
        label="How people take part",
        choices=TAKE_PART,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    free_only = forms.BooleanField(label="Free only", required=False)
    age = forms.IntegerField(
        label="Age of the person",
        required=False,
        min_value=0,
        max_value=120,
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-3", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter an age in whole years, like 34",
            "min_value": "Age must be 0 or more",
            "max_value": "Age must be 120 or less",
        },
    )
    day = forms.ChoiceField(label="Day", choices=DAYS, required=False)
    time = forms.TimeField(
        label="Time",
        required=False,
        help_text="For example, 14:30",
        widget=forms.TimeInput(attrs={"class": "nhsuk-input--width-5"}),
        error_messages={"invalid": "Enter a time like 14:30"},
    )
    postcode = forms.CharField(
        label="Near postcode",
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"class": "nhsuk-input--width-10", "autocomplete": "postal-code"}
        ),
    )
    distance = forms.ChoiceField(label="Within", choices=DISTANCES, required=False, initial="5000")

    def __init__(self, *args, scheme=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need"].choices = [
            ("", "Any need area"),
            *_terms(taxonomy.NEED_AREAS_ID, scheme),
        ]
        self.fields["activity"].choices = [
            ("", "Any type of support"),
            *_terms(taxonomy.ACTIVITY_TYPES_ID, scheme),
        ]
        for name in ("need", "activity", "day", "distance"):
            self.fields[name].widget.attrs["class"] = "nhsuk-select"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("time") and not cleaned.get("day"):
            self.add_error("day", "Choose a day to search by time")
        return cleaned


class FlagForm(NHSUKFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="What is wrong?",
        choices=Flag.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what is wrong"},
    )
    note = forms.CharField(
        label="Tell us more",
        required=False,
        max_length=2000,
        help_text="For example, the right phone number, or when it closed.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Flag.Kind.OTHER and not cleaned.get("note", "").strip():
            self.add_error("note", "Say what is wrong")
        return cleaned


def _form_field(model_field, **kwargs):
    """Web addresses typed without a scheme are taken as https://, as Django 6 will."""
    if isinstance(model_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return model_field.formfield(**kwargs)


class ServiceEditForm(NHSUKFormMixin, forms.ModelForm):
    class Meta:
        model = Service
        formfield_callback = staticmethod(_form_field)
        fields = EDITABLE_FIELDS + MANAGER_ONLY_FIELDS
        widgets = {
            "status": forms.RadioSelect,
            "capacity": forms.RadioSelect,
            "cost_type": forms.RadioSelect,
            "referral_route": forms.RadioSelect,
            "gender": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 5}),
            "eligibility_description": forms.Textarea(attrs={"rows": 3}),
            "safeguarding_policy_seen_on": forms.DateInput(attrs={"type": "date"}),
            "dbs_checked_on": forms.DateInput(attrs={"type": "date"}),
            "insurance_checked_on": forms.DateInput(attrs={"type": "date"}),
        }

    need_areas = forms.MultipleChoiceField(
        label="Need areas it helps with",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    activity_types = forms.MultipleChoiceField(
        label="Type of support",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, manager: bool, scheme=None, current_terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not manager:
            for name in MANAGER_ONLY_FIELDS:
                del self.fields[name]
        self.fields["need_areas"].choices = _terms(taxonomy.NEED_AREAS_ID, scheme)
        self.fields["activity_types"].choices = _terms(taxonomy.ACTIVITY_TYPES_ID, scheme)
        current = {str(t) for t in current_terms}
        for name in ("need_areas", "activity_types"):
            self.initial[name] = [v for v, _ in self.fields[name].choices if v in current]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("minimum_age"), cleaned.get("maximum_age")
        if low is not None and high is not None and high < low:
            self.add_error(
                "maximum_age", "The oldest age must be the same as or more than the youngest"
            )
        if cleaned.get("cost_type") == "fee" and cleaned.get("fee_amount") is None:
            self.add_error("fee_amount", "Enter the fee, in pounds")
        return cleaned

    def changes(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.fields
            if name not in ("need_areas", "activity_types")
        }

    def terms(self) -> list[str]:
        return [*self.cleaned_data["need_areas"], *self.cleaned_data["activity_types"]]


class DirectoryImportForm(NHSUKFormMixin, forms.Form):
    upload = forms.FileField(
        label="Upload a file",
        required=False,
        help_text="An Open Referral (HSDS 3.0) JSON file, or a zipped data package of CSV files.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".json,.zip", "class": "nhsuk-file-upload"}
        ),
    )
    url = forms.URLField(
        label="Or import from a feed",
        required=False,
        assume_scheme="https",
        help_text="The address of an Open Referral UK API, for example https://example.org/oruk",
        error_messages={"invalid": "Enter a web address, like https://example.org/oruk"},
    )

    def clean(self):
        cleaned = super().clean()
        if not self.errors and bool(cleaned.get("upload")) == bool(cleaned.get("url")):
            self.add_error("upload", "Upload a file or give a feed address")
        return cleaned


class ListingAddForm(NHSUKFormMixin, forms.Form):
    organization_name = forms.CharField(
        label="Organisation",
        max_length=300,
        help_text="If the scheme already lists this organisation, the listing is added to it.",
        error_messages={"required": "Enter the organisation's name"},
    )
    service_name = forms.CharField(
        label="Name of the service or activity",
        max_length=300,
        error_messages={"required": "Enter the service's name"},
    )
    description = forms.CharField(
        label="What it is", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class OrganizationEditForm(NHSUKFormMixin, forms.ModelForm):
    staff = forms.MultipleChoiceField(
        label="Provider staff who keep these listings",
        help_text="People with the provider role in your scheme.",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Organization
        fields = ["name", "description", "email", "website"]
        formfield_callback = staticmethod(_form_field)
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, provider_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if provider_choices is None:
            del self.fields["staff"]
        else:
            self.fields["staff"].choices = provider_choices
            chosen = {str(pk) for pk in self.instance.staff.values_list("pk", flat=True)}
            self.initial["staff"] = [v for v, _ in provider_choices if v in chosen]

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class TermAddForm(NHSUKFormMixin, forms.Form):
    taxonomy = forms.ChoiceField(
        label="Add to",
        choices=[
            (str(taxonomy.NEED_AREAS_ID), "Need areas"),
            (str(taxonomy.ACTIVITY_TYPES_ID), "Types of support"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the term goes"},
    )
    name = forms.CharField(
        label="Term", max_length=200, error_messages={"required": "Enter the term"}
    )
