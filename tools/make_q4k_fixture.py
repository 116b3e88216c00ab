#!/usr/bin/env python3
"""Writes tests/fixtures/kernels/q4k_ref.json, the Q4_K / Q8_K reference for kernels/quant_k.

gguf-py (gguf==0.19.0) dequantises Q4_K but has no Q4_K or Q8_K quantiser, so:

- decoding side: every Q4_K byte string in the fixture is dequantised by gguf-py
  (gguf.quants.dequantize), an implementation independent of ours. Besides the quantised rows
  there are blocks of random bytes, which exercise scale/min codes and nibbles that a quantiser
  rarely produces.
- encoding side: the rows are quantised by a plain float32 transcription (below) of ggml's
  quantize_row_q4_K_ref / make_qkx2_quants and quantize_row_q8_K_ref (ggml/src/ggml-quants.c),
  written loop by loop with numpy float32 scalars so every rounding matches C float arithmetic.

Run:  /path/to/venv/bin/python tools/make_q4k_fixture.py [--out tests/fixtures/kernels]
Deterministic: a second run writes byte-identical output. Takes a few seconds.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import gguf

F = np.float32
QK_K = 256


def nearest_int(v) -> int:
    """ggml's nearest_int: add 1.5 * 2^23 in float32, read the low mantissa bits."""
    s = np.array([F(v) + F(12582912.0)], dtype=np.float32)
    return int((int(s.view(np.int32)[0]) & 0x007FFFFF) - 0x00400000)


def f16_bits(v) -> int:
    return int(np.array([F(v)], dtype=np.float32).astype(np.float16).view(np.uint16)[0])


def f16_value(bits: int) -> np.float32:
    return F(np.array([bits], dtype=np.uint16).view(np.float16)[0])


def make_qkx2_quants(n, nmax, x, weights, rmin, rdelta, nstep):
    """Returns (scale, the_min, L) exactly as ggml's make_qkx2_quants with use_mad = false."""
    x = [F(v) for v in x]
    w = [F(v) for v in weights]
    mn, mx = x[0], x[0]
    sum_w = w[0]
    sum_x = F(sum_w * x[0])
    for i in range(1, n):
        if x[i] < mn:
            mn = x[i]
        if x[i] > mx:
            mx = x[i]
        sum_w = F(sum_w + w[i])
        sum_x = F(sum_x + F(w[i] * x[i]))
    if mn > 0:
        mn = F(0)
    if mx == mn:
        return F(0), F(-mn), [0] * n
    iscale = F(F(nmax) / F(mx - mn))
    scale = F(F(1) / iscale)
    L = [0] * n
    best_error = F(0)
    for i in range(n):
        L[i] = max(0, min(nmax, nearest_int(F(iscale * F(x[i] - mn)))))
        diff = F(F(F(scale * F(L[i])) + mn) - x[i])
        best_error = F(best_error + F(w[i] * F(diff * diff)))
    for step in range(nstep + 1):
        iscale = F(F(F(F(rmin) + F(F(rdelta) * F(step))) + F(nmax)) / F(mx - mn))
        sum_l = sum_l2 = sum_xl = F(0)
        laux = [0] * n
        for i in range(n):
            l = max(0, min(nmax, nearest_int(F(iscale * F(x[i] - mn)))))
            laux[i] = l
            wl = F(w[i] * F(l))
            sum_l = F(sum_l + wl)
            sum_l2 = F(sum_l2 + F(wl * F(l)))
            sum_xl = F(sum_xl + F(wl * x[i]))
        D = F(F(sum_w * sum_l2) - F(sum_l * sum_l))
        if D > 0:
            this_scale = F(F(F(sum_w * sum_xl) - F(sum_x * sum_l)) / D)
            this_min = F(F(F(sum_l2 * sum_x) - F(sum_l * sum_xl)) / D)
            if this_min > 0:
                this_min = F(0)
                this_scale = F(sum_xl / sum_l2)
            cur_error = F(0)
            for i in range(n):
                diff = F(F(F(this_scale * F(laux[i])) + this_min) - x[i])
                cur_error = F(cur_error + F(w[i] * F(diff * diff)))
            if cur_error < best_error:
                L = laux
                best_error = cur_error
                scale = this_scale
                mn = this_min
    return scale, F(-mn), L


def quantize_q4_k_block(x) -> bytes:
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
            32, 15, xs, weights, -1.0, 0.1, 20)
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
            L[32 * j + i] = max(0, min(15, nearest_int(F(F(x[32 * j + i] + dm) / d))))
    qs = []
    for c in range(4):
        qs += [L[64 * c + l] | (L[64 * c + l + 32] << 4) for l in range(32)]
    return (d_bits.to_bytes(2, "little") + dmin_bits.to_bytes(2, "little") + bytes(packed)
            + bytes(qs))


def quantize_q8_k_block(x) -> bytes:
    x = [F(v) for v in x]
    mx = amax = F(0)
    for v in x:
        if F(abs(v)) > amax:
            amax, mx = F(abs(v)), v
    if amax == 0:
        return bytes(4 + QK_K + 32)
    iscale = F(F(-127) / mx)
    qs = [min(127, nearest_int(F(iscale * v))) for v in x]
    bsums = [sum(qs[16 * k: 16 * k + 16]) for k in range(16)]
    d = F(F(1) / iscale)
    return (np.array([d], dtype="<f4").tobytes() + np.array(qs, dtype=np.int8).tobytes()
            + np.array(bsums, dtype="<i2").tobytes())


def rows(rng):
    out = []
    out.append(("normal_two_blocks", rng.normal(0, 0.02, 512)))
    out.append(("all_positive", rng.uniform(0.5, 1.5, 256)))  # min clamps to 0
    out.append(("all_negative", -rng.uniform(0.1, 2.0, 256)))
    z = rng.normal(0, 1, 256)
    z[:32] = 0.0
    z[96:128] = 0.75  # a constant positive sub-block: scale 0 from the search
    out.append(("zero_and_constant_subblocks", z))
    big = rng.normal(0, 0.01, 256)
    big[77] = 40.0  # one sub-block dominates: the others get small 6-bit scales
    out.append(("single_outlier", big))
    mags = np.concatenate([rng.normal(0, s, 32) for s in
                           (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)])
    out.append(("mixed_subblock_magnitudes", mags))  # 6-bit codes < 16 and >= 16, and 0
    out.append(("f16_subnormal_scales", rng.normal(0, 1e-4, 256)))  # d ~ 5e-7: subnormal f16
    out.append(("f16_underflow_scales", rng.normal(0, 2e-6, 256)))  # d rounds to 0
    out.append(("laplace_heavy_tail", rng.laplace(0, 0.05, 256)))
    shifted = rng.normal(0, 0.1, 256) + np.repeat(rng.uniform(-1, 1, 8), 32)
    out.append(("shifted_subblocks", shifted))
    out.append(("all_zero", np.zeros(256)))
    return [(name, r.astype(np.float32)) for name, r in out]


def random_blocks(rng, count):
    """Q4_K blocks of random bytes with finite positive-or-negative f16 d and dmin."""
    out = []
    for i in range(count):
        d = F(rng.uniform(1e-4, 1e-1) * rng.choice([1, -1] if i == count - 1 else [1]))
        dmin = F(rng.uniform(1e-4, 1e-1))
        body = rng.integers(0, 256, 12 + 128, dtype=np.uint8).tobytes()
        out.append((f"random_bytes_{i}", f16_bits(d).to_bytes(2, "little")
                    + f16_bits(dmin).to_bytes(2, "little") + body))
    return out


def num_list(values) -> str:
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


def gguf_dequant_q4_k(raw: bytes) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(1, -1)
    return gguf.quants.dequantize(blocks, gguf.GGMLQuantizationType.Q4_K).reshape(-1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="tests/fixtures/kernels")
    args = ap.parse_args()
    rng = np.random.default_rng(20240611)
    lines = ['{',
             '  "reference": "Q4_K/Q8_K bytes: float32 transcription of ggml quantize_row_q4_K_ref'
             ' and quantize_row_q8_K_ref (tools/make_q4k_fixture.py); q4_k_dequant: gguf-py '
             f'{getattr(gguf, "__version__", "0.19.0")} gguf.quants.dequantize",',
             '  "rows": [']
    row_items = []
    for name, x in rows(rng):
        q4 = b"".join(quantize_q4_k_block(x[b: b + QK_K]) for b in range(0, x.size, QK_K))
        q8 = b"".join(quantize_q8_k_block(x[b: b + QK_K]) for b in range(0, x.size, QK_K))
        deq = gguf_dequant_q4_k(q4)
        if not np.all(np.isfinite(deq)):
            raise SystemExit(f"{name}: non-finite dequantised value")
        row_items.append("    {\n" + ",\n".join([
            f'      "name": {json.dumps(name)}',
            f'      "n": {x.size}',
            f'      "x": {num_list(x)}',
            f'      "q4_k": "{q4.hex()}"',
            f'      "q4_k_dequant": {num_list(deq)}',
            f'      "q8_k": "{q8.hex()}"']) + "\n    }")
    lines.append(",\n".join(row_items))
    lines.append("  ],")
    lines.append('  "blocks": [')
    block_items = []
    for name, raw in random_blocks(rng, 4):
        deq = gguf_dequant_q4_k(raw)
        block_items.append("    {\n" + ",\n".join([
            f'      "name": {json.dumps(name)}',
            f'      "q4_k": "{raw.hex()}"',
            f'      "q4_k_dequant": {num_list(deq)}']) + "\n    }")
    lines.append(",\n".join(block_items))
    lines.append("  ]")
    lines.append("}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "q4k_ref.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
