"""Forms of the caseload pages: the caseload's filters, and giving cases to another worker."""

from django import forms

from linkwell.casework.selectors_caseload import (
    CaseloadFilters,
    WorkerCaseload,
    assignable_workers,
    team_caseloads,
)
from linkwell.casework.states import ON_CASELOAD, CaseStatus
from linkwell.core.forms import NHSUKFormMixin
from linkwell.referrals.forms import RISK_FLAGS

# The risk flags as the caseload's tags name them (the keys are the referral's flags).
FLAG_LABELS = {
    "safeguarding_concern": "Safeguarding concern",
    "lives_alone": "Lives alone",
    "recent_bereavement": "Recently bereaved",
}
assert set(FLAG_LABELS) == set(RISK_FLAGS)

DUE_CHOICES = [
    ("", "Any"),
    ("overdue", "Overdue only"),
    ("unscheduled", "No follow-up scheduled"),
]


class CaseloadFilterForm(NHSUKFormMixin, forms.Form):
    q = forms.CharField(
        label="Name",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"class": "nhsuk-input--width-20", "spellcheck": "false", "autocomplete": "off"}
        ),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any")] + [(s.value, s.label) for s in CaseStatus if s in ON_CASELOAD],
    )
    due = forms.ChoiceField(label="Follow-ups", required=False, choices=DUE_CHOICES)
    flag = forms.ChoiceField(
        label="Risk flag", required=False, choices=[("", "Any"), *FLAG_LABELS.items()]
    )
    site = forms.ChoiceField(label="Site", required=False)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", "All sites")] + [(str(s.pk), s.name) for s in sites]

    def filters(self) -> CaseloadFilters:
        if not self.is_valid():
            return CaseloadFilters()
        data = self.cleaned_data
        return CaseloadFilters(
            status=data["status"],
            site_id=data["site"],
            due=data["due"],
            flag=data["flag"],
            name=data["q"].strip(),
        )


def _worker_choices(workers: list[WorkerCaseload]):
    return [("", "Choose a link worker")] + [
        (
            str(w.user.pk),
            f"{w.user.full_name or w.user.email} ({w.cases} case{'s' if w.cases != 1 else ''})",
        )
        for w in workers
    ]


class ReassignForm(NHSUKFormMixin, forms.Form):
    """Give the selected cases to another link worker."""

    to = forms.ChoiceField(
        label="Give the selected cases to",
        error_messages={
            "required": "Choose the link worker to give the cases to",
            "invalid_choice": "Choose a link worker of this scheme",
        },
    )
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        help_text="For example, 'Balancing caseloads' or 'Sam is on leave until June'.",
        widget=forms.TextInput(attrs={"class": "nhsuk-u-width-two-thirds"}),
        error_messages={
            "required": "Say why the cases are moving",
            "max_length": "Keep the reason to 300 characters or fewer",
        },
    )

    def __init__(self, *args, workers: list[WorkerCaseload], **kwargs):
        kwargs.setdefault("prefix", "reassign")
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = _worker_choices(workers)


class CaseAssignForm(NHSUKFormMixin, forms.Form):
    """Give one case to another link worker (from the case record). Carries the version of
    the case the manager saw, so a change made meanwhile is not overwritten."""

    to = forms.ChoiceField(
        label="Give this case to",
        error_messages={
            "required": "Choose the link worker to give the case to",
            "invalid_choice": "Choose a link worker of this scheme",
        },
    )
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        error_messages={
            "required": "Say why the case is moving",
            "max_length": "Keep the reason to 300 characters or fewer",
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, workers: list[WorkerCaseload], **kwargs):
        kwargs.setdefault("prefix", "assign")
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = _worker_choices(workers)


def case_assign_form(*, membership, case, data=None) -> CaseAssignForm:
    """The form for giving `case` to another link worker, as the case record shows it (for
    members with CASELOAD_MANAGE): the scheme's link workers, the case's version."""
    workers = assignable_workers(team_caseloads(membership=membership))
    return CaseAssignForm(
        data,
        workers=workers,
        initial={"to": str(case.worker_id or ""), "version": case.version},
    )
