"""``python -m labutils.lm pretrain|sweep``: re-create the files chapter 5 ships in data/lm/.

``pretrain`` trains the ``PRETRAINED`` TinyGPT (a few minutes on 2 cores) and writes
``data/lm/tiny_gpt_fine_foods.{npz,json}``; ``sweep`` runs the scaling-law grid (about 20
minutes) and writes ``data/lm/scaling_sweep.csv``. Both print the sha256 and size to record in
``data/registry.json`` (the loaders refuse files whose hash is not recorded there).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time


def _report(paths: list) -> None:
    from labutils.data.registry import sha256_file

    for p in paths:
        print(f"{p}: sha256 {sha256_file(p)}, {os.path.getsize(p)} bytes")


def pretrain(out_dir: str) -> int:
    """Train the shipped checkpoint and write it to ``out_dir``."""
    import labutils
    from labutils.lm.model import build_tiny_gpt
    from labutils.lm.pretrained import CHECKPOINT, PRETRAINED, prepare, save_checkpoint
    from labutils.lm.train import evaluate, ngram_loss, train_lm

    info = labutils.setup(seed=0)
    p = PRETRAINED
    data = prepare("fine_foods", p["vocab_size"])
    print(data, flush=True)
    model = build_tiny_gpt(data.tokenizer.vocab_size, p["context"], p["d_model"],
                           p["n_layers"], p["n_heads"], seed=0)
    t0 = time.perf_counter()
    log = train_lm(model, data.train_ids, steps=p["steps"], batch_size=p["batch_size"],
                   learning_rate=p["learning_rate"], warmup=p["warmup"],
                   weight_decay=p["weight_decay"], val_ids=data.val_ids, eval_every=250,
                   eval_max_windows=256)
    for row in log.as_frame().itertuples():
        print(f"step {row.step:5d}  train {row.train_loss:.4f}  val {row.val_loss:.4f}")
    vocab = data.tokenizer.vocab_size
    record = dict(
        recipe=p, corpus="fine_foods", seed=0,
        steps=log.step, val_loss_256_windows=log.val_loss, train_loss=log.train_loss,
        val_loss_all=evaluate(model, data.val_ids),
        unigram_val_loss=ngram_loss(data.train_ids, data.val_ids, vocab, 1),
        bigram_val_loss=ngram_loss(data.train_ids, data.val_ids, vocab, 2),
        wall_seconds=round(time.perf_counter() - t0, 1),
        tokens_per_second=round(log.tokens_per_second(p["batch_size"], p["context"])),
        machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs",
        versions=str(info))
    paths = save_checkpoint(os.path.join(out_dir, CHECKPOINT), model, data.tokenizer, record)
    _report(list(paths))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labutils.lm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("pretrain", help="train the shipped TinyGPT checkpoint").add_argument(
        "--out-dir", default="data")
    sw = sub.add_parser("sweep", help="run the scaling-law grid")
    sw.add_argument("--out", default="data/lm/scaling_sweep.csv")
    args = parser.parse_args(argv)
    if args.command == "pretrain":
        return pretrain(args.out_dir)
    import labutils
    from labutils.lm.sweep import run_sweep

    labutils.setup(seed=0)
    _report([run_sweep(args.out)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
