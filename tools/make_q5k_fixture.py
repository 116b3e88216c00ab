#!/usr/bin/env python3
"""Writes tests/fixtures/kernels/q5k_ref.json, the Q5_K reference for kernels/quant_k.cpp.

gguf-py (gguf==0.19.0) dequantises Q5_K but has no Q5_K quantiser, so:

- decoding side: every Q5_K byte string in the fixture is dequantised by gguf-py
  (gguf.quants.dequantize), independent of ours, for quantised rows and random-byte blocks;
- encoding side: a float32 transcription of ggml's quantize_row_q5_K_ref, reusing the
  make_qkx2_quants transcription of tools/make_q4k_fixture.py (Q5_K runs it with 31 levels and
  the grid rmin -0.5, rdelta 0.1, 15 steps; Q4_K with 15 levels and -1, 0.1, 20).

Run:  /path/to/venv/bin/python tools/make_q5k_fixture.py [--out tests/fixtures/kernels]
Deterministic: a second run writes byte-identical output. Takes a few seconds.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import gguf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_q4k_fixture import (F, QK_K, f16_bits, f16_value, make_qkx2_quants,  # noqa: E402
                              nearest_int, num_list, rows)


def quantize_q5_k_block(x) -> bytes:
    x = [F(v) for v in x]
    L = [0] * QK_K
    scales, mins = [F(0)] * 8, [F(0)] * 8
    max_scale = max_min = F(0)
    for j in range(8):
        xs = x[32 * j: 32 * j + 32]
        sum_x2 = F(0)
        for v in xs:
            sum_x2 = F(sum_x2 + F(v * v))
        av_x = F(np.sqrt(F(sum_x2 / F(32))))
        weights = [F(av_x + F(abs(v))) for v in xs]
        scales[j], mins[j], L[32 * j: 32 * j + 32] = make_qkx2_quants(
            32, 31, xs, weights, -0.5, 0.1, 15)
        if scales[j] > max_scale:
            max_scale = scales[j]
        if mins[j] > max_min:
            max_min = mins[j]
    inv_scale = F(F(63) / max_scale) if max_scale > 0 else F(0)
    inv_min = F(F(63) / max_min) if max_min > 0 else F(0)
    packed = [0] * 12
    ls_all, lm_all = [], []
    for j in range(8):
        ls = min(63, nearest_int(F(inv_scale * scales[j])) & 0xFF)  # uint8_t, then MIN(63, .)
        lm = min(63, nearest_int(F(inv_min * mins[j])) & 0xFF)
        ls_all.append(ls)
        lm_all.append(lm)
        if j < 4:
            packed[j] = ls
            packed[j + 4] = lm
        else:
            packed[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4)
            packed[j - 4] |= (ls >> 4) << 6
            packed[j] |= (lm >> 4) << 6
    d_bits = f16_bits(F(max_scale / F(63)))
    dmin_bits = f16_bits(F(max_min / F(63)))
    d_all, dmin_all = f16_value(d_bits), f16_value(dmin_bits)
    for j in range(8):
        d = F(d_all * F(ls_all[j]))
        if d == 0:
            continue
        dm = F(dmin_all * F(lm_all[j]))
        for i in range(32):
            L[32 * j + i] = max(0, min(31, nearest_int(F(F(x[32 * j + i] + dm) / d))))
    qh = [0] * 32
    ql = []
    m1, m2 = 1, 2
    for n in range(0, QK_K, 64):
        for j in range(32):
            l1, l2 = L[n + j], L[n + j + 32]
            if l1 > 15:
                l1 -= 16
                qh[j] |= m1
            if l2 > 15:
                l2 -= 16
                qh[j] |= m2
            ql.append(l1 | (l2 << 4))
        m1 <<= 2
        m2 <<= 2
    return (d_bits.to_bytes(2, "little") + dmin_bits.to_bytes(2, "little") + bytes(packed)
            + bytes(qh) + bytes(ql))


def random_blocks(rng, count):
    out = []
    for i in range(count):
        d = F(rng.uniform(1e-4, 1e-1) * (-1 if i == count - 1 else 1))
        dmin = F(rng.uniform(1e-4, 1e-1))
        body = rng.integers(0, 256, 12 + 32 + 128, dtype=np.uint8).tobytes()
        out.append((f"random_bytes_{i}", f16_bits(d).to_bytes(2, "little")
                    + f16_bits(dmin).to_bytes(2, "little") + body))
    return out


def dequant(raw: bytes) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(1, -1)
    return gguf.quants.dequantize(blocks, gguf.GGMLQuantizationType.Q5_K).reshape(-1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="tests/fixtures/kernels")
    args = ap.parse_args()
    rng = np.random.default_rng(20261208)
    items = []
    for name, x in rows(rng):
        q5 = b"".join(quantize_q5_k_block(x[b: b + QK_K]) for b in range(0, x.size, QK_K))
        deq = dequant(q5)
        if not np.all(np.isfinite(deq)):
            raise SystemExit(f"{name}: non-finite dequantised value")
        items.append("    {\n" + ",\n".join([
            f'      "name": {json.dumps(name)}', f'      "n": {x.size}',
            f'      "x": {num_list(x)}', f'      "q5_k": "{q5.hex()}"',
            f'      "q5_k_dequant": {num_list(deq)}']) + "\n    }")
    blocks = []
    for name, raw in random_blocks(rng, 4):
        blocks.append("    {\n" + ",\n".join([
            f'      "name": {json.dumps(name)}', f'      "q5_k": "{raw.hex()}"',
            f'      "q5_k_dequant": {num_list(dequant(raw))}']) + "\n    }")
    text = "\n".join([
        "{",
        '  "reference": "Q5_K bytes: float32 transcription of ggml quantize_row_q5_K_ref'
        ' (tools/make_q5k_fixture.py); q5_k_dequant: gguf-py '
        + getattr(gguf, "__version__", "0.19.0") + ' gguf.quants.dequantize",',
        '  "rows": [', ",\n".join(items), "  ],",
        '  "blocks": [', ",\n".join(blocks), "  ]",
        "}"]) + "\n"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "q5k_ref.json").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
