#!/usr/bin/env python3
"""Writes a speed-only k-quant model: a Llama-3.2-1B-shaped body (16 layers, d 2048, ff 8192,
32/8 heads) whose every 2-D weight is Q4_K, Q5_K or Q6_K (--type) with random bytes (random
scales, mins, quants and high bits; small positive f16 d / dmin), and the tokenizer and
vocabulary of a donor GGUF: the `tiny` preset of `gapbench model random` for a small LM head, or
`gapbench model random --preset tiny --vocab ggml-vocab-llama-bpe.gguf` for Llama-3.2-1B's
128256-row tied LM head (the q6_K tensor of every llama.cpp Q4_K_M / Q5_K_M file). Written in
seconds where `gapbench model random --preset llama3.2-1b --wtype q4_k|q5_k_m|q6_k` quantises for
minutes on a loaded 2-core machine (and the mixes give part of the weights other types). Its
logits mean nothing; its matrix products have the real shapes and types.

usage: make_kquant_speed_model.py DONOR.gguf OUT.gguf [--type q4_K|q5_K|q6_K] [--layers N]
"""
import argparse

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter

D, FF, HEADS, KV_HEADS = 2048, 8192, 32, 8

# Per type: the ggml type, the block's bytes, where its f16 scales sit and how many there are
# (q4_K / q5_K: d and dmin first; q6_K: d last), and the scales' range.
TYPES = {
    "q4_K": (GGMLQuantizationType.Q4_K, 144, 0, 2, 1e-3, 1e-4),
    "q5_K": (GGMLQuantizationType.Q5_K, 176, 0, 2, 1e-3, 1e-4),
    "q6_K": (GGMLQuantizationType.Q6_K, 210, 208, 1, 1e-4, 1e-5),
}


def kquant_rows(rng, kind, rows, cols):
    _, block, at, n_d, span, low = TYPES[kind]
    nb = cols // 256
    b = rng.integers(0, 256, size=(rows, nb, block), dtype=np.uint8)
    d = (rng.random((rows, nb, n_d), dtype=np.float32) * span + low).astype(np.float16)
    b[:, :, at:at + 2 * n_d] = d.view(np.uint8).reshape(rows, nb, 2 * n_d)
    return b.reshape(rows, nb * block)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("donor")
    ap.add_argument("out")
    ap.add_argument("--type", choices=sorted(TYPES), default="q4_K")
    ap.add_argument("--layers", type=int, default=16)
    a = ap.parse_args()
    donor = GGUFReader(a.donor)
    arch = donor.fields["general.architecture"].contents()
    w = GGUFWriter(a.out, arch)
    override = {
        f"{arch}.embedding_length": D,
        f"{arch}.feed_forward_length": FF,
        f"{arch}.block_count": a.layers,
        f"{arch}.attention.head_count": HEADS,
        f"{arch}.attention.head_count_kv": KV_HEADS,
        f"{arch}.rope.dimension_count": D // HEADS,
        "general.name": f"{a.type} speed model (random bytes)",
    }
    for name, f in donor.fields.items():
        if name.startswith("GGUF.") or name in ("general.architecture", "general.alignment"):
            continue
        val = override.get(name, f.contents())
        sub = f.types[1] if f.types[0] == GGUFValueType.ARRAY else None
        w.add_key_value(name, val, f.types[0], sub_type=sub)
    n_vocab = int(donor.fields[f"{arch}.vocab_size"].contents()) \
        if f"{arch}.vocab_size" in donor.fields else len(donor.fields["tokenizer.ggml.tokens"].contents())
    rng = np.random.default_rng(0)
    qt = TYPES[a.type][0]

    def add(name, rows, cols):
        w.add_tensor(name, kquant_rows(rng, a.type, rows, cols), raw_dtype=qt)

    add("token_embd.weight", n_vocab, D)  # tied: also the LM head
    w.add_tensor("output_norm.weight", np.ones(D, dtype=np.float32))
    hd = D // HEADS
    for i in range(a.layers):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(D, dtype=np.float32))
        add(p + "attn_q.weight", D, D)
        add(p + "attn_k.weight", KV_HEADS * hd, D)
        add(p + "attn_v.weight", KV_HEADS * hd, D)
        add(p + "attn_output.weight", D, D)
        w.add_tensor(p + "ffn_norm.weight", np.ones(D, dtype=np.float32))
        add(p + "ffn_gate.weight", FF, D)
        add(p + "ffn_up.weight", FF, D)
        add(p + "ffn_down.weight", D, FF)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
