"""Forms of the CSV import: the upload, and the column choices."""

from django import forms

from linkwell.core.forms import NHSUKFormMixin
from linkwell.core.models import Site
from linkwell.referrals import csv_import
from linkwell.referrals.models import Campaign, ReferralImport, SourceType


class ImportUploadForm(NHSUKFormMixin, forms.Form):
    upload = forms.FileField(
        label="CSV file",
        help_text="A .csv file of up to 5 MB, with a header row naming the columns. In Excel, "
        "choose File, Save as, and 'CSV UTF-8'.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,text/csv", "class": "nhsuk-file-upload"}
        ),
        error_messages={"required": "Choose a CSV file to upload"},
    )
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=ReferralImport.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the file holds"},
    )
    campaign = forms.ModelChoiceField(
        label="Add the people to a call list",
        help_text="Only for a proactive call list.",
        queryset=Campaign.objects.none(),
        required=False,
        empty_label="Choose a call list",
    )
    new_campaign = forms.CharField(
        label="Or start a new call list called",
        help_text="Only for a proactive call list, for example 'Over 75s living alone, spring'.",
        max_length=200,
        required=False,
    )
    site = forms.ModelChoiceField(
        label="Site or team",
        help_text="Optional: the site the referrals or the call list belong to.",
        queryset=Site.objects.none(),
        required=False,
        empty_label="The whole scheme",
    )

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = csv_import.campaigns_for(membership)
        self.fields["site"].queryset = Site.objects.filter(scheme=membership.scheme).order_by(
            "name"
        )
        if not self.fields["site"].queryset.exists():
            del self.fields["site"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ReferralImport.Kind.PROACTIVE:
            campaign, name = cleaned.get("campaign"), (cleaned.get("new_campaign") or "").strip()
            if campaign and name:
                self.add_error(
                    "new_campaign", "Choose an existing call list or a new name, not both"
                )
            elif not campaign and not name and "campaign" not in self.errors:
                self.add_error("campaign", "Choose a call list, or name a new one below")
        return cleaned


class ImportMappingForm(NHSUKFormMixin, forms.Form):
    """One select per Linkwell field: which of the file's columns fills it."""

    def __init__(self, *args, imp: ReferralImport, **kwargs):
        super().__init__(*args, **kwargs)
        self.imp = imp
        saved = imp.mapping.get("columns", {})
        choices = [("", "Not in the file"), *[(h, h) for h in imp.headers]]
        for target in csv_import.targets_for(imp.kind):
            self.fields[target.key] = forms.ChoiceField(
                label=target.label,
                help_text=target.hint,
                choices=choices,
                required=False,
                initial=saved.get(target.key, ""),
            )
        if imp.kind == ReferralImport.Kind.REFERRALS:
            self.fields["default_source_type"] = forms.ChoiceField(
                label="Where the referrals came from, for rows that do not say",
                choices=SourceType.choices,
                required=False,
                initial=imp.mapping.get("source_type") or SourceType.GP_PRACTICE,
            )
        # The fields are made here, after the mixin styled the (no) fields declared above.
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "nhsuk-select"
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{self.add_prefix(name)}-hint"

    def groups(self):
        """The selects in groups, each a fieldset on the page."""
        groups = []
        for key, legend in csv_import.GROUPS.items():
            fields = [self[t.key] for t in csv_import.targets_for(self.imp.kind) if t.group == key]
            if key == "referral" and "default_source_type" in self.fields:
                fields.append(self["default_source_type"])
            if fields:
                groups.append((legend, fields))
        return groups

    def columns(self) -> dict[str, str]:
        return {
            t.key: self.cleaned_data.get(t.key, "")
            for t in csv_import.targets_for(self.imp.kind)
            if self.cleaned_data.get(t.key)
        }
