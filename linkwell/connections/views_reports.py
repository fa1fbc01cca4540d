"""The scheme's budget report page."""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from linkwell.connections.budget import budget, financial_year
from linkwell.core.access import scheme_view
from linkwell.core.forms import NHSUKFormMixin
from linkwell.core.permissions import Perm


class PeriodForm(NHSUKFormMixin, forms.Form):
    start = forms.DateField(
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a real date, like 2026-04-01"},
    )
    end = forms.DateField(
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a real date, like 2027-03-31"},
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end must be on or after the start")
        if start and end and (end - start).days > 3 * 366:
            self.add_error("end", "Choose a period of three years or less")
        return cleaned


@scheme_view(Perm.REPORTS_VIEW)
@require_GET
def budget_report(request):
    start, end = financial_year(timezone.localdate())
    form = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    report = budget(membership=request.membership, start=start, end=end)
    return render(
        request,
        "connections/budget.html",
        {
            "form": form,
            "report": report,
            "crumbs": [("Dashboard", reverse("core:dashboard"))],
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
