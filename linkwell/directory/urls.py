from django.urls import path

from linkwell.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.directory_search, name="search"),
    path("services/<uuid:service_id>/", views.service_detail, name="service"),
    path("services/<uuid:service_id>/flag/", views.service_flag, name="flag"),
    path("services/<uuid:service_id>/edit/", views.service_edit, name="edit"),
    path("services/<uuid:service_id>/verify/", views.service_verify, name="verify"),
    path("freshness/", views.freshness, name="freshness"),
    path("flags/", views.flags, name="flags"),
    path("flags/<uuid:flag_id>/close/", views.flag_close, name="flag_close"),
    path("yours/", views.provider_listings, name="mine"),
    path("add/", views.listing_add, name="add"),
    path("terms/", views.terms, name="terms"),
    path(
        "organisations/<uuid:organization_id>/edit/",
        views.organization_edit,
        name="organization_edit",
    ),
    path("import/", views.import_start, name="import"),
    path("import/<uuid:import_id>/", views.import_detail, name="import_detail"),
    path("confirm/<str:secret>/", views.confirm, name="confirm"),
]
