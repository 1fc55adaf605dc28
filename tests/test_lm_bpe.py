"""BPE tokenizer and the language-model corpora: exact merges, round trips, splits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labutils.data import load_corpus
from labutils.lm.bpe import BPETokenizer


def test_textbook_example_merges() -> None:
    # "aaabdaaabac": aa (4 naive counts) first; then ab and (aa)a tie at 2 and the smaller
    # pair (97, 98) wins; then (aa)(ab) occurs twice.
    tok = BPETokenizer.train("aaabdaaabac", 259)
    assert tok.merges == [(97, 97), (97, 98), (256, 257)]
    assert tok.vocab[258] == b"aaab"
    assert tok.encode("aaabdaaabac") == [258, 100, 258, 97, 99]


def test_training_stops_when_no_pair_repeats() -> None:
    tok = BPETokenizer.train("abcd", 300)
    assert tok.vocab_size == 256


def test_merges_never_cross_chunks() -> None:
    tok = BPETokenizer.train(["the cat the hat"] * 50, 400)
    for piece in tok.vocab[256:]:
        assert b" " not in piece[1:], piece  # a space only ever starts a token


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_any_text_round_trips(text: str) -> None:
    tok = _small()
    assert tok.decode(tok.encode(text)) == text


_TOK: list[BPETokenizer] = []


def _small() -> BPETokenizer:
    if not _TOK:
        _TOK.append(BPETokenizer.train(["hello world, hello there! 123 + 456 = 579"] * 20, 300))
    return _TOK[0]


def test_save_load_identical(tmp_path) -> None:
    tok = _small()
    path = tok.save(tmp_path / "tok.json")
    again = BPETokenizer.load(path)
    assert again.merges == tok.merges
    assert again.encode("hello there") == tok.encode("hello there")
    (tmp_path / "bad.json").write_text('{"kind": "other"}')
    with pytest.raises(ValueError, match="not a byte-BPE tokenizer"):
        BPETokenizer.load(tmp_path / "bad.json")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="vocab_size"):
        BPETokenizer.train("abc", 100)
    with pytest.raises(ValueError, match="0..255"):
        BPETokenizer().decode([256])
    with pytest.raises(TypeError):
        BPETokenizer().encode(b"bytes")  # type: ignore[arg-type]


def test_fine_foods_corpus_split_by_document() -> None:
    c = load_corpus("fine_foods")
    assert (len(c.train), len(c.val)) == (4000, 1000)
    assert c.n_bytes("train") + c.n_bytes("val") > 1_000_000
    assert not set(c.train) & set(c.val) - _shared_reviews(c)


def _shared_reviews(c) -> set[str]:
    # Amazon copies a review to every variant of a product; data/README.md counts 7 such
    # texts shared by the publisher's splits.
    shared = set(c.train) & set(c.val)
    assert len(shared) <= 7
    return shared


def test_corpus_arguments() -> None:
    with pytest.raises(ValueError, match="'fine_foods', 'python_stdlib'"):
        load_corpus("shakespeare")
    c = load_corpus("python_stdlib", val_fraction=0.3)
    assert c.train and c.val and not set(c.train) & set(c.val)
    with pytest.raises(ValueError, match="split"):
        c.text("test")


def test_bpe_compresses_the_corpus() -> None:
    c = load_corpus("fine_foods")
    tok = BPETokenizer.train(c.train, 512)
    assert tok.vocab_size == 512
    ids = tok.encode(c.text("val"))
    assert tok.decode(ids) == c.text("val")
    assert len(ids) / c.n_bytes("val") < 0.55  # fewer than 0.55 tokens per byte
