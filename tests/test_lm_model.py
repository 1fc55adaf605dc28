"""TinyGPT, its NumPy generator with a key/value cache, LoRA and the training helpers."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from labutils.lm.generate import forward, generate, sample_next
from labutils.lm.lora import LoRADense, lora_parameter_count, only_lora_trainable
from labutils.lm.model import build_tiny_gpt, export_weights, import_weights, tiny_gpt_params
from labutils.lm.train import eval_windows, evaluate, ngram_loss, random_windows, train_lm
from labutils.models import count_params

CFG = dict(vocab_size=40, context=12, d_model=16, n_layers=2, n_heads=4)


@pytest.fixture(scope="module")
def model():
    m = build_tiny_gpt(**CFG, seed=3)
    # make the weights less trivial than the initialisation (larger, non-zero biases)
    rng = np.random.default_rng(0)
    for w in m.weights:
        w.assign(rng.normal(0, 0.3, w.shape).astype("float32"))
    return m


@pytest.mark.parametrize("d,layers,vocab,ctx", [(16, 2, 40, 12), (32, 1, 100, 8), (8, 3, 7, 5)])
def test_parameter_count_formula(d, layers, vocab, ctx) -> None:
    m = build_tiny_gpt(vocab, ctx, d, layers, 2)
    assert count_params(m) == tiny_gpt_params(vocab, ctx, d, layers)
    assert tiny_gpt_params(vocab, ctx, d, layers, embeddings=False) == \
        layers * (12 * d * d + 13 * d) + 2 * d


def test_causal_mask_future_tokens_do_not_matter(model) -> None:
    x = np.array([[1, 2, 3, 4, 5, 6, 7, 8]])
    y = x.copy()
    y[0, 5:] = [30, 31, 32]
    a, b = model(x).numpy(), model(y).numpy()
    np.testing.assert_allclose(a[0, :5], b[0, :5], atol=1e-6)
    assert np.abs(a[0, 5:] - b[0, 5:]).max() > 1e-3


def test_attention_matches_keras_multi_head_attention(model) -> None:
    attn = model.blocks[0]["attn"]
    d, h = CFG["d_model"], CFG["n_heads"]
    mha = keras.layers.MultiHeadAttention(h, d // h)
    x = np.random.default_rng(1).normal(size=(2, 7, d)).astype("float32")
    mha(x, x, use_causal_mask=True)
    w, b = attn.qkv.base.kernel.numpy(), attn.qkv.base.bias.numpy()
    parts = [(w[:, i * d:(i + 1) * d].reshape(d, h, d // h), b[i * d:(i + 1) * d].reshape(h, -1))
             for i in range(3)]
    mha.set_weights([parts[0][0], parts[0][1], parts[1][0], parts[1][1], parts[2][0],
                     parts[2][1], attn.proj.base.kernel.numpy().reshape(h, d // h, d),
                     attn.proj.base.bias.numpy()])
    np.testing.assert_allclose(attn(x).numpy(), mha(x, x, use_causal_mask=True).numpy(),
                               atol=1e-5)


def test_numpy_forward_equals_keras(model) -> None:
    ids = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])
    np.testing.assert_allclose(forward(export_weights(model), model.config, ids),
                               model(ids[None]).numpy()[0], atol=2e-4)


def test_cached_and_uncached_generation_identical(model) -> None:
    w = export_weights(model)
    cache: list = []
    step = [forward(w, model.config, [t], cache=cache)[-1] for t in [5, 7, 11, 13]]
    full = forward(w, model.config, [5, 7, 11, 13])
    np.testing.assert_allclose(np.array(step), full, atol=1e-12)
    for kw in (dict(temperature=0.0), dict(temperature=1.0, seed=4),
               dict(temperature=0.7, top_k=5, seed=9)):
        a = generate(w, model.config, [1, 2], 10, use_cache=True, **kw)
        b = generate(w, model.config, [1, 2], 10, use_cache=False, **kw)
        assert a.tokens == b.tokens and len(a.tokens) == 10


def test_generation_arguments(model) -> None:
    w = export_weights(model)
    with pytest.raises(ValueError, match="exceeds the model's context of 12"):
        generate(w, model.config, [1, 2, 3], 10)
    with pytest.raises(ValueError, match="prompt"):
        generate(w, model.config, [], 3)
    with pytest.raises(ValueError, match="temperature"):
        generate(w, model.config, [1], 3, temperature=-1)


def test_sampling_rules() -> None:
    rng = np.random.default_rng(0)
    logits = np.array([0.0, 3.0, 1.0, 2.9])
    assert sample_next(logits, rng, temperature=0) == 1
    draws = {sample_next(logits, rng, top_k=2) for _ in range(200)}
    assert draws == {1, 3}
    assert {sample_next(logits, rng, temperature=1e-3) for _ in range(50)} == {1}


def test_lora_with_zero_b_equals_frozen_base_and_keras_enable_lora() -> None:
    x = np.random.default_rng(0).normal(size=(5, 6)).astype("float32")
    base = keras.layers.Dense(4)
    base(x)
    lora = LoRADense(4, rank=2, alpha=4.0, seed=1)
    lora(x)
    lora.base.set_weights(base.get_weights())
    np.testing.assert_array_equal(lora(x).numpy(), base(x).numpy())
    assert [w.name for w in lora.trainable_weights] == ["lora_a", "lora_b"]
    assert sum(int(np.prod(w.shape)) for w in lora.trainable_weights) == \
        lora_parameter_count(6, 4, 2) == 20
    # with B != 0 it equals Keras 3's own LoRA (Dense.enable_lora) given the same A, B
    b = np.random.default_rng(1).normal(size=(2, 4)).astype("float32")
    lora.lora_b.assign(b)
    base.enable_lora(2, lora_alpha=4.0)
    base.lora_kernel_a.assign(lora.lora_a.numpy())
    base.lora_kernel_b.assign(b)
    np.testing.assert_allclose(lora(x).numpy(), base(x).numpy(), atol=1e-6)
    np.testing.assert_allclose(x @ lora.merged_kernel() + lora.base.bias.numpy(),
                               lora(x).numpy(), atol=1e-5)


def test_lora_model_starts_equal_and_trains_only_adapters(model) -> None:
    adapted = build_tiny_gpt(**CFG, lora_rank=2, seed=3)
    import_weights(adapted, export_weights(model))
    ids = np.array([[1, 2, 3, 4, 5]])
    np.testing.assert_allclose(adapted(ids).numpy(), model(ids).numpy(), atol=1e-5)
    n = only_lora_trainable(adapted)
    d, layers = CFG["d_model"], CFG["n_layers"]
    assert n == layers * (lora_parameter_count(d, 3 * d, 2) + lora_parameter_count(d, d, 2))
    before = export_weights(adapted)
    frozen = {k: v for k, v in before.items()}
    train_lm(adapted, np.arange(200) % 40, steps=3, batch_size=4, warmup=0, learning_rate=0.05)
    after = export_weights(adapted)
    assert np.array_equal(after["tok_emb.embeddings"], frozen["tok_emb.embeddings"])
    assert np.array_equal(after["b0.fc1.kernel"], frozen["b0.fc1.kernel"])
    assert not np.array_equal(after["b0.qkv.kernel"], frozen["b0.qkv.kernel"])  # merged LoRA
    with pytest.raises(ValueError, match="no LoRA layers"):
        only_lora_trainable(build_tiny_gpt(**CFG))


def test_import_weights_refuses_mismatch(model) -> None:
    other = build_tiny_gpt(40, 12, 8, 2, 2)
    with pytest.raises(ValueError, match="does not match"):
        import_weights(other, export_weights(model))


def test_windows_and_baselines() -> None:
    ids = np.arange(21)
    x, y = eval_windows(ids, 5)
    assert x.shape == (4, 5) and np.array_equal(y, x + 1)
    x, y = random_windows(ids, 5, 3, np.random.default_rng(0))
    assert x.shape == (3, 5) and np.array_equal(y, x + 1)
    # unigram of a uniform stream over 4 symbols: ln 4 (add-smoothing cancels)
    assert ngram_loss(np.arange(400) % 4, np.arange(40) % 4, 4, 1) == pytest.approx(np.log(4))
    # a deterministic cycle: the bigram is nearly certain
    assert ngram_loss(np.arange(400) % 4, np.arange(40) % 4, 4, 2, add=1e-6) < 1e-5
    with pytest.raises(ValueError, match="context"):
        eval_windows(np.arange(3), 5)


def test_training_reduces_loss_on_a_learnable_stream() -> None:
    m = build_tiny_gpt(10, 8, 16, 1, 2, seed=0)
    ids = np.arange(500) % 10
    before = evaluate(m, ids)
    log = train_lm(m, ids, steps=60, batch_size=8, learning_rate=1e-2, warmup=5, val_ids=ids,
                   eval_every=30)
    assert before == pytest.approx(np.log(10), abs=0.05)
    assert log.val_loss[-1] < 0.3 and log.step == [30, 60]
    assert log.tokens[-1] == 60 * 8 * 8


def test_checkpoint_round_trip(model, tmp_path) -> None:
    from labutils.lm.bpe import BPETokenizer
    from labutils.lm.pretrained import load_checkpoint, save_checkpoint

    tok = BPETokenizer.train("abc abc abd", 260)
    npz, meta = save_checkpoint(tmp_path / "ck", model, tok, {"note": 1})
    again, tok2, record = load_checkpoint(npz, meta)
    ids = np.array([[1, 2, 3]])
    np.testing.assert_allclose(again(ids).numpy(), model(ids).numpy(), atol=1e-6)
    assert tok2.merges == tok.merges and record == {"note": 1}


def test_shipped_checkpoint_reproduces_its_record() -> None:
    from labutils.lm.pretrained import PRETRAINED, load_pretrained, prepare

    m, tok, record = load_pretrained()
    assert tok.vocab_size == PRETRAINED["vocab_size"]
    assert {k: m.config[k] for k in ("d_model", "n_layers", "n_heads", "context")} == \
        {k: PRETRAINED[k] for k in ("d_model", "n_layers", "n_heads", "context")}
    val = evaluate(m, prepare(tokenizer=tok).val_ids, max_windows=256)
    assert val == pytest.approx(record["val_loss_256_windows"][-1], abs=1e-3)
    assert val < record["bigram_val_loss"] - 0.5
