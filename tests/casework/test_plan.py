"""The what-matters conversation and the co-produced plan: the pages, their refusals, and the
summary the person is given."""

import datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linkwell.casework import assessment as conversation
from linkwell.casework import services
from linkwell.casework.models import Assessment, Case, Goal, Need, PlanSupport
from linkwell.casework.selectors_plan import case_plan
from linkwell.core.audit import LogEntry
from linkwell.core.models import Role
from linkwell.directory.models import Organization, Service, ServiceStatus
from linkwell.directory.taxonomy import NEED_AREAS, term_id
from tests.factories import CaseFactory, PersonFactory


@pytest.fixture
def worker(client_as):
    return client_as(Role.LINK_WORKER)


@pytest.fixture
def case(worker, scheme):
    person = PersonFactory(scheme=scheme, given_name="Tess", family_name="Walker")
    return CaseFactory(scheme=scheme, person=person, worker=worker.membership.user)


def _area(code):
    return services.need_area(term_id(code))


def _step_url(case, number):
    return reverse("casework:assessment_step", args=[case.pk, number])


def _started(worker, case):
    """Start the conversation as the link worker would, by opening its first page."""
    response = worker.get(reverse("casework:assessment", args=[case.pk]))
    assert response.status_code == 302
    return Assessment.objects.get(case=case, completed_at__isnull=True)


# --- The conversation's order -------------------------------------------------------------------


def test_conversation_starts_gently_and_leaves_the_sensitive_areas_last():
    codes = [s.code for s in conversation.STEPS]
    assert codes[:5] == [
        "mental-wellbeing",
        "loneliness",
        "bereavement",
        "physical-activity",
        "long-term-conditions",
    ]
    assert codes[-2:] == ["substance-use", "domestic-abuse"]
    # Every need area has exactly one step.
    assert sorted(codes) == sorted(code for code, _ in NEED_AREAS)
    assert conversation.TOTAL == len(NEED_AREAS) == 19
    assert [s.number for s in conversation.STEPS] == list(range(1, 20))
    assert all(s.question.endswith("?") for s in conversation.STEPS)


def test_opening_the_conversation_starts_it_and_goes_to_the_first_step(worker, case):
    response = worker.get(reverse("casework:assessment", args=[case.pk]))
    assert response.status_code == 302
    assert response["Location"] == _step_url(case, 1)
    talk = Assessment.objects.get(case=case)
    assert talk.completed_at is None
    assert LogEntry.objects.filter(
        action="case.assessment_started", object_id=str(talk.pk)
    ).exists()
    # Opening it again carries on the same conversation.
    worker.get(reverse("casework:assessment", args=[case.pk]))
    assert Assessment.objects.filter(case=case).count() == 1


def test_a_step_asks_its_question_and_shows_the_progress(worker, case):
    _started(worker, case)
    response = worker.get(_step_url(case, 3))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Step 3 of 19" in content
    assert "Bereavement" in content
    assert conversation.step(3).question in content
    assert "Save and continue" in content and "Skip this area" in content
    assert f'href="{_step_url(case, 2)}"' in content  # Back


def test_a_step_saves_a_need_with_the_conversation(worker, case):
    talk = _started(worker, case)
    response = worker.post(
        _step_url(case, 1),
        {"severity": "2", "in_their_words": "I can't sleep for worrying", "version": "0"},
    )
    assert response.status_code == 302
    assert response["Location"] == _step_url(case, 2)
    need = Need.objects.get(case=case)
    assert need.area_id == term_id("mental-wellbeing")
    assert need.severity == 2
    assert need.in_their_words == "I can't sleep for worrying"
    assert need.assessment == talk


def test_not_a_concern_with_no_words_is_recorded(worker, case):
    _started(worker, case)
    response = worker.post(_step_url(case, 2), {"severity": "0", "in_their_words": ""})
    assert response.status_code == 302
    need = Need.objects.get(case=case)
    assert (need.area_id, need.severity, need.in_their_words) == (term_id("loneliness"), 0, "")


def test_a_step_without_a_severity_is_refused(worker, case):
    _started(worker, case)
    response = worker.post(_step_url(case, 1), {"in_their_words": "Low", "version": "0"})
    assert response.status_code == 400
    assert "Choose how much this weighs on them" in response.content.decode()
    assert not Need.objects.exists()


def test_skipping_records_nothing(worker, case):
    _started(worker, case)
    response = worker.post(
        _step_url(case, 1), {"action": "skip", "severity": "3", "in_their_words": "x"}
    )
    assert response.status_code == 302
    assert response["Location"] == _step_url(case, 2)
    assert not Need.objects.exists()


def test_skipped_areas_are_offered_again_at_the_finish(worker, case):
    _started(worker, case)
    worker.post(_step_url(case, 3), {"action": "skip"})
    worker.post(_step_url(case, 4), {"action": "skip"})
    worker.post(_step_url(case, 4), {"severity": "1", "version": "0"})  # went back to it
    response = worker.get(reverse("casework:assessment_finish", args=[case.pk]))
    skipped = [s.code for s in response.context["skipped_steps"]]
    assert skipped == ["bereavement"]
    assert f'href="{_step_url(case, 3)}"' in response.content.decode()


def _number(code):
    return next(s.number for s in conversation.STEPS if s.code == code)


def test_an_area_recorded_before_and_skipped_now_is_not_called_unrecorded(worker, case):
    services.need_set(
        case=case, area=_area("housing"), severity=3, in_their_words="The flat is damp", by=None
    )
    _started(worker, case)
    worker.post(_step_url(case, _number("housing")), {"action": "skip"})
    worker.post(_step_url(case, _number("food")), {"action": "skip"})
    response = worker.get(reverse("casework:assessment_finish", args=[case.pk]))
    assert [s.code for s in response.context["skipped_steps"]] == ["food"]
    assert [n.area_id for n, _ in response.context["earlier"]] == [term_id("housing")]
    assert response.context["talked"] == []
    content = response.content.decode()
    assert 'data-testid="earlier"' in content and "The flat is damp" in content
    skipped_list = content.split('data-testid="skipped"')[1].split("</ul>")[0]
    assert "Food" in skipped_list and "Housing" not in skipped_list


def test_finishing_early_from_a_step(worker, case):
    talk = _started(worker, case)
    finish = reverse("casework:assessment_finish", args=[case.pk])
    assert 'name="action" value="finish"' in worker.get(_step_url(case, 1)).content.decode()
    # What was written on the step is saved first.
    response = worker.post(
        _step_url(case, 1), {"action": "finish", "severity": "2", "in_their_words": "Tired"}
    )
    assert response["Location"] == finish
    need = Need.objects.get(case=case)
    assert (need.severity, need.in_their_words, need.assessment) == (2, "Tired", talk)
    # Words without a severity are refused, as on "Save and continue".
    response = worker.post(_step_url(case, 2), {"action": "finish", "in_their_words": "Alone"})
    assert response.status_code == 400
    # A blank step records nothing; the areas after it are not asked, nor called skipped.
    response = worker.post(_step_url(case, 2), {"action": "finish", "version": "0"})
    assert response["Location"] == finish
    assert Need.objects.count() == 1
    response = worker.get(finish)
    assert response.context["skipped_steps"] == []
    assert [n.area_id for n, _ in response.context["talked"]] == [term_id("mental-wellbeing")]


def test_finishing_early_leaves_an_unchanged_earlier_need_alone(worker, case):
    services.need_set(case=case, area=_area("loneliness"), severity=1, in_their_words="Ok", by=None)
    _started(worker, case)
    response = worker.post(
        _step_url(case, 2),
        {"action": "finish", "severity": "1", "in_their_words": "Ok", "version": "1"},
    )
    assert response["Location"] == reverse("casework:assessment_finish", args=[case.pk])
    need = Need.objects.get(case=case)
    assert (need.version, need.assessment) == (1, None)


def test_the_last_step_leads_to_the_finish(worker, case):
    _started(worker, case)
    response = worker.post(_step_url(case, 19), {"action": "skip"})
    assert response["Location"] == reverse("casework:assessment_finish", args=[case.pk])


def test_carrying_on_goes_to_the_first_area_not_yet_answered(worker, case):
    _started(worker, case)
    worker.post(_step_url(case, 1), {"severity": "1", "version": "0"})
    worker.post(_step_url(case, 2), {"severity": "2", "version": "0"})
    worker.post(_step_url(case, 3), {"action": "skip"})
    response = worker.get(reverse("casework:assessment", args=[case.pk]))
    assert response["Location"] == _step_url(case, 4)


def test_a_need_recorded_before_fills_in_its_step(worker, case):
    services.need_set(
        case=case, area=_area("housing"), severity=3, in_their_words="The flat is damp", by=None
    )
    _started(worker, case)
    number = next(s.number for s in conversation.STEPS if s.code == "housing")
    response = worker.get(_step_url(case, number))
    form = response.context["form"]
    assert form.initial["severity"] == 3
    assert form.initial["version"] == 1
    assert "The flat is damp" in response.content.decode()
    # Not answered in this conversation, so carrying on still starts from the first step.
    assert worker.get(reverse("casework:assessment", args=[case.pk]))["Location"] == _step_url(
        case, 1
    )


def test_a_racing_edit_of_a_need_is_refused_and_shows_the_latest(worker, case):
    need = services.need_set(
        case=case, area=_area("mental-wellbeing"), severity=1, in_their_words="Bit low", by=None
    )
    _started(worker, case)
    services.need_set(
        case=case,
        area=need.area,
        severity=3,
        in_their_words="Much worse this week",
        by=None,
        version=1,
    )
    response = worker.post(
        _step_url(case, 1), {"severity": "0", "in_their_words": "Fine now", "version": "1"}
    )
    assert response.status_code == 409
    content = response.content.decode()
    assert "Someone else changed this need" in content
    assert "Much worse this week" in content
    need.refresh_from_db()
    assert (need.severity, need.in_their_words, need.version) == (3, "Much worse this week", 2)
    assert response.context["form"]["version"].value() == 2


def test_a_need_someone_else_recorded_first_is_a_conflict(worker, case):
    _started(worker, case)
    services.need_set(case=case, area=_area("mental-wellbeing"), severity=2, by=None)
    response = worker.post(_step_url(case, 1), {"severity": "1", "version": "0"})
    assert response.status_code == 409
    assert Need.objects.get(case=case).severity == 2


def test_changing_a_need_from_the_plan(worker, case):
    need = services.need_set(case=case, area=_area("food"), severity=1, by=None)
    url = reverse("casework:need_edit", args=[case.pk, need.pk])
    assert worker.get(url).status_code == 200
    response = worker.post(
        url, {"severity": "3", "in_their_words": "Skipping meals", "version": "1"}
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.severity, need.in_their_words, need.version) == (3, "Skipping meals", 2)
    stale = worker.post(url, {"severity": "0", "version": "1"})
    assert stale.status_code == 409
    need.refresh_from_db()
    assert need.severity == 3


# --- Finishing, and the summary the person is given --------------------------------------------


def test_finishing_needs_what_matters_in_their_words(worker, case):
    talk = _started(worker, case)
    url = reverse("casework:assessment_finish", args=[case.pk])
    response = worker.post(url, {"what_matters": "   "})
    assert response.status_code == 400
    assert "what matters most to the person" in response.content.decode()
    talk.refresh_from_db()
    assert talk.completed_at is None

    response = worker.post(url, {"what_matters": "Getting back to the allotment"})
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:assessment_summary", args=[case.pk, talk.pk])
    talk.refresh_from_db()
    assert talk.completed_at is not None
    assert talk.what_matters == "Getting back to the allotment"
    # Finished: the finish page now leads to its summary rather than starting another.
    assert worker.get(url)["Location"] == response["Location"]


def test_the_finish_page_lists_the_areas_talked_about(worker, case):
    _started(worker, case)
    worker.post(_step_url(case, 2), {"severity": "2", "in_their_words": "Nobody visits"})
    response = worker.get(reverse("casework:assessment_finish", args=[case.pk]))
    content = response.content.decode()
    assert "Loneliness and isolation" in content and "Nobody visits" in content
    assert f'href="{_step_url(case, 2)}"' in content


def _finished_conversation(worker, case):
    talk = _started(worker, case)
    worker.post(_step_url(case, 1), {"severity": "3", "in_their_words": "I feel flat all the time"})
    worker.post(_step_url(case, 2), {"severity": "0", "in_their_words": ""})
    worker.post(
        reverse("casework:assessment_finish", args=[case.pk]),
        {"what_matters": "Being a good mum to my three"},
    )
    return talk


def test_the_summary_has_their_words_and_no_internal_details(worker, case):
    talk = _finished_conversation(worker, case)
    services.goal_add(case=case, text="Have an hour a week for me", by=None)
    services.support_record(
        case=case, by=None, decision="chosen", name="Carers' counselling", in_their_words="Yes"
    )
    services.support_record(
        case=case, by=None, decision="declined", name="Parenting course", in_their_words="Scared"
    )
    services.note_add(case=case, by=None, text="SAFEGUARDING-DETAIL", is_safeguarding=True)
    services.note_add(case=case, by=None, text="ORDINARY-NOTE")

    response = worker.get(reverse("casework:assessment_summary", args=[case.pk, talk.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "What you told us matters to you" in content
    assert "Being a good mum to my three" in content
    assert "I feel flat all the time" in content
    assert "Have an hour a week for me" in content
    assert "Carers&#x27; counselling" in content
    assert response.context["case"].worker.email in content
    for internal in (
        "SAFEGUARDING-DETAIL",
        "ORDINARY-NOTE",
        "Scared",  # a declined support is their business, not the summary's
        "A great deal",
        "Not a concern",
        "severity",
        "3 out of",
    ):
        assert internal not in content, internal
    # "Not a concern" without words is not listed as something that matters to them.
    assert "Loneliness and isolation" not in content
    assert LogEntry.objects.filter(action="case.assessment_viewed", object_id=str(talk.pk)).exists()


def test_the_summary_has_the_cases_needs_from_earlier_conversations(worker, case):
    services.need_set(
        case=case, area=_area("housing"), severity=3, in_their_words="The flat is damp", by=None
    )
    services.need_set(case=case, area=_area("food"), severity=2, by=None)
    services.need_set(case=case, area=_area("learning"), severity=0, by=None)
    talk = _finished_conversation(worker, case)
    response = worker.get(reverse("casework:assessment_summary", args=[case.pk, talk.pk]))
    areas = [n.area.code for n in response.context["needs"]]
    assert areas == ["mental-wellbeing", "housing", "food"]  # conversation order
    content = response.content.decode()
    assert "The flat is damp" in content and "I feel flat all the time" in content


def test_the_summary_leaves_off_a_target_date_already_past(worker, case):
    talk = _finished_conversation(worker, case)
    today = timezone.localdate()
    past = services.goal_add(case=case, text="Join the choir", by=None)
    Goal.objects.filter(pk=past.pk).update(target_date=today - datetime.timedelta(days=3))
    soon = today + datetime.timedelta(days=10)
    services.goal_add(case=case, text="Walk to the shop", target_date=soon, by=None)
    services.goal_add(case=case, text="Ring my sister", target_date=today, by=None)
    content = worker.get(
        reverse("casework:assessment_summary", args=[case.pk, talk.pk])
    ).content.decode()
    assert "“Join the choir”</li>" in content
    assert f"“Walk to the shop”, by {soon:%-d %B %Y}" in content
    assert f"“Ring my sister”, by {today:%-d %B %Y}" in content
    assert content.count(", by ") == 2


def test_a_closed_case_opens_its_finished_conversations_summary(worker, case):
    talk = _finished_conversation(worker, case)
    Case.objects.filter(pk=case.pk).update(
        status="closed", closed_at=timezone.now(), closing_reason="goals_met"
    )
    summary = reverse("casework:assessment_summary", args=[case.pk, talk.pk])
    for name in ("assessment", "assessment_finish"):
        assert worker.get(reverse(f"casework:{name}", args=[case.pk]))["Location"] == summary
    response = worker.get(summary)
    assert response.status_code == 200
    assert "<form" not in response.content.decode().split('data-testid="summary"')[1]
    assert Assessment.objects.count() == 1


def test_the_summary_is_for_this_case_only(worker, case, scheme):
    other_case = CaseFactory(scheme=scheme, worker=worker.membership.user)
    talk = Assessment.objects.create(case=other_case)
    url = reverse("casework:assessment_summary", args=[case.pk, talk.pk])
    assert worker.get(url).status_code == 404


def test_the_summary_asks_a_fixed_number_of_queries(worker, case):
    talk = _finished_conversation(worker, case)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = worker.get(reverse("casework:assessment_summary", args=[case.pk, talk.pk]))
        assert response.status_code == 200
        return len(queries)

    services.goal_add(case=case, text="First goal", by=None)
    services.support_record(case=case, by=None, decision="chosen", name="First group")
    before = count()
    for i in range(4):
        need = services.need_set(
            case=case, area=_area(conversation.STEPS[5 + i].code), severity=2, by=None
        )
        need.assessment = talk
        need.save()
        services.goal_add(case=case, text=f"Goal {i}", by=None, needs=[need])
        services.support_record(case=case, by=None, decision="chosen", name=f"Group {i}")
    assert count() == before


# --- Goals -----------------------------------------------------------------------------------


def test_a_goal_without_text_is_refused_and_nothing_saved(worker, case):
    response = worker.post(reverse("casework:goal_add", args=[case.pk]), {"text": "  \n "})
    assert response.status_code == 400
    assert "Write the goal in the person&#x27;s own words" in response.content.decode()
    assert not Goal.objects.exists()


def test_adding_a_goal_linked_to_needs(worker, case):
    need = services.need_set(case=case, area=_area("physical-activity"), severity=2, by=None)
    target = timezone.localdate() + datetime.timedelta(days=30)
    response = worker.post(
        reverse("casework:goal_add", args=[case.pk]),
        {"text": "Walk to the shops", "needs": [str(need.pk)], "target_date": target.isoformat()},
    )
    assert response.status_code == 302
    goal = Goal.objects.get(case=case)
    assert goal.text == "Walk to the shops"
    assert list(goal.needs.all()) == [need]
    assert goal.target_date == target


def test_a_goal_target_date_in_the_past_is_refused(worker, case):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = worker.post(
        reverse("casework:goal_add", args=[case.pk]),
        {"text": "Walk", "target_date": yesterday.isoformat()},
    )
    assert response.status_code == 400
    assert "cannot be in the past" in response.content.decode()
    assert not Goal.objects.exists()


def test_another_cases_need_cannot_be_linked(worker, case, scheme):
    theirs = CaseFactory(scheme=scheme, worker=worker.membership.user)
    need = services.need_set(case=theirs, area=_area("food"), severity=2, by=None)
    response = worker.post(
        reverse("casework:goal_add", args=[case.pk]), {"text": "Eat well", "needs": [need.pk]}
    )
    assert response.status_code == 400
    assert not Goal.objects.exists()


def _edit(worker, case, goal, **data):
    data = {
        "text": goal.text,
        "progress": goal.progress,
        "status": goal.status,
        "version": goal.version,
    } | data
    return worker.post(reverse("casework:goal_edit", args=[case.pk, goal.pk]), data)


def test_goal_progress_history_is_kept(worker, case):
    goal = services.goal_add(case=case, text="Join a choir", by=None)
    assert _edit(worker, case, goal, progress=4, note="Went to a taster").status_code == 302
    goal.refresh_from_db()
    assert _edit(worker, case, goal, progress=7).status_code == 302
    goal.refresh_from_db()
    assert goal.progress == 7 and goal.version == 3
    assert [h.progress for h in goal.history.order_by("at", "id")] == [0, 4, 7]
    assert goal.history.filter(note="Went to a taster").exists()
    # Changing only the words does not add a score to the history.
    assert _edit(worker, case, goal, text="Join the community choir").status_code == 302
    assert goal.history.count() == 3

    response = worker.get(reverse("casework:goal_edit", args=[case.pk, goal.pk]))
    content = response.content.decode()
    assert "7 out of 10" in content and "4 out of 10" in content and "Went to a taster" in content


def test_the_goal_page_shows_its_target_date_in_the_date_input(worker, case):
    # A date input shows only an ISO value: the en-GB "20/12/2026" would show an empty box.
    target = timezone.localdate() + datetime.timedelta(days=30)
    goal = services.goal_add(case=case, text="Walk to the park", target_date=target, by=None)
    response = worker.get(reverse("casework:goal_edit", args=[case.pk, goal.pk]))
    assert f'name="target_date" value="{target.isoformat()}"' in response.content.decode()


def test_reviewing_a_goal_as_achieved(worker, case):
    goal = services.goal_add(case=case, text="Sort the bills", by=None)
    assert _edit(worker, case, goal, progress=10, status="achieved").status_code == 302
    goal.refresh_from_db()
    assert goal.status == "achieved" and goal.closed_at is not None


def test_a_racing_goal_edit_is_refused_and_shows_the_latest(worker, case):
    goal = services.goal_add(case=case, text="Cook twice a week", by=None)
    seen = goal.version
    services.goal_update(goal=goal, by=None, version=seen, progress=5, text="Cook three times")
    response = _edit(worker, case, goal, progress=2, text="Cook once", version=seen)
    assert response.status_code == 409
    content = response.content.decode()
    assert "Someone else changed this goal" in content
    assert "Cook three times" in content
    form = response.context["form"]
    assert form["progress"].value() == 5
    goal.refresh_from_db()
    assert (goal.text, goal.progress) == ("Cook three times", 5)
    assert goal.history.count() == 2


def test_an_edit_without_a_version_is_refused(worker, case):
    goal = services.goal_add(case=case, text="Cook", by=None)
    response = _edit(worker, case, goal, progress=3, version="")
    assert response.status_code == 409
    goal.refresh_from_db()
    assert goal.progress == 0


# --- Supports the person chose or declined ----------------------------------------------------


def _service(name, *, status=ServiceStatus.ACTIVE):
    org = Organization.objects.create(name="Riverside Carers")
    return Service.objects.create(organization=org, name=name, status=status, is_public=True)


def test_declining_a_support_needs_their_words(worker, case):
    url = reverse("casework:support_add", args=[case.pk])
    response = worker.post(url, {"name": "Parenting course", "decision": "declined"})
    assert response.status_code == 400
    assert "Write why the person declined" in response.content.decode()
    assert not PlanSupport.objects.exists()

    response = worker.post(
        url,
        {
            "name": "Parenting course",
            "decision": "declined",
            "in_their_words": "I worry they'd judge me",
        },
        follow=True,
    )
    support = PlanSupport.objects.get(case=case)
    assert (support.decision, support.in_their_words) == ("declined", "I worry they'd judge me")
    assert "Tess chose not to use Parenting course" in response.content.decode()


def test_a_support_from_the_directory(worker, case):
    walking = _service("Riverside Walking Group")
    _service("Walking football", status=ServiceStatus.INACTIVE)
    url = reverse("casework:support_add", args=[case.pk])
    response = worker.get(url, {"q": "walk"})
    assert [s.name for s in response.context["found"]] == ["Riverside Walking Group"]
    assert "Walking football" not in response.content.decode()

    response = worker.post(
        url,
        {"q": "walk", "service": str(walking.pk), "decision": "considering"},
    )
    assert response.status_code == 302
    support = PlanSupport.objects.get(case=case)
    assert (support.service, support.decision) == (walking, "considering")


def test_a_support_needs_a_service_or_a_name(worker, case):
    response = worker.post(reverse("casework:support_add", args=[case.pk]), {"decision": "chosen"})
    assert response.status_code == 400
    assert not PlanSupport.objects.exists()


def test_an_inactive_service_cannot_be_chosen(worker, case):
    closed = _service("Old lunch club", status=ServiceStatus.INACTIVE)
    response = worker.post(
        reverse("casework:support_add", args=[case.pk]),
        {"service": str(closed.pk), "decision": "chosen"},
    )
    assert response.status_code == 400
    assert not PlanSupport.objects.exists()


def test_the_plan_panel_respects_each_choice(case):
    need = services.need_set(
        case=case, area=_area("carers"), severity=3, in_their_words="Exhausted", by=None
    )
    goal = services.goal_add(case=case, text="A night off a month", by=None, needs=[need])
    services.goal_update(goal=goal, by=None, version=goal.version, progress=4)
    services.support_record(
        case=case, by=None, decision="declined", name="Respite grant", in_their_words="Not yet"
    )
    services.support_record(case=case, by=None, decision="chosen", name="Carers' cafe")
    html = render_to_string(
        "casework/partials/plan_panel.html", {"plan": case_plan(case), "case": case}
    )
    assert "Exhausted" in html and "Carers</strong>: a great deal" in html
    assert "4 out of 10" in html
    assert "Tess chose not to use this: “Not yet”" in html
    assert reverse("casework:goal_edit", args=[case.pk, goal.pk]) in html
    assert reverse("casework:support_add", args=[case.pk]) in html


# --- A closed case, and other schemes ----------------------------------------------------------


@pytest.fixture
def closed_case(worker, scheme):
    return CaseFactory(
        scheme=scheme,
        worker=worker.membership.user,
        status="closed",
        closed_at=timezone.now(),
        closing_reason="goals_met",
    )


def test_a_closed_case_refuses_edits(worker, closed_case):
    case = closed_case
    need = Need.objects.create(case=case, area=_area("food"), severity=1)
    goal = Goal.objects.create(case=case, text="Eat well")
    posts = {
        reverse("casework:goal_add", args=[case.pk]): {"text": "New goal"},
        reverse("casework:goal_edit", args=[case.pk, goal.pk]): {
            "text": "Changed",
            "progress": 5,
            "status": "open",
            "version": 1,
        },
        reverse("casework:need_edit", args=[case.pk, need.pk]): {"severity": 3, "version": 1},
        reverse("casework:support_add", args=[case.pk]): {"name": "Cafe", "decision": "chosen"},
        _step_url(case, 1): {"severity": 2},
        reverse("casework:assessment_finish", args=[case.pk]): {"what_matters": "x"},
    }
    for url, data in posts.items():
        response = worker.post(url, data)
        assert response.status_code == 400, url
        content = response.content.decode()
        assert "This case is closed. Reopen it first" in content, url
        assert 'data-testid="case-closed"' in content
        assert f'href="{reverse("casework:detail", args=[case.pk])}#reopen-reason"' in content
    assert worker.get(reverse("casework:assessment", args=[case.pk])).status_code == 200
    assert not Assessment.objects.exists()
    assert Goal.objects.get().text == "Eat well" and Goal.objects.count() == 1
    need.refresh_from_db()
    assert need.severity == 1
    assert not PlanSupport.objects.exists()
    # The pages say so rather than show a form.
    response = worker.get(reverse("casework:goal_add", args=[case.pk]))
    assert 'data-testid="goal-form"' not in response.content.decode()
    html = render_to_string(
        "casework/partials/plan_panel.html", {"plan": case_plan(case), "case": case}
    )
    assert reverse("casework:goal_add", args=[case.pk]) not in html
    assert reverse("casework:need_edit", args=[case.pk, need.pk]) not in html


@pytest.mark.parametrize(
    "name", ["assessment", "assessment_finish", "goal_add", "support_add", "assessment_step"]
)
def test_another_schemes_case_is_404(name, worker, other_scheme):
    theirs = CaseFactory(scheme=other_scheme)
    args = [theirs.pk, 1] if name == "assessment_step" else [theirs.pk]
    url = reverse(f"casework:{name}", args=args)
    assert worker.get(url).status_code == 404
    if name != "assessment":  # starting a conversation is a GET (it carries on where it was)
        posted = worker.post(url, {"text": "x", "severity": 1, "what_matters": "x"})
        assert posted.status_code == 404
    assert not Assessment.objects.exists()
    assert not Goal.objects.exists()


def test_a_referrer_cannot_open_the_plan_pages(client_as, case):
    referrer = client_as(Role.REFERRER)
    assert referrer.get(reverse("casework:goal_add", args=[case.pk])).status_code == 403
