from django.urls import path

from linkwell.referrals import views_campaigns as views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("<uuid:campaign_id>/", views.campaign_detail, name="detail"),
    path("<uuid:campaign_id>/edit/", views.campaign_edit, name="edit"),
    path("<uuid:campaign_id>/people/", views.campaign_people, name="people"),
    path("<uuid:campaign_id>/callers/", views.campaign_callers, name="callers"),
    path("<uuid:campaign_id>/finish/", views.campaign_finish, name="finish"),
    path("<uuid:campaign_id>/calls/<uuid:entry_id>/", views.call, name="call"),
    path(
        "<uuid:campaign_id>/calls/<uuid:entry_id>/referral/",
        views.call_referral,
        name="call_referral",
    ),
]
