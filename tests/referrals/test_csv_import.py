"""CSV import of referrals and proactive lists: reading files, mapping, preview, import."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from linkwell.core.errors import ApplicationError
from linkwell.core.models import LogEntry, Role
from linkwell.people.models import Consent, Person
from linkwell.referrals import csv_import
from linkwell.referrals.models import (
    Campaign,
    CampaignEntry,
    Channel,
    Referral,
    ReferralImport,
)
from tests.factories import PersonFactory

HEADER = "First name,Surname,DOB,NHS number,Phone,Postcode,Reasons,Urgency,Lives alone\n"
GOOD = [
    "Aled,Pritchard,02/04/2003,943 476 5919,07700 900982,RV1 1AA,Mental wellbeing;employment-skills,urgent,no",  # noqa: E501
    "Carol,Hughes,1971-05-09,,07700 900983,RV2 1AA,loneliness|Arts and creativity,,yes",
]


def _file(text, name="list.csv", encoding="utf-8"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def _upload(membership, text, kind="referrals", **kwargs):
    return csv_import.referral_import_upload(
        membership=membership, upload=_file(text, **kwargs.pop("file", {})), kind=kind, **kwargs
    )


def _mapped(membership, text, kind="referrals", columns=None, **kwargs):
    imp = _upload(membership, text, kind=kind, **kwargs)
    return csv_import.referral_import_map(
        membership=membership,
        imp=imp,
        columns=columns or imp.mapping["columns"],
        source_type="gp_practice" if kind == "referrals" else "",
    )


@pytest.fixture
def manager(member):
    return member(Role.MANAGER)


# --- Reading the file -----------------------------------------------------------------------


def test_headers_are_guessed_from_their_names(manager):
    imp = _upload(manager, HEADER + GOOD[0] + "\n")
    assert imp.mapping["columns"] == {
        "given_name": "First name",
        "family_name": "Surname",
        "date_of_birth": "DOB",
        "nhs_number": "NHS number",
        "phone": "Phone",
        "postcode": "Postcode",
        "reasons": "Reasons",
        "urgency": "Urgency",
        "lives_alone": "Lives alone",
    }
    assert imp.row_count == 1 and imp.mapping["encoding"] == "UTF-8"
    assert imp.state == ReferralImport.State.UPLOADED


def test_utf8_with_bom_and_semicolons_are_read(manager):
    imp = _upload(
        manager, "\ufeffFirst name;Last name\nSiân;Öztürk\n", kind="proactive", new_campaign="L"
    )
    assert imp.headers == ["First name", "Last name"]
    assert imp.mapping["encoding"] == "UTF-8"
    good, bad = csv_import.check_rows(imp)
    assert not bad
    assert good[0].person["given_name"] == "Siân"


def test_windows_1252_is_read_and_said(manager):
    imp = _upload(manager, "First name,Last name\nRené,O\u2019Brien\n", file={"encoding": "cp1252"})
    assert imp.mapping["encoding"] == "Windows-1252"
    assert "O\u2019Brien" in imp.content


def test_undecodable_bytes_are_refused(manager):
    # 0x81 is not a character in UTF-8 (alone) nor in Windows-1252.
    with pytest.raises(ApplicationError) as caught:
        _upload(manager, b"First name,Last name\nAnn,B\x81b\n")
    assert caught.value.code == "referral_import.encoding"
    assert not ReferralImport.objects.exists()


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"PK\x03\x04rest-of-a-workbook", "list.csv", "referral_import.not_csv"),
        (b"First name,Last name\x00\x00\n", "list.csv", "referral_import.not_csv"),
        (b"First name,Last name\nAnn,Bee\n", "list.xlsx", "referral_import.file_type"),
        (b"", "list.csv", "referral_import.empty"),
        (b"\n\n  \n", "list.csv", "referral_import.empty"),
        (b"First name,Last name\n", "list.csv", "referral_import.no_rows"),
        (b"Name,Phone,name\nAnn,1,2\n", "list.csv", "referral_import.duplicate_header"),
    ],
)
def test_bad_files_get_a_clear_message_and_nothing_is_kept(manager, data, name, code):
    with pytest.raises(ApplicationError) as caught:
        _upload(manager, data, file={"name": name})
    assert caught.value.code == code
    assert caught.value.fields["upload"][0]
    assert not ReferralImport.objects.exists()


def test_oversized_file_is_refused(manager, monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_BYTES", 100)
    with pytest.raises(ApplicationError) as caught:
        _upload(manager, HEADER + "\n".join(GOOD * 3))
    assert caught.value.code == "referral_import.too_big"
    assert "5 MB" in caught.value.message


def test_a_proactive_list_needs_a_campaign(manager):
    with pytest.raises(ApplicationError) as caught:
        _upload(manager, "First name,Last name\nAnn,Bee\n", kind="proactive")
    assert "campaign" in caught.value.fields
    Campaign.objects.create(scheme=manager.scheme, name="Over 75s")
    with pytest.raises(ApplicationError) as caught:
        _upload(
            manager, "First name,Last name\nAnn,Bee\n", kind="proactive", new_campaign="over 75S"
        )
    assert "already exists" in caught.value.message


# --- Mapping and preview --------------------------------------------------------------------


def test_missing_required_columns_are_named_at_the_mapping(manager):
    imp = _upload(manager, "Forename,Family,Notes\nAnn,Bee,x\n")
    with pytest.raises(ValidationError) as caught:
        csv_import.referral_import_map(
            membership=manager, imp=imp, columns={"given_name": "Forename"}
        )
    assert set(caught.value.message_dict) == {"family_name", "reasons"}
    imp.refresh_from_db()
    assert imp.state == ReferralImport.State.UPLOADED


def test_one_column_cannot_fill_two_fields(manager):
    imp = _upload(manager, "Name,Reasons\nAnn,loneliness\n")
    with pytest.raises(ValidationError) as caught:
        csv_import.referral_import_map(
            membership=manager,
            imp=imp,
            columns={"given_name": "Name", "family_name": "Name", "reasons": "Reasons"},
        )
    assert "already chosen for First name" in caught.value.message_dict["family_name"][0]


def test_preview_lists_each_rows_problems_with_intakes_validators(manager):
    rows = [
        GOOD[0],
        "Bad,Nhs,01/01/1950,943 476 5918,,RV1 1AA,loneliness,,",  # check digit wrong
        "Future,Born,01/01/2990,,,RV1 1AA,loneliness,,",
        ",Nofirst,,,,,loneliness,,",
        "Odd,Reason,,,,,Knitting;loneliness,,",
        "No,Reason,,,,,,,",
        "Bad,Phone,,,12345,,loneliness,,",
        "Bad,Postcode,,,,NOT A POSTCODE,loneliness,,",
        "Bad,Flag,,,,,loneliness,,perhaps",
        "Short,Row,,",
        GOOD[0],  # repeated
    ]
    imp = _mapped(manager, HEADER + "\n".join(rows) + "\n")
    problems = {(p["row"], p["field"]) for p in csv_import.problems_shown(imp)}
    assert problems == {
        (3, "NHS number"),
        (4, "Date of birth"),
        (5, "First name"),
        (6, "Reasons for referral"),
        (7, "Reasons for referral"),
        (8, "Phone"),
        (9, "Postcode"),
        (10, "Lives alone"),
        (11, "Row"),
        (12, "Row"),
    }
    messages = {p["row"]: p["message"] for p in csv_import.problems_shown(imp)}
    assert "Knitting" in messages[6]
    assert "repeats row 2" in messages[12]
    assert "4 cells" in messages[11]
    assert imp.row_count == 11 and len(imp.error_rows) == 10
    assert imp.state == ReferralImport.State.PREVIEWED


def test_preview_shows_the_first_fifty_problems(manager):
    rows = [f"Person{i},,,,,,loneliness,," for i in range(60)]
    imp = _mapped(manager, HEADER + "\n".join(rows))
    assert len(csv_import.problems_shown(imp)) == 50
    assert csv_import.problem_count(imp) == 60


# --- Import -----------------------------------------------------------------------------------


def test_referrals_import_the_good_rows_through_intake(manager):
    rows = [*GOOD, "Bad,Nhs,,943 476 5918,,,loneliness,,"]
    imp = _mapped(manager, HEADER + "\n".join(rows) + "\n")
    imp = csv_import.referral_import_run(membership=manager, imp=imp)

    assert imp.state == ReferralImport.State.IMPORTED
    assert (imp.created_count, imp.matched_count) == (2, 0)
    assert [r["row"] for r in imp.error_rows] == [4]
    assert imp.content == ""
    aled = Referral.objects.get(person__given_name="Aled")
    assert aled.channel == Channel.CSV and aled.urgency == "urgent" and not aled.lives_alone
    assert aled.person.nhs_number == "9434765919" and aled.person.phone == "+447700900982"
    assert sorted(aled.reasons.values_list("code", flat=True)) == [
        "employment-skills",
        "mental-wellbeing",
    ]
    carol = Referral.objects.get(person__given_name="Carol")
    assert carol.lives_alone and carol.person.date_of_birth == date(1971, 5, 9)
    assert sorted(carol.reasons.values_list("code", flat=True)) == ["arts-creativity", "loneliness"]
    assert LogEntry.objects.filter(action="referral.received").count() == 2
    assert LogEntry.objects.filter(action="referral_import.imported").count() == 1


def test_people_are_matched_by_nhs_number_and_by_unique_name_and_birth_date(manager):
    scheme = manager.scheme
    by_nhs = PersonFactory(scheme=scheme, nhs_number="9434765919", given_name="A", family_name="P")
    by_name = PersonFactory(
        scheme=scheme, given_name="Carol", family_name="Hughes", date_of_birth=date(1971, 5, 9)
    )
    imp = _mapped(manager, HEADER + "\n".join(GOOD) + "\n")
    imp = csv_import.referral_import_run(membership=manager, imp=imp)
    assert (imp.created_count, imp.matched_count) == (0, 2)
    assert Person.objects.filter(scheme=scheme).count() == 2
    assert set(Referral.objects.values_list("person_id", flat=True)) == {by_nhs.pk, by_name.pk}


def test_two_people_with_the_same_name_and_birth_date_are_not_guessed_between(manager):
    scheme = manager.scheme
    for _ in range(2):
        PersonFactory(
            scheme=scheme, given_name="Carol", family_name="Hughes", date_of_birth=date(1971, 5, 9)
        )
    imp = _mapped(manager, HEADER + GOOD[1] + "\n")
    imp = csv_import.referral_import_run(membership=manager, imp=imp)
    referral = Referral.objects.get()
    assert referral.person.created_at >= imp.created_at  # a new record, not one of the two
    assert imp.created_count == 1
    if hasattr(Person, "needs_duplicate_check"):
        assert referral.person.needs_duplicate_check
        assert imp.mapping["result"]["flagged"] == 1


def test_a_person_twice_in_the_file_is_created_once(manager):
    second = GOOD[0].replace("urgent", "soon")
    imp = _mapped(manager, HEADER + GOOD[0] + "\n" + second + "\n")
    imp = csv_import.referral_import_run(membership=manager, imp=imp)
    assert (imp.created_count, imp.matched_count) == (1, 1)
    assert Person.objects.count() == 1 and Referral.objects.count() == 2


def test_consent_column_records_consent_given_to_the_referrer(manager):
    text = (
        "First name,Last name,Reasons,Consent to contact\nAnn,Bee,loneliness,yes\nBo,Cee,food,no\n"
    )
    imp = _mapped(manager, text)
    csv_import.referral_import_run(membership=manager, imp=imp)
    consent = Consent.objects.get()
    assert (consent.person.given_name, consent.scope, consent.method) == (
        "Ann",
        "contact",
        "referrer",
    )


def test_a_failure_part_way_leaves_nothing_from_the_file(manager, monkeypatch):
    from linkwell.referrals import services

    real = services.referral_intake
    calls = []

    def failing(request, *, by):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(request, by=by)

    monkeypatch.setattr(services, "referral_intake", failing)
    imp = _mapped(manager, HEADER + "\n".join(GOOD) + "\n")
    with pytest.raises(RuntimeError):
        csv_import.referral_import_run(membership=manager, imp=imp)
    assert len(calls) == 2
    assert not Person.objects.exists() and not Referral.objects.exists()
    imp.refresh_from_db()
    assert imp.state == ReferralImport.State.PREVIEWED


def test_a_row_intake_refuses_is_left_out_and_the_rest_kept(manager, monkeypatch):
    from linkwell.referrals import services

    real = services.referral_intake

    def picky(request, *, by):
        if request.person["given_name"] == "Carol":
            raise ValidationError({"summary": ["Too long."]})
        return real(request, by=by)

    monkeypatch.setattr(services, "referral_intake", picky)
    imp = _mapped(manager, HEADER + "\n".join(GOOD) + "\n")
    imp = csv_import.referral_import_run(membership=manager, imp=imp)
    assert Referral.objects.get().person.given_name == "Aled"
    assert imp.error_rows[0]["row"] == 3
    assert imp.error_rows[0]["problems"] == [["Summary", "Too long."]]


def test_an_import_runs_once(manager):
    imp = _mapped(manager, HEADER + GOOD[0] + "\n")
    csv_import.referral_import_run(membership=manager, imp=imp)
    with pytest.raises(ApplicationError):
        csv_import.referral_import_run(membership=manager, imp=imp)
    assert Referral.objects.count() == 1


def test_rejected_rows_download_with_a_reason_column(manager):
    rows = [GOOD[0], "Bad,Nhs,,943 476 5918,,,loneliness,,"]
    imp = _mapped(manager, HEADER + "\n".join(rows) + "\n")
    imp = csv_import.referral_import_run(membership=manager, imp=imp)
    text = csv_import.rejected_csv(membership=manager, imp=imp)
    lines = text.strip().splitlines()
    assert lines[0] == "Row," + HEADER.strip() + ",Why it was left out"
    assert lines[1].startswith("3,Bad,Nhs,,943 476 5918,")
    assert "NHS number: This NHS number is not valid" in lines[1]
    assert LogEntry.objects.filter(action="referral_import.rejected_downloaded").exists()


def test_rejected_rows_never_carry_a_live_spreadsheet_formula(manager):
    rows = [GOOD[0], '=HYPERLINK("http://evil.example"),Nhs,,943 476 5918,,,loneliness,,']
    imp = _mapped(manager, HEADER + "\n".join(rows) + "\n")
    imp = csv_import.referral_import_run(membership=manager, imp=imp)
    text = csv_import.rejected_csv(membership=manager, imp=imp)
    assert "3,\"'=HYPERLINK(" in text
    assert ",=HYPERLINK" not in text and ',"=HYPERLINK' not in text


def test_proactive_list_puts_people_on_a_new_campaign(manager):
    known = PersonFactory(scheme=manager.scheme, nhs_number="9434765919")
    text = (
        "First name,Last name,Date of birth,NHS number,Phone,Reason on list\n"
        "Aled,Pritchard,,943 476 5919,,Lives alone\n"
        "Edna,Lumb,1/2/1940,,01632 960100,Over 75\n"
        "Edna,Lumb,1940-02-01,,01632 960100,Over 75 again\n"  # the same person: listed once
    )
    imp = _mapped(manager, text, kind="proactive", new_campaign="Over 75s")
    assert not Campaign.objects.exists()  # made when the import runs
    imp = csv_import.referral_import_run(membership=manager, imp=imp)
    campaign = Campaign.objects.get(name="Over 75s")
    assert imp.campaign == campaign
    entries = CampaignEntry.objects.filter(campaign=campaign)
    assert entries.count() == 2
    assert entries.filter(person=known, note="Lives alone").exists()
    assert not Referral.objects.exists()
    assert (imp.created_count, imp.matched_count) == (1, 2)
    assert imp.mapping["result"]["already_listed"] == 1


def test_proactive_list_into_an_existing_campaign(manager):
    campaign = Campaign.objects.create(scheme=manager.scheme, name="Shielding")
    imp = _mapped(manager, "First name,Last name\nAnn,Bee\n", kind="proactive", campaign=campaign)
    csv_import.referral_import_run(membership=manager, imp=imp)
    assert CampaignEntry.objects.get().campaign == campaign


def test_cancel_keeps_nothing(manager):
    imp = _upload(manager, HEADER + GOOD[0] + "\n")
    imp = csv_import.referral_import_cancel(membership=manager, imp=imp)
    assert imp.content == "" and imp.state == ReferralImport.State.CANCELLED
    with pytest.raises(ApplicationError):
        csv_import.referral_import_run(membership=manager, imp=imp)


def test_the_sample_file_imports_cleanly(manager):
    from linkwell.referrals.views_import import SAMPLE

    imp = csv_import.referral_import_upload(
        membership=manager,
        upload=_file(SAMPLE.read_bytes(), name=SAMPLE.name),
        kind="proactive",
        new_campaign="Over 75s",
    )
    assert {"given_name", "family_name", "date_of_birth", "nhs_number", "phone", "note"} <= set(
        imp.mapping["columns"]
    )
    imp = csv_import.referral_import_map(
        membership=manager, imp=imp, columns=imp.mapping["columns"]
    )
    assert imp.row_count == 40 and imp.error_rows == []
    imp = csv_import.referral_import_run(membership=manager, imp=imp)
    assert CampaignEntry.objects.count() == 40


def test_import_queries_do_not_grow_per_row_beyond_intake(manager):
    """Preloading: matching and reasons cost no query per row outside intake's own."""

    def queries(n):
        rows = [f"P{i},Q{i},01/01/1950,,,,loneliness,," for i in range(n)]
        imp = _mapped(manager, HEADER + "\n".join(rows) + "\n")
        with CaptureQueriesContext(connection) as captured:
            csv_import.referral_import_run(membership=manager, imp=imp)
        return len(captured.captured_queries)

    small, large = queries(5), queries(25)
    per_row = (large - small) / 20
    # Checking the mapping and the rows is constant: the growth is intake's own writes.
    from linkwell.referrals.services import IntakeRequest, referral_intake

    with CaptureQueriesContext(connection) as one:
        referral_intake(
            IntakeRequest(
                scheme=manager.scheme,
                channel=Channel.CSV,
                source_type="gp_practice",
                person={
                    "given_name": "Solo",
                    "family_name": "Row",
                    "date_of_birth": date(1950, 1, 1),
                },
                reasons=["loneliness"],
            ),
            by=manager.user,
        )
    assert per_row <= len(one.captured_queries) + 2  # + the savepoint around each row


def test_a_failed_background_import_says_so_and_stores_nothing(manager, monkeypatch):
    from linkwell.referrals import services

    def broken(request, *, by):
        raise RuntimeError("disk full")

    imp = _mapped(manager, HEADER + "\n".join(GOOD) + "\n")
    csv_import.referral_import_queue(membership=manager, imp=imp)
    with pytest.raises(ApplicationError):
        csv_import.referral_import_queue(membership=manager, imp=imp)  # not twice
    monkeypatch.setattr(services, "referral_intake", broken)
    with pytest.raises(RuntimeError):
        csv_import.referral_import_execute(import_id=imp.pk, membership_id=manager.pk)
    imp.refresh_from_db()
    assert imp.state == ReferralImport.State.PREVIEWED and not imp.mapping["queued"]
    assert "nothing from the file was stored" in imp.mapping["failed"]
    assert not Person.objects.exists()
    # It can be tried again.
    monkeypatch.undo()
    csv_import.referral_import_queue(membership=manager, imp=imp)
    imp = csv_import.referral_import_execute(import_id=imp.pk, membership_id=manager.pk)
    assert imp.state == ReferralImport.State.IMPORTED and Referral.objects.count() == 2


# --- Pages ------------------------------------------------------------------------------------


def test_the_whole_flow_through_the_pages(client_as, django_capture_on_commit_callbacks):
    client = client_as(Role.MANAGER)
    response = client.get("/referrals/import/")
    assert response.status_code == 200
    response = client.post(
        "/referrals/import/",
        {"upload": _file(HEADER + "\n".join(GOOD) + "\n"), "kind": "referrals"},
    )
    assert response.status_code == 302
    imp = ReferralImport.objects.get()
    page = client.get(response["Location"])
    assert page.templates[0].name == "referrals/import_map.html"
    assert page.context["form"]["family_name"].value() == "Surname"
    data = dict(imp.mapping["columns"], default_source_type="self")
    response = client.post(f"/referrals/import/{imp.pk}/", data)
    assert response.status_code == 302
    page = client.get(f"/referrals/import/{imp.pk}/")
    assert page.templates[0].name == "referrals/import_preview.html"
    assert "Import 2 rows" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/referrals/import/{imp.pk}/import/")
    assert response.status_code == 302
    assert len(callbacks) == 1  # the task is queued once the request's transaction commits
    running = client.get(f"/referrals/import/{imp.pk}/")
    assert running.templates[0].name == "referrals/import_running.html"
    assert not Referral.objects.exists()
    # The worker's side.
    csv_import.referral_import_execute(import_id=imp.pk, membership_id=client.membership.pk)
    assert list(Referral.objects.values_list("source_type", flat=True)) == ["self", "self"]
    page = client.get(f"/referrals/import/{imp.pk}/")
    assert page.templates[0].name == "referrals/import_result.html"
    listing = client.get("/referrals/import/")
    assert "list.csv" in listing.content.decode()


def test_upload_errors_show_at_the_field(client_as):
    client = client_as(Role.MANAGER)
    response = client.post(
        "/referrals/import/", {"upload": _file(b"\x00\x01binary"), "kind": "referrals"}
    )
    assert response.status_code == 200
    assert "not a text file" in response.context["form"].errors["upload"][0]


def test_mapping_errors_show_at_the_select(client_as):
    client = client_as(Role.MANAGER)
    imp = _upload(client.membership, "Forename,Family\nAnn,Bee\n")
    response = client.post(f"/referrals/import/{imp.pk}/", {"given_name": "Forename"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "last name" in errors["family_name"][0] and "reasons" in errors["reasons"][0]


def test_rejected_download_page(client_as):
    client = client_as(Role.MANAGER)
    imp = _mapped(client.membership, HEADER + "Bad,Nhs,,943 476 5918,,,loneliness,,\n")
    response = client.get(f"/referrals/import/{imp.pk}/rejected.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert b"Why it was left out" in response.content


def test_sample_download(client_as):
    response = client_as(Role.ADMIN).get("/referrals/import/sample.csv")
    assert response.status_code == 200
    assert b"First name" in b"".join(response.streaming_content)


def test_imports_list_query_count_is_constant(client_as, django_assert_max_num_queries):
    client = client_as(Role.MANAGER)
    for _ in range(3):
        _upload(client.membership, HEADER + GOOD[0] + "\n")
    with CaptureQueriesContext(connection) as few:
        client.get("/referrals/import/")
    for _ in range(6):
        _upload(client.membership, HEADER + GOOD[0] + "\n")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/referrals/import/").content.decode()
    # Each import says who made it, by name.
    assert f"by {escape(client.membership.user.full_name)}" in page


def test_old_uploads_are_purged_and_old_rejected_rows_forgotten(manager):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    abandoned = _mapped(manager, HEADER + GOOD[0] + "\n")
    rows = [GOOD[0], "Bad,Nhs,,943 476 5918,,,loneliness,,"]
    imported = csv_import.referral_import_run(
        membership=manager, imp=_mapped(manager, HEADER + "\n".join(rows) + "\n")
    )
    fresh = _mapped(manager, HEADER + GOOD[0] + "\n")
    old = timezone.now() - timedelta(days=15)
    ReferralImport.objects.filter(pk__in=[abandoned.pk, imported.pk]).update(created_at=old)

    call_command("purge_referral_imports", "--days", "14")

    assert not ReferralImport.objects.filter(pk=abandoned.pk).exists()
    assert ReferralImport.objects.filter(pk=fresh.pk).exists()
    imported.refresh_from_db()
    assert imported.error_rows[0]["cells"] == []
    assert imported.error_rows[0]["problems"]
    assert Referral.objects.count() == 1
    assert LogEntry.objects.filter(action="referral_import.purged").count() == 1
