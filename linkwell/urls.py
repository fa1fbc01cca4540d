from django.contrib import admin
from django.urls import include, path

from linkwell.api import api
from linkwell.core.views import pages
from linkwell.directory.oruk import oruk_api

urlpatterns = [
    path("healthz", pages.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("oruk/", oruk_api.urls),
    path("admin/", admin.site.urls),
    path("directory/", include("linkwell.directory.urls")),
    path("referrals/", include("linkwell.referrals.urls")),
    path("referrals/import/", include("linkwell.referrals.urls_import")),
    path("campaigns/", include("linkwell.referrals.urls_campaigns")),
    path("waiting-room/", include("linkwell.referrals.urls_waiting_room")),
    path("refer/", include("linkwell.referrals.urls_public")),
    path("resources/", include("linkwell.resources.urls")),
    path("cases/", include("linkwell.casework.urls")),
    path("", include("linkwell.connections.urls_provider")),
    path("cases/", include("linkwell.connections.urls_case")),
    path("", include("linkwell.matching.urls")),
    path("connections/", include("linkwell.connections.urls_reports")),
    path("messages/", include("linkwell.notify.urls")),
    path("fhir/", include("linkwell.referrals.fhir.urls")),
    path("", include("linkwell.core.urls")),
]

handler403 = "linkwell.core.views.pages.permission_denied"
handler404 = "linkwell.core.views.pages.page_not_found"
