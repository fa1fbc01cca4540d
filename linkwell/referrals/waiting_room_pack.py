"""The printed waiting-room pack: a letter with the person's name and address and the same
content as their waiting-room page, for people without internet access. Phone numbers and web
addresses are written out in full: paper has no links."""

from __future__ import annotations

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from linkwell.referrals.models import Referral
from linkwell.referrals.waiting_room import waiting_room_content
from linkwell.resources.models import ResourceFormat

BODY_SIZE = 12
URGENT_HELP = [
    (
        "In an emergency",
        "Call 999 if you or someone else is in danger right now, or is seriously ill or injured.",
    ),
    ("If you need medical help fast", "Call NHS 111, free, any time of day or night."),
    (
        "If you need to talk to someone",
        "Call Samaritans on 116 123, free, any time of day or night.",
    ),
]
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u00a0": " ",
    }
)


def _text(value: str) -> str:
    """The PDF's built-in fonts cover Latin-1: typographic marks become plain ones."""
    return str(value).translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


class _Pack(FPDF):
    def __init__(self, scheme_name: str):
        super().__init__(format="A4")
        self.scheme_name = scheme_name
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(_text(f"{scheme_name}: help while you wait"))
        self.set_author(_text(scheme_name))
        self.set_lang("en-GB")

    def footer(self):
        self.set_y(-14)
        self.set_font("Helvetica", size=9)
        self.cell(0, 6, _text(f"{self.scheme_name} - page {self.page_no()}"), align="C")

    def heading(self, text: str, size: int = 15):
        self.ln(3)
        self.set_font("Helvetica", "B", size)
        self.multi_cell(0, 8, _text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", size=BODY_SIZE)

    def para(self, text: str, *, bold: bool = False, gap: float = 2):
        # Left-aligned, not justified: even word spacing is easier to read.
        self.set_font("Helvetica", "B" if bold else "", BODY_SIZE)
        self.multi_cell(0, 6.5, _text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(gap)
        self.set_font("Helvetica", size=BODY_SIZE)


def _resource_lines(resource) -> list[str]:
    lines = [resource.summary]
    if resource.phone:
        hours = f" ({resource.phone_hours})" if resource.phone_hours else ""
        lines.append(f"Phone: {resource.phone}{hours}")
    if resource.url:
        label = {
            ResourceFormat.VIDEO: "Video",
            ResourceFormat.LEAFLET: "Leaflet online",
        }.get(resource.format, "Website")
        lines.append(f"{label}: {resource.url}")
    if resource.format == ResourceFormat.LEAFLET and (resource.file or not resource.url):
        lines.append("Leaflet: ask us and we will post you a printed copy.")
    if resource.accessibility_notes:
        lines.append(resource.accessibility_notes)
    return lines


def pack_pdf(referral: Referral) -> bytes:
    """The pack for this referral, as PDF bytes."""
    content = waiting_room_content(referral)
    person = referral.person
    scheme = referral.scheme.name
    pdf = _Pack(scheme)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 6, _text(scheme), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=BODY_SIZE)
    pdf.cell(
        0,
        6,
        _text(f"{timezone.localdate():%-d %B %Y}"),
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(6)
    for line in [person.full_name, *person.postal_address]:
        pdf.cell(0, 6, _text(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(10)
    pdf.para(f"Dear {content['first_name']},")
    pdf.para(
        f"{scheme} has your referral for social prescribing. While you wait to hear from us, "
        "this pack has help you can use now, chosen for what you were referred for. It also "
        "says what happens next, and how to get help urgently if you need it."
    )
    pdf.heading("If you need help now")
    for title, text in URGENT_HELP:
        pdf.para(title, bold=True, gap=0)
        pdf.para(text)
    pdf.heading("How long you may wait")
    pdf.para(content["wait"])
    pdf.heading("What happens next")
    for step in content["next_steps"]:
        pdf.para(f"- {step}", gap=1)
    pdf.heading("Help you can use now")
    if not content["resources"]:
        pdf.para("Your link worker will talk to you about support that could help.")
    elif not content["matched"]:
        pdf.para("These can help anyone while they wait.")
    for resource in content["resources"]:
        pdf.para(resource.title, bold=True, gap=0)
        for line in _resource_lines(resource):
            pdf.para(line, gap=0)
        pdf.ln(3)
    pdf.ln(4)
    pdf.para("With best wishes,")
    pdf.para(scheme)
    return bytes(pdf.output())
