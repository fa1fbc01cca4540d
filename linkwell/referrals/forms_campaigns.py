"""Forms for proactive call lists, in NHS.UK markup (see linkwell.core.forms)."""

from django import forms
from django.db.models import Q

from linkwell.core.forms import NHSUKFormMixin
from linkwell.core.models import Site
from linkwell.directory.models import TaxonomyTerm
from linkwell.directory.taxonomy import NEED_AREAS_ID
from linkwell.people.models import ContactMethod
from linkwell.referrals.campaign_selectors import OUTCOME_ORDER
from linkwell.referrals.campaigns import RECORDABLE
from linkwell.referrals.models import CallOutcome, Urgency


def need_choices(scheme):
    """The need areas: the shared ones and the scheme's own."""
    terms = TaxonomyTerm.objects.filter(taxonomy_id=NEED_AREAS_ID).filter(
        Q(scheme__isnull=True) | Q(scheme=scheme)
    )
    return [(str(t.pk), t.name) for t in terms.order_by("name")]


class CampaignForm(NHSUKFormMixin, forms.Form):
    name = forms.CharField(
        label="Name of the call list",
        max_length=200,
        help_text="For example, 'Over-75s living alone: winter check-in calls'.",
        error_messages={"required": "Enter a name for the call list"},
    )
    description = forms.CharField(
        label="Who is on the list and why",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    script = forms.CharField(
        label="Call script",
        required=False,
        help_text="What callers say, in plain words. Callers see it on every call.",
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    site = forms.ModelChoiceField(
        label="Site or team",
        required=False,
        queryset=Site.objects.none(),
        empty_label="The whole scheme",
    )

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(scheme=scheme).order_by("name")
        self.fields["site"].widget.attrs["class"] = "nhsuk-select"


class CallersForm(NHSUKFormMixin, forms.Form):
    callers = forms.MultipleChoiceField(
        label="Who makes the calls",
        required=False,
        help_text="People still to call who have no caller are shared out evenly between them.",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {str(u.pk): u for u in users}
        self.fields["callers"].choices = [
            (
                str(u.pk),
                f"{u.full_name or u.email} ({u.to_call} call{'s' if u.to_call != 1 else ''} "
                "still to make on this list)",
            )
            for u in users
        ]

    def chosen(self):
        return [self.users[pk] for pk in self.cleaned_data["callers"]]


class PeopleSearchForm(NHSUKFormMixin, forms.Form):
    q = forms.CharField(
        label="Search people",
        required=False,
        max_length=100,
        help_text="A name, an NHS number or a postcode.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "class": "nhsuk-input--width-20"}),
    )


class AddPeopleForm(NHSUKFormMixin, forms.Form):
    q = forms.CharField(required=False, widget=forms.HiddenInput)
    people = forms.MultipleChoiceField(
        label="Choose who to add",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one person to add"},
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].choices = [(str(p.pk), person_label(p)) for p in people]


def person_label(person) -> str:
    parts = [person.full_name]
    if person.date_of_birth:
        parts.append(f"born {person.date_of_birth.day} {person.date_of_birth:%B %Y}")
    if person.postcode:
        parts.append(person.postcode)
    if person.nhs_number:
        parts.append(f"NHS number {person.nhs_number_display}")
    return ", ".join(parts)


class CallForm(NHSUKFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="What happened on the call?",
        choices=[(o.value, CallOutcome(o).label) for o in RECORDABLE],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happened on the call"},
    )
    needs = forms.MultipleChoiceField(
        label="What would they like support with?",
        required=False,
        help_text="Only when support is needed: choose at least one.",
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=500,
        help_text="A few words for whoever calls next. 500 characters at most.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The note must be 500 characters or fewer"},
    )

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["needs"].choices = need_choices(scheme)


class CallReferralForm(NHSUKFormMixin, forms.Form):
    needs = forms.MultipleChoiceField(
        label="What would they like support with?",
        help_text="These become the reasons for the referral.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one area they want support with"},
    )
    urgency = forms.ChoiceField(
        label="How soon should the team contact them?",
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how soon the team should contact them"},
    )
    contact_channels = forms.MultipleChoiceField(
        label="How they agreed to be contacted",
        choices=ContactMethod.choices,
        initial=[ContactMethod.PHONE],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose how they agreed to be contacted"},
    )
    note = forms.CharField(
        label="What the team should know",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent = forms.BooleanField(
        label="They agreed to be contacted by the team",
        help_text="Ask them on the call. Their agreement is recorded as given verbally to you.",
        error_messages={
            "required": "Ask whether they agree to be contacted by the team, and tick the box "
            "if they do"
        },
    )

    def __init__(self, *args, scheme, **kwargs):
        kwargs.setdefault("prefix", "referral")
        super().__init__(*args, **kwargs)
        self.fields["needs"].choices = need_choices(scheme)


class EntryFilterForm(NHSUKFormMixin, forms.Form):
    show = forms.ChoiceField(
        label="Whose calls",
        required=False,
        choices=[("", "Everyone's calls"), ("mine", "My calls")],
    )
    outcome = forms.ChoiceField(label="Outcome", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [
            ("", "Any outcome"),
            *[(o.value, o.label) for o in OUTCOME_ORDER],
        ]
        for name in ("show", "outcome"):
            self.fields[name].widget.attrs["class"] = "nhsuk-select"
