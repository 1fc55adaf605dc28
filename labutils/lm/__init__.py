"""labutils.lm: a GPT-style language model small enough to train on a 2-core CPU, by module.

``bpe`` (byte-level BPE tokenizer), ``model`` (TinyGPT: written-out causal attention, tied
output layer, weights exported by name), ``train`` (random windows, AdamW with warm-up and
cosine decay in one XLA-compiled step, n-gram baselines), ``generate`` (NumPy generation with
and without a key/value cache), ``lora`` (low-rank adapters), ``flops`` (exact matmul FLOPs and
achieved FLOP/s), ``scaling`` (power-law fits with bootstrap intervals), ``pretrained`` (the
course recipe, corpus preparation, the shipped checkpoint) and ``sweep`` (the scaling-law grid).
``python -m labutils.lm pretrain|sweep`` re-creates the files shipped in ``data/lm/``. Nothing
is imported here, so ``import labutils.lm`` stays cheap; import the submodule you need.
"""
