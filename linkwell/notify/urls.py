"""Routes of the outbox, under /messages/ (see linkwell/urls.py)."""

from django.urls import path

from linkwell.notify import views

app_name = "notify"

urlpatterns = [
    path("not-sent/", views.not_sent, name="not_sent"),
    path("<uuid:message_id>/retry/", views.act, {"action": "retry"}, name="retry"),
    path("<uuid:message_id>/dismiss/", views.act, {"action": "dismiss"}, name="dismiss"),
]
