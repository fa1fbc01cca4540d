"""Forms for referrals: the referrer's form, staff entry, self-referral, triage and contact."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone

from linkwell.core.forms import NHSUKFormMixin
from linkwell.directory.models import TaxonomyTerm
from linkwell.directory.taxonomy import NEED_AREAS_ID
from linkwell.geo import PostcodeError, validate_postcode
from linkwell.people.models import (
    ConsentMethod,
    ConsentScope,
    ContactMethod,
    DigitalAccess,
    DigitalConfidence,
    HouseholdRole,
)
from linkwell.people.validation import normalise_nhs_number, normalise_phone
from linkwell.referrals.models import (
    ContactMethodUsed,
    ContactOutcome,
    SourceType,
    Urgency,
)
from linkwell.referrals.states import NEEDS_REASON, Status, allowed_moves

# The referral's yes/no risk flags (model fields) and how the forms ask about them.
RISK_FLAGS = {
    "safeguarding_concern": "There is a safeguarding concern",
    "lives_alone": "They live alone",
    "recent_bereavement": "They were recently bereaved",
}
_DATE = forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"})
_SHORT = {"class": "nhsuk-input--width-20"}


def need_area_choices(scheme=None):
    """The shared need areas, and those the scheme added for itself (never another's)."""
    return [
        (str(pk), name)
        for pk, name in TaxonomyTerm.objects.filter(taxonomy_id=NEED_AREAS_ID)
        .filter(Q(scheme__isnull=True) | Q(scheme=scheme))
        .order_by("name")
        .values_list("pk", "name")
    ]


class _PersonFields(forms.Form):
    given_name = forms.CharField(
        label="First name",
        max_length=100,
        widget=forms.TextInput(attrs={**_SHORT, "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "Enter the person's first name"},
    )
    family_name = forms.CharField(
        label="Last name",
        max_length=100,
        widget=forms.TextInput(attrs={**_SHORT, "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "Enter the person's last name"},
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=_DATE,
        error_messages={
            "required": "Enter the person's date of birth",
            "invalid": "Enter a real date of birth",
        },
    )
    nhs_number = forms.CharField(
        label="NHS number (optional)",
        required=False,
        max_length=14,
        help_text="10 digits, like 943 476 5919",
        widget=forms.TextInput(
            attrs={"class": "nhsuk-input--width-10", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    phone = forms.CharField(
        label="Phone number",
        required=False,
        max_length=20,
        help_text="A mobile number lets us text them a link to self-help while they wait",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-20", "type": "tel"}),
    )
    email = forms.EmailField(
        label="Email address (optional)",
        required=False,
        widget=forms.EmailInput(attrs={**_SHORT, "spellcheck": "false"}),
    )
    postcode = forms.CharField(
        label="Postcode",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10"}),
    )

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value and value > timezone.localdate():
            raise forms.ValidationError("Date of birth must be in the past")
        return value

    def clean_nhs_number(self):
        return normalise_nhs_number(self.cleaned_data["nhs_number"])

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])

    def clean_postcode(self):
        value = self.cleaned_data["postcode"].strip()
        if not value:
            return ""
        try:
            return validate_postcode(value)
        except PostcodeError as error:
            raise forms.ValidationError(error.message) from None


class _ReferralFields(forms.Form):
    reasons = forms.MultipleChoiceField(
        label="Reasons for the referral",
        help_text="Choose all that apply",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one reason for the referral"},
    )
    summary = forms.CharField(
        label="What is going on for them? (optional)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    urgency = forms.ChoiceField(
        label="How soon should we contact them?",
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        widget=forms.RadioSelect,
    )
    risk_flags = forms.MultipleChoiceField(
        label="Anything we should know first?",
        required=False,
        choices=list(RISK_FLAGS.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, scheme=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reasons"].choices = need_area_choices(scheme)


class ReferrerReferralForm(NHSUKFormMixin, _PersonFields, _ReferralFields):
    """The GP's one-page form: the least that lets the team call the person."""

    field_order = [
        "given_name",
        "family_name",
        "date_of_birth",
        "nhs_number",
        "phone",
        "postcode",
        "reasons",
        "summary",
        "urgency",
        "risk_flags",
        "source_type",
        "consent_contact",
        "consent_share_referrer",
    ]
    source_type = forms.ChoiceField(
        label="You are referring from",
        choices=[
            c for c in SourceType.choices if c[0] not in (SourceType.SELF, SourceType.PROACTIVE)
        ],
        initial=SourceType.GP_PRACTICE,
        widget=forms.RadioSelect,
    )
    consent_contact = forms.BooleanField(
        label="They agreed to be contacted by the social prescribing team",
        error_messages={"required": "Confirm that they agreed to be contacted"},
    )
    consent_share_referrer = forms.BooleanField(
        label="They agreed that the team can tell you what happens",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["email"]


class StaffReferralForm(NHSUKFormMixin, _PersonFields, _ReferralFields):
    """A phone call or paper form typed in by the team."""

    source_type = forms.ChoiceField(
        label="Where did the referral come from?",
        choices=[c for c in SourceType.choices if c[0] != SourceType.PROACTIVE],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the referral came from"},
    )
    referrer_name = forms.CharField(label="Referrer's name", required=False, max_length=150)
    referrer_organisation = forms.CharField(
        label="Referrer's organisation", required=False, max_length=200
    )
    referrer_email = forms.EmailField(label="Referrer's email", required=False)
    referrer_phone = forms.CharField(
        label="Referrer's phone",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-20", "type": "tel"}),
    )
    received_on = forms.DateField(
        label="Date received",
        widget=_DATE,
        error_messages={"invalid": "Enter a real date"},
    )
    site = forms.ChoiceField(label="Site", required=False)
    address_line_1 = forms.CharField(label="Address line 1", required=False, max_length=200)
    address_line_2 = forms.CharField(
        label="Address line 2 (optional)", required=False, max_length=200
    )
    town = forms.CharField(label="Town or city", required=False, max_length=100)
    gp_practice = forms.CharField(label="GP practice", required=False, max_length=200)
    preferred_contact_method = forms.ChoiceField(
        label="How do they prefer to be contacted?",
        choices=ContactMethod.choices,
        initial=ContactMethod.PHONE,
        widget=forms.RadioSelect,
    )
    preferred_contact_times = forms.CharField(
        label="Best times to contact (optional)", required=False, max_length=200
    )
    language = forms.CharField(label="Main language", max_length=50, initial="English")
    interpreter_needed = forms.BooleanField(label="They need an interpreter", required=False)
    accessibility_needs = forms.CharField(
        label="Accessibility needs (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    digital_access = forms.ChoiceField(
        label="What can they get online with?",
        choices=DigitalAccess.choices,
        initial=DigitalAccess.SMARTPHONE,
        widget=forms.RadioSelect,
    )
    digital_confidence = forms.ChoiceField(
        label="How confident are they online?",
        choices=DigitalConfidence.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    consents = forms.MultipleChoiceField(
        label="What did they agree to?",
        choices=ConsentScope.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Record only what they agreed to. Without consent to be contacted, the team "
        "cannot call them.",
    )
    contact_channels = forms.MultipleChoiceField(
        label="Ways they agreed to be contacted",
        choices=ContactMethod.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty for any way",
    )
    consent_method = forms.ChoiceField(
        label="How did they give consent?",
        choices=ConsentMethod.choices,
        initial=ConsentMethod.VERBAL,
        widget=forms.RadioSelect,
    )
    match_choice = forms.ChoiceField(
        label="Is this the same person?", required=False, widget=forms.RadioSelect
    )

    field_order = [
        "match_choice",
        "source_type",
        "referrer_name",
        "referrer_organisation",
        "referrer_email",
        "referrer_phone",
        "received_on",
        "site",
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
        "reasons",
        "summary",
        "urgency",
        "risk_flags",
        "consents",
        "contact_channels",
        "consent_method",
    ]

    def __init__(self, *args, scheme, matches=None, **kwargs):
        super().__init__(*args, scheme=scheme, **kwargs)
        self.fields["site"].choices = [("", "No particular site")] + [
            (str(s.pk), s.name) for s in scheme.sites.all()
        ]
        self.fields["received_on"].initial = timezone.localdate()
        self.sites = {str(s.pk): s for s in scheme.sites.all()}
        if matches:
            self.fields["match_choice"].required = True
            self.fields["match_choice"].choices = [
                (
                    str(m.person.pk),
                    f"Yes, the same person: {m.person.full_name}, born "
                    f"{m.person.date_of_birth:%-d %B %Y}"
                    if m.person.date_of_birth
                    else f"Yes, the same person: {m.person.full_name}",
                )
                for m in matches
            ] + ([] if any(m.certain for m in matches) else [("new", "No, someone else")])
            self.fields["match_choice"].error_messages["required"] = (
                "Choose whether this is the same person"
            )
        else:
            del self.fields["match_choice"]

    def clean_received_on(self):
        value = self.cleaned_data["received_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The date received cannot be in the future")
        return value


class SelfReferralForm(NHSUKFormMixin, _PersonFields):
    """The public form: plain words, a clear consent step, a honeypot for robots."""

    given_name = forms.CharField(
        label="First name",
        max_length=100,
        error_messages={"required": "Enter your first name"},
        widget=forms.TextInput(attrs={**_SHORT, "autocomplete": "given-name"}),
    )
    family_name = forms.CharField(
        label="Last name",
        max_length=100,
        error_messages={"required": "Enter your last name"},
        widget=forms.TextInput(attrs={**_SHORT, "autocomplete": "family-name"}),
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(
            attrs={"type": "date", "class": "nhsuk-input--width-10", "autocomplete": "bday"}
        ),
        error_messages={
            "required": "Enter your date of birth",
            "invalid": "Enter a real date of birth",
        },
    )
    reasons = forms.MultipleChoiceField(
        label="What would you like help with?",
        help_text="Choose all that apply",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one thing you would like help with"},
    )
    summary = forms.CharField(
        label="Tell us a little about what is going on (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    preferred_contact_method = forms.ChoiceField(
        label="How would you like us to contact you?",
        choices=[c for c in ContactMethod.choices if c[0] != ContactMethod.LETTER],
        initial=ContactMethod.PHONE,
        widget=forms.RadioSelect,
    )
    preferred_contact_times = forms.CharField(
        label="When is a good time to call? (optional)", required=False, max_length=200
    )
    digital_access = forms.ChoiceField(
        label="Which of these do you have?",
        choices=DigitalAccess.choices,
        initial=DigitalAccess.SMARTPHONE,
        widget=forms.RadioSelect,
    )
    consent_contact = forms.BooleanField(
        label="I agree to the social prescribing team contacting me",
        error_messages={"required": "Tick the box to say we can contact you, or we cannot help"},
    )
    consent_share_gp = forms.BooleanField(
        label="I agree to the team telling my GP practice that I asked for support",
        required=False,
    )
    consent_reporting = forms.BooleanField(
        label="I agree to being counted, without my name, in reports about the service",
        required=False,
    )
    # A field no person sees or fills in: robots that fill every field give themselves away.
    website = forms.CharField(
        label="Leave this blank",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, scheme=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reasons"].choices = need_area_choices(scheme)
        self.fields["phone"].label = "Phone number"
        self.fields["phone"].help_text = "A mobile number lets us text you a link to self-help"
        self.fields["email"].label = "Email address (optional)"
        self.fields["nhs_number"].label = "NHS number (optional)"
        self.fields[
            "nhs_number"
        ].help_text = "You can find it on a letter from the NHS or in the NHS App"
        self.fields["postcode"].required = True
        self.fields["postcode"].error_messages["required"] = "Enter your postcode"

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email"):
            self.add_error("phone", "Enter a phone number or an email address so we can reach you")
        method = data.get("preferred_contact_method")
        if method == ContactMethod.EMAIL and not data.get("email"):
            self.add_error(
                "email", "Enter your email address, or choose another way to contact you"
            )
        if method in (ContactMethod.PHONE, ContactMethod.SMS) and not data.get("phone"):
            self.add_error("phone", "Enter your phone number, or choose another way to contact you")
        return data

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website", "").strip())


class AssignForm(NHSUKFormMixin, forms.Form):
    assigned_to = forms.ChoiceField(
        label="Link worker", error_messages={"required": "Choose a link worker"}
    )

    def __init__(self, *args, loads, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", "Choose a link worker")] + [
            (str(load.user.pk), f"{load.user.full_name} ({load.open} open)") for load in loads
        ]


class MoveForm(NHSUKFormMixin, forms.Form):
    to = forms.ChoiceField(
        label="New status",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the new status"},
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=300,
        help_text="Needed when the referral is declined, not appropriate, withdrawn or the "
        "person could not be contacted. Use the person's own words where you can.",
    )

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [
            (s.value, s.label)
            for s in allowed_moves(referral.status)
            # Contacted is set by logging a contact that reached them; accepted by opening the
            # person's case.
            if s not in (Status.CONTACTED, Status.ACCEPTED)
        ]

    def clean(self):
        data = super().clean()
        if data.get("to") in NEEDS_REASON and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give a reason")
        return data


class ContactAttemptForm(NHSUKFormMixin, forms.Form):
    method = forms.ChoiceField(
        label="How",
        choices=ContactMethodUsed.choices,
        initial=ContactMethodUsed.PHONE,
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label="What happened",
        choices=ContactOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happened"},
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=500)


class ConsentForm(NHSUKFormMixin, forms.Form):
    scope = forms.ChoiceField(
        label="What they agreed to",
        choices=ConsentScope.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what they agreed to"},
    )
    channels = forms.MultipleChoiceField(
        label="Ways they agreed to be contacted (for contact only)",
        choices=ContactMethod.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty for any way",
    )
    providers = forms.CharField(
        label="Which services, if they named them (optional)", required=False, max_length=500
    )
    method = forms.ChoiceField(
        label="How they gave it",
        choices=ConsentMethod.choices,
        widget=forms.RadioSelect,
        initial=ConsentMethod.VERBAL,
    )


class WithdrawConsentForm(NHSUKFormMixin, forms.Form):
    reason = forms.CharField(label="What did they say? (optional)", required=False, max_length=300)


class TriageFilterForm(NHSUKFormMixin, forms.Form):
    site = forms.ChoiceField(label="Site", required=False)
    urgency = forms.ChoiceField(
        label="Urgency", required=False, choices=[("", "Any"), *Urgency.choices]
    )

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", "All sites")] + [
            (str(s.pk), s.name) for s in scheme.sites.all()
        ]


class HouseholdForm(NHSUKFormMixin, forms.Form):
    name = forms.CharField(
        label="Household",
        max_length=200,
        help_text="A family referred together shares one name, like Morgan family",
        error_messages={"required": "Enter the household's name, like Morgan family"},
    )
    role = forms.ChoiceField(
        label="Their place in it",
        choices=HouseholdRole.choices,
        widget=forms.RadioSelect,
        initial=HouseholdRole.ADULT,
    )


class ReferralEditForm(NHSUKFormMixin, _ReferralFields):
    """Triage's corrections: how urgent, what to know first, which site, the reasons."""

    site = forms.ChoiceField(label="Site", required=False)

    field_order = ["urgency", "risk_flags", "site", "reasons"]

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, scheme=scheme, **kwargs)
        del self.fields["summary"]
        self.sites = {str(s.pk): s for s in scheme.sites.all()}
        self.fields["site"].choices = [("", "No particular site")] + [
            (pk, site.name) for pk, site in self.sites.items()
        ]
