#!/usr/bin/env python3
"""Writes tests/fixtures/kernels/q6k_ref.json, the Q6_K reference for kernels/quant_q6_k.cpp.

gguf-py (gguf==0.19.0) dequantises Q6_K but has no Q6_K quantiser, so:

- decoding side: every Q6_K byte string in the fixture is dequantised by gguf-py
  (gguf.quants.dequantize), an implementation independent of ours. Besides the quantised rows
  there are blocks of random bytes, which exercise scale codes and 6-bit quants a quantiser
  rarely produces (scales of both signs, -128, q = 0 and 63).
- encoding side: the rows are quantised by a plain float32 transcription (below) of ggml's
  quantize_row_q6_K_ref / make_qx_quants (rmse_type 1, no imatrix; ggml/src/ggml-quants.c),
  written loop by loop with numpy float32 scalars so every rounding matches C float arithmetic.

Run:  /path/to/venv/bin/python tools/make_q6k_fixture.py [--out tests/fixtures/kernels]
Deterministic: a second run writes byte-identical output. Takes a few seconds.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import gguf

F = np.float32
QK_K = 256
GROUP_MAX_EPS = F(1e-15)


def nearest_int(v) -> int:
    """ggml's nearest_int: add 1.5 * 2^23 in float32, read the low mantissa bits."""
    s = np.array([F(v) + F(12582912.0)], dtype=np.float32)
    return int((int(s.view(np.int32)[0]) & 0x007FFFFF) - 0x00400000)


def f16_bits(v) -> int:
    return int(np.array([F(v)], dtype=np.float32).astype(np.float16).view(np.uint16)[0])


def f16_value(bits: int) -> np.float32:
    return F(np.array([bits], dtype=np.uint16).view(np.float16)[0])


def make_qx_quants(n, nmax, x):
    """Returns (scale, L) exactly as ggml's make_qx_quants(n, nmax, x, L, 1, NULL)."""
    x = [F(v) for v in x]
    mx = amax = F(0)
    for v in x:
        ax = F(abs(v))
        if ax > amax:
            amax, mx = ax, v
    if amax < GROUP_MAX_EPS:
        return F(0), [0] * n

    def clamp(l):
        return max(-nmax, min(nmax - 1, l))

    iscale = F(F(-nmax) / mx)
    L = [0] * n
    sumlx = suml2 = F(0)
    for i in range(n):
        l = clamp(nearest_int(F(iscale * x[i])))
        L[i] = l + nmax
        w = F(x[i] * x[i])
        sumlx = F(sumlx + F(F(w * x[i]) * F(l)))
        suml2 = F(suml2 + F(F(w * F(l)) * F(l)))
    scale = F(sumlx / suml2) if suml2 != 0 else F(0)
    best = F(scale * sumlx)
    for step in range(-9, 10):
        if step == 0:
            continue
        iscale = F(F(-F(F(nmax) + F(F(0.1) * F(step)))) / mx)
        sumlx = suml2 = F(0)
        for i in range(n):
            l = clamp(nearest_int(F(iscale * x[i])))
            w = F(x[i] * x[i])
            sumlx = F(sumlx + F(F(w * x[i]) * F(l)))
            suml2 = F(suml2 + F(F(w * F(l)) * F(l)))
        if suml2 > 0 and F(sumlx * sumlx) > F(best * suml2):
            for i in range(n):
                L[i] = nmax + clamp(nearest_int(F(iscale * x[i])))
            scale = F(sumlx / suml2)
            best = F(scale * sumlx)
    return scale, L


def quantize_q6_k_block(x) -> bytes:
    x = [F(v) for v in x]
    L = [0] * QK_K
    scales = [F(0)] * 16
    max_scale = max_abs_scale = F(0)
    for g in range(16):
        scales[g], L[16 * g: 16 * g + 16] = make_qx_quants(16, 32, x[16 * g: 16 * g + 16])
        a = F(abs(scales[g]))
        if a > max_abs_scale:
            max_abs_scale, max_scale = a, scales[g]
    if max_abs_scale < GROUP_MAX_EPS:
        return bytes(208) + f16_bits(F(0)).to_bytes(2, "little")
    iscale = F(F(-128) / max_scale)
    d_bits = f16_bits(F(F(1) / iscale))
    sc = [min(127, nearest_int(F(iscale * s))) for s in scales]
    d_all = f16_value(d_bits)
    for g in range(16):
        d = F(d_all * F(sc[g]))
        if d == 0:
            continue
        for i in range(16):
            l = nearest_int(F(x[16 * g + i] / d))
            L[16 * g + i] = max(-32, min(31, l)) + 32
    ql, qh = [], []
    for half in range(2):
        lh = L[128 * half: 128 * half + 128]
        ql_h = [0] * 64
        for l in range(32):
            q1, q2, q3, q4 = lh[l], lh[l + 32], lh[l + 64], lh[l + 96]
            ql_h[l] = (q1 & 0xF) | ((q3 & 0xF) << 4)
            ql_h[l + 32] = (q2 & 0xF) | ((q4 & 0xF) << 4)
            qh.append((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6))
        ql += ql_h
    return (bytes(ql) + bytes(qh) + np.array(sc, dtype=np.int8).tobytes()
            + d_bits.to_bytes(2, "little"))


def rows(rng):
    out = []
    out.append(("normal_two_blocks", rng.normal(0, 0.02, 512)))
    out.append(("all_positive", rng.uniform(0.5, 1.5, 256)))
    out.append(("all_negative", -rng.uniform(0.1, 2.0, 256)))
    z = rng.normal(0, 1, 256)
    z[:16] = 0.0  # an all-zero group: scale 0
    z[96:112] = 0.75  # a constant group
    out.append(("zero_and_constant_groups", z))
    big = rng.normal(0, 0.01, 256)
    big[77] = 40.0  # one group dominates: the others get small 8-bit scales
    out.append(("single_outlier", big))
    neg = rng.normal(0, 0.01, 256)
    neg[200] = -40.0  # the dominant scale has the other sign
    out.append(("single_negative_outlier", neg))
    mags = np.concatenate([rng.normal(0, s, 16) for s in
                           np.geomspace(1e-3, 3.0, 16)])
    out.append(("mixed_group_magnitudes", mags))
    out.append(("f16_subnormal_scale", rng.normal(0, 1e-5, 256)))  # d ~ 1e-7: subnormal f16
    out.append(("f16_underflow_scale", rng.normal(0, 1e-9, 256)))  # d rounds to 0
    tiny = np.zeros(256)
    tiny[5] = 1e-16  # below GROUP_MAX_EPS: the whole block is zero
    out.append(("below_group_eps", tiny))
    out.append(("laplace_heavy_tail", rng.laplace(0, 0.05, 256)))
    out.append(("integers", rng.integers(-32, 32, 256).astype(np.float64)))  # ties in the grid
    out.append(("all_zero", np.zeros(256)))
    return [(name, r.astype(np.float32)) for name, r in out]


def random_blocks(rng, count):
    """Q6_K blocks of random bytes with a finite f16 d of either sign."""
    out = []
    for i in range(count):
        d = F(rng.uniform(1e-4, 1e-1) * (-1 if i % 2 else 1))
        body = rng.integers(0, 256, 128 + 64 + 16, dtype=np.uint8).tobytes()
        out.append((f"random_bytes_{i}", body + f16_bits(d).to_bytes(2, "little")))
    return out


def num_list(values) -> str:
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


def gguf_dequant_q6_k(raw: bytes) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(1, -1)
    return gguf.quants.dequantize(blocks, gguf.GGMLQuantizationType.Q6_K).reshape(-1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="tests/fixtures/kernels")
    args = ap.parse_args()
    rng = np.random.default_rng(20261206)
    lines = ['{',
             '  "reference": "Q6_K bytes: float32 transcription of ggml quantize_row_q6_K_ref'
             ' (tools/make_q6k_fixture.py); q6_k_dequant: gguf-py '
             f'{getattr(gguf, "__version__", "0.19.0")} gguf.quants.dequantize",',
             '  "rows": [']
    row_items = []
    for name, x in rows(rng):
        q6 = b"".join(quantize_q6_k_block(x[b: b + QK_K]) for b in range(0, x.size, QK_K))
        deq = gguf_dequant_q6_k(q6)
        if not np.all(np.isfinite(deq)):
            raise SystemExit(f"{name}: non-finite dequantised value")
        row_items.append("    {\n" + ",\n".join([
            f'      "name": {json.dumps(name)}',
            f'      "n": {x.size}',
            f'      "x": {num_list(x)}',
            f'      "q6_k": "{q6.hex()}"',
            f'      "q6_k_dequant": {num_list(deq)}']) + "\n    }")
    lines.append(",\n".join(row_items))
    lines.append("  ],")
    lines.append('  "blocks": [')
    block_items = []
    for name, raw in random_blocks(rng, 4):
        deq = gguf_dequant_q6_k(raw)
        block_items.append("    {\n" + ",\n".join([
            f'      "name": {json.dumps(name)}',
            f'      "q6_k": "{raw.hex()}"',
            f'      "q6_k_dequant": {num_list(deq)}']) + "\n    }")
    lines.append(",\n".join(block_items))
    lines.append("  ]")
    lines.append("}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "q6k_ref.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
