"""Lexical relevance: stemming, stop words, synonym expansion and BM25."""

import pytest

from linkwell.matching import text


def test_words_are_stemmed_so_forms_of_a_word_meet():
    assert text.words("walking walks walk") == ["walk", "walk", "walk"]
    assert text.words("Gardening") == text.words("gardens")


def test_stop_words_are_dropped():
    assert text.words("I want to be with the people who are there") == []
    assert text.words("the choir") == ["choir"]


def test_document_is_stored_with_a_space_each_end():
    assert text.document("Short walks", "in the park") == " short walk park "
    assert text.document("", "the") == " "


def test_own_words_weigh_one_and_synonyms_the_expansion_weight():
    q = text.query("scared of falling")
    assert q.weights[text.stem("falling")] == 1.0
    assert q.weights[text.stem("balance")] == text.EXPANSION_WEIGHT
    assert q.weights[text.stem("strength")] == text.EXPANSION_WEIGHT
    assert "physical-activity" in q.areas
    # A word the person said themselves keeps its full weight when a group also brings it in.
    both = text.query("lonely and want friendship")
    assert both.weights[text.stem("friendship")] == 1.0
    assert both.weights[text.stem("befriending")] == text.EXPANSION_WEIGHT


def test_an_empty_query_scores_nothing():
    q = text.query("the and of")
    assert q.empty
    assert text.bm25(q, [(" walk ", 1)]) == [0.0]


def test_bm25_best_document_scores_one_and_no_match_zero():
    docs = [
        (text.document("Short health walks for beginners"), 5),
        (text.document("Debt advice appointments"), 3),
        (text.document("Walking group, walks every week, walk leaders"), 5),
    ]
    scores = text.bm25(text.query("walking"), docs)
    assert max(scores) == pytest.approx(1.0)
    assert scores[1] == 0.0
    assert scores[2] == pytest.approx(1.0)  # more walks in the same length
    assert 0 < scores[0] < 1


def test_own_word_outranks_a_synonym_only_match():
    docs = [
        (text.document("Strength and balance class"), 4),
        (text.document("Falls prevention class"), 3),
    ]
    balance, falls = text.bm25(text.query("I keep falling"), docs)
    assert falls == pytest.approx(1.0)
    assert 0 < balance < falls


def test_no_documents_give_no_scores():
    assert text.bm25(text.query("walking"), []) == []


def test_nothing_matching_gives_all_zero_not_a_division_error():
    assert text.bm25(text.query("choir"), [(" debt ", 1), (" hous ", 1)]) == [0.0, 0.0]


def test_a_word_said_twice_counts_twice():
    once, twice = text.bm25(
        text.query("garden"),
        [(text.document("Garden club for all"), 4), (text.document("Garden club garden"), 4)],
    )
    assert twice == pytest.approx(1.0)
    assert 0 < once < twice
