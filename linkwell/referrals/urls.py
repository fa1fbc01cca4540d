from django.urls import path

from linkwell.referrals import views

app_name = "referrals"

urlpatterns = [
    path("new/", views.referral_new, name="new"),
    path("triage/", views.triage, name="triage"),
    path("waiting/", views.waiting, name="waiting"),
    path("sent/", views.sent, name="sent"),
    path("triage/assign/", views.referral_assign_many, name="assign_many"),
    path("<uuid:referral_id>/", views.referral_detail, name="detail"),
    path("<uuid:referral_id>/assign/", views.referral_assign, name="assign"),
    path("<uuid:referral_id>/status/", views.referral_move, name="move"),
    path("<uuid:referral_id>/attempts/", views.referral_attempt, name="attempt"),
    path("<uuid:referral_id>/consent/", views.consent_add, name="consent"),
    path(
        "<uuid:referral_id>/consent/<uuid:consent_id>/withdraw/",
        views.consent_withdraw_view,
        name="consent_withdraw",
    ),
    path("<uuid:referral_id>/duplicate/", views.person_duplicate, name="duplicate"),
    path("<uuid:referral_id>/household/", views.household, name="household"),
    path("<uuid:referral_id>/edit/", views.referral_edit, name="edit"),
    path("<uuid:referral_id>/open-case/", views.referral_open_case, name="open_case"),
]
