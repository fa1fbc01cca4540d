"""The demo's casework: the five case stories of DOMAIN.md (`demo_stories`,
`demo_stories_complex`) and a believable history for every other accepted demo referral
(`demo_cases`), written through the casework services at moments in the past, so the audit
trail, the timeline and the follow-up lists are real.

The demo link worker holds about 40 open cases, a few with follow-ups overdue; the rest are
spread over the other link workers, and about 30 of the oldest are closed. Made up and the
same every run (a seeded random), and loaded once: a second run leaves it as it is.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from linkwell.casework import services
from linkwell.casework.models import Case, Contact, FollowUp, Goal, Need
from linkwell.casework.services import FollowUpPlan
from linkwell.casework.states import (
    CaseStatus,
    ContactMethod,
    FollowUpKind,
    FollowUpStatus,
    SupportDecision,
)
from linkwell.directory.models import Attribute, Service, ServiceStatus, TaxonomyTerm
from linkwell.directory.taxonomy import NEED_AREAS_ID


class Diary:
    """Writes a case's history through the casework services, each step at its moment."""

    def __init__(self, *, scheme, manager, now: datetime | None = None):
        self.scheme = scheme
        self.manager = manager
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)
        self._areas = {t.code: t for t in TaxonomyTerm.objects.filter(taxonomy_id=NEED_AREAS_ID)}
        active = Service.objects.filter(owner_scheme=scheme, status=ServiceStatus.ACTIVE)
        self._services = list(active.select_related("organization").order_by("name"))
        by_id = {s.pk: s for s in self._services}
        self._by_area: dict[str, list[Service]] = {}
        links = Attribute.objects.filter(
            link_entity="service", link_type="need_area", link_id__in=list(by_id)
        ).values_list("taxonomy_term__code", "link_id")
        for code, service_id in sorted(links, key=lambda row: (row[0], by_id[row[1]].name)):
            self._by_area.setdefault(code, []).append(by_id[service_id])

    # --- Lookups --------------------------------------------------------------------------

    def area(self, code: str) -> TaxonomyTerm:
        return self._areas[code]

    def service(self, name: str, organisation: str = "") -> Service | None:
        """A directory service whose name starts with `name` (run by `organisation`, if one is
        given and runs it); None when the demo directory has nothing like it."""
        named = [s for s in self._services if s.name.startswith(name)]
        if organisation:
            theirs = [s for s in named if s.organization.name == organisation]
            named = theirs or named
        return named[0] if named else None

    def services_for(self, code: str) -> list[Service]:
        return self._by_area.get(code, [])

    # --- Time -----------------------------------------------------------------------------

    def moment(self, day: date, hour: int, minute: int = 0, *, after: datetime | None = None):
        """`day` at `hour`:`minute` local time, never before `after` and never in the future."""
        at = timezone.make_aware(datetime.combine(day, time(hour, minute)))
        if after is not None and at <= after:
            at = after + timedelta(minutes=10)
        return min(at, self.now - timedelta(minutes=2))

    def weekday_on_or_after(self, day: date) -> date:
        return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() > 4 else 0)

    def workday(self, day: date, *, not_before: date) -> date:
        """A working day near `day`: a Saturday becomes the Friday before, a Sunday the Monday
        after (if that is before today), but never before `not_before`."""
        if day.weekday() == 6 and day + timedelta(days=1) < self.today:
            return day + timedelta(days=1)
        shifted = day - timedelta(days=max(0, day.weekday() - 4))
        return shifted if shifted >= not_before else day

    # --- Writes ---------------------------------------------------------------------------

    def contact(
        self,
        case: Case,
        at: datetime,
        *,
        by,
        method: str = ContactMethod.PHONE,
        minutes: int | None = 20,
        notes: str = "",
        outcome: str = "",
        next_step: str = "",
        who: str = "",
        answers: FollowUp | None = None,
    ) -> tuple[Contact, FollowUp | None]:
        """Record a contact; if it answers a follow-up, mark that done at the same moment.
        Returns the contact and the next follow-up of a recurring one."""
        contact = services.contact_record(
            case=case,
            by=by,
            at=at,
            method=method,
            duration_minutes=minutes,
            who_was_there=who,
            notes=notes,
            outcome=outcome,
            next_step=next_step,
        )
        following = None
        if answers is not None:
            following = services.followup_complete(followup=answers, by=by, at=at)
        return contact, following

    def missed(self, followup: FollowUp, *, by) -> FollowUp | None:
        at = self.moment(followup.due_on, 16, 30, after=followup.created_at)
        return services.followup_complete(
            followup=followup, by=by, status=FollowUpStatus.MISSED, at=at
        )

    def assess(
        self,
        case: Case,
        at: datetime,
        *,
        by,
        needs: list[tuple[str, int, str]],
        what_matters: str,
        minutes: int = 40,
    ) -> dict[str, Need]:
        """A what-matters conversation: each need area with its weight, in the person's words."""
        assessment = services.assessment_start(case=case, by=by, at=at)
        recorded = {}
        for index, (code, severity, words) in enumerate(needs):
            recorded[code] = services.need_set(
                case=case,
                area=self.area(code),
                severity=severity,
                in_their_words=words,
                by=by,
                assessment=assessment,
                at=at + timedelta(minutes=3 + index * 4),
            )
        services.assessment_complete(
            assessment=assessment,
            what_matters=what_matters,
            by=by,
            at=self._clamp(at + timedelta(minutes=minutes)),
        )
        return recorded

    def goal(self, case, at, *, by, text, needs=(), target_days: int | None = None) -> Goal:
        target = (
            timezone.localtime(at).date() + timedelta(days=target_days) if target_days else None
        )
        return services.goal_add(
            case=case, text=text, by=by, needs=needs, target_date=target, at=at
        )

    def score(self, goal: Goal, at, *, by, progress=None, status=None, note="") -> Goal:
        return services.goal_update(
            goal=goal,
            by=by,
            version=goal.version,
            progress=progress,
            status=status,
            note=note,
            at=at,
        )

    def support(
        self, case, at, *, by, decision=SupportDecision.CHOSEN, service=None, name="", words=""
    ):
        return services.support_record(
            case=case,
            by=by,
            decision=decision,
            service=service,
            name="" if service else name,
            in_their_words=words,
            at=at,
        )

    def offer(
        self,
        case,
        at,
        *,
        by,
        wanted: tuple[str, str],
        fallback: str,
        words: str = "",
        decision=SupportDecision.CHOSEN,
    ):
        """A support from the directory if it lists one like it, else named in words."""
        service = self.service(*wanted)
        return self.support(
            case, at, by=by, decision=decision, service=service, name=fallback, words=words
        )

    def follow_up(
        self,
        case,
        at,
        *,
        by,
        due_on: date,
        kind: str = FollowUpKind.SUPPORT_CALL,
        purpose: str = "",
        recurrence: str = "",
        due_time: time | None = None,
    ) -> FollowUp:
        plan = FollowUpPlan(
            due_on=due_on, kind=kind, purpose=purpose, recurrence=recurrence, due_time=due_time
        )
        return services.followup_schedule(case=case, plan=plan, by=by, at=at)

    def note(self, case, at, *, by, text: str, safeguarding: bool = False):
        return services.note_add(
            case=case, by=by, text=text, is_safeguarding=safeguarding, at=self._clamp(at)
        )

    def move(self, case, at, *, by, to: str, reason: str = ""):
        return services.case_move(case=case, to=to, by=by, reason=reason, at=self._clamp(at))

    def _clamp(self, at: datetime) -> datetime:
        return min(at, self.now - timedelta(minutes=1))


def load_demo_casework(*, scheme, workers, manager, seed: int = 2026) -> dict:
    """Write the demo's case histories once; a second run leaves them as they are.

    `workers` are the scheme's demo link workers, the demo link worker first."""
    from linkwell.casework.demo_cases import write_ordinary_cases
    from linkwell.casework.demo_stories import write_stories

    if Contact.objects.filter(case__scheme=scheme).exists():
        return {"created": False, **casework_counts(scheme=scheme, worker=workers[0])}
    rng = random.Random(seed)  # noqa: S311  (made-up demo data, the same every run)
    diary = Diary(scheme=scheme, manager=manager)
    story_cases = write_stories(diary, worker=workers[0])
    ordinary = list(
        Case.objects.filter(scheme=scheme, status=CaseStatus.OPEN, referral__isnull=False)
        .exclude(pk__in=[c.pk for c in story_cases])
        .select_related("worker", "referral", "person")
        .prefetch_related("referral__reasons")
        .order_by("opened_at", "id")
    )
    write_ordinary_cases(diary, ordinary, workers=workers, rng=rng, stories=len(story_cases))
    return {"created": True, **casework_counts(scheme=scheme, worker=workers[0])}


def casework_counts(*, scheme, worker) -> dict:
    """Open and closed cases, the worker's open cases and their overdue follow-ups."""
    cases = Case.objects.filter(scheme=scheme).aggregate(
        open=Count("id", filter=~Q(status=CaseStatus.CLOSED)),
        closed=Count("id", filter=Q(status=CaseStatus.CLOSED)),
        theirs=Count("id", filter=~Q(status=CaseStatus.CLOSED) & Q(worker=worker)),
    )
    overdue = FollowUp.objects.filter(
        case__scheme=scheme,
        worker=worker,
        status=FollowUpStatus.DUE,
        due_on__lt=timezone.localdate(),
    ).count()
    return {**cases, "overdue": overdue}
