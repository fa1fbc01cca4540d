from django.urls import path

from linkwell.referrals import views_public

app_name = "refer"

urlpatterns = [
    path("<slug:scheme_slug>/", views_public.self_referral, name="self"),
    path("<slug:scheme_slug>/thank-you/", views_public.self_referral_done, name="done"),
]
