"""Another scheme's record answers 404, never the record, for every URL that takes an id."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from linkwell.core.models import Role
from linkwell.core.services import api_token_create
from linkwell.directory.models import Flag, Location, Organization, Service, ServiceAtLocation
from tests.factories import MembershipFactory, TOTPDeviceFactory, UserFactory


def _other_member(other_scheme):
    """Another scheme's member (with an authenticator), and how to read what might change."""
    theirs = MembershipFactory(scheme=other_scheme, role=Role.LINK_WORKER)
    TOTPDeviceFactory(user=theirs.user)

    def state():
        theirs.refresh_from_db()
        devices = TOTPDevice.objects.filter(user=theirs.user).count()
        return (theirs.role, theirs.is_active, sorted(s.pk for s in theirs.sites.all()), devices)

    return {"member_id": theirs.pk}, state


def _other_users_token(other_scheme):
    owner = MembershipFactory(scheme=other_scheme).user
    token, _ = api_token_create(user=owner, name="theirs")

    def state():
        token.refresh_from_db()
        return token.revoked_at

    return {"token_id": token.pk}, state


def _private_service(other_scheme):
    """Another scheme's listing, kept out of the open feed."""
    org = Organization.objects.create(name="Their organisation", owner_scheme=other_scheme)
    service = Service.objects.create(
        organization=org, name="Their private group", owner_scheme=other_scheme, is_public=False
    )
    location = Location.objects.create(organization=org, latitude=52.5, longitude=-1.9)
    sal = ServiceAtLocation.objects.create(service=service, location=location)
    Flag.objects.create(service=service, scheme=other_scheme, kind=Flag.Kind.OTHER)

    def state():
        service.refresh_from_db()
        flags = list(service.flags.values_list("status", flat=True))
        return (service.name, service.capacity, service.last_verified_at, flags)

    return service, sal, state


def _other_service(other_scheme):
    service, _, state = _private_service(other_scheme)
    return {"service_id": service.pk}, state


def _other_service_at_location(other_scheme):
    _, sal, state = _private_service(other_scheme)
    return {"sal_id": sal.pk}, state


def _other_organization(other_scheme):
    service, _, state = _private_service(other_scheme)
    return {"organization_id": service.organization_id}, state


def _other_flag(other_scheme):
    service, _, state = _private_service(other_scheme)
    return {"flag_id": service.flags.get().pk}, state


def _other_import(other_scheme):
    from linkwell.directory.models import DirectoryImport

    job = DirectoryImport.objects.create(scheme=other_scheme, source_label="theirs.json")

    def state():
        job.refresh_from_db()
        return (job.status, job.summary)

    return {"import_id": job.pk}, state


def _other_referral_import(other_scheme):
    """Another scheme's CSV import, checked and ready to import, with a rejected row."""
    from linkwell.referrals.models import ReferralImport

    imp = ReferralImport.objects.create(
        scheme=other_scheme,
        kind=ReferralImport.Kind.REFERRALS,
        file_name="theirs.csv",
        content="First name,Last name,Reasons\nAnn,Bee,loneliness\n,Cee,loneliness\n",
        headers=["First name", "Last name", "Reasons"],
        mapping={
            "columns": {"given_name": "First name", "family_name": "Last name"},
            "delimiter": ",",
        },
        row_count=2,
        error_rows=[{"row": 3, "cells": ["", "Cee", "loneliness"], "problems": [["x", "y"]]}],
        state=ReferralImport.State.PREVIEWED,
    )

    def state():
        imp.refresh_from_db()
        from linkwell.referrals.models import Referral

        return (imp.state, imp.mapping, imp.content, imp.error_rows, Referral.objects.count())

    return {"import_id": imp.pk}, state


def _other_campaign_entry(other_scheme):
    """Another scheme's proactive call list, with one person on it."""
    from linkwell.referrals.models import Campaign, CampaignEntry
    from tests.factories import PersonFactory

    campaign = Campaign.objects.create(scheme=other_scheme, name="Their calls", script="Hi")
    entry = CampaignEntry.objects.create(
        campaign=campaign, person=PersonFactory(scheme=other_scheme)
    )

    def state():
        campaign.refresh_from_db()
        entry.refresh_from_db()
        return (
            campaign.name,
            campaign.state,
            sorted(str(u) for u in campaign.callers.values_list("pk", flat=True)),
            campaign.entries.count(),
            entry.outcome,
            entry.attempts,
            entry.caller_id,
            hasattr(entry, "referral"),
        )

    return campaign, entry, state


def _other_campaign(other_scheme):
    campaign, _, state = _other_campaign_entry(other_scheme)
    return {"campaign_id": campaign.pk}, state


def _other_call(other_scheme):
    campaign, entry, state = _other_campaign_entry(other_scheme)
    return {"campaign_id": campaign.pk, "entry_id": entry.pk}, state


def _other_resource(other_scheme, *, retired=False):
    import datetime

    from linkwell.resources.models import Resource

    resource = Resource.objects.create(
        scheme=other_scheme,
        title="Their line",
        summary="Theirs.",
        format="leaflet",
        phone="01632 960999",
        file="resources/theirs.pdf",
        review_date=datetime.date(2030, 1, 1),
        is_active=not retired,
    )

    def state():
        resource.refresh_from_db()
        return (resource.title, resource.is_active, resource.retired_at, resource.updated_at)

    return {"resource_id": resource.pk}, state


def _other_retired_resource(other_scheme):
    return _other_resource(other_scheme, retired=True)


def _other_waiting_room_referral(other_scheme):
    """Another scheme's referral with consent and a mobile: a send would go, a posting stick."""
    from linkwell.people.models import Consent
    from linkwell.referrals.models import PackPosting, WaitingRoomLink
    from tests.factories import PersonFactory, ReferralFactory

    person = PersonFactory(scheme=other_scheme, phone="+447700900321", address_line_1="1 Hill")
    Consent.objects.create(person=person, scope="contact", method="verbal")
    referral = ReferralFactory(scheme=other_scheme, person=person)

    def state():
        return (
            WaitingRoomLink.objects.filter(referral=referral).count(),
            PackPosting.objects.filter(referral=referral).count(),
        )

    return referral, state


def _other_referral_for_waiting_room(other_scheme):
    referral, state = _other_waiting_room_referral(other_scheme)
    return {"referral_id": referral.pk}, state


def _other_waiting_room_link(other_scheme):

    from linkwell.referrals.models import WaitingRoomLink

    referral, _ = _other_waiting_room_referral(other_scheme)
    link = WaitingRoomLink.objects.create(
        referral=referral,
        digest="0" * 64,
        expires_at=timezone.now() + timezone.timedelta(days=30),
        sent_by="sms",
        sent_to="+447700900321",
    )

    def state():
        link.refresh_from_db()
        return (link.revoked_at, link.revoked_by_id)

    return {"link_id": link.pk}, state


# Every URL pattern that takes an object id: how to make another scheme's object for it, the
# methods to try, and a role that may use the URL in its own scheme. A new pattern with an id
# must be added here (the first test checks).
def _other_referral(other_scheme):
    """Another scheme's referral, with consent in force and a likely duplicate."""
    from linkwell.people.models import Consent
    from tests.factories import PersonFactory, ReferralFactory

    person = PersonFactory(scheme=other_scheme, needs_duplicate_check=True)
    PersonFactory(
        scheme=other_scheme,
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
    )
    referral = ReferralFactory(scheme=other_scheme, person=person)
    consent = Consent.objects.create(person=person, scope="contact", method="verbal")

    def state():
        referral.refresh_from_db()
        consent.refresh_from_db()
        person.refresh_from_db()
        return (
            person.household_id,
            referral.status,
            referral.urgency,
            referral.assigned_to_id,
            referral.person_id,
            referral.attempts.count(),
            consent.withdrawn_at,
            person.consents.count(),
        )

    return {"referral_id": referral.pk}, state, consent


def _other_referral_ids(other_scheme):
    kwargs, state, _ = _other_referral(other_scheme)
    return kwargs, state


def _other_consent(other_scheme):
    kwargs, state, consent = _other_referral(other_scheme)
    return {**kwargs, "consent_id": consent.pk}, state


def _other_case_record(other_scheme):
    """Another scheme's case, its person in a household with someone else."""
    from linkwell.people.models import Household
    from tests.factories import CaseFactory, PersonFactory

    household = Household.objects.create(scheme=other_scheme, name="Their family")
    case = CaseFactory(scheme=other_scheme, person__household=household)
    PersonFactory(scheme=other_scheme, household=household)

    def state():
        case.refresh_from_db()
        return (
            case.status,
            case.version,
            case.contacts.count(),
            case.notes.count(),
            sorted(str(pk) for pk in case.household_members.values_list("pk", flat=True)),
        )

    return {"case_id": case.pk}, state


def _other_case_to_assign(other_scheme):
    """Another scheme's case, with a follow-up due, and a link worker of theirs to give it to."""
    from linkwell.casework.models import CaseAssignment
    from tests.factories import CaseFactory, FollowUpFactory

    case = CaseFactory(scheme=other_scheme)
    FollowUpFactory(case=case)
    MembershipFactory(scheme=other_scheme, role=Role.LINK_WORKER)

    def state():
        case.refresh_from_db()
        return (
            case.worker_id,
            case.version,
            sorted(str(f.worker_id) for f in case.followups.all()),
            CaseAssignment.objects.filter(case=case).count(),
        )

    return {"case_id": case.pk}, state


def _other_plan(other_scheme):
    """Another scheme's case with a what-matters conversation under way, a need and a goal."""
    from linkwell.casework.models import Assessment, Goal, Need, PlanSupport
    from linkwell.directory.taxonomy import term_id
    from tests.factories import CaseFactory

    case = CaseFactory(scheme=other_scheme)
    talk = Assessment.objects.create(case=case)
    need = Need.objects.create(
        case=case, area_id=term_id("housing"), severity=2, in_their_words="Damp", assessment=talk
    )
    goal = Goal.objects.create(case=case, text="Move somewhere dry")

    def state():
        return (
            list(Assessment.objects.filter(case=case).values_list("completed_at", "what_matters")),
            list(
                Need.objects.filter(case=case).values_list("severity", "in_their_words", "version")
            ),
            list(Goal.objects.filter(case=case).values_list("text", "progress", "version")),
            PlanSupport.objects.filter(case=case).count(),
        )

    return {"case": case, "talk": talk, "need": need, "goal": goal}, state


def _plan_case(other_scheme):
    made, state = _other_plan(other_scheme)
    return {"case_id": made["case"].pk}, state


def _plan_step(other_scheme):
    made, state = _other_plan(other_scheme)
    return {"case_id": made["case"].pk, "step": 1}, state


def _plan_assessment(other_scheme):
    made, state = _other_plan(other_scheme)
    return {"case_id": made["case"].pk, "assessment_id": made["talk"].pk}, state


def _plan_need(other_scheme):
    made, state = _other_plan(other_scheme)
    return {"case_id": made["case"].pk, "need_id": made["need"].pk}, state


def _plan_goal(other_scheme):
    made, state = _other_plan(other_scheme)
    return {"case_id": made["case"].pk, "goal_id": made["goal"].pk}, state


def _other_case_with_followup(other_scheme, *, closed=False):
    """Another scheme's case (closed, if asked) with a follow-up due, its person agreeing to
    everything: a close, a reopen, a schedule or a done would each change something."""

    from linkwell.casework.models import FollowUp
    from linkwell.people.models import Consent
    from tests.factories import CaseFactory, FollowUpFactory

    extra = {"closed_at": timezone.now(), "closing_reason": "goals_met"} if closed else {}
    case = CaseFactory(scheme=other_scheme, status="closed" if closed else "active", **extra)
    followup = FollowUpFactory(case=case)
    for scope in ("contact", "share_referrer"):
        Consent.objects.create(person=case.person, scope=scope, method="verbal")

    def state():
        case.refresh_from_db()
        return (
            case.status,
            case.version,
            case.closed_at,
            sorted(FollowUp.objects.filter(case=case).values_list("status", "due_on")),
        )

    return case, followup, state


def _other_open_case(other_scheme):
    case, _, state = _other_case_with_followup(other_scheme)
    return {"case_id": case.pk}, state


def _other_closed_case(other_scheme):
    case, _, state = _other_case_with_followup(other_scheme, closed=True)
    return {"case_id": case.pk}, state


def _other_followup(other_scheme):
    case, followup, state = _other_case_with_followup(other_scheme)
    return {"case_id": case.pk, "followup_id": followup.pk}, state


def _other_contacted_referral(other_scheme):
    """Another scheme's contacted referral, assigned: opening its case would accept it."""
    from linkwell.casework.models import Case
    from tests.factories import ReferralFactory

    worker = MembershipFactory(scheme=other_scheme, role=Role.LINK_WORKER).user
    referral = ReferralFactory(scheme=other_scheme, status="contacted", assigned_to=worker)

    def state():
        referral.refresh_from_db()
        return (referral.status, Case.objects.filter(referral=referral).count())

    return {"referral_id": referral.pk}, state


def _other_case_and_public_service(other_scheme):
    """Another scheme's open case, and a public listing anyone may see."""
    case, _, state = _other_case_with_followup(other_scheme)
    org = Organization.objects.create(name="Shared organisation")
    service = Service.objects.create(organization=org, name="Shared group", is_public=True)
    return {"case_id": case.pk, "service_id": service.pk}, state


def _other_connection(other_scheme):
    """Another scheme's case with a referral sent (its person agrees to share)."""
    from linkwell.connections import services
    from linkwell.connections.models import Connection
    from linkwell.people.models import Consent, ConsentMethod, ConsentScope
    from tests.directory.factories import listed_service
    from tests.factories import CaseFactory

    worker = MembershipFactory(scheme=other_scheme, role=Role.LINK_WORKER).user
    case = CaseFactory(scheme=other_scheme, worker=worker)
    Consent.objects.create(
        person=case.person, scope=ConsentScope.SHARE_PROVIDERS, method=ConsentMethod.VERBAL
    )
    sent = services.connection_send(
        connection=services.connection_offer(
            case=case,
            service=listed_service(name="Their art group", referral_route="linkwell"),
            kind="referral",
            by=worker,
        ),
        by=worker,
    )

    def state():
        return sorted(Connection.objects.filter(case=case).values_list("status", "version"))

    return {"case_id": case.pk, "connection_id": sent.pk}, state


def _other_failed_message(other_scheme):
    """Another scheme's message that could not be sent: nobody elsewhere may try it again."""
    from linkwell.notify.models import OutgoingMessage

    made, _ = _other_connection(other_scheme)
    message = OutgoingMessage.objects.filter(about_id=str(made["connection_id"])).first()
    OutgoingMessage.objects.filter(pk=message.pk).update(
        status="failed", failed_at=timezone.now(), attempts=1, last_error="Notify refused it"
    )

    def state():
        return list(OutgoingMessage.objects.values_list("status", "attempts"))

    return {"message_id": message.pk}, state


def _other_connection_case(other_scheme):
    made, state = _other_connection(other_scheme)
    return {"case_id": made["case_id"]}, state


def _other_sent_referral(other_scheme):
    """Another scheme's referral, sent to a service: a provider elsewhere must not answer it."""
    from linkwell.connections.models import Connection
    from linkwell.connections.services import connection_offer, connection_send
    from linkwell.directory.models import ReferralRoute
    from linkwell.people.models import Consent, ConsentMethod, ConsentScope

    case, _, _ = _other_case_with_followup(other_scheme)
    Consent.objects.create(
        person=case.person, scope=ConsentScope.SHARE_PROVIDERS, method=ConsentMethod.VERBAL
    )
    org = Organization.objects.create(name="Shared arts group")
    service = Service.objects.create(
        organization=org, name="Pottery", is_public=True, referral_route=ReferralRoute.LINKWELL
    )
    offered = connection_offer(case=case, service=service, kind="referral", by=None)
    sent = connection_send(connection=offered, by=None)

    def state():
        return Connection.objects.get(pk=sent.pk).status

    return {"connection_id": sent.pk}, state


OBJECT_URLS = {
    "provider_inbox:move": (_other_sent_referral, ["get", "post"], Role.PROVIDER),
    "provider_inbox:capacity": (_other_service, ["post"], Role.PROVIDER),
    "case_connections:new": (_other_connection_case, ["get", "post"], Role.LINK_WORKER),
    "case_connections:detail": (_other_connection, ["get"], Role.LINK_WORKER),
    "case_connections:move": (_other_connection, ["post"], Role.LINK_WORKER),
    "case_connections:tell_provider": (_other_connection, ["post"], Role.LINK_WORKER),
    "notify:retry": (_other_failed_message, ["post"], Role.MANAGER),
    "notify:dismiss": (_other_failed_message, ["post"], Role.MANAGER),
    "matching:find_support": (_other_open_case, ["get"], Role.LINK_WORKER),
    "matching:decide": (_other_open_case, ["post"], Role.LINK_WORKER),
    "matching:decline": (_other_case_and_public_service, ["get", "post"], Role.LINK_WORKER),
    "matching:preferences": (_other_open_case, ["get", "post"], Role.LINK_WORKER),
    "casework:assessment": (_plan_case, ["get"], Role.LINK_WORKER),
    "casework:assessment_step": (_plan_step, ["get", "post"], Role.LINK_WORKER),
    "casework:assessment_finish": (_plan_case, ["get", "post"], Role.LINK_WORKER),
    "casework:assessment_summary": (_plan_assessment, ["get"], Role.LINK_WORKER),
    "casework:need_edit": (_plan_need, ["get", "post"], Role.LINK_WORKER),
    "casework:goal_add": (_plan_case, ["get", "post"], Role.LINK_WORKER),
    "casework:goal_edit": (_plan_goal, ["get", "post"], Role.LINK_WORKER),
    "casework:support_add": (_plan_case, ["get", "post"], Role.LINK_WORKER),
    "referrals:detail": (_other_referral_ids, ["get"], Role.MANAGER),
    "referrals:assign": (_other_referral_ids, ["post"], Role.MANAGER),
    "referrals:move": (_other_referral_ids, ["post"], Role.MANAGER),
    "referrals:attempt": (_other_referral_ids, ["post"], Role.LINK_WORKER),
    "referrals:consent": (_other_referral_ids, ["post"], Role.LINK_WORKER),
    "referrals:consent_withdraw": (_other_consent, ["post"], Role.LINK_WORKER),
    "referrals:duplicate": (_other_referral_ids, ["post"], Role.LINK_WORKER),
    "referrals:household": (_other_referral_ids, ["post"], Role.LINK_WORKER),
    "referrals:edit": (_other_referral_ids, ["post"], Role.MANAGER),
    "referrals:open_case": (_other_contacted_referral, ["post"], Role.MANAGER),
    "casework:followup_add": (_other_open_case, ["get", "post"], Role.LINK_WORKER),
    "casework:followup_done": (_other_followup, ["post"], Role.LINK_WORKER),
    "casework:close": (_other_open_case, ["get", "post"], Role.LINK_WORKER),
    "casework:reopen": (_other_closed_case, ["post"], Role.LINK_WORKER),
    "casework:detail": (_other_case_record, ["get"], Role.MANAGER),
    "casework:assign": (_other_case_to_assign, ["post"], Role.MANAGER),
    "casework:timeline": (_other_case_record, ["get"], Role.LINK_WORKER),
    "casework:contact_add": (_other_case_record, ["get", "post"], Role.LINK_WORKER),
    "casework:note_add": (_other_case_record, ["get", "post"], Role.LINK_WORKER),
    "casework:move": (_other_case_record, ["get", "post"], Role.LINK_WORKER),
    "casework:family": (_other_case_record, ["get", "post"], Role.LINK_WORKER),
    "core:member_detail": (_other_member, ["get", "post"], Role.MANAGER),
    "core:member_end": (_other_member, ["get", "post"], Role.ADMIN),
    "core:member_two_factor_reset": (_other_member, ["post"], Role.ADMIN),
    "core:api_token_revoke": (_other_users_token, ["post"], Role.LINK_WORKER),
    "api:token_revoke": (_other_users_token, ["delete"], Role.REFERRER),
    "directory:service": (_other_service, ["get"], Role.LINK_WORKER),
    "directory:flag": (_other_service, ["get", "post"], Role.LINK_WORKER),
    "directory:edit": (_other_service, ["get", "post"], Role.MANAGER),
    "directory:verify": (_other_service, ["post"], Role.MANAGER),
    "directory:flag_close": (_other_flag, ["post"], Role.MANAGER),
    "directory:import_detail": (_other_import, ["get"], Role.MANAGER),
    "directory:organization_edit": (_other_organization, ["get", "post"], Role.MANAGER),
    # The open feed has no scheme, but a listing kept out of it must not show there.
    "oruk:service_detail": (_other_service, ["get"], Role.LINK_WORKER),
    "oruk:service_at_location_detail": (_other_service_at_location, ["get"], Role.LINK_WORKER),
    "campaigns:detail": (_other_campaign, ["get"], Role.LINK_WORKER),
    "campaigns:edit": (_other_campaign, ["get", "post"], Role.MANAGER),
    "campaigns:people": (_other_campaign, ["get", "post"], Role.MANAGER),
    "campaigns:callers": (_other_campaign, ["get", "post"], Role.MANAGER),
    "campaigns:finish": (_other_campaign, ["get", "post"], Role.MANAGER),
    "campaigns:call": (_other_call, ["get", "post"], Role.LINK_WORKER),
    "campaigns:call_referral": (_other_call, ["get", "post"], Role.LINK_WORKER),
    "referral_import:detail": (_other_referral_import, ["get", "post"], Role.MANAGER),
    "referral_import:run": (_other_referral_import, ["post"], Role.MANAGER),
    "referral_import:cancel": (_other_referral_import, ["post"], Role.MANAGER),
    "referral_import:rejected": (_other_referral_import, ["get"], Role.MANAGER),
    "resources:edit": (_other_resource, ["get", "post"], Role.MANAGER),
    "resources:retire": (_other_resource, ["post"], Role.MANAGER),
    "resources:restore": (_other_retired_resource, ["post"], Role.MANAGER),
    "resources:file": (_other_resource, ["get"], Role.MANAGER),
    "waiting_room:revoke": (_other_waiting_room_link, ["post"], Role.LINK_WORKER),
    "waiting_room:send": (_other_referral_for_waiting_room, ["post"], Role.LINK_WORKER),
    "waiting_room:pack": (_other_referral_for_waiting_room, ["get"], Role.LINK_WORKER),
    "waiting_room:pack_posted": (_other_referral_for_waiting_room, ["post"], Role.LINK_WORKER),
}
# Patterns with parameters that are not records of a scheme, and why.
NOT_RECORDS = {
    "core:password_reset_confirm": "a signed, expiring link for one user; checked by Django",
    "directory:confirm": "a one-time emailed secret, not a record id (tests/directory)",
    "oruk:taxonomy_detail": "taxonomies are a shared vocabulary, public by design",
    "oruk:taxonomy_term_detail": "taxonomy terms are a shared vocabulary, public by design",
    # Referrals, but reached with API tokens only (a session here answers 401, not 404): the
    # same 404 check runs with tokens in tests/referrals/test_fhir.py.
    "refer:self": "a scheme's public self-referral page, open to anyone by design",
    "refer:done": "the public thank-you page after a self-referral",
    "fhir:service_request": "token-only FHIR read; another scheme's is 404 (test_fhir.py)",
    "fhir:task": "token-only FHIR read; another scheme's is 404 (test_fhir.py)",
    "provider_inbox:link": "a provider's private emailed secret, not a record id "
    "(tests/connections/test_provider_links.py)",
    "api:case_matches": "JSON API: a form post is refused (400) before the lookup; another "
    "scheme's case answers 404 in tests/matching/test_api.py",
    "waiting_room:page": "a person's private secret link, not a record id (test_waiting_room.py)",
    "waiting_room:leaflet": "through a person's secret link; the scheme's own leaflets only",
}
# Django's admin site is for staff operators; non-staff users are sent to its sign-in page
# (checked by test_scheme_users_cannot_use_the_admin_site).
EXEMPT_NAMESPACES = {"admin"}


def _patterns_with_params(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full = f"{namespace}:{ns}".strip(":") if ns else namespace
            yield from _patterns_with_params(entry, full)
        elif isinstance(entry, URLPattern) and entry.pattern.regex.groupindex:
            yield f"{namespace}:{entry.name}".strip(":"), entry


def test_every_url_with_an_id_is_covered():
    found = set()
    for name, _ in _patterns_with_params():
        if name.split(":")[0] in EXEMPT_NAMESPACES:
            continue
        found.add(name)
    uncovered = found - set(OBJECT_URLS) - set(NOT_RECORDS)
    assert not uncovered, f"Add these to OBJECT_URLS in {__file__}: {sorted(uncovered)}"
    assert set(OBJECT_URLS) <= found, "OBJECT_URLS names a pattern that no longer exists"


@pytest.mark.parametrize("name", sorted(OBJECT_URLS))
def test_another_schemes_record_is_404(name, client_as, other_scheme):
    from django.urls import reverse

    make, methods, role = OBJECT_URLS[name]
    client = client_as(role)
    kwargs, state = make(other_scheme)
    before = state()
    url = reverse(name, kwargs=kwargs)
    for method in methods:
        response = getattr(client, method)(url, {"role": "admin"})
        assert response.status_code == 404, f"{method.upper()} {url} gave {response.status_code}"
        assert other_scheme.name.encode() not in response.content
    assert state() == before, "the request changed another scheme's record"


def test_own_schemes_record_is_found(client_as, scheme):
    """The 404s above are about the scheme, not a broken URL."""
    from django.urls import reverse

    client = client_as(Role.ADMIN)
    mine = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    assert client.get(reverse("core:member_detail", args=[mine.pk])).status_code == 200


def test_scheme_users_cannot_use_the_admin_site(client_as, other_scheme):
    client = client_as(Role.ADMIN)
    theirs = MembershipFactory(scheme=other_scheme)
    response = client.get(f"/admin/core/membership/{theirs.pk}/change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("value", ["other", "not-a-uuid", ""])
def test_switching_to_a_scheme_you_are_not_in_is_404(client_as, other_scheme, value):
    client = client_as(Role.MANAGER)
    scheme_id = str(other_scheme.pk) if value == "other" else value
    response = client.post("/scheme/switch/", {"scheme": scheme_id})
    assert response.status_code == 404
    assert client.get("/").context["membership"].scheme_id == client.membership.scheme_id


def test_user_without_membership_sees_no_scheme(db):
    from django.test import Client

    user = UserFactory()
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert "You are not part of a scheme yet" in response.content.decode()
    assert client.get("/team/").status_code == 403
