"""Routes of the caseload pages (see urls.py)."""

from django.urls import path

from linkwell.casework import views_caseload

urlpatterns: list = [
    path("", views_caseload.caseload, name="caseload"),
    path("team/", views_caseload.team, name="team"),
    path("team/reassign/", views_caseload.reassign, name="reassign"),
    path("<uuid:case_id>/assign/", views_caseload.assign, name="assign"),
]
