"""The provider's pages: the inbox of referrals to their services, and the emailed link."""

from django.urls import path

from linkwell.connections import views_provider

app_name = "provider_inbox"

urlpatterns = [
    path("provider/referrals/", views_provider.inbox, name="inbox"),
    path("provider/referrals/<uuid:connection_id>/move/", views_provider.move, name="move"),
    path(
        "provider/referrals/services/<uuid:service_id>/capacity/",
        views_provider.capacity,
        name="capacity",
    ),
    path("r/<str:secret>/", views_provider.link_page, name="link"),
]
