"""Routes of a case's connections, under /cases/ (see linkwell/urls.py)."""

from django.urls import path

from linkwell.connections import views_case as views

app_name = "case_connections"

urlpatterns = [
    path("<uuid:case_id>/connections/new/", views.new, name="new"),
    path("<uuid:case_id>/connections/<uuid:connection_id>/", views.detail, name="detail"),
    path("<uuid:case_id>/connections/<uuid:connection_id>/move/", views.move, name="move"),
    path(
        "<uuid:case_id>/connections/<uuid:connection_id>/tell-provider/",
        views.tell_provider,
        name="tell_provider",
    ),
]
