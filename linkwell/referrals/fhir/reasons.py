"""Reasons for referral: from FHIR codings and words to Linkwell's need-area codes.

A coding in Linkwell's need-area CodeSystem is taken as it is. Anything else (a SNOMED CT
coding, say) is read by its display text, or the concept's text, against a small built-in
list of words for each need area. A reason nothing here recognises is an error, never dropped.
"""

from __future__ import annotations

import re

from linkwell.directory.taxonomy import NEED_AREAS

NEED_AREA_CODES = {code for code, _ in NEED_AREAS}
NEED_AREA_NAMES = {name.lower(): code for code, name in NEED_AREAS}

# Word stems (matched at the start of a word, case-insensitive) for each need area.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "mental-wellbeing": (
        "mental",
        "anxi",
        "depress",
        "low mood",
        "stress",
        "wellbeing",
        "well-being",
        "emotional",
    ),
    "loneliness": ("lonel", "isolat", "befriend"),
    "bereavement": ("bereave", "grief", "grieving", "widow"),
    "money-debt": ("debt", "money", "financ", "arrears"),
    "benefits": ("benefit", "universal credit", "welfare"),
    "housing": ("housing", "homeless", "eviction", "tenancy", "accommodation"),
    "employment-skills": ("employ", "unemploy", "job", "career"),
    "physical-activity": ("physical activity", "exercise", "inactiv", "sedentary", "walking"),
    "arts-creativity": ("arts", "creativ", "music", "crafts"),
    "nature-gardening": ("garden", "nature", "outdoor", "green space"),
    "carers": ("carer", "caring for"),
    "long-term-conditions": ("long-term condition", "long term condition", "chronic", "diabet"),
    "food": ("food", "hunger", "nutrition"),
    "digital-skills": ("digital", "internet", "online skills"),
    "family-parenting": ("parent", "family", "families"),
    "learning": ("learning", "education", "literacy"),
    "volunteering": ("volunteer",),
    "substance-use": ("substance", "alcohol", "drug"),
    "domestic-abuse": ("domestic abuse", "domestic violence", "coercive control"),
}

_PATTERNS = {
    code: re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + ")", re.IGNORECASE)
    for code, words in KEYWORDS.items()
}
assert set(KEYWORDS) == NEED_AREA_CODES, "every need area needs words, and only need areas"


def need_areas_from_text(text: str) -> list[str]:
    """Need-area codes that these words name, in the taxonomy's order; [] if none."""
    text = (text or "").strip()
    if not text:
        return []
    lowered = text.lower()
    if lowered in NEED_AREA_CODES:
        return [lowered]
    if lowered in NEED_AREA_NAMES:
        return [NEED_AREA_NAMES[lowered]]
    return [code for code, _ in NEED_AREAS if _PATTERNS[code].search(text)]
