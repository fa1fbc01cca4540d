"""Forms for the waiting-room library, in NHS.UK markup (see linkwell.core.forms)."""

from django import forms

from linkwell.core.forms import NHSUKFormMixin
from linkwell.directory.models import TaxonomyTerm
from linkwell.directory.taxonomy import NEED_AREAS_ID
from linkwell.resources.models import ResourceFormat


def _need_area_choices():
    terms = TaxonomyTerm.objects.filter(taxonomy_id=NEED_AREAS_ID, scheme__isnull=True)
    return [(str(t.pk), t.name) for t in terms.order_by("name")]


class ResourceFilterForm(NHSUKFormMixin, forms.Form):
    need = forms.ChoiceField(label="Need area", required=False)
    format = forms.ChoiceField(
        label="Kind of resource",
        required=False,
        choices=[("", "Any kind"), *ResourceFormat.choices],
    )
    due = forms.BooleanField(label="Only those due for review", required=False)
    retired = forms.BooleanField(label="Show retired resources instead", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need"].choices = [("", "Any need area"), *_need_area_choices()]


class ResourceForm(NHSUKFormMixin, forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={"required": "Enter a title."},
    )
    summary = forms.CharField(
        label="Summary",
        help_text="Two or three plain sentences: what it is, who it helps. People read this "
        "on a phone, and it is printed in the posted pack.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say in a sentence or two what it is."},
    )
    format = forms.ChoiceField(
        label="What kind of resource is it?",
        choices=ResourceFormat.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of resource it is."},
    )
    url = forms.URLField(
        label="Web address",
        required=False,
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "nhsuk-input", "spellcheck": "false"}),
        help_text="For a website, a video, or a leaflet kept online. For example, "
        "https://example.org/sleep",
        error_messages={"invalid": "Enter a web address, like https://example.org/sleep"},
    )
    phone = forms.CharField(
        label="Phone number",
        required=False,
        max_length=30,
        help_text="For a phone line. For example, 01632 960 001, or a short number like 116 123.",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-20", "autocomplete": "off"}),
    )
    phone_hours = forms.CharField(
        label="When the line is open",
        required=False,
        max_length=200,
        help_text="For example, every day, 8am to 8pm",
    )
    file = forms.FileField(
        label="Leaflet (PDF)",
        required=False,
        help_text="A PDF file smaller than 5 MB.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,application/pdf", "class": "nhsuk-file-upload"}
        ),
    )
    need_areas = forms.MultipleChoiceField(
        label="Need areas it helps with",
        required=False,
        help_text="It is shown to people referred for these. Choose none for a resource that "
        "suits everyone.",
        widget=forms.CheckboxSelectMultiple,
    )
    accessibility_notes = forms.CharField(
        label="Accessibility notes",
        required=False,
        max_length=300,
        help_text="For example, available in large print, British Sign Language, or Welsh.",
    )
    review_date = forms.DateField(
        label="Check again by",
        help_text="The date someone should check it is still right.",
        widget=forms.DateInput(attrs={"type": "date", "class": "nhsuk-input--width-10"}),
        error_messages={
            "required": "Enter the date it should next be checked.",
            "invalid": "Enter a real date, like 31 3 2027.",
        },
    )

    def __init__(self, *args, has_file=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need_areas"].choices = _need_area_choices()
        # Django's clearable input prints its own "clear" checkbox; ours is a separate field.
        self.fields["file"].widget = forms.FileInput(
            attrs={
                "accept": ".pdf,application/pdf",
                "class": "nhsuk-file-upload",
                "aria-describedby": "id_file-hint",
            }
        )
        if has_file:
            self.fields["remove_file"] = forms.BooleanField(
                label="Remove the uploaded leaflet", required=False
            )
            names = [n for n in self.fields if n != "remove_file"]
            at = names.index("file") + 1
            self.order_fields([*names[:at], "remove_file", *names[at:]])
