#!/usr/bin/env python3
"""Writes a speed-only q5_K model: a Llama-3.2-1B-shaped body (16 layers, d 2048, ff 8192, 32/8
heads) whose every 2-D weight is Q5_K with random bytes (small positive f16 d / dmin, random
6-bit scales, mins, nibbles and fifth bits), and the tokenizer and vocabulary of a small donor
GGUF (e.g. the `tiny` preset of `gapbench model random`), so the file is written in seconds
where `gapbench model random --preset llama3.2-1b --wtype q5_k_m` quantises for many minutes on
a loaded 2-core machine (and gives q6_K to part of the weights). Its logits mean nothing; its
matrix products have the real shapes and types.

usage: make_q5k_speed_model.py DONOR.gguf OUT.gguf [--layers N]
"""
import argparse

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter

D, FF, HEADS, KV_HEADS = 2048, 8192, 32, 8


def q5k_rows(rng, rows, cols):
    nb = cols // 256
    b = rng.integers(0, 256, size=(rows, nb, 176), dtype=np.uint8)
    d = (rng.random((rows, nb, 2), dtype=np.float32) * 1e-3 + 1e-4).astype(np.float16)
    b[:, :, 0:4] = d.view(np.uint8).reshape(rows, nb, 4)
    return b.reshape(rows, nb * 176)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("donor")
    ap.add_argument("out")
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
        "general.name": "q5_K speed model (random bytes)",
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
    q5k = GGMLQuantizationType.Q5_K
    w.add_tensor("token_embd.weight", q5k_rows(rng, n_vocab, D), raw_dtype=q5k)
    w.add_tensor("output_norm.weight", np.ones(D, dtype=np.float32))
    hd = D // HEADS
    for i in range(a.layers):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(D, dtype=np.float32))
        w.add_tensor(p + "attn_q.weight", q5k_rows(rng, D, D), raw_dtype=q5k)
        w.add_tensor(p + "attn_k.weight", q5k_rows(rng, KV_HEADS * hd, D), raw_dtype=q5k)
        w.add_tensor(p + "attn_v.weight", q5k_rows(rng, KV_HEADS * hd, D), raw_dtype=q5k)
        w.add_tensor(p + "attn_output.weight", q5k_rows(rng, D, D), raw_dtype=q5k)
        w.add_tensor(p + "ffn_norm.weight", np.ones(D, dtype=np.float32))
        w.add_tensor(p + "ffn_gate.weight", q5k_rows(rng, FF, D), raw_dtype=q5k)
        w.add_tensor(p + "ffn_up.weight", q5k_rows(rng, FF, D), raw_dtype=q5k)
        w.add_tensor(p + "ffn_down.weight", q5k_rows(rng, D, FF), raw_dtype=q5k)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
