"""Casework pages under /cases/. Each group of pages keeps its routes beside its views."""

from linkwell.casework import urls_case, urls_caseload, urls_followups, urls_plan

app_name = "casework"

urlpatterns = [
    *urls_caseload.urlpatterns,
    *urls_followups.urlpatterns,
    *urls_plan.urlpatterns,
    *urls_case.urlpatterns,
]
