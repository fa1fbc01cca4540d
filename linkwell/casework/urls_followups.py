"""Routes of the follow-up and closing pages (see urls.py)."""

from django.urls import path

from linkwell.casework import views_followups as views

urlpatterns: list = [
    path("follow-ups/", views.followups, name="followups"),
    path("<uuid:case_id>/follow-ups/", views.followup_add, name="followup_add"),
    path(
        "<uuid:case_id>/follow-ups/<uuid:followup_id>/",
        views.followup_done,
        name="followup_done",
    ),
    path("<uuid:case_id>/close/", views.close, name="close"),
    path("<uuid:case_id>/reopen/", views.reopen, name="reopen"),
]
