"""Forms, rendered in NHS.UK frontend markup by `NHSUKFormRenderer`.

Every form renders `{{ form }}` as NHS.UK form groups: label, hint, error message next to the
field, and the error summary at the top of the page (`includes/error_summary.html`).
"""

from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.forms.renderers import TemplatesSetting
from django_otp.plugins.otp_totp.models import TOTPDevice

from linkwell.core.audit import ACTIONS
from linkwell.core.models import Role, Site, User
from linkwell.core.services import REFERRAL_SETTING_LIMITS

_WIDGET_CLASSES = {
    forms.TextInput: "nhsuk-input",
    forms.EmailInput: "nhsuk-input",
    forms.PasswordInput: "nhsuk-input",
    forms.NumberInput: "nhsuk-input",
    forms.DateInput: "nhsuk-input",
    forms.Textarea: "nhsuk-textarea",
    forms.Select: "nhsuk-select",
}


class NHSUKFormRenderer(TemplatesSetting):
    form_template_name = "forms/nhsuk_form.html"
    field_template_name = "forms/nhsuk_field.html"


class NHSUKFormMixin:
    """Adds NHS.UK classes and ARIA links between a field and its hint and error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            for widget_type, css in _WIDGET_CLASSES.items():
                if type(widget) is widget_type:
                    widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()
            if field.help_text:
                widget.attrs["aria-describedby"] = f"id_{self.add_prefix(name)}-hint"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            for widget_type, css in _WIDGET_CLASSES.items():
                if type(widget) is widget_type:
                    widget.attrs["class"] += f" {css}--error"
            described = widget.attrs.get("aria-describedby", "")
            widget.attrs["aria-describedby"] = (
                f"{described} id_{self.add_prefix(name)}-error".strip()
            )


class SignInForm(NHSUKFormMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct email address and password.",
        "inactive": "This account has been switched off. Ask your scheme's administrator.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autocomplete": "email", "spellcheck": "false", "class": "nhsuk-input"}
        )


class TwoFactorCodeForm(NHSUKFormMixin, forms.Form):
    code = forms.CharField(
        label="Security code",
        help_text="The 6-digit code shown in your authenticator app.",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "nhsuk-input--width-10",
                "spellcheck": "false",
            }
        ),
        error_messages={
            "required": "Enter the 6-digit security code",
            "min_length": "Enter the 6-digit security code",
            "max_length": "Enter the 6-digit security code",
        },
    )

    def __init__(self, *args, device: TOTPDevice, **kwargs):
        self.device = device
        super().__init__(*args, **kwargs)

    def clean_code(self):
        code = self.cleaned_data["code"].strip().replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError("Enter the security code using numbers only")
        if not self.device.verify_token(code):
            raise forms.ValidationError(
                "The security code is not right or has expired. Enter the newest code."
            )
        return code


class ResetRequestForm(NHSUKFormMixin, PasswordResetForm):
    def get_users(self, email):
        """Active accounts with this address, including invited people who have not set a
        password yet (Django leaves those out), so an expired invitation can be renewed."""
        return User.objects.filter(email__iexact=email.strip(), is_active=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email address"
        self.fields["email"].error_messages["required"] = "Enter your email address"
        self.fields["email"].error_messages["invalid"] = (
            "Enter an email address in the correct format, like name@example.com"
        )


class NewPasswordForm(NHSUKFormMixin, SetPasswordForm):
    pass


class MemberChangeForm(NHSUKFormMixin, forms.Form):
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a role"},
    )
    sites = forms.ModelMultipleChoiceField(
        label="Sites",
        help_text="Leave empty to work across the whole scheme.",
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = Site.objects.filter(scheme=scheme).order_by("name")


class MemberAddForm(MemberChangeForm):
    field_order = ["full_name", "email", "role", "sites"]

    full_name = forms.CharField(
        label="Full name", max_length=150, error_messages={"required": "Enter their full name"}
    )
    email = forms.EmailField(
        label="Email address",
        help_text="They will be sent a link to set their password if they are new to Linkwell.",
        error_messages={
            "required": "Enter their email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )


class AuditFilterForm(NHSUKFormMixin, forms.Form):
    person = forms.CharField(
        label="Person ID",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-20", "spellcheck": "false"}),
    )
    user = forms.EmailField(
        label="User's email address",
        required=False,
        widget=forms.EmailInput(attrs={"class": "nhsuk-input--width-20", "spellcheck": "false"}),
        error_messages={"invalid": "Enter an email address in the correct format"},
    )
    action = forms.ChoiceField(label="Action", required=False)
    date_from = forms.DateField(
        label="From",
        required=False,
        help_text="For example, 2026-11-01",
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}),
        error_messages={"invalid": "Enter a real date, like 2026-11-01"},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        help_text="For example, 2026-11-30",
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}),
        error_messages={"invalid": "Enter a real date, like 2026-11-30"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [
            ("", "Any action"),
            *sorted(ACTIONS.items(), key=lambda item: item[1]),
        ]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date must be the same as or after the start date")
        return cleaned


def _whole_number(setting: str, label: str, help_text: str, *, example: int) -> forms.IntegerField:
    """A number field for a scheme setting, within the range the service allows."""
    low, high = REFERRAL_SETTING_LIMITS[setting]
    out_of_range = f"Enter a number from {low} to {high}"
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=low,
        max_value=high,
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4", "inputmode": "numeric"}),
        error_messages={
            "required": "Enter a number",
            "invalid": f"Enter a whole number, like {example}",
            "min_value": out_of_range,
            "max_value": out_of_range,
        },
    )


class SchemeSettingsForm(NHSUKFormMixin, forms.Form):
    require_two_factor = forms.TypedChoiceField(
        label="Two-factor sign-in",
        choices=[
            ("yes", "Required for everyone who can see person data (recommended)"),
            ("no", "Not required"),
        ],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    directory_freshness_days = forms.IntegerField(
        label="Check directory listings every",
        help_text="In days. Listings not checked for this long join the list of listings to check.",
        min_value=7,
        max_value=730,
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4", "inputmode": "numeric"}),
        error_messages={
            "required": "Enter a number of days",
            "invalid": "Enter a number of days, like 180",
            "min_value": "Enter a number of days from 7 to 730",
            "max_value": "Enter a number of days from 7 to 730",
        },
    )
    contact_attempts_limit = _whole_number(
        "contact_attempts_limit",
        "Tries before suggesting 'unable to contact'",
        "Failed tries at first contact (no answer, voicemail, wrong number) before the "
        "referral is suggested for 'unable to contact'.",
        example=3,
    )
    contact_attempts_days = _whole_number(
        "contact_attempts_days",
        "...counted over this many days",
        "Only tries within this many days count.",
        example=14,
    )
    waiting_room_days = _whole_number(
        "waiting_room_days", "Waiting-room links work for", "In days.", example=90
    )
    self_referral_open = forms.TypedChoiceField(
        label="Public self-referral page",
        choices=[("yes", "Open: people can refer themselves"), ("no", "Closed")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )


class SiteAddForm(NHSUKFormMixin, forms.Form):
    name = forms.CharField(
        label="Site or team name",
        max_length=200,
        error_messages={"required": "Enter the site or team name"},
    )


class ApiTokenForm(NHSUKFormMixin, forms.Form):
    name = forms.CharField(
        label="Token name",
        help_text="Say what will use it, for example 'Borough reporting export'.",
        max_length=100,
        error_messages={"required": "Enter a name for the token"},
    )
