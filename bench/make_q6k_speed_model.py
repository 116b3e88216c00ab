#!/usr/bin/env python3
"""Writes a speed-only q6_K model, as make_q4k_speed_model.py does for q4_K: a Llama-3.2-1B-shaped
body (16 layers, d 2048, ff 8192, 32/8 heads) whose every 2-D weight is Q6_K with random bytes
(random 6-bit quants, random int8 group scales, small positive f16 d), with the tokenizer and
vocabulary of a donor GGUF (e.g. `gapbench model random --preset tiny --vocab
ggml-vocab-llama-bpe.gguf`, whose 128256 tokens make the tied LM head Llama-3.2-1B's, the q6_K
tensor of every llama.cpp Q4_K_M / Q5_K_M file). Written in seconds where `gapbench model random
--preset llama3.2-1b --wtype q6_k` quantises for a long time on a loaded 2-core machine. Its
logits mean nothing; its matrix products have the real shapes and types.

usage: make_q6k_speed_model.py DONOR.gguf OUT.gguf [--layers N]
"""
import argparse

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter

D, FF, HEADS, KV_HEADS = 2048, 8192, 32, 8
BLOCK = 210  # ql[128], qh[64], scales[16] (int8), d (f16)


def q6k_rows(rng, rows, cols):
    nb = cols // 256
    b = rng.integers(0, 256, size=(rows, nb, BLOCK), dtype=np.uint8)
    d = (rng.random((rows, nb, 1), dtype=np.float32) * 1e-4 + 1e-5).astype(np.float16)
    b[:, :, 208:210] = d.view(np.uint8).reshape(rows, nb, 2)
    return b.reshape(rows, nb * BLOCK)


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
        "general.name": "q6_K speed model (random bytes)",
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
    q6k = GGMLQuantizationType.Q6_K
    w.add_tensor("token_embd.weight", q6k_rows(rng, n_vocab, D), raw_dtype=q6k)  # tied LM head
    w.add_tensor("output_norm.weight", np.ones(D, dtype=np.float32))
    hd = D // HEADS
    for i in range(a.layers):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(D, dtype=np.float32))
        w.add_tensor(p + "attn_q.weight", q6k_rows(rng, D, D), raw_dtype=q6k)
        w.add_tensor(p + "attn_k.weight", q6k_rows(rng, KV_HEADS * hd, D), raw_dtype=q6k)
        w.add_tensor(p + "attn_v.weight", q6k_rows(rng, KV_HEADS * hd, D), raw_dtype=q6k)
        w.add_tensor(p + "attn_output.weight", q6k_rows(rng, D, D), raw_dtype=q6k)
        w.add_tensor(p + "ffn_norm.weight", np.ones(D, dtype=np.float32))
        w.add_tensor(p + "ffn_gate.weight", q6k_rows(rng, FF, D), raw_dtype=q6k)
        w.add_tensor(p + "ffn_up.weight", q6k_rows(rng, FF, D), raw_dtype=q6k)
        w.add_tensor(p + "ffn_down.weight", q6k_rows(rng, D, FF), raw_dtype=q6k)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
