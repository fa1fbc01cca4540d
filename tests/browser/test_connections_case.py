"""The case's connection pages in the browser: "Refer or signpost" and a connection's page pass
axe-core with and without errors, and a link worker refers a person to two services by
keyboard alone."""

from django.utils import timezone
from playwright.sync_api import expect

from linkwell.casework.models import PlanSupport
from linkwell.connections.models import Connection
from linkwell.connections.states import Status
from linkwell.core.models import Role
from linkwell.directory.models import ReferralRoute
from linkwell.people.models import Consent, ConsentMethod, ConsentScope
from tests.browser.conftest import axe_violations, signed_in
from tests.directory.factories import listed_service
from tests.factories import CaseFactory, MembershipFactory, PersonFactory


def _no_violations(page, where):
    violations = axe_violations(page)
    assert violations == [], f"{where}: {violations}"


def _press_until_focused(page, locator, key="Tab", limit=150):
    handle = locator.element_handle()
    for _ in range(limit):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {locator}")


def _set_up(scheme):
    worker = MembershipFactory(scheme=scheme, role=Role.LINK_WORKER)
    person = PersonFactory(scheme=scheme, given_name="Carol", family_name="Jones")
    Consent.objects.create(
        person=person, scope=ConsentScope.SHARE_PROVIDERS, method=ConsentMethod.VERBAL
    )
    case = CaseFactory(scheme=scheme, person=person, worker=worker.user)
    services = []
    for name in ("Art group", "Walking group"):
        service = listed_service(name=name, referral_route=ReferralRoute.LINKWELL)
        PlanSupport.objects.create(case=case, service=service, decision="chosen")
        services.append(service)
    return worker, case, services


def test_the_pages_pass_axe_with_and_without_errors(page, live_server, scheme):
    worker, case, (art, _) = _set_up(scheme)
    signed_in(page, live_server, worker.user)
    page.goto(f"/cases/{case.pk}/connections/new/")
    _no_violations(page, "refer or signpost")
    page.get_by_label("Offer Art group").check()
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    _no_violations(page, "refer or signpost, with errors")
    page.locator(f"#id_s-{art.pk}-message").fill("Carol would like to paint again")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("supports-offered")).to_be_visible()
    _no_violations(page, "the case record with supports offered")
    page.get_by_test_id("supports-offered").get_by_role("link").first.click()
    _no_violations(page, "a connection's page")
    page.get_by_role("button", name="Withdraw the referral to Art group").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    _no_violations(page, "a connection's page, with errors")
    assert Connection.objects.get(service=art).status == Status.SENT


def test_referring_to_two_services_by_keyboard(page, live_server, scheme):
    worker, case, (art, walk) = _set_up(scheme)
    signed_in(page, live_server, worker.user)
    page.goto(f"/cases/{case.pk}/connections/new/")
    for service, message in ((art, "Loves painting"), (walk, "Mornings are best")):
        box = page.locator(f"#id_s-{service.pk}-include")
        _press_until_focused(page, box)
        page.keyboard.press("Space")
        expect(box).to_be_checked()
        message_box = page.locator(f"#id_s-{service.pk}-message")
        _press_until_focused(page, message_box)
        page.keyboard.type(message)
    _press_until_focused(page, page.get_by_test_id("send"))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("supports-offered")).to_be_visible()
    sent = {c.service.name: c for c in Connection.objects.select_related("service")}
    assert {n: c.status for n, c in sent.items()} == {
        "Art group": Status.SENT,
        "Walking group": Status.SENT,
    }
    assert sent["Walking group"].message == "Mornings are best"


def test_a_message_the_service_never_got_is_seen_and_sent_again_by_keyboard(
    page, live_server, scheme, settings
):
    from linkwell.connections import services as connection_services
    from linkwell.notify.models import OutgoingMessage

    settings.NOTIFY_BACKEND = "memory"
    worker, case, (art, walk) = _set_up(scheme)
    sent = []
    for service in (art, walk):
        offered = connection_services.connection_offer(
            case=case, service=service, kind="referral", by=worker.user
        )
        sent.append(connection_services.connection_send(connection=offered, by=worker.user))
    # Notify refused both: one held a private link (kept nothing of it), one did not.
    link_email = OutgoingMessage.objects.get(about_id=str(sent[0].pk))
    OutgoingMessage.objects.filter(pk=link_email.pk).update(
        status="failed",
        failed_at=timezone.now(),
        attempts=1,
        last_error="email_address Not a valid email address",
        body="",
    )
    note = OutgoingMessage.objects.get(about_id=str(sent[1].pk))
    OutgoingMessage.objects.filter(pk=note.pk).update(
        secret=False,
        status="failed",
        failed_at=timezone.now(),
        attempts=5,
        last_error="GOV.UK Notify did not answer",
    )
    signed_in(page, live_server, worker.user)
    page.goto("/")
    callout = page.get_by_test_id("messages-not-sent")
    expect(callout).to_contain_text("2 messages could not be delivered")
    _no_violations(page, "the dashboard with messages not sent")
    see = callout.get_by_role("link")
    _press_until_focused(page, see)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("not-sent")).to_be_visible()
    _no_violations(page, "messages not sent")
    retry = page.get_by_role("button", name="Try again")
    _press_until_focused(page, retry)
    page.keyboard.press("Enter")
    expect(page.get_by_text("will be sent again")).to_be_visible()
    assert OutgoingMessage.objects.get(pk=note.pk).status == "queued"
    page.goto(f"/cases/{case.pk}/connections/{sent[0].pk}/")
    expect(page.get_by_test_id("message-not-sent")).to_contain_text("Not a valid email address")
    _no_violations(page, "a connection's page with a message not sent")
    tell = page.get_by_role("button", name="Tell the service again")
    _press_until_focused(page, tell)
    page.keyboard.press("Enter")
    expect(page.get_by_text("will be told again")).to_be_visible()
    assert OutgoingMessage.objects.filter(about_id=str(sent[0].pk), status="queued").count() == 1
