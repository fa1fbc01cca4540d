from django.urls import path

from linkwell.core.views import audit, auth, pages, team

app_name = "core"

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("sign-in/", auth.SignInView.as_view(), name="sign_in"),
    path("sign-out/", auth.SignOutView.as_view(), name="sign_out"),
    path("two-factor/", auth.two_factor, name="two_factor"),
    path("two-factor/set-up/", auth.two_factor_setup, name="two_factor_setup"),
    path("password-reset/", auth.ResetRequestView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth.ResetSentView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth.ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth.ResetCompleteView.as_view(), name="password_reset_complete"),
    path("scheme/switch/", pages.switch_scheme, name="switch_scheme"),
    path("scheme/settings/", team.scheme_settings, name="scheme_settings"),
    path("team/", team.team, name="team"),
    path("team/add/", team.member_add, name="member_add"),
    path("team/<uuid:member_id>/", team.member_detail, name="member_detail"),
    path("team/<uuid:member_id>/end/", team.member_end, name="member_end"),
    path(
        "team/<uuid:member_id>/two-factor-reset/",
        team.member_two_factor_reset,
        name="member_two_factor_reset",
    ),
    path("audit/", audit.audit_log_view, name="audit_log"),
    path("account/", pages.account, name="account"),
    path(
        "account/tokens/<uuid:token_id>/revoke/",
        pages.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path("accessibility/", pages.accessibility, name="accessibility"),
]
