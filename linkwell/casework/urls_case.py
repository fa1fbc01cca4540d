"""Routes of the case pages (see urls.py)."""

from django.urls import path

from linkwell.casework import views_case as views

urlpatterns: list = [
    path("<uuid:case_id>/", views.detail, name="detail"),
    path("<uuid:case_id>/timeline/", views.timeline, name="timeline"),
    path("<uuid:case_id>/contacts/", views.contact_add, name="contact_add"),
    path("<uuid:case_id>/notes/", views.note_add, name="note_add"),
    path("<uuid:case_id>/status/", views.move, name="move"),
    path("<uuid:case_id>/family/", views.family, name="family"),
]
