"""The scaling-law sweep (缩放定律): train TinyGPTs of growing width on growing token budgets.

Every point trains a fresh 2-layer model (head size 16, so ``n_heads = d_model / 16``) with
the course recipe on ``tokens`` training tokens (its own warm-up + cosine schedule, as
Hoffmann et al. 2022 recommend: a schedule cut short overstates the loss) and records the
validation loss on the first 256 validation windows. The learning rate shrinks with the
width (``learning_rate_for``: wider models need smaller Adam steps). The full grid
(``WIDTHS`` x ``TOKENS``, about 20 minutes on 2 cores) is shipped as
``data/lm/scaling_sweep.csv``; ``python -m labutils.lm sweep`` re-runs it, and a notebook can
re-run any single point with :func:`run_point` and compare it with the shipped fit.
"""

from __future__ import annotations

import csv
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from labutils._validate import check_scalar
from labutils.lm.pretrained import RECIPE, LMData

WIDTHS = (16, 32, 48, 64, 96, 128)
TOKENS = (250_000, 500_000, 1_000_000, 2_000_000, 4_000_000)
N_LAYERS = 2
EVAL_WINDOWS = 256
COLUMNS = ("d_model", "n_layers", "n_heads", "params_non_embedding", "params_total", "tokens",
           "steps", "learning_rate", "seed", "train_loss", "val_loss", "seconds")


def learning_rate_for(d_model: int) -> float:
    """The sweep's learning rate for width ``d_model``: ``0.2 / d_model`` kept within
    [3e-3, 1e-2] (16 → 1e-2, 32 → 6.25e-3, 64 → 3.1e-3, 96 and 128 → 3e-3). Chosen from a probe
    at 1M tokens (seed 0): 1e-2 was best of {3e-3, 1e-2} at width 16, 6e-3 beat 1e-2 at 32, and
    3e-3 beat both 1e-2 and 1.5e-3 at 64 and 128 — by up to 1 nat at 128, so a single rate
    for all widths would bend the measured scaling law."""
    return min(1e-2, max(3e-3, 0.2 / check_scalar("d_model", d_model, "int", min=1)))


def run_point(data: LMData, d_model: int, tokens: int, *, seed: int = 0) -> dict[str, Any]:
    """Train one sweep point and return its row (see ``COLUMNS``)."""
    from labutils.lm.model import build_tiny_gpt, tiny_gpt_params  # Keras: only when training
    from labutils.lm.train import evaluate, train_lm

    d_model = check_scalar("d_model", d_model, "int", min=16)
    if d_model % 16:
        raise ValueError(f"d_model must be a multiple of 16 (head size 16); got {d_model}")
    b, c = RECIPE["batch_size"], RECIPE["context"]
    steps = max(2, round(check_scalar("tokens", tokens, "int", min=b * c) / (b * c)))
    vocab = data.tokenizer.vocab_size
    model = build_tiny_gpt(vocab, c, d_model, N_LAYERS, d_model // 16, seed=seed)
    lr = learning_rate_for(d_model)
    t0 = time.perf_counter()
    log = train_lm(model, data.train_ids, steps=steps, batch_size=b, learning_rate=lr,
                   warmup=min(RECIPE["warmup"], steps // 4), weight_decay=RECIPE["weight_decay"],
                   seed=seed)
    seconds = time.perf_counter() - t0
    return dict(d_model=d_model, n_layers=N_LAYERS, n_heads=d_model // 16,
                params_non_embedding=tiny_gpt_params(vocab, c, d_model, N_LAYERS,
                                                     embeddings=False),
                params_total=tiny_gpt_params(vocab, c, d_model, N_LAYERS), tokens=steps * b * c,
                steps=steps, learning_rate=lr, seed=seed, train_loss=round(log.train_loss[-1], 5),
                val_loss=round(evaluate(model, data.val_ids, max_windows=EVAL_WINDOWS), 5),
                seconds=round(seconds, 2))


def run_sweep(out: str | os.PathLike, *, widths: tuple[int, ...] = WIDTHS,
              tokens: tuple[int, ...] = TOKENS, seed: int = 0) -> Path:
    """Run the grid, printing progress, and write the CSV to ``out`` (via a temporary file,
    so an interrupted sweep never leaves a half-written table)."""
    from labutils.lm.pretrained import prepare

    data = prepare("fine_foods", RECIPE["vocab_size"])
    rows = []
    grid = [(d, n) for d in widths for n in tokens]
    start = time.perf_counter()
    for i, (d, n) in enumerate(grid, 1):
        rows.append(run_point(data, d, n, seed=seed))
        print(f"[{i}/{len(grid)}] d_model={d:4d} tokens={n:>9,}  val_loss={rows[-1]['val_loss']:.4f}"
              f"  {rows[-1]['seconds']:.0f} s  (total {time.perf_counter() - start:.0f} s)",
              flush=True)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".csv")
    with os.fdopen(fd, "w", newline="") as f:
        f.write(f"# python -m labutils.lm sweep; {platform.processor() or platform.machine()}, "
                f"{os.cpu_count()} logical CPUs; vocab {data.tokenizer.vocab_size}, "
                f"context {RECIPE['context']}, batch {RECIPE['batch_size']}\n")
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, out)
    return out


def load_sweep() -> Any:
    """The shipped sweep results (``data/lm/scaling_sweep.csv``, hash-checked) as a pandas
    DataFrame with the columns ``COLUMNS``."""
    import pandas as pd

    from labutils.data.registry import shipped_file

    return pd.read_csv(shipped_file("lm/scaling_sweep.csv"), comment="#")
