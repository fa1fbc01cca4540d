"""Find support (under a case), the scheme's matching weights and the gaps in provision."""

from django.urls import path

from linkwell.matching import views

app_name = "matching"

urlpatterns = [
    path("cases/<uuid:case_id>/find-support/", views.find_support, name="find_support"),
    path("cases/<uuid:case_id>/find-support/decide/", views.decide, name="decide"),
    path(
        "cases/<uuid:case_id>/find-support/decline/<uuid:service_id>/",
        views.decline,
        name="decline",
    ),
    path(
        "cases/<uuid:case_id>/find-support/preferences/",
        views.preferences,
        name="preferences",
    ),
    path("matching/weights/", views.weights, name="weights"),
    path("matching/gaps/", views.gaps, name="gaps"),
]
