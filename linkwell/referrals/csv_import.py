"""CSV import of referrals and of proactive call lists: upload, map the columns, preview every
row's problems, then import the good rows.

The steps, each a service here and a page in `views_import.py`:

1. `referral_import_upload`: the file is checked (size, type, encoding, header row) and its text
   kept on a `ReferralImport`, with a first guess at which column holds which field.
2. `referral_import_map`: the user's column choices are checked (first and last name, and for
   referrals a reasons column, are required) and every row is validated with the validators
   intake uses (`clean_person_fields`; reasons resolved against the need-area terms). Rows with
   problems are kept, with their cells, for the preview and the rejected-rows download.
3. `referral_import_run`: the good rows are imported in one transaction (the file is the batch:
   a failure part-way leaves nothing from the file). Referrals go through `referral_intake`
   (channel CSV); proactive lists make or match a person and put them on the campaign. A row
   the services refuse at this point joins the rejected rows; the others are kept.

`ReferralImport.mapping` holds {"columns": {field: header}, "source_type": default source,
"encoding": how the file was read, "delimiter": ..., "new_campaign": name, "result": {...}}.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_tasks import task

from linkwell.core.audit import ACTIONS, log_action
from linkwell.core.errors import ApplicationError
from linkwell.core.models import Membership, Site
from linkwell.core.permissions import Perm, require
from linkwell.directory.models import TaxonomyTerm
from linkwell.directory.taxonomy import NEED_AREAS_ID
from linkwell.people.models import ConsentMethod, ConsentScope, Person
from linkwell.people.services import clean_person_fields, person_create, person_update
from linkwell.referrals.models import (
    Campaign,
    CampaignEntry,
    Channel,
    ReferralImport,
    SourceType,
    Urgency,
)

ACTIONS.update(
    {
        "referral_import.purged": "Deleted a CSV upload nobody imported (after the keeping period)",
        "referral_import.uploaded": "Uploaded a CSV file to import",
        "referral_import.checked": "Checked a CSV import's rows",
        "referral_import.queued": "Started importing a CSV file",
        "referral_import.imported": "Imported a CSV file",
        "referral_import.failed": "A CSV import failed; nothing from it was stored",
        "referral_import.cancelled": "Cancelled a CSV import",
        "referral_import.rejected_downloaded": "Downloaded a CSV import's rejected rows",
    }
)
ACTIONS.setdefault("campaign.created", "Created a proactive call list")
ACTIONS.setdefault("campaign.entry_added", "Added a person to a proactive call list")

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
PROBLEMS_SHOWN = 50
Kind = ReferralImport.Kind


# --- The fields a column can fill ---------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A Linkwell field a CSV column can fill, and header names that suggest it."""

    key: str
    label: str
    group: str
    kinds: tuple[str, ...]
    guesses: tuple[str, ...] = ()
    hint: str = ""


BOTH = (Kind.REFERRALS, Kind.PROACTIVE)
REFERRALS_ONLY = (Kind.REFERRALS,)
REASON_KEYS = ("reasons", "reasons_2", "reasons_3")
BOOLEAN_KEYS = ("lives_alone", "safeguarding_concern", "recent_bereavement", "consent_contact")

TARGETS: tuple[Target, ...] = (
    Target(
        "given_name",
        "First name",
        "person",
        BOTH,
        ("firstname", "forename", "forenames", "givenname", "first"),
    ),
    Target(
        "family_name", "Last name", "person", BOTH, ("lastname", "surname", "familyname", "last")
    ),
    Target("preferred_name", "Preferred name", "person", BOTH, ("preferredname", "knownas")),
    Target(
        "date_of_birth",
        "Date of birth",
        "person",
        BOTH,
        ("dateofbirth", "dob", "birthdate", "born"),
        "Like 31/12/1948 or 1948-12-31.",
    ),
    Target("gender", "Gender", "person", BOTH, ("gender", "sex")),
    Target("nhs_number", "NHS number", "person", BOTH, ("nhsnumber", "nhsno", "nhs")),
    Target(
        "address_line_1",
        "Address line 1",
        "person",
        BOTH,
        ("addressline1", "address1", "address", "street"),
    ),
    Target("address_line_2", "Address line 2", "person", BOTH, ("addressline2", "address2")),
    Target("town", "Town or city", "person", BOTH, ("town", "city", "towncity", "townorcity")),
    Target("postcode", "Postcode", "person", BOTH, ("postcode", "postalcode", "post code")),
    Target(
        "phone",
        "Phone",
        "person",
        BOTH,
        ("phone", "telephone", "phonenumber", "mobile", "mobilenumber", "tel", "telephonenumber"),
    ),
    Target(
        "phone_other",
        "Other phone",
        "person",
        BOTH,
        ("otherphone", "phone2", "landline", "homephone", "alternativephone"),
    ),
    Target("email", "Email address", "person", BOTH, ("email", "emailaddress")),
    Target(
        "gp_practice",
        "GP practice",
        "person",
        BOTH,
        ("gppractice", "practice", "gp", "surgery", "registeredpractice"),
    ),
    Target(
        "language",
        "Main language",
        "person",
        BOTH,
        ("language", "mainlanguage", "preferredlanguage"),
    ),
    Target(
        "reasons",
        "Reasons for referral",
        "referral",
        REFERRALS_ONLY,
        ("reasons", "reason", "needs", "needareas", "reasonforreferral", "reasonsforreferral"),
        "Need areas by name or code, several separated by ; or |.",
    ),
    Target(
        "reasons_2",
        "More reasons (a second column)",
        "referral",
        REFERRALS_ONLY,
        ("reasons2", "reason2", "needs2"),
    ),
    Target(
        "reasons_3",
        "More reasons (a third column)",
        "referral",
        REFERRALS_ONLY,
        ("reasons3", "reason3", "needs3"),
    ),
    Target(
        "urgency",
        "Urgency",
        "referral",
        REFERRALS_ONLY,
        ("urgency", "priority"),
        "Routine, soon or urgent. Blank means routine.",
    ),
    Target(
        "source_type",
        "Where the referral came from",
        "referral",
        REFERRALS_ONLY,
        ("source", "sourcetype", "referralsource", "referredfrom"),
    ),
    Target(
        "received_at",
        "Date received",
        "referral",
        REFERRALS_ONLY,
        ("datereceived", "received", "referraldate", "datereferred", "datereferral"),
    ),
    Target(
        "referrer_name",
        "Referrer's name",
        "referral",
        REFERRALS_ONLY,
        ("referrer", "referrername", "referredby"),
    ),
    Target(
        "referrer_organisation",
        "Referrer's organisation",
        "referral",
        REFERRALS_ONLY,
        (
            "referrerorganisation",
            "referrerorganization",
            "referringorganisation",
            "organisation",
            "organization",
        ),
    ),
    Target(
        "referrer_email",
        "Referrer's email address",
        "referral",
        REFERRALS_ONLY,
        ("referreremail", "referreremailaddress"),
    ),
    Target(
        "referrer_phone",
        "Referrer's phone",
        "referral",
        REFERRALS_ONLY,
        ("referrerphone", "referrertelephone"),
    ),
    Target(
        "summary",
        "Summary",
        "referral",
        REFERRALS_ONLY,
        ("summary", "details", "notes", "note", "comments"),
    ),
    Target("lives_alone", "Lives alone", "referral", REFERRALS_ONLY, ("livesalone",), "Yes or no."),
    Target(
        "safeguarding_concern",
        "Safeguarding concern",
        "referral",
        REFERRALS_ONLY,
        ("safeguarding", "safeguardingconcern"),
        "Yes or no.",
    ),
    Target(
        "recent_bereavement",
        "Recent bereavement",
        "referral",
        REFERRALS_ONLY,
        ("recentbereavement", "bereaved", "recentlybereaved"),
        "Yes or no.",
    ),
    Target(
        "consent_contact",
        "Agreed to be contacted",
        "referral",
        REFERRALS_ONLY,
        ("consent", "consenttocontact", "consentcontact", "consenttobecontacted"),
        "Yes or no: recorded as consent given to the referrer.",
    ),
    Target(
        "note",
        "Why they are on the list",
        "campaign",
        (Kind.PROACTIVE,),
        ("note", "notes", "reason", "reasononlist", "reasonforcall", "why", "comments"),
    ),
)
TARGET_BY_KEY = {t.key: t for t in TARGETS}
GROUPS = {
    "person": "About the person",
    "referral": "About the referral",
    "campaign": "About the call",
}


def targets_for(kind: str) -> list[Target]:
    return [t for t in TARGETS if kind in t.kinds]


def _squash(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def guess_mapping(headers: list[str], kind: str) -> dict[str, str]:
    """A first guess from the header names: each field the first header that suggests it,
    each header used once."""
    squashed = {h: _squash(h) for h in headers}
    used: set[str] = set()
    mapping: dict[str, str] = {}
    for target in targets_for(kind):
        guesses = {_squash(g) for g in target.guesses}
        for header in headers:
            if header not in used and squashed[header] in guesses:
                mapping[target.key] = header
                used.add(header)
                break
    return mapping


# --- Reading the file ---------------------------------------------------------------------


def _upload_error(message: str, code: str) -> ApplicationError:
    return ApplicationError(f"referral_import.{code}", message, fields={"upload": [message]})


_BINARY_SIGNATURES = {
    b"PK\x03\x04": "This is an Excel workbook or a zip file, not a CSV file. In Excel, choose "
    "File, Save as, and 'CSV UTF-8', then upload that file.",
    b"\xd0\xcf\x11\xe0": "This is an old Excel (.xls) or Word file, not a CSV file. Save it as "
    "'CSV UTF-8' and upload that file.",
    b"%PDF": "This is a PDF, not a CSV file.",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode(raw: bytes) -> tuple[str, str]:
    """The file's text and how it was read: UTF-8 (with or without a byte-order mark), UTF-16
    with a byte-order mark (Excel's 'Unicode text'), or Windows-1252 when the bytes are not
    UTF-8 but every one of them is a Windows-1252 character (older Excel 'CSV' saves).
    Anything else is refused: guessing would store misspelt names."""
    for signature, message in _BINARY_SIGNATURES.items():
        if raw.startswith(signature):
            raise _upload_error(message, "not_csv")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, encoding = raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise _upload_error(
                "The file says it is UTF-16 but is not: save it as 'CSV UTF-8' and upload again.",
                "encoding",
            ) from None
    elif b"\x00" in raw:
        raise _upload_error(
            "This is not a text file. Upload a CSV file (in Excel: File, Save as, 'CSV UTF-8').",
            "not_csv",
        )
    else:
        try:
            text, encoding = raw.decode("utf-8-sig"), "UTF-8"
        except UnicodeDecodeError:
            try:
                text, encoding = raw.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError:
                raise _upload_error(
                    "The file's characters could not be read: it is neither UTF-8 nor "
                    "Windows-1252. Save it as 'CSV UTF-8' and upload again.",
                    "encoding",
                ) from None
    text = text.lstrip("\ufeff")
    if _CONTROL.search(text[:65536]):
        raise _upload_error(
            "This does not look like a CSV file: it holds characters that text files do not.",
            "not_csv",
        )
    return text, encoding


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as a spreadsheet shows it, cells)
    delimiter: str


def read_table(text: str, delimiter: str | None = None) -> Table:
    """Split the text into a header row and data rows. Row 1 is the header; blank rows are
    skipped but counted, so row numbers are the ones a spreadsheet shows."""
    delimiter = delimiter or _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        number, header_cells = 1, next(reader, None)
        while header_cells is not None and not any(c.strip() for c in header_cells):
            number, header_cells = number + 1, next(reader, None)
        if header_cells is None:
            raise _upload_error("The file is empty.", "empty")
        headers = [c.strip() or f"Column {i}" for i, c in enumerate(header_cells, start=1)]
        rows = []
        for row_number, cells in enumerate(reader, start=number + 1):
            if any(c.strip() for c in cells):
                rows.append((row_number, cells))
    except csv.Error as error:
        raise _upload_error(
            f"The file could not be read as CSV near row {reader.line_num}: {error}.", "not_csv"
        ) from None
    return Table(headers=headers, rows=rows, delimiter=delimiter)


def _check_headers(headers: list[str]) -> None:
    seen: dict[str, int] = {}
    for position, header in enumerate(headers, start=1):
        key = header.casefold()
        if key in seen:
            raise _upload_error(
                f"Columns {seen[key]} and {position} are both called '{header}'. Give each "
                "column its own name and upload the file again.",
                "duplicate_header",
            )
        seen[key] = position


# --- Values ---------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_UK_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})$")
_WORD_DATE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[ \-]([A-Za-z]+)[ \-,]+(\d{2,4})$")
DATE_HELP = "Enter a date like 31/12/1948 or 1948-12-31."


def parse_date(text: str) -> date | None:
    """A date as UK spreadsheets write it (day first), or ISO; blank is None."""
    text = text.strip()
    if not text:
        return None
    if match := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK_DATE.match(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _WORD_DATE.match(text):
        day, year = int(match.group(1)), int(match.group(3))
        month = _MONTHS.get(match.group(2).lower())
        if month is None:
            raise ValueError(DATE_HELP)
    else:
        raise ValueError(DATE_HELP)
    if year < 100:
        raise ValueError("Write the year in full, like 1948, not 48.")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"'{text}' is not a real date. {DATE_HELP}") from None


_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0", ""}


def parse_yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError("Enter yes or no.")


def _choice_lookup(choices, synonyms: dict[str, str]) -> dict[str, str]:
    lookup = dict(synonyms)
    for value, label in choices:
        lookup[value.lower()] = value
        lookup[str(label).lower()] = value
        lookup[str(label).split(" (")[0].lower()] = value
        lookup[value.replace("_", " ")] = value
    return lookup


SOURCE_LOOKUP = _choice_lookup(
    SourceType.choices,
    {
        "gp": SourceType.GP_PRACTICE,
        "gp surgery": SourceType.GP_PRACTICE,
        "practice": SourceType.GP_PRACTICE,
        "self": SourceType.SELF,
        "self referral": SourceType.SELF,
        "vcse": SourceType.VCSE,
        "voluntary": SourceType.VCSE,
        "charity": SourceType.VCSE,
        "proactive": SourceType.PROACTIVE,
    },
)
URGENCY_LOOKUP = _choice_lookup(Urgency.choices, {"normal": Urgency.ROUTINE})


class ReasonLookup:
    """Need-area terms, loaded once, found by code or by name (any case)."""

    def __init__(self):
        self.codes: dict[str, str] = {}
        for code, name in TaxonomyTerm.objects.filter(taxonomy_id=NEED_AREAS_ID).values_list(
            "code", "name"
        ):
            self.codes[code.lower()] = code
            self.codes[name.lower()] = code
            self.codes[name.lower().replace(" and ", " & ")] = code

    def resolve(self, text: str) -> tuple[list[str], list[str]]:
        """(codes found, values not known) for one cell."""
        found, unknown = [], []
        for part in re.split(r"[;|]", text):
            part = part.strip()
            if not part:
                continue
            code = self.codes.get(part.lower())
            if code is None:
                unknown.append(part)
            elif code not in found:
                found.append(code)
        return found, unknown


# --- Validating rows ------------------------------------------------------------------------

_PERSON_KEYS = [t.key for t in TARGETS if t.group == "person"]
_MAX_LENGTHS = {
    key: Person._meta.get_field(key).max_length
    for key in _PERSON_KEYS
    if getattr(Person._meta.get_field(key), "max_length", None)
}
_NORMALISED = {"nhs_number", "phone", "phone_other", "postcode"}
_REFERRAL_LENGTHS = {
    "referrer_name": 150,
    "referrer_organisation": 200,
    "referrer_email": 254,
    "note": 500,
}


@dataclass
class Row:
    """One data row: its cells, what they mean once checked, and any problems."""

    number: int
    cells: list[str]
    person: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)

    def problem(self, key: str, message: str) -> None:
        label = TARGET_BY_KEY[key].label if key in TARGET_BY_KEY else key
        self.problems.append((label, message))


class Checker:
    """Checks rows against the mapping, with everything it needs loaded once."""

    def __init__(self, *, headers: list[str], mapping: dict, kind: str):
        self.kind = kind
        self.width = len(headers)
        columns = mapping.get("columns", {})
        position = {h: i for i, h in enumerate(headers)}
        self.columns = {
            key: position[header]
            for key, header in columns.items()
            if header in position and key in TARGET_BY_KEY and kind in TARGET_BY_KEY[key].kinds
        }
        self.default_source = mapping.get("source_type") or SourceType.GP_PRACTICE
        self.reasons = ReasonLookup() if kind == Kind.REFERRALS else None
        self.today = timezone.localdate()
        self.seen: dict[tuple, int] = {}

    def cell(self, row: Row, key: str) -> str:
        index = self.columns.get(key)
        if index is None or index >= len(row.cells):
            return ""
        return row.cells[index].strip()

    def check(self, number: int, cells: list[str]) -> Row:
        row = Row(number=number, cells=cells)
        if len(cells) != self.width:
            row.problem(
                "Row",
                f"This row has {len(cells)} cells but the header row has {self.width} columns: "
                "check for a missing or extra comma.",
            )
            return row
        key = tuple(c.strip() for c in cells)
        if key in self.seen:
            row.problem("Row", f"This row repeats row {self.seen[key]}, so it is left out.")
            return row
        self.seen[key] = number
        self._check_person(row)
        if self.kind == Kind.REFERRALS:
            self._check_referral(row)
        else:
            row.values["note"] = self.cell(row, "note")
            self._check_length(row, "note", row.values["note"], _REFERRAL_LENGTHS["note"])
        return row

    def _check_length(self, row: Row, key: str, value: str, limit: int) -> None:
        if len(value) > limit:
            row.problem(key, f"This is longer than {limit} characters.")

    def _check_person(self, row: Row) -> None:
        person: dict = {}
        for key in _PERSON_KEYS:
            if key in self.columns:
                person[key] = self.cell(row, key)
        for key, message in (
            ("given_name", "Enter the person's first name."),
            ("family_name", "Enter the person's last name."),
        ):
            if not person.get(key):
                row.problem(key, message)
        if "date_of_birth" in person:
            try:
                person["date_of_birth"] = parse_date(person["date_of_birth"])
            except ValueError as error:
                row.problem("date_of_birth", str(error))
                del person["date_of_birth"]
        for key, limit in _MAX_LENGTHS.items():
            # Numbers and postcodes are checked (and shortened) by their normalisers.
            if key in _NORMALISED or not isinstance(person.get(key), str):
                continue
            if key in person:
                self._check_length(row, key, person[key], limit)
        if person.get("email"):
            try:
                validate_email(person["email"])
            except ValidationError:
                row.problem("email", "Enter an email address like name@example.com.")
        try:
            person = clean_person_fields(person)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                for message in messages:
                    row.problem(key, message)
        if not person.get("language"):
            person.pop("language", None)
        row.person = person

    def _check_referral(self, row: Row) -> None:
        values = row.values
        codes: list[str] = []
        for key in REASON_KEYS:
            found, unknown = self.reasons.resolve(self.cell(row, key))
            codes += [c for c in found if c not in codes]
            if unknown:
                row.problem(
                    key,
                    f"Unknown reason: {', '.join(unknown)}. Use the need areas' names or codes.",
                )
        if not codes and not any(
            p[0].startswith(("Reasons", "More reasons")) for p in row.problems
        ):
            row.problem("reasons", "Give at least one reason for the referral.")
        values["reasons"] = codes
        for key, lookup, default, message in (
            ("urgency", URGENCY_LOOKUP, Urgency.ROUTINE, "Enter routine, soon or urgent."),
            (
                "source_type",
                SOURCE_LOOKUP,
                self.default_source,
                "Enter a source like GP practice, council, school, VCSE or self-referral.",
            ),
        ):
            text = self.cell(row, key)
            if not text:
                values[key] = default
            elif text.lower() in lookup:
                values[key] = lookup[text.lower()]
            else:
                row.problem(key, message)
        for key in BOOLEAN_KEYS:
            try:
                values[key] = parse_yes_no(self.cell(row, key))
            except ValueError as error:
                row.problem(key, str(error))
        for key, limit in _REFERRAL_LENGTHS.items():
            if key == "note":
                continue
            values[key] = self.cell(row, key)
            self._check_length(row, key, values[key], limit)
        values["summary"] = self.cell(row, "summary")
        if values["referrer_email"]:
            try:
                validate_email(values["referrer_email"])
            except ValidationError:
                row.problem("referrer_email", "Enter an email address like name@example.com.")
        values["referrer_phone"] = self.cell(row, "referrer_phone")
        if values["referrer_phone"]:
            try:
                values["referrer_phone"] = clean_person_fields({"phone": values["referrer_phone"]})[
                    "phone"
                ]
            except ValidationError as error:
                for message in error.message_dict["phone"]:
                    row.problem("referrer_phone", message)
        try:
            received = parse_date(self.cell(row, "received_at"))
        except ValueError as error:
            row.problem("received_at", str(error))
            received = None
        if received and received > self.today:
            row.problem("received_at", "The date received cannot be in the future.")
        values["received_at"] = received


def check_rows(imp: ReferralImport) -> tuple[list[Row], list[Row]]:
    """Every data row checked against the import's mapping: (good rows, rows with problems)."""
    table = read_table(imp.content, imp.mapping.get("delimiter"))
    checker = Checker(headers=imp.headers, mapping=imp.mapping, kind=imp.kind)
    good, bad = [], []
    for number, cells in table.rows:
        row = checker.check(number, cells)
        (bad if row.problems else good).append(row)
    return good, bad


def _stored(row: Row) -> dict:
    return {"row": row.number, "cells": row.cells, "problems": [list(p) for p in row.problems]}


# --- Selectors ------------------------------------------------------------------------------


def imports_for(membership: Membership) -> QuerySet[ReferralImport]:
    require(membership, Perm.REFERRAL_IMPORT)
    return (
        ReferralImport.objects.filter(scheme=membership.scheme)
        .select_related("created_by", "campaign")
        .defer("content", "error_rows")
    )


def import_get(*, membership: Membership, import_id) -> ReferralImport:
    """One of the scheme's imports (another scheme's is 404)."""
    require(membership, Perm.REFERRAL_IMPORT)
    return get_object_or_404(
        ReferralImport.objects.select_related("campaign", "site", "created_by"),
        pk=import_id,
        scheme=membership.scheme,
    )


def campaigns_for(membership: Membership) -> QuerySet[Campaign]:
    return Campaign.objects.filter(scheme=membership.scheme, state=Campaign.State.ACTIVE).order_by(
        "name"
    )


def problems_shown(imp: ReferralImport, limit: int = PROBLEMS_SHOWN) -> list[dict]:
    """The first problems, one per line: row number, field, message."""
    shown: list[dict] = []
    for stored in imp.error_rows:
        for label, message in stored["problems"]:
            if len(shown) == limit:
                return shown
            shown.append({"row": stored["row"], "field": label, "message": message})
    return shown


def problem_count(imp: ReferralImport) -> int:
    return sum(len(stored["problems"]) for stored in imp.error_rows)


# --- Services -------------------------------------------------------------------------------


def _check_state(imp: ReferralImport, *states: str) -> None:
    if imp.state not in states:
        raise ApplicationError(
            "referral_import.state",
            f"This import is already {imp.get_state_display().split(':')[0].lower()}.",
        )


def _check_not_queued(imp: ReferralImport) -> None:
    if imp.mapping.get("queued"):
        raise ApplicationError(
            "referral_import.queued", "This import is running: wait for it to finish."
        )


@transaction.atomic
def referral_import_upload(
    *,
    membership: Membership,
    upload,
    kind: str,
    campaign: Campaign | None = None,
    new_campaign: str = "",
    site: Site | None = None,
) -> ReferralImport:
    """Check the uploaded file and keep its text, ready for the columns to be chosen."""
    require(membership, Perm.REFERRAL_IMPORT)
    if kind not in Kind.values:
        raise ApplicationError(
            "referral_import.kind",
            "Choose what the file holds.",
            fields={"kind": ["Choose what the file holds."]},
        )
    new_campaign = (new_campaign or "").strip()
    if kind == Kind.PROACTIVE:
        _check_campaign_choice(membership, campaign, new_campaign)
    else:
        campaign, new_campaign = None, ""
    if site is not None and site.scheme_id != membership.scheme_id:
        raise ApplicationError("referral_import.site", "Choose one of this scheme's sites.")
    name = upload.name or "upload.csv"
    if not name.lower().endswith(".csv"):
        raise _upload_error(
            "The file must be a CSV file (its name ending .csv). In Excel, choose File, Save as, "
            "and 'CSV UTF-8'.",
            "file_type",
        )
    if upload.size > MAX_BYTES:
        raise _upload_error(
            f"The file is {upload.size / 1024 / 1024:.1f} MB: it must be 5 MB or smaller. "
            "Split it into smaller files.",
            "too_big",
        )
    raw = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise _upload_error("The file must be 5 MB or smaller.", "too_big")
    if not raw.strip():
        raise _upload_error("The file is empty.", "empty")
    text, encoding = decode(raw)
    table = read_table(text)
    _check_headers(table.headers)
    if not table.rows:
        raise _upload_error("The file has a header row but no rows of people under it.", "no_rows")
    if len(table.rows) > MAX_ROWS:
        raise _upload_error(
            f"The file has {len(table.rows):,} rows: import at most {MAX_ROWS:,} at a time. "
            "Split it into smaller files.",
            "too_many_rows",
        )
    imp = ReferralImport(
        scheme=membership.scheme,
        site=site,
        kind=kind,
        campaign=campaign,
        file_name=name[:255],
        content=text,
        headers=table.headers,
        mapping={
            "columns": guess_mapping(table.headers, kind),
            "encoding": encoding,
            "delimiter": table.delimiter,
            "new_campaign": new_campaign,
        },
        row_count=len(table.rows),
        created_by=membership.user,
    )
    imp.full_clean()
    imp.save()
    log_action(
        membership.user,
        "referral_import.uploaded",
        imp,
        {"kind": kind, "rows": imp.row_count, "encoding": encoding},
    )
    return imp


def _check_campaign_choice(membership, campaign, new_campaign: str) -> None:
    if campaign is not None and new_campaign:
        message = "Choose an existing call list or name a new one, not both."
        raise ApplicationError(
            "referral_import.campaign", message, fields={"new_campaign": [message]}
        )
    if campaign is None and not new_campaign:
        message = "Choose the call list to add these people to, or name a new one."
        raise ApplicationError("referral_import.campaign", message, fields={"campaign": [message]})
    if campaign is not None and campaign.scheme_id != membership.scheme_id:
        raise ApplicationError(
            "referral_import.campaign",
            "Choose one of this scheme's call lists.",
            fields={"campaign": ["Choose one of this scheme's call lists."]},
        )
    if new_campaign:
        if len(new_campaign) > 200:
            message = "The call list's name must be 200 characters or fewer."
            raise ApplicationError(
                "referral_import.campaign", message, fields={"new_campaign": [message]}
            )
        if Campaign.objects.filter(scheme=membership.scheme, name__iexact=new_campaign).exists():
            message = (
                f"A call list called '{new_campaign}' already exists: choose it from the list."
            )
            raise ApplicationError(
                "referral_import.campaign", message, fields={"new_campaign": [message]}
            )


def check_mapping(imp: ReferralImport, columns: dict[str, str]) -> dict[str, list[str]]:
    """Problems with the column choices, by field key."""
    errors: dict[str, list[str]] = {}
    for key, message in (
        ("given_name", "Choose the column with the person's first name."),
        ("family_name", "Choose the column with the person's last name."),
    ):
        if not columns.get(key):
            errors[key] = [message]
    if imp.kind == Kind.REFERRALS and not any(columns.get(k) for k in REASON_KEYS):
        errors["reasons"] = ["Choose the column with the reasons for referral."]
    used: dict[str, str] = {}
    for target in targets_for(imp.kind):
        header = columns.get(target.key)
        if not header:
            continue
        if header not in imp.headers:
            errors.setdefault(target.key, []).append("Choose one of the file's columns.")
        elif header in used:
            errors.setdefault(target.key, []).append(
                f"The column '{header}' is already chosen for {TARGET_BY_KEY[used[header]].label}."
            )
        else:
            used[header] = target.key
    return errors


@transaction.atomic
def referral_import_map(
    *, membership: Membership, imp: ReferralImport, columns: dict[str, str], source_type: str = ""
) -> ReferralImport:
    """Keep the column choices and check every row with them, ready for the preview."""
    require(membership, Perm.REFERRAL_IMPORT)
    imp = ReferralImport.objects.select_for_update().get(pk=imp.pk, scheme=membership.scheme)
    _check_state(imp, ReferralImport.State.UPLOADED, ReferralImport.State.PREVIEWED)
    _check_not_queued(imp)
    columns = {k: v for k, v in columns.items() if v}
    errors = check_mapping(imp, columns)
    if source_type and source_type not in SourceType.values:
        errors["default_source_type"] = ["Choose where the referrals came from."]
    if errors:
        raise ValidationError(errors)
    imp.mapping = {**imp.mapping, "columns": columns, "source_type": source_type}
    good, bad = check_rows(imp)
    imp.row_count = len(good) + len(bad)
    imp.error_rows = [_stored(row) for row in bad]
    imp.state = ReferralImport.State.PREVIEWED
    imp.save()
    log_action(
        membership.user,
        "referral_import.checked",
        imp,
        {"rows": imp.row_count, "good": len(good), "bad": len(bad)},
    )
    return imp


@transaction.atomic
def referral_import_cancel(*, membership: Membership, imp: ReferralImport) -> ReferralImport:
    require(membership, Perm.REFERRAL_IMPORT)
    imp = ReferralImport.objects.select_for_update().get(pk=imp.pk, scheme=membership.scheme)
    _check_state(imp, ReferralImport.State.UPLOADED, ReferralImport.State.PREVIEWED)
    _check_not_queued(imp)
    imp.state = ReferralImport.State.CANCELLED
    imp.content = ""  # the people's details are not kept for an import that will not happen
    imp.error_rows = []
    imp.finished_at = timezone.now()
    imp.save()
    log_action(membership.user, "referral_import.cancelled", imp)
    return imp


class KnownPeople:
    """The scheme's people, loaded once, to match rows without a query each: by NHS number,
    by name and date of birth, and by phone. Rows imported earlier in the file join it."""

    def __init__(self, scheme):
        self.ids: set = set()
        self.by_nhs: dict[str, object] = {}
        self.nhs_of: dict[object, str] = {}
        self.by_name_dob: dict[tuple, list] = defaultdict(list)
        self.phones: set[str] = set()
        people = Person.objects.filter(scheme=scheme).values_list(
            "pk", "given_name", "family_name", "date_of_birth", "nhs_number", "phone", "phone_other"
        )
        for values in people.iterator(chunk_size=5000):
            self._add(*values)

    def _add(self, pk, given, family, dob, nhs, phone, phone_other) -> None:
        if pk not in self.ids:
            self.ids.add(pk)
            if dob:
                self.by_name_dob[(given.strip().lower(), family.strip().lower(), dob)].append(pk)
        if nhs:
            self.by_nhs[nhs] = pk
            self.nhs_of[pk] = nhs
        self.phones.update(p for p in (phone, phone_other) if p)

    def add(self, person: Person) -> None:
        self._add(
            person.pk,
            person.given_name,
            person.family_name,
            person.date_of_birth,
            person.nhs_number,
            person.phone,
            person.phone_other,
        )

    def match(self, person: dict):
        """The id of the person this row is: same NHS number, or the one person with the same
        name and date of birth (and no other NHS number). None when not certain."""
        nhs = person.get("nhs_number")
        if nhs and nhs in self.by_nhs:
            return self.by_nhs[nhs]
        dob = person.get("date_of_birth")
        if not dob:
            return None
        key = (person["given_name"].lower(), person["family_name"].lower(), dob)
        candidates = [
            pk for pk in self.by_name_dob.get(key, ()) if not nhs or not self.nhs_of.get(pk)
        ]
        return candidates[0] if len(candidates) == 1 else None

    def maybe(self, person: dict) -> bool:
        """Whether someone known may be this person, though no match is certain."""
        dob = person.get("date_of_birth")
        if dob and self.by_name_dob.get(
            (person["given_name"].lower(), person["family_name"].lower(), dob)
        ):
            return True
        return any(person.get(k) and person[k] in self.phones for k in ("phone", "phone_other"))


@dataclass
class Outcome:
    created: int = 0
    matched: int = 0
    flagged: int = 0
    already_listed: int = 0
    rejected: list[dict] = field(default_factory=list)


def _row_failure(row: Row, error: Exception) -> dict:
    if isinstance(error, ValidationError):
        messages = (
            [
                (TARGET_BY_KEY[k].label if k in TARGET_BY_KEY else k.replace("_", " "), m)
                for k, ms in error.message_dict.items()
                for m in ms
            ]
            if hasattr(error, "error_dict")
            else [("Row", m) for m in error.messages]
        )
    elif isinstance(error, ApplicationError):
        messages = [("Row", error.message)]
    else:
        messages = [("Row", "It could not be stored: it conflicts with a record already there.")]
    row.problems = [*row.problems, *messages]
    return _stored(row)


def is_queued(imp: ReferralImport) -> bool:
    return imp.state == ReferralImport.State.PREVIEWED and bool(imp.mapping.get("queued"))


@transaction.atomic
def referral_import_queue(*, membership: Membership, imp: ReferralImport) -> ReferralImport:
    """Hand the import to the background worker: thousands of rows take minutes, too long
    for a page to wait. The page shows the import running until the worker is done."""
    require(membership, Perm.REFERRAL_IMPORT)
    imp = ReferralImport.objects.select_for_update().get(pk=imp.pk, scheme=membership.scheme)
    _check_state(imp, ReferralImport.State.PREVIEWED)
    if is_queued(imp):
        raise ApplicationError("referral_import.queued", "This import has already started.")
    imp.mapping = {
        **{k: v for k, v in imp.mapping.items() if k != "failed"},
        "queued": timezone.now().isoformat(),
    }
    imp.save(update_fields=["mapping"])
    log_action(membership.user, "referral_import.queued", imp)
    import_id, membership_id = str(imp.pk), str(membership.pk)
    transaction.on_commit(lambda: run_referral_import.enqueue(import_id, membership_id))
    return imp


@task()
def run_referral_import(import_id: str, membership_id: str) -> None:
    referral_import_execute(import_id=import_id, membership_id=membership_id)


def referral_import_execute(*, import_id, membership_id) -> ReferralImport:
    """The worker's side: import, or on any failure say so on the import (nothing from the
    file is stored: the import is one transaction)."""
    membership = Membership.objects.select_related("scheme", "user").get(pk=membership_id)
    imp = ReferralImport.objects.get(pk=import_id, scheme_id=membership.scheme_id)
    try:
        return referral_import_run(membership=membership, imp=imp)
    except Exception as error:
        message = (
            error.message
            if isinstance(error, ApplicationError)
            else "The import stopped part-way and nothing from the file was stored. Try again; "
            "if it fails again, tell your administrator."
        )
        imp.refresh_from_db()
        imp.mapping = {**imp.mapping, "queued": None, "failed": message}
        imp.save(update_fields=["mapping"])
        log_action(membership.user, "referral_import.failed", imp, {"error": type(error).__name__})
        if isinstance(error, ApplicationError):
            return imp
        raise


def referral_import_run(*, membership: Membership, imp: ReferralImport) -> ReferralImport:
    """Import the good rows in one transaction (nothing from the file is kept if it fails)."""
    require(membership, Perm.REFERRAL_IMPORT)
    with transaction.atomic():
        imp = (
            ReferralImport.objects.select_for_update(of=("self",))
            .select_related("scheme", "site", "campaign")
            .get(pk=imp.pk, scheme=membership.scheme)
        )
        _check_state(imp, ReferralImport.State.PREVIEWED)
        good, bad = check_rows(imp)
        known = KnownPeople(imp.scheme)
        if imp.kind == Kind.REFERRALS:
            outcome = _import_referrals(imp, good, known, by=membership.user)
        else:
            outcome = _import_proactive(imp, good, known, by=membership.user)
        imp.error_rows = sorted(
            [_stored(row) for row in bad] + outcome.rejected, key=lambda r: r["row"]
        )
        imp.created_count = outcome.created
        imp.matched_count = outcome.matched
        imp.mapping = {
            **imp.mapping,
            "queued": None,
            "result": {
                "imported": outcome.created + outcome.matched,
                "flagged": outcome.flagged,
                "already_listed": outcome.already_listed,
                "rejected": len(imp.error_rows),
            },
        }
        imp.state = ReferralImport.State.IMPORTED
        imp.finished_at = timezone.now()
        imp.content = ""  # imported: the file's text is not kept
        imp.save()
        log_action(
            membership.user,
            "referral_import.imported",
            imp,
            {
                "kind": imp.kind,
                "created": outcome.created,
                "matched": outcome.matched,
                "rejected": len(imp.error_rows),
            },
        )
    return imp


def _import_referrals(imp: ReferralImport, rows: list[Row], known: KnownPeople, *, by) -> Outcome:
    from linkwell.referrals.services import IntakeRequest, referral_intake

    outcome = Outcome()
    now = timezone.now()
    for row in rows:
        values = row.values
        match = known.match(row.person)
        received = None
        if values["received_at"]:
            received = min(
                timezone.make_aware(datetime.combine(values["received_at"], time(9, 0))), now
            )
        request = IntakeRequest(
            scheme=imp.scheme,
            site=imp.site,
            channel=Channel.CSV,
            source_type=values["source_type"],
            person=row.person,
            reasons=values["reasons"],
            consents=(
                {ConsentScope.CONTACT: {"method": ConsentMethod.REFERRER}}
                if values["consent_contact"]
                else {}
            ),
            summary=values["summary"],
            urgency=values["urgency"],
            safeguarding_concern=values["safeguarding_concern"],
            lives_alone=values["lives_alone"],
            recent_bereavement=values["recent_bereavement"],
            referrer_name=values["referrer_name"],
            referrer_organisation=values["referrer_organisation"],
            referrer_email=values["referrer_email"],
            referrer_phone=values["referrer_phone"],
            received_at=received,
            match_choice=str(match) if match else None,
        )
        try:
            referral = referral_intake(request, by=by)
        except (ValidationError, ApplicationError, IntegrityError) as error:
            outcome.rejected.append(_row_failure(row, error))
            continue
        person = referral.person
        if person.pk in known.ids:
            outcome.matched += 1
        else:
            outcome.created += 1
            outcome.flagged += bool(getattr(person, "needs_duplicate_check", False))
        known.add(person)
    return outcome


def _campaign_for(imp: ReferralImport, *, by) -> Campaign:
    if imp.campaign is not None:
        return imp.campaign
    name = imp.mapping.get("new_campaign", "").strip()
    if Campaign.objects.filter(scheme=imp.scheme, name__iexact=name).exists():
        raise ApplicationError(
            "referral_import.campaign",
            f"A call list called '{name}' was made since the file was uploaded. Upload the "
            "file again and choose it.",
        )
    campaign = Campaign(scheme=imp.scheme, site=imp.site, name=name, created_by=by)
    campaign.full_clean()
    campaign.save()
    log_action(by, "campaign.created", campaign, {"name": name})
    imp.campaign = campaign
    return campaign


def _import_proactive(imp: ReferralImport, rows: list[Row], known: KnownPeople, *, by) -> Outcome:
    outcome = Outcome()
    campaign = _campaign_for(imp, by=by)
    listed = set(
        CampaignEntry.objects.filter(campaign=campaign).values_list("person_id", flat=True)
    )
    for row in rows:
        match = known.match(row.person)
        try:
            with transaction.atomic():
                if match is not None:
                    person = Person.objects.get(pk=match, scheme=imp.scheme)
                    person_update(person=person, by=by, data=row.person, only_blanks=True)
                else:
                    maybe = known.maybe(row.person)
                    person = person_create(scheme=imp.scheme, by=by, data=row.person)
                    if maybe and hasattr(person, "needs_duplicate_check"):
                        person.needs_duplicate_check = True
                        person.save(update_fields=["needs_duplicate_check"])
                if person.pk not in listed:
                    entry = CampaignEntry(campaign=campaign, person=person, note=row.values["note"])
                    entry.save()
                    log_action(by, "campaign.entry_added", entry, {"campaign": str(campaign.pk)})
        except (ValidationError, ApplicationError, IntegrityError) as error:
            outcome.rejected.append(_row_failure(row, error))
            continue
        if person.pk in listed:
            outcome.already_listed += 1
        listed.add(person.pk)
        if match is not None:
            outcome.matched += 1
        else:
            outcome.created += 1
            outcome.flagged += bool(getattr(person, "needs_duplicate_check", False))
        known.add(person)
    return outcome


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value) -> str:
    """A cell a spreadsheet will show, never run: text that starts like a formula gets a
    leading apostrophe."""
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def rejected_csv(*, membership: Membership, imp: ReferralImport) -> str:
    """The rows left out, as the file had them, with a column saying why. The download is
    person data: it is logged."""
    require(membership, Perm.REFERRAL_IMPORT)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_inert(v) for v in ["Row", *imp.headers, "Why it was left out"]])
    for stored in imp.error_rows:
        reason = "; ".join(
            message if label == "Row" else f"{label}: {message}"
            for label, message in stored["problems"]
        )
        writer.writerow([_inert(v) for v in [stored["row"], *stored["cells"], reason]])
    log_action(
        membership.user,
        "referral_import.rejected_downloaded",
        imp,
        {"rows": len(imp.error_rows)},
    )
    return out.getvalue()
