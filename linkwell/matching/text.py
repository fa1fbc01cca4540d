"""Text relevance: the person's own words against a service's words, lexically.

Words are lower-cased, stop words dropped and stemmed with the Snowball English stemmer, so
"walks", "walking" and "walk" meet. A service's stemmed words are kept ready in
`ServiceMatchText.tokens` as " word word … " (a space each end), so at request time a word's
count in a document is read from a split of that string, never a re-tokenisation.

People do not describe their lives in a directory's words, so the person's words are widened
with SYNONYM_GROUPS: "scared of falling" reaches "strength and balance". Each group also names
the need area it belongs to, so words alone (an ad-hoc search) can suggest need areas.

Scoring is Okapi BM25 with the inverse document frequency taken over the candidate services
(those that passed the hard filters), normalised so the best candidate scores 1.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

WORD = re.compile(r"[a-z]+")
K1 = 1.2
B = 0.75
EXPANSION_WEIGHT = 0.5
FULL_MATCH = 2.0
MAX_QUERY_WORDS = 60

_STOP_WORDS = (
    "a about after again all also am an and any are as at be been before being but by can "
    "could did do does doing down during each few for from further get gets getting go going "
    "had has have having he her here hers him his how i if in into is it its just me more "
    "most my myself no nor not now of off on once only or other our ours out over own really "
    "same she should so some such than that the their them then there these they this those "
    "through to too under until up very want wants was we were what when where which while "
    "who whom why will with would you your yours week weeks day days time times people person "
    "keep keeps since feel feels felt like bit lot lots got still much many thing things think "
    "know make made back even ever every never always really quite"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())

# (need-area code, words that mean much the same to someone looking for support). The person's
# words that fall in a group bring in the group's other words at half weight.
SYNONYM_GROUPS: tuple[tuple[str, str], ...] = (
    ("physical-activity", "falling falls fall fell balance strength steady unsteady wobbly"),
    (
        "physical-activity",
        "exercise fitness fit fitter active activity gym sport sports healthy healthier",
    ),
    ("physical-activity", "walk walks walking ramble rambling stroll"),
    (
        "loneliness",
        "lonely loneliness alone isolated isolation company companionship friendship friends "
        "befriending befriender chat social",
    ),
    ("bereavement", "bereaved bereavement grief grieving loss widow widowed widower died death"),
    ("money-debt", "debt debts money bills arrears budgeting budget owe skint afford"),
    ("benefits", "benefits benefit universal credit allowance pip entitlement claim"),
    (
        "housing",
        "housing homeless homelessness eviction evicted landlord rent tenancy damp mould home",
    ),
    (
        "employment-skills",
        "job jobs work working employment unemployed career careers cv interview training",
    ),
    (
        "mental-wellbeing",
        "depressed depression low mood anxious anxiety stress stressed panic worry worried "
        "wellbeing mindfulness calm confidence",
    ),
    ("mental-wellbeing", "counselling counsellor talking therapy cbt listen"),
    ("arts-creativity", "art arts painting drawing craft crafts creative music singing choir"),
    ("nature-gardening", "garden gardening allotment nature outdoors outdoor green growing"),
    ("carers", "carer carers caring looking after respite break"),
    (
        "long-term-conditions",
        "diabetes arthritis copd pain condition conditions heart stroke sight hearing",
    ),
    ("food", "food hungry hunger meals meal cooking foodbank pantry"),
    ("digital-skills", "computer computers online internet tablet smartphone digital email"),
    (
        "family-parenting",
        "children child kids parent parenting family families autism autistic school baby "
        "babies mum mums mother newborn",
    ),
    ("learning", "learn learning course courses class classes college english reading"),
    ("volunteering", "volunteer volunteering volunteers helping give back"),
    (
        "substance-use",
        "alcohol drinking drink drugs drug gambling addiction recovery sober sobriety",
    ),
    ("domestic-abuse", "abuse abusive violence partner domestic controlling unsafe"),
)


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def words(text: str) -> list[str]:
    """The stemmed words of `text` that carry meaning, in order."""
    return [stem(w) for w in WORD.findall((text or "").lower()) if w not in STOP_WORDS]


def plain_words(text: str) -> list[str]:
    """The words of `text` that carry meaning, lower-cased, unstemmed, once each."""
    return list(dict.fromkeys(w for w in WORD.findall((text or "").lower()) if w not in STOP_WORDS))


def document(*parts: str) -> str:
    """A service's stemmed words as stored: " word word … ", ready for `count`."""
    found = [w for part in parts for w in words(part)]
    return " " + " ".join(found) + " " if found else " "


def source_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@lru_cache(maxsize=1)
def _groups() -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple((area, frozenset(words(text))) for area, text in SYNONYM_GROUPS)


@dataclass(frozen=True)
class Query:
    """The person's words ready for scoring: each stemmed word with its weight (1 for their
    own, EXPANSION_WEIGHT for a synonym brought in), and the need areas the words suggest."""

    weights: dict[str, float]
    areas: frozenset[str]

    @property
    def empty(self) -> bool:
        return not self.weights


def query(text: str) -> Query:
    own = words(text)[:MAX_QUERY_WORDS]
    weights = {w: 1.0 for w in own}
    areas = set()
    for area, group in _groups():
        if group.intersection(own):
            areas.add(area)
            for synonym in group:
                weights.setdefault(synonym, EXPANSION_WEIGHT)
    return Query(weights=weights, areas=frozenset(areas))


def bm25(q: Query, docs: Iterable[tuple[str, int]]) -> list[float]:
    """BM25 scores of each (tokens, token count) document for `q`, scaled by the best score
    (0 when nothing matches) and damped for a document that shares less than FULL_MATCH worth
    of the person's words. Document frequencies are over `docs` themselves."""
    docs = list(docs)
    if not docs or q.empty:
        return [0.0] * len(docs)
    wanted = q.weights.keys()
    found: list[dict[str, int] | None] = []
    df: dict[str, int] = {}
    for tokens, _ in docs:
        split = tokens.split()
        present = wanted & set(split)
        if not present:
            found.append(None)
            continue
        found.append({w: split.count(w) for w in present})
        for w in present:
            df[w] = df.get(w, 0) + 1
    n = len(docs)
    avg = (sum(length for _, length in docs) / n) or 1.0
    idf = {w: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) * q.weights[w] for w, d in df.items()}
    # A short query counts in full when all of it is there.
    enough = min(FULL_MATCH, sum(w for w in q.weights.values() if w >= 1.0)) or FULL_MATCH
    scores = []
    best = 0.0
    for row, (_, length) in zip(found, docs, strict=True):
        if row is None:
            scores.append(0.0)
            continue
        norm = K1 * (1.0 - B + B * (length or 1) / avg)
        score = sum(idf[w] * c * (K1 + 1.0) / (c + norm) for w, c in row.items())
        # One word in common is weak evidence ("low mood" and "low-cost"): a document counts
        # in full only once it shares FULL_MATCH worth of the person's words (synonyms at
        # their weight).
        strength = sum(q.weights[w] for w in row)
        best = max(best, score)
        scores.append(score * min(1.0, strength / enough))
    return [s / best for s in scores] if best > 0 else scores
