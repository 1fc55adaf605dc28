"""Text for the Transformer lessons: a small corpus and a labelled review set that work
offline, and two tokenizers.

A tokenizer turns text into integer ids a model can embed, and back. Both tokenizers here
reserve id 0 for padding and id 1 for "unknown", so a model trained on one text can still
read another: unseen characters or words map to the unknown id instead of crashing.
``encode_batch`` pads or truncates many texts to one length for a classifier;
``make_sequence_windows`` cuts a long id sequence into (input, target) pairs where the
target is the input shifted by one position - the next-token prediction task.
``load_fine_foods`` returns Amazon fine-food reviews labelled 5 stars or not, with the
train/test split their publisher made.
"""

from __future__ import annotations

import functools
import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from labutils._validate import check_choice, check_instance, check_scalar, positive_int
from labutils.data.registry import shipped_file

if TYPE_CHECKING:  # pandas is imported only by load_fine_foods, so `import` stays cheap
    import pandas as pd

CORPORA = {"course_notes": "text/course_notes.txt"}
PAD_ID, UNK_ID = 0, 1
_TAG = re.compile(r"<[^>]+>")


def load_text(name: str = "course_notes") -> str:
    """Return a shipped corpus as one string (verified against the registry first).

    ``"course_notes"``: an essay on learning machines written for this course, about 12,700
    characters of plain English (55 distinct characters), under CC BY 4.0.
    """
    return shipped_file(CORPORA[check_choice("name", name, sorted(CORPORA))]).read_text(encoding="utf-8")


def _check_text(text: object, *, allow_blank: bool) -> str:
    """Training text: a str (``TypeError`` otherwise), not empty, and unless ``allow_blank``
    not only whitespace."""
    check_instance("text", text, str, "a non-empty str")
    if not (text if allow_blank else text.strip()):
        raise ValueError(f"text must be a non-empty str; got {text!r}")
    return text


class _Tokenizer:
    """Shared vocabulary logic: token <-> id tables with ids 0 (pad) and 1 (unknown)."""

    pad_token = "<pad>"
    unk_token = "<unk>"

    def __init__(self) -> None:
        self.id_to_token: list[str] = []
        self.token_to_id: dict[str, int] = {}

    def _set_vocab(self, tokens: Iterable[str]) -> None:
        self.id_to_token = [self.pad_token, self.unk_token, *tokens]
        self.token_to_id = {t: i for i, t in enumerate(self.id_to_token)}

    @property
    def vocab_size(self) -> int:
        """Number of ids, including pad and unknown; the Embedding layer's input_dim."""
        self._check_fitted()
        return len(self.id_to_token)

    def _check_fitted(self) -> None:
        if not self.id_to_token:
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call .fit(text) "
                               f"before encode/decode")

    def _ids(self, tokens: Iterable[str]) -> np.ndarray:
        self._check_fitted()
        return np.array([self.token_to_id.get(t, UNK_ID) for t in tokens], dtype=np.int32)

    def encode_batch(self, texts: Iterable[str], max_len: int) -> np.ndarray:
        """Encode many texts into one int32 array of shape (len(texts), max_len): each row
        keeps a text's first ``max_len`` ids (truncation) and is filled up with the padding
        id 0 after its last token (post-padding), so a model with a padding mask ignores the
        tail. Ids of a text longer than ``max_len`` are cut, never wrapped to another row."""
        max_len = positive_int("max_len", max_len)
        rows = [self.encode(check_instance("each text", t, str, "a str"))[:max_len]
                for t in texts]
        out = np.full((len(rows), max_len), PAD_ID, dtype=np.int32)
        for i, ids in enumerate(rows):
            out[i, :len(ids)] = ids
        return out

    def _tokens(self, ids: Iterable[int]) -> list[str]:
        self._check_fitted()
        out = []
        for i in np.asarray(ids, dtype=np.int64).ravel():
            if not 0 <= i < len(self.id_to_token):
                raise ValueError(f"token id must be in [0, {len(self.id_to_token)}); got {i}")
            out.append(self.id_to_token[i])
        return out


class CharTokenizer(_Tokenizer):
    """One token per character. Tiny vocabulary, long sequences; the model must learn
    spelling itself. ``decode(encode(s)) == s`` for any ``s`` made of seen characters;
    unseen characters decode as U+FFFD (the Unicode replacement character)."""

    replacement = "\ufffd"

    def fit(self, text: str) -> CharTokenizer:
        """Build the vocabulary from the distinct characters of ``text``, sorted."""
        _check_text(text, allow_blank=True)
        self._set_vocab(sorted(set(text)))
        return self

    def encode(self, text: str) -> np.ndarray:
        """int32 ids, one per character; unseen characters become id 1."""
        return self._ids(text)

    def decode(self, ids: Iterable[int]) -> str:
        """Text from ids; padding (id 0) is dropped, unknown (id 1) shows as U+FFFD."""
        parts = {self.pad_token: "", self.unk_token: self.replacement}
        return "".join(parts.get(t, t) for t in self._tokens(ids))


class WordTokenizer(_Tokenizer):
    """One token per word or punctuation mark, lower-cased by default.

    ``min_freq`` drops rare words (they become unknown) and ``max_vocab`` keeps only the
    most frequent ones; both trade vocabulary size against unknown tokens. ``decode``
    rebuilds normalised text: single spaces, no space before punctuation.
    """

    pattern = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?|[^\sA-Za-z0-9]")

    def __init__(self, *, lower: bool = True, min_freq: int = 1,
                 max_vocab: int | None = None) -> None:
        super().__init__()
        min_freq = positive_int("min_freq", min_freq)
        max_vocab = check_scalar("max_vocab", max_vocab, "int", min=3, allow_none=True)
        self.lower, self.min_freq, self.max_vocab = lower, min_freq, max_vocab

    def split(self, text: str) -> list[str]:
        """Split text into word and punctuation tokens (no ids yet)."""
        return self.pattern.findall(text.lower() if self.lower else text)

    def fit(self, text: str) -> WordTokenizer:
        """Count tokens in ``text``; keep those seen ``min_freq`` times, most frequent first
        (ties alphabetical), at most ``max_vocab`` ids including pad and unknown."""
        _check_text(text, allow_blank=False)
        counts = Counter(self.split(text))
        kept = sorted((t for t, c in counts.items() if c >= self.min_freq),
                      key=lambda t: (-counts[t], t))
        if self.max_vocab is not None:
            kept = kept[: self.max_vocab - 2]
        self._set_vocab(kept)
        return self

    def encode(self, text: str) -> np.ndarray:
        """int32 ids, one per token; unseen words become id 1."""
        return self._ids(self.split(text))

    def decode(self, ids: Iterable[int]) -> str:
        """Tokens joined by spaces, without a space before punctuation; pad dropped."""
        out = ""
        for tok in self._tokens(ids):
            if tok == self.pad_token:
                continue
            glue = "" if not out or re.fullmatch(r"[.,;:!?)\]'\-]", tok) or out[-1] in "(['-" \
                else " "
            out += glue + tok
        return out


def make_sequence_windows(ids: Sequence[int] | np.ndarray, seq_len: int,
                          stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Cut a 1-D id sequence into next-token training pairs ``(x, y)``.

    Window ``i`` starts at ``i * stride``: ``x[i] = ids[s : s + seq_len]`` and
    ``y[i] = ids[s + 1 : s + seq_len + 1]``, so the model learns to predict each next token.
    Both arrays have shape (n_windows, seq_len) and the dtype of ``ids``. ``stride=1``
    gives the most windows; ``stride=seq_len`` gives non-overlapping ones.
    """
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"ids must be 1-D; got shape {arr.shape}")
    seq_len, stride = positive_int("seq_len", seq_len), positive_int("stride", stride)
    if arr.size < seq_len + 1:
        raise ValueError(f"ids must hold at least seq_len + 1 = {seq_len + 1} tokens to make "
                         f"one window; got {arr.size}")
    windows = np.lib.stride_tricks.sliding_window_view(arr, seq_len + 1)[::stride]
    return windows[:, :-1].copy(), windows[:, 1:].copy()


def _clean_review(text: str) -> str:
    """HTML tags (mostly ``<br />`` line breaks) become spaces, entities (``&quot;``) their
    characters, and runs of whitespace one space."""
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


@functools.cache
def _fine_foods(clean: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    from labutils.data.tabular import _read_rdataset  # verifies the sha256 before unpickling

    parts = []
    for key in ("fine_foods_train", "fine_foods_test"):
        df = _read_rdataset(key)
        review = df["review"].astype(str)
        df["review"] = (review.map(_clean_review) if clean else review).astype("string")
        df["great"] = (df.pop("score").astype(str) == "great").to_numpy()
        parts.append(df.reset_index(drop=True))
    return parts[0], parts[1]


def load_fine_foods(*, clean: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Amazon fine-food reviews (McAuley and Leskovec 2013, SNAP web-FineFoods) as R's
    modeldata package ships them: ``(train, test)``, 4,000 and 1,000 rows.

    Columns ``product`` (Amazon product code, category), ``review`` (text, pandas string)
    and ``great`` (bool: True when the reviewer gave 5 stars; 2,600 of 4,000 in train, 658
    of 1,000 in test). The split is the publisher's and is product-disjoint (no product
    code appears in both), so evaluate on ``test`` to measure how a model does on products
    it has never seen. ``clean=True`` turns HTML tags into spaces, decodes entities and
    collapses whitespace; ``clean=False`` returns the reviews byte for byte. Each call returns
    fresh copies; the pickles are hash-checked (see ``data/registry.json``).
    """
    train, test = _fine_foods(bool(check_instance("clean", clean, bool, "a bool")))
    return train.copy(), test.copy()
