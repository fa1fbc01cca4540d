from django.urls import path

from linkwell.referrals import views_import

app_name = "referral_import"

urlpatterns = [
    path("", views_import.start, name="start"),
    path("sample.csv", views_import.sample, name="sample"),
    path("<uuid:import_id>/", views_import.detail, name="detail"),
    path("<uuid:import_id>/import/", views_import.run, name="run"),
    path("<uuid:import_id>/cancel/", views_import.cancel, name="cancel"),
    path("<uuid:import_id>/rejected.csv", views_import.rejected, name="rejected"),
]
