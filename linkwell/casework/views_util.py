"""What the casework pages share: the address of a case record and the breadcrumbs to it."""

from django.urls import reverse


def case_url(case, anchor: str = "") -> str:
    url = reverse("casework:detail", args=[case.pk])
    return f"{url}#{anchor}" if anchor else url


def case_crumbs(case=None) -> list[tuple[str, str]]:
    """Dashboard, Caseload, then the person's case record when the page belongs to one."""
    crumbs = [("Dashboard", reverse("core:dashboard")), ("Caseload", reverse("casework:caseload"))]
    if case is not None:
        crumbs.append((case.person.full_name, case_url(case)))
    return crumbs
