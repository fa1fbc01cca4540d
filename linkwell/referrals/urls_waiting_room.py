from django.urls import path, re_path

from linkwell.referrals import views_waiting_room as views

app_name = "waiting_room"

# A secret is secrets.token_urlsafe(32): 43 characters of A-Z, a-z, 0-9, - and _. Anything
# else is still answered by the waiting room's own "not found" page, which says whom to ask.
SECRET = r"(?P<secret>[^/]{1,200})"
UUID = r"(?P<resource_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"

urlpatterns = [
    path("links/<uuid:link_id>/revoke/", views.link_revoke, name="revoke"),
    path("referrals/<uuid:referral_id>/send/", views.link_send, name="send"),
    path("referrals/<uuid:referral_id>/pack.pdf", views.pack_download, name="pack"),
    path("referrals/<uuid:referral_id>/pack-posted/", views.pack_posted, name="pack_posted"),
    re_path(rf"^{SECRET}/$", views.waiting_room_page, name="page"),
    re_path(
        rf"^{SECRET}/resources/{UUID}/file$",
        views.waiting_room_leaflet,
        name="leaflet",
    ),
]
