"""ngram_loss's bigram against a direct count-and-divide on random streams (exact to 1e-12)."""

from __future__ import annotations

import numpy as np
import pytest

from labutils.lm.train import ngram_loss


@pytest.mark.parametrize("vocab,add", [(5, 0.1), (17, 1.0), (40, 0.01)])
def test_bigram_matches_direct_counts(vocab: int, add: float) -> None:
    rng = np.random.default_rng(vocab)
    train, val = rng.integers(0, vocab, 3000), rng.integers(0, vocab, 400)
    counts = np.full((vocab, vocab), add)
    for a, b in zip(train[:-1], train[1:], strict=True):
        counts[a, b] += 1
    pairs = zip(val[:-1], val[1:], strict=True)
    expected = -np.mean([np.log(counts[a, b] / counts[a].sum()) for a, b in pairs])
    assert ngram_loss(train, val, vocab, 2, add=add) == pytest.approx(expected, abs=1e-12)
