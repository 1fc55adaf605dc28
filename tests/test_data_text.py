"""Corpus, tokenizers (round trips, unknown tokens) and next-token windows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labutils.data import load_dataset
from labutils.data.text import (
    PAD_ID,
    UNK_ID,
    CharTokenizer,
    WordTokenizer,
    load_text,
    make_sequence_windows,
)

TEXT = load_text()
CHARS = CharTokenizer().fit(TEXT)


def test_corpus_is_shipped_and_stable():
    assert len(TEXT) == 12688 and len(TEXT.split()) == 2185
    assert TEXT.startswith("Notes from the Lab")
    assert load_dataset("course_notes") == TEXT
    with pytest.raises(ValueError, match="course_notes"):
        load_text("shakespeare")


def test_char_tokenizer_vocab_and_round_trip():
    assert CHARS.vocab_size == len(set(TEXT)) + 2 == 57
    ids = CHARS.encode(TEXT)
    assert ids.dtype == np.int32 and len(ids) == len(TEXT)
    assert ids.min() >= 2 and ids.max() < CHARS.vocab_size
    assert CHARS.decode(ids) == TEXT
    assert CHARS.decode([PAD_ID, *CHARS.encode("ab"), PAD_ID]) == "ab"


def test_char_tokenizer_unknown_characters():
    ids = CHARS.encode("a€b")
    assert ids[1] == UNK_ID
    assert CHARS.decode(ids) == "a\ufffdb"
    with pytest.raises(ValueError, match="token id must be in"):
        CHARS.decode([CHARS.vocab_size])


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=sorted(set(TEXT)), max_size=200))
def test_char_round_trip_property(s):
    assert CHARS.decode(CHARS.encode(s)) == s


def test_unfitted_tokenizers_refuse():
    for tok in (CharTokenizer(), WordTokenizer()):
        with pytest.raises(RuntimeError, match="not fitted"):
            tok.encode("hello")
        with pytest.raises(RuntimeError, match="not fitted"):
            _ = tok.vocab_size
    with pytest.raises(ValueError, match="non-empty"):
        CharTokenizer().fit("")


def test_word_tokenizer_split_encode_decode():
    tok = WordTokenizer().fit("The cat sat. The cat ran, and the dog sat!")
    assert tok.split("Don't stop.") == ["don't", "stop", "."]
    # most frequent first: "the" (3), "cat" (2), "sat" (2), then singletons alphabetically
    assert tok.id_to_token[:5] == ["<pad>", "<unk>", "the", "cat", "sat"]
    ids = tok.encode("The cat flew.")
    assert ids.tolist()[:2] == [2, 3] and ids[2] == UNK_ID
    assert tok.decode(tok.encode("the dog sat, the cat ran!")) == "the dog sat, the cat ran!"


def test_word_tokenizer_vocab_limits():
    full = WordTokenizer().fit(TEXT)
    rare = WordTokenizer(min_freq=3).fit(TEXT)
    small = WordTokenizer(max_vocab=50).fit(TEXT)
    assert full.vocab_size > rare.vocab_size > small.vocab_size == 50
    assert (small.encode(TEXT) == UNK_ID).mean() > (full.encode(TEXT) == UNK_ID).mean() == 0
    for bad, error in (({"min_freq": 0}, ValueError), ({"max_vocab": 2}, ValueError),
                       ({"min_freq": 1.5}, TypeError), ({"max_vocab": "50"}, TypeError)):
        with pytest.raises(error):
            WordTokenizer(**bad)


def test_sequence_windows_exact():
    x, y = make_sequence_windows(np.arange(10), seq_len=4)
    assert x.shape == y.shape == (6, 4)
    assert x[0].tolist() == [0, 1, 2, 3] and y[0].tolist() == [1, 2, 3, 4]
    assert x[-1].tolist() == [5, 6, 7, 8] and y[-1].tolist() == [6, 7, 8, 9]
    x2, _ = make_sequence_windows(np.arange(10), seq_len=4, stride=4)
    assert x2.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    ids = CHARS.encode(TEXT)
    x3, y3 = make_sequence_windows(ids, 64, stride=64)
    assert x3.shape == (198, 64) and x3.dtype == np.int32


@settings(max_examples=80, deadline=None)
@given(n=st.integers(2, 300), seq_len=st.integers(1, 50), stride=st.integers(1, 20))
def test_sequence_windows_property(n, seq_len, stride):
    ids = np.arange(n)
    if n < seq_len + 1:
        with pytest.raises(ValueError, match="at least seq_len"):
            make_sequence_windows(ids, seq_len, stride)
        return
    x, y = make_sequence_windows(ids, seq_len, stride)
    assert len(x) == (n - seq_len - 1) // stride + 1
    assert np.array_equal(x[:, 1:], y[:, :-1]) and np.array_equal(y - x, np.ones_like(x))


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.integers(max_value=0), st.floats(), st.booleans(), st.none()))
def test_sequence_windows_rejects_bad_lengths(bad):
    # an int out of range is a ValueError; a float, bool or None is the wrong type
    error = ValueError if type(bad) is int else TypeError
    with pytest.raises(error, match="seq_len must be a positive int"):
        make_sequence_windows(np.arange(10), bad)
    with pytest.raises(error, match="stride must be a positive int"):
        make_sequence_windows(np.arange(10), 3, bad)
