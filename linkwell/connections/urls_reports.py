"""Reports of connections: the scheme's budget."""

from django.urls import path

from linkwell.connections import views_reports

app_name = "connections_reports"

urlpatterns = [
    path("budget/", views_reports.budget_report, name="budget"),
]
