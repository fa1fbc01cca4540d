"""/fhir/: the FHIR R4 e-referral endpoint (token authentication; see docs/fhir.md)."""

from django.urls import path, re_path

from linkwell.referrals.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("ServiceRequest", views.service_request_create, name="service_request_create"),
    path("ServiceRequest/<str:referral_id>", views.service_request_read, name="service_request"),
    path("Task", views.task_search, name="task_search"),
    path("Task/<str:referral_id>", views.task_read, name="task"),
    re_path(r"^.*$", views.not_supported, name="not_supported"),
]
