"""Routes of the plan pages (see urls.py): the what-matters conversation, needs, goals and the
supports the person chose or declined."""

from django.urls import path

from linkwell.casework import views_plan

urlpatterns: list = [
    path("<uuid:case_id>/what-matters/", views_plan.assessment_begin, name="assessment"),
    path(
        "<uuid:case_id>/what-matters/finish/",
        views_plan.assessment_finish,
        name="assessment_finish",
    ),
    path(
        "<uuid:case_id>/what-matters/<int:step>/",
        views_plan.assessment_step,
        name="assessment_step",
    ),
    path(
        "<uuid:case_id>/what-matters/<uuid:assessment_id>/summary/",
        views_plan.assessment_summary,
        name="assessment_summary",
    ),
    path("<uuid:case_id>/needs/<uuid:need_id>/", views_plan.need_edit, name="need_edit"),
    path("<uuid:case_id>/goals/", views_plan.goal_add, name="goal_add"),
    path("<uuid:case_id>/goals/<uuid:goal_id>/", views_plan.goal_edit, name="goal_edit"),
    path("<uuid:case_id>/supports/", views_plan.support_add, name="support_add"),
]
