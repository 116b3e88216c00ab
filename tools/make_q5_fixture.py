#!/usr/bin/env python3
"""Writes tests/fixtures/kernels/quant_legacy_ref.json, the Q5_0 / Q5_1 / Q4_1 reference for
kernels/quant_legacy.cpp: gguf-py's (gguf==0.19.0) gguf.quants quantisers and dequantisers, an
implementation of ggml's quantize_row_q5_0_ref / q5_1_ref / q4_1_ref independent of ours.

- rows: awkward f32 rows (mixed magnitudes, zero and constant blocks, a single huge value,
  negative signed maxima, equal-magnitude ties, all-positive blocks (the min is positive),
  f16-subnormal scales, exact .5 rounding boundaries) with gguf-py's bytes and dequantised values
  per type;
- blocks: random bytes with finite f16 scales, dequantised by gguf-py (fifth bits and nibbles a
  quantiser rarely produces).

Run:  /path/to/venv/bin/python tools/make_q5_fixture.py [--out tests/fixtures/kernels]
Deterministic: a second run writes byte-identical output. Takes a second.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import gguf

QT = gguf.GGMLQuantizationType
TYPES = (("q5_0", QT.Q5_0), ("q5_1", QT.Q5_1), ("q4_1", QT.Q4_1))


def rows(rng):
    out = []
    out.append(("small_normal", rng.normal(0, 0.02, 64)))
    out.append(("awkward_magnitudes",
                np.concatenate([rng.normal(0, s, 32) for s in (1e-3, 1.0, 1e3)])))
    out.append(("zero_block", np.concatenate([np.zeros(32), rng.normal(0, 1, 32)])))
    huge = rng.normal(0, 0.01, 64)
    huge[37] = 5000.0
    out.append(("single_huge_value", huge))
    neg = rng.uniform(-1, 1, 32)
    neg[5] = -7.25
    out.append(("negative_max", np.concatenate([neg, -np.abs(rng.normal(0, 3, 32))])))
    tie = rng.uniform(-1, 1, 64)
    tie[3], tie[20] = 3.0, -3.0  # equal magnitude: the first one sets the Q5_0 sign
    tie[40], tie[50] = -2.0, 2.0
    out.append(("tied_magnitudes", tie))
    out.append(("all_positive", rng.uniform(0.5, 1.5, 64)))  # Q5_1 / Q4_1 min > 0
    out.append(("f16_subnormal_scale", rng.normal(0, 2e-6, 64)))
    # Q5_0 d = 1 (max -16): x * id + 16.5 lands on integers, i.e. exact .5 boundaries of x.
    halves = np.array([-16.0, -0.5, 0.5, 14.5, 15.5, 15.4, -15.5, 6.5]
                      + [0.25 * i - 3 for i in range(24)])
    # Q5_1 / Q4_1 d = 1 (min 0, max 31 / 15): (x - min) + 0.5 on integers.
    q1h = np.array([0.0, 31.0, 0.5, 1.5, 30.5, 14.5, 15.0, 7.5] + [0.5 * i for i in range(24)])
    out.append(("rounding_halves", np.concatenate([halves, q1h])))
    out.append(("constant", np.full(32, 0.3)))
    out.append(("long_row", rng.normal(0, 1, 256)))
    return [(n, r.astype(np.float32)) for n, r in out]


def random_blocks(rng, qt, count):
    block, size = gguf.GGML_QUANT_SIZES[qt]
    out = []
    for i in range(count):
        raw = bytearray(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
        scales = 1 if qt == QT.Q5_0 else 2  # d (and m) as finite f16 of either sign
        for k in range(scales):
            v = np.float32(rng.uniform(1e-3, 1.0) * (-1 if (i + k) % 2 else 1))
            raw[2 * k: 2 * k + 2] = np.array([v], np.float32).astype(np.float16).tobytes()
        out.append((f"random_bytes_{i}", bytes(raw)))
    return out


def num_list(values) -> str:
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="tests/fixtures/kernels")
    args = ap.parse_args()
    rng = np.random.default_rng(20261207)
    items = []
    for name, x in rows(rng):
        fields = [f'      "name": {json.dumps(name)}', f'      "n": {x.size}',
                  f'      "x": {num_list(x)}']
        for key, qt in TYPES:
            q = gguf.quants.quantize(x.reshape(1, -1), qt)
            deq = gguf.quants.dequantize(q, qt).reshape(-1).astype(np.float32)
            fields.append(f'      "{key}": "{np.ascontiguousarray(q).view(np.uint8).tobytes().hex()}"')
            fields.append(f'      "{key}_dequant": {num_list(deq)}')
        items.append("    {\n" + ",\n".join(fields) + "\n    }")
    blocks = []
    for key, qt in TYPES:
        for name, raw in random_blocks(rng, qt, 3):
            deq = gguf.quants.dequantize(np.frombuffer(raw, np.uint8).reshape(1, -1), qt)
            blocks.append("    {\n" + ",\n".join([
                f'      "name": {json.dumps(key + "_" + name)}', f'      "type": "{key}"',
                f'      "bytes": "{raw.hex()}"',
                f'      "dequant": {num_list(deq.reshape(-1))}']) + "\n    }")
    text = "\n".join([
        "{",
        '  "reference": "gguf-py ' + getattr(gguf, "__version__", "0.19.0")
        + ' gguf.quants (tools/make_q5_fixture.py)",',
        '  "rows": [', ",\n".join(items), "  ],",
        '  "blocks": [', ",\n".join(blocks), "  ]",
        "}"]) + "\n"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "quant_legacy_ref.json").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
