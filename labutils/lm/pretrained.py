"""The course's language-model recipe, its corpus preparation and its shipped checkpoint.

``RECIPE`` is the one configuration chapter 5 trains live (a 512-token BPE vocabulary on the
fine-food reviews, a 2-layer, 64-wide TinyGPT, 64-token context, batches of 32, AdamW at
3e-3). ``prepare(...)`` trains the tokenizer on the training documents and encodes both
splits. ``PRETRAINED`` is a larger model trained with the same recipe for longer by
``python -m labutils.lm pretrain``; its weights (float32 ``.npz``) and a JSON file with the
tokenizer's merges, configuration and training record are shipped in ``data/lm/`` with their
sha256, so notebooks can sample from a better model without spending minutes training it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labutils.lm.bpe import BPETokenizer

RECIPE: dict[str, Any] = dict(vocab_size=512, context=64, d_model=64, n_layers=2, n_heads=4,
                              batch_size=32, learning_rate=3e-3, warmup=30, weight_decay=0.01)
PRETRAINED: dict[str, Any] = dict(RECIPE, d_model=96, n_layers=3, n_heads=6, steps=3000,
                                  learning_rate=6e-3)
CHECKPOINT = "lm/tiny_gpt_fine_foods"


@dataclass
class LMData:
    """A tokenizer and the token ids of a corpus's training and validation documents."""

    tokenizer: BPETokenizer
    train_ids: np.ndarray
    val_ids: np.ndarray
    corpus: Any

    def __repr__(self) -> str:
        return (f"LMData({self.corpus.name!r}, vocab {self.tokenizer.vocab_size}: "
                f"{len(self.train_ids):,} training and {len(self.val_ids):,} validation tokens)")


def encode_documents(tokenizer: BPETokenizer, docs: list[str]) -> np.ndarray:
    """All documents encoded and joined with a blank line between them, as int32 ids."""
    return np.asarray(tokenizer.encode("\n\n".join(docs)), dtype=np.int32)


def prepare(corpus: str = "fine_foods", vocab_size: int = RECIPE["vocab_size"], *,
            tokenizer: BPETokenizer | None = None) -> LMData:
    """Load ``corpus`` (``labutils.data.load_corpus``), train a BPE tokenizer of
    ``vocab_size`` on its training documents (or use ``tokenizer``), encode both splits."""
    from labutils.data import load_corpus

    c = load_corpus(corpus)
    tok = tokenizer if tokenizer is not None else BPETokenizer.train(c.train, vocab_size)
    return LMData(tok, encode_documents(tok, c.train), encode_documents(tok, c.val), c)


def save_checkpoint(stem: str | os.PathLike, model: Any, tokenizer: BPETokenizer,
                    record: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``stem.npz`` (float32 weights by name) and ``stem.json`` (configuration, the
    tokenizer's merges, ``record``), each through a temporary file renamed into place."""
    from labutils.lm.model import export_weights

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    weights = {k: v.astype(np.float32) for k, v in export_weights(model).items()}
    paths = (stem.with_suffix(".npz"), stem.with_suffix(".json"))
    fd, tmp = tempfile.mkstemp(dir=stem.parent, suffix=".npz")
    with os.fdopen(fd, "wb") as f:
        np.savez_compressed(f, **weights)
    os.replace(tmp, paths[0])
    meta = {"config": {k: v for k, v in model.config.items()}, "merges": tokenizer.merges,
            "record": record}
    fd, tmp = tempfile.mkstemp(dir=stem.parent, suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(tmp, paths[1])
    return paths


def load_checkpoint(npz: str | os.PathLike, meta_json: str | os.PathLike
                    ) -> tuple[Any, BPETokenizer, dict[str, Any]]:
    """``(model, tokenizer, record)`` from files written by :func:`save_checkpoint`."""
    from labutils.lm.model import build_tiny_gpt, import_weights

    meta = json.loads(Path(meta_json).read_text())
    cfg = {k: v for k, v in meta["config"].items()
           if k not in ("lora_rank", "lora_alpha")}
    model = build_tiny_gpt(**cfg)
    with np.load(npz) as z:
        import_weights(model, {k: z[k] for k in z.files})
    return model, BPETokenizer(tuple(m) for m in meta["merges"]), meta["record"]


def load_pretrained() -> tuple[Any, BPETokenizer, dict[str, Any]]:
    """The shipped checkpoint (hash-checked against ``data/registry.json``): the model, its
    tokenizer and the record of how it was trained (steps, seconds, losses, machine)."""
    from labutils.data.registry import shipped_file

    return load_checkpoint(shipped_file(f"{CHECKPOINT}.npz"), shipped_file(f"{CHECKPOINT}.json"))
