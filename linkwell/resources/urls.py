from django.urls import path

from linkwell.resources import views

app_name = "resources"

urlpatterns = [
    path("", views.resource_list, name="list"),
    path("add/", views.resource_add, name="add"),
    path("<uuid:resource_id>/", views.resource_edit, name="edit"),
    path("<uuid:resource_id>/retire/", views.resource_retire, name="retire"),
    path("<uuid:resource_id>/restore/", views.resource_restore, name="restore"),
    path("<uuid:resource_id>/file", views.resource_file, name="file"),
]
