#!/usr/bin/env python3
"""Builds gapbench's engine and kernel reference fixtures from independent implementations.

Engine fixtures (--out, default tests/fixtures/engine):
  1. trains a tiny byte-level BPE tokenizer with the HF `tokenizers` library on built-in text;
  2. builds tiny random llama / qwen2 / qwen3 / gemma2 / gemma3 / phi3 models with
     `transformers` (seeded, float32);
  3. saves each as an HF checkpoint and converts it with tools/hf_to_gguf.py (our converter,
     writing through gguf-py) to F32 / F16 / BF16 / Q8_0 / Q4_0 GGUFs;
  4. reads every GGUF back with gguf-py, dequantises it, undoes the llama q/k permutation and loads
     those weights into the HF model, then records transformers' logits (eager attention,
     float32) for three token sequences -- plus the original model's logits -- in a JSON next to
     the GGUF. For F32 files the read-back weights must equal the originals bit for bit.
  5. records the HF tokenizer's ids for a set of awkward strings (tokenizer_cases.json).

Kernel fixture (--kernels-out, default tests/fixtures/kernels): quant_ref.json, f32 rows with
gguf-py's F16 / BF16 / Q8_0 / Q4_0 bytes and the dequantised values.

Deterministic: same bytes on every run on one machine (one torch thread, seeded generators,
fixed JSON number formatting). Not here: anything the C++ engine computes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import zlib
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAYON_NUM_THREADS", "1")

import gguf  # noqa: E402
import numpy as np  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from tokenizers import decoders, models, pre_tokenizers, trainers  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hf_to_gguf  # noqa: E402

QT = gguf.GGMLQuantizationType
N_VOCAB = 320
BOS, EOS = "<|begin_of_text|>", "<|end_of_text|>"
WTYPES = ["f32", "f16", "bf16", "q8_0", "q4_0"]
NEW_WTYPES = ["f32", "f16", "bf16", "q8_0"]

# Training text for the tokenizer: English prose, code, numbers and a little non-ASCII, so the
# merges include words, indentation and digit groups.
CORPUS = """\
The quick brown fox jumps over the lazy dog. The dog did not care; it was asleep in the sun.
A language model reads tokens and predicts the next one. The model is small, the test is fast,
and the numbers must match the reference to within a stated tolerance.
It's the engine's job to agree with the reference: we'll check every layer, and they're sure
the results are right only when the logits agree. I'm here, you're there, she'd know.
def forward(self, tokens, positions):
    hidden = self.embed(tokens)
    for layer in self.layers:
        hidden = layer(hidden, positions)
    return self.head(self.norm(hidden))

for (int i = 0; i < n; ++i) {
    sum += x[i] * y[i];
}
if x == 0 and y != 1: return None
Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 100 256 1024 2048 65536 3.14159 2.71828 1e-5 1e6
Dates and times: 2024-05-17 12:30:45, version 1.2.3, port 8080, id 0x7f.
Caf\u00e9, na\u00efve, r\u00e9sum\u00e9, \u00fcber, stra\u00dfe, \u4f60\u597d\u4e16\u754c, \u3053\u3093\u306b\u3061\u306f, \u041f\u0440\u0438\u0432\u0435\u0442.
The rain in Spain stays mainly in the plain. There is no place like home, there is no time
like the present, and there is nothing like a test that fails when the code is wrong.
"""

# Token sequences for the logits fixtures: (text, length, starts with BOS).
SEQUENCES = [
    ("The quick brown fox", 6, True),
    ("def forward(self, tokens):\n    return x", 9, False),
    ("Caf\u00e9 2048 \u4f60\u597d  \tnaïve!!", 12, False),
]

# Strings whose HF ids the C++ tokenizer must reproduce (add_special_tokens=False).
TOKENIZER_CASES = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    " leading space",
    "trailing spaces   ",
    "multiple   spaces\tand\ttabs",
    "new\nlines\n\n\nand\r\nCRLF",
    "digits 1234567890 and 3.14159",
    "it's don't we'll they're I'm you've he'd",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 stra\u00dfe",
    "\u4f60\u597d\u4e16\u754c \u3053\u3093\u306b\u3061\u306f",
    "emoji \U0001f600\U0001f680 and \u00e9\u0301 combining",
    "    def f(x):\n        return x + 1",
    "!!!???... ---",
    "",
    " ",
]

# Variants: name -> (arch, tied, extra config, weight types).
TINY = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            head_dim=16, intermediate_size=128, vocab_size=N_VOCAB, max_position_embeddings=128)
LLAMA3_ROPE = dict(rope_type="llama3", rope_theta=10000.0, factor=8.0, low_freq_factor=1.0,
                   high_freq_factor=4.0, original_max_position_embeddings=32)
VARIANTS = [
    ("llama-tied", "llama", True, {}, WTYPES),
    ("llama-untied", "llama", False, {}, WTYPES),
    ("llama-rope3", "llama", False, {"rope_parameters": LLAMA3_ROPE}, WTYPES),
    ("llama-mha", "llama", True, {"num_key_value_heads": 4}, ["f32", "q8_0"]),
    ("qwen2-tied", "qwen2", True, {}, WTYPES),
    ("qwen2-untied", "qwen2", False, {}, WTYPES),
    # head_dim 32 with 4 heads: n_q = 128 differs from n_embd = 64, as in Qwen3-0.6B.
    ("qwen3-tied", "qwen3", True, {"head_dim": 32}, NEW_WTYPES),
    # Window 4 < the 6..12-token sequences (layers 0 and 2 windowed, 1 global); soft-caps small
    # enough that the random model's scores and logits reach them; query_pre_attn_scalar 24
    # differs from head_dim 32 (written as attention.scale).
    ("gemma2", "gemma2", True, {"head_dim": 32, "num_hidden_layers": 3, "sliding_window": 4,
                                "attn_logit_softcapping": 2.0, "final_logit_softcapping": 4.0,
                                "query_pre_attn_scalar": 24}, NEW_WTYPES),
    # 7 layers: 0-4 and 6 local (window 4, base 1e4), 5 global (base 1e6, linear factor 8).
    ("gemma3", "gemma3", True, {"head_dim": 32, "num_hidden_layers": 7, "sliding_window": 4,
                                "num_key_value_heads": 1}, NEW_WTYPES),
    ("phi3", "phi3", False, {}, NEW_WTYPES),
]
WEIGHT_STD, BIAS_STD, NORM_STD = 0.15, 0.1, 0.2


def TrainTokenizer() -> tokenizers.Tokenizer:
    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=N_VOCAB, special_tokens=[BOS, EOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(CORPUS.splitlines(keepends=True), trainer=trainer)
    if tok.get_vocab_size() != N_VOCAB:
        raise SystemExit(f"tokenizer has {tok.get_vocab_size()} tokens, wanted {N_VOCAB}: "
                         "grow CORPUS")
    assert tok.token_to_id(BOS) == 0 and tok.token_to_id(EOS) == 1
    return tok


HF_CLASSES = {
    "llama": (transformers.LlamaConfig, transformers.LlamaForCausalLM),
    "qwen2": (transformers.Qwen2Config, transformers.Qwen2ForCausalLM),
    "qwen3": (transformers.Qwen3Config, transformers.Qwen3ForCausalLM),
    "gemma2": (transformers.Gemma2Config, transformers.Gemma2ForCausalLM),
    "gemma3": (transformers.Gemma3TextConfig, transformers.Gemma3ForCausalLM),
    "phi3": (transformers.Phi3Config, transformers.Phi3ForCausalLM),
}
ARCH_OF_MODEL_TYPE = {"llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3", "gemma2": "gemma2",
                      "gemma3_text": "gemma3", "phi3": "phi3"}


def MakeConfig(arch: str, tied: bool, extra: dict):
    kw = dict(TINY)
    kw.update(tie_word_embeddings=tied, bos_token_id=0, eos_token_id=1)
    if arch == "llama":
        kw.update(rms_norm_eps=1e-5, rope_parameters={"rope_type": "default", "rope_theta": 1e4})
    elif arch in ("qwen2", "qwen3"):
        kw.update(rms_norm_eps=1e-6, rope_parameters={"rope_type": "default", "rope_theta": 1e6})
    elif arch == "gemma2":
        kw.update(rms_norm_eps=1e-6, rope_parameters={"rope_type": "default", "rope_theta": 1e4},
                  hidden_activation="gelu_pytorch_tanh")
    elif arch == "gemma3":
        kw.update(rms_norm_eps=1e-6, hidden_activation="gelu_pytorch_tanh",
                  query_pre_attn_scalar=32, rope_parameters={
                      "full_attention": {"rope_type": "linear", "factor": 8.0,
                                         "rope_theta": 1e6},
                      "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}})
    elif arch == "phi3":
        kw.pop("head_dim")
        kw.update(pad_token_id=1, rms_norm_eps=1e-5, rope_parameters={"rope_type": "default", "rope_theta": 1e4})
    kw.update(extra)
    cfg = HF_CLASSES[arch][0](**kw)
    cfg._attn_implementation = "eager"
    return cfg


def BuildModel(cfg, seed: int):
    arch = ARCH_OF_MODEL_TYPE[cfg.model_type]
    model = HF_CLASSES[arch][1](cfg).eval()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
            if name.endswith("norm.weight") and arch in hf_to_gguf.GEMMA:
                p.copy_(NORM_STD * noise)  # Gemma scales by (1 + w)
            elif name.endswith("norm.weight"):
                p.copy_(1.0 + NORM_STD * noise)  # not all ones, so the scale is exercised
            elif name.endswith(".bias"):
                p.copy_(BIAS_STD * noise)
            else:
                p.copy_(WEIGHT_STD * noise)
    return model


def ReadGgufAsHf(path: Path, arch: str, cfg) -> dict[str, torch.Tensor]:
    """gguf-py read-back: GGUF tensors -> HF names/layout, dequantised to float32."""
    reverse = {v: k for k, v in hf_to_gguf.GLOBAL_MAP.items()}
    for hf_suffix, g in hf_to_gguf.LayerMap(arch).items():
        for i in range(cfg.num_hidden_layers):
            for kind in ("weight", "bias"):
                reverse[f"blk.{i}.{g}.{kind}"] = f"model.layers.{i}.{hf_suffix}.{kind}"
    out = {}
    for t in gguf.GGUFReader(str(path)).tensors:
        if t.name == "rope_freqs.weight":
            continue  # HF derives the frequencies from the config
        shape = tuple(int(d) for d in reversed(t.shape.tolist()))  # ggml ne -> numpy order
        data = gguf.quants.dequantize(np.asarray(t.data), t.tensor_type).reshape(shape)
        hf_name = reverse[t.name]
        if arch in hf_to_gguf.GEMMA and t.name.endswith("norm.weight"):
            data = data - np.float32(1.0)  # undo the converter's 1 + w
        if arch == "llama" and ".q_proj." in hf_name:
            data = hf_to_gguf.UnpermuteNormRope(data, cfg.num_attention_heads)
        elif arch == "llama" and ".k_proj." in hf_name:
            data = hf_to_gguf.UnpermuteNormRope(data, cfg.num_key_value_heads)
        out[hf_name] = torch.from_numpy(np.ascontiguousarray(data, dtype=np.float32))
    return out


def GgufForward(path: Path, tokens: list[int]) -> np.ndarray:
    """Self-check: a float64 numpy forward pass that reads the GGUF the way ENGINE_NOTES says the
    engine must (ggml layout, NORM rope pairs (2i, 2i+1) for llama with rope_freqs divisors, NEOX
    pairs (i, i + d/2) otherwise, output falling back to token_embd; Gemma: embeddings times
    sqrt(n_embd), stored norms already 1 + w, post-norms, GeGLU-tanh, soft-caps, windows on the
    family's layers with keys p-W+1..p, gemma3's local rope base; qk norms where the tensors are;
    phi3's fused attn_qkv and ffn_up). Agreement with the HF logits proves the converter's
    conventions match those the engine implements."""
    r = gguf.GGUFReader(str(path))

    def Field(key, default=None):
        f = r.get_field(key)
        return default if f is None else f.contents()

    arch = Field("general.architecture")
    n_head, n_kv = Field(f"{arch}.attention.head_count"), Field(f"{arch}.attention.head_count_kv")
    eps, base = Field(f"{arch}.attention.layer_norm_rms_epsilon"), Field(f"{arch}.rope.freq_base")
    w = {}
    for t in r.tensors:
        shape = tuple(int(d) for d in reversed(t.shape.tolist()))
        w[t.name] = gguf.quants.dequantize(np.asarray(t.data), t.tensor_type).reshape(shape) \
            .astype(np.float64)
    n_layer = Field(f"{arch}.block_count")
    n_embd = Field(f"{arch}.embedding_length")
    gemma = arch in hf_to_gguf.GEMMA
    x = w["token_embd.weight"][tokens]  # [T, n_embd]
    if gemma:
        x = x * float(np.float32(np.sqrt(n_embd)))
    n_tok = len(tokens)
    hd = Field(f"{arch}.rope.dimension_count")
    ff = w.get("rope_freqs.weight", np.ones(hd // 2))
    scale = Field(f"{arch}.attention.scale", hd ** -0.5)
    attn_cap = Field(f"{arch}.attn_logit_softcapping", 0.0)
    final_cap = Field(f"{arch}.final_logit_softcapping", 0.0)
    window = Field(f"{arch}.attention.sliding_window", 0) if gemma else 0
    factor = Field(f"{arch}.rope.scaling.factor", 1.0)

    def Trig(layer_base, pos_scale):
        theta = np.arange(n_tok)[:, None] * pos_scale * \
            layer_base ** (-2.0 * np.arange(hd // 2) / hd) / ff  # [T, d/2]
        return np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]

    def Rms(v, g):
        return v / np.sqrt((v * v).mean(-1, keepdims=True) + eps) * g

    def Rope(v, cos, sin):  # [T, heads, hd]
        if arch == "llama":
            a, b = v[..., 0::2], v[..., 1::2]
            outv = np.empty_like(v)
            outv[..., 0::2], outv[..., 1::2] = a * cos - b * sin, a * sin + b * cos
            return outv
        a, b = v[..., : hd // 2], v[..., hd // 2:]
        return np.concatenate([a * cos - b * sin, a * sin + b * cos], -1)

    def Lin(v, name):
        y = v @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    def Cap(v, cap):
        return cap * np.tanh(v / cap) if cap else v

    pos = np.arange(n_tok)
    for i in range(n_layer):
        p = f"blk.{i}."
        windowed = window and ((arch == "gemma2" and i % 2 == 0) or
                               (arch == "gemma3" and i % 6 != 5))
        layer_base, pos_scale = base, 1.0 / factor
        if arch == "gemma3" and windowed:
            layer_base, pos_scale = Field("gemma3.rope.freq_base_swa", 1e4), 1.0
        cos, sin = Trig(layer_base, pos_scale)
        mask = np.where(pos[None, :] > pos[:, None], -np.inf, 0.0)
        if windowed:
            mask = np.where(pos[None, :] <= pos[:, None] - window, -np.inf, mask)
        h = Rms(x, w[p + "attn_norm.weight"])
        if p + "attn_qkv.weight" in w:
            qkv = Lin(h, p + "attn_qkv")
            q, k, v = np.split(qkv, [n_head * hd, (n_head + n_kv) * hd], axis=-1)
        else:
            q, k, v = Lin(h, p + "attn_q"), Lin(h, p + "attn_k"), Lin(h, p + "attn_v")
        q, k, v = (q.reshape(n_tok, n_head, hd), k.reshape(n_tok, n_kv, hd),
                   v.reshape(n_tok, n_kv, hd))
        if p + "attn_q_norm.weight" in w:
            q, k = Rms(q, w[p + "attn_q_norm.weight"]), Rms(k, w[p + "attn_k_norm.weight"])
        q, k = Rope(q, cos, sin), Rope(k, cos, sin)
        att = np.empty((n_tok, n_head, hd))
        for head in range(n_head):
            kv = head // (n_head // n_kv)
            s = Cap(q[:, head] @ k[:, kv].T * scale, attn_cap) + mask
            s = np.exp(s - s.max(-1, keepdims=True))
            att[:, head] = (s / s.sum(-1, keepdims=True)) @ v[:, kv]
        o = Lin(att.reshape(n_tok, -1), p + "attn_output")
        if p + "post_attention_norm.weight" in w:
            o = Rms(o, w[p + "post_attention_norm.weight"])
        x = x + o
        h = Rms(x, w[p + "ffn_norm.weight"])
        if p + "ffn_gate.weight" in w:
            g, u = Lin(h, p + "ffn_gate"), Lin(h, p + "ffn_up")
        else:
            g, u = np.split(Lin(h, p + "ffn_up"), 2, axis=-1)
        if gemma:
            act = 0.5 * g * (1 + np.tanh(np.sqrt(2 / np.pi) * (g + 0.044715 * g ** 3)))
        else:
            act = g / (1 + np.exp(-g))
        f = Lin(act * u, p + "ffn_down")
        if p + "post_ffw_norm.weight" in w:
            f = Rms(f, w[p + "post_ffw_norm.weight"])
        x = x + f
    head_w = w.get("output.weight", w["token_embd.weight"])
    return Cap(Rms(x, w["output_norm.weight"]) @ head_w.T, final_cap)


def Logits(model, sequences: list[list[int]]) -> list[np.ndarray]:
    with torch.no_grad():
        return [model(input_ids=torch.tensor([s])).logits[0].numpy() for s in sequences]


class Num:
    """A float rendered with a fixed format inside DumpJson."""

    def __init__(self, v: float, fmt: str):
        self.text = format(float(v), fmt) if fmt != "repr" else repr(float(v))
        if not np.isfinite(v):
            raise ValueError(f"non-finite value {v}")


def DumpJson(obj, indent: int = 0) -> str:
    """Small deterministic JSON writer: numeric lists on one line, dicts one key per line."""
    pad = " " * indent
    if isinstance(obj, Num):
        return obj.text
    if isinstance(obj, dict):
        items = [f'{pad}  {json.dumps(k)}: {DumpJson(v, indent + 2)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}" if items else "{}"
    if isinstance(obj, list):
        if all(isinstance(v, (Num, int, float, str, bool)) or v is None for v in obj):
            return "[" + ",".join(DumpJson(v) for v in obj) + "]"
        items = [f"{pad}  {DumpJson(v, indent + 2)}" for v in obj]
        return "[\n" + ",\n".join(items) + f"\n{pad}]" if items else "[]"
    return json.dumps(obj, ensure_ascii=False)


def LogitRows(a: np.ndarray) -> list:
    return [[Num(v, ".7g") for v in row] for row in a.tolist()]


def MakeEngineFixtures(out: Path, only: set[str]) -> list[tuple[str, int, float, float]]:
    out.mkdir(parents=True, exist_ok=True)
    tok = TrainTokenizer()
    sequences = []
    for text, length, with_bos in SEQUENCES:
        ids = tok.encode(text, add_special_tokens=False).ids
        ids = ([0] if with_bos else []) + ids
        if len(ids) < length:
            raise SystemExit(f"sequence {text!r} has only {len(ids)} tokens")
        sequences.append(ids[:length])

    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, arch, tied, extra, wtypes in VARIANTS:
            if only and name not in only:
                continue
            cfg = MakeConfig(arch, tied, extra)
            model = BuildModel(cfg, zlib.crc32(name.encode()))
            ckpt = Path(tmp) / name
            model.save_pretrained(ckpt)
            tok.save(str(ckpt / "tokenizer.json"))
            (ckpt / "tokenizer_config.json").write_text(json.dumps(
                {"add_bos_token": arch == "llama", "bos_token": BOS, "eos_token": EOS}))
            original = Logits(model, sequences)
            hf_config = json.loads((ckpt / "config.json").read_text())
            for drop in ("transformers_version", "_name_or_path"):
                hf_config.pop(drop, None)
            for wtype in wtypes:
                stem = f"{name}-{wtype}"
                gguf_path = out / f"{stem}.gguf"
                hf_to_gguf.Convert(ckpt, gguf_path, wtype, name=stem)
                weights = ReadGgufAsHf(gguf_path, arch, cfg)
                if wtype == "f32":
                    ref = model.state_dict()
                    for k, v in weights.items():
                        # Gemma norms hold 1 + w: what HF computes from the read-back w equals
                        # what it computes from the original (1 + w is exact both ways).
                        gemma_norm = arch in hf_to_gguf.GEMMA and k.endswith("norm.weight")
                        same = torch.equal(1 + ref[k], 1 + v) if gemma_norm else \
                            torch.equal(ref[k], v)
                        if not same:
                            raise SystemExit(f"{gguf_path}: {k} does not round-trip")
                    logits = original
                else:
                    qmodel = BuildModel(cfg, 0)
                    with torch.no_grad():
                        for k, v in weights.items():
                            qmodel.get_parameter(k).copy_(v)
                    logits = Logits(qmodel, sequences)
                seqs = []
                for ids, lg, lo in zip(sequences, logits, original):
                    entry = {"tokens": ids, "logits": LogitRows(lg)}
                    if wtype != "f32":
                        entry["logits_original"] = LogitRows(lo)
                    seqs.append(entry)
                doc = {
                    "gguf": gguf_path.name,
                    "arch": arch,
                    "wtype": wtype,
                    "tied": tied,
                    "config": hf_config,
                    "reference": f"transformers {transformers.__version__} float32 eager attention",
                    "weights_reference": "original" if wtype == "f32" else "dequantized",
                    "sequences": seqs,
                }
                (out / f"{stem}.json").write_text(DumpJson(doc) + "\n", encoding="utf-8")
                max_abs = max(float(np.abs(lg).max()) for lg in logits)
                check = max(float(np.abs(GgufForward(gguf_path, ids) - lg).max())
                            for ids, lg in zip(sequences, logits))
                if check > 1e-4:
                    raise SystemExit(f"{gguf_path}: numpy GGUF forward differs by {check}")
                summary.append((gguf_path.name, gguf_path.stat().st_size, max_abs, check))

    cases = []
    for text in TOKENIZER_CASES:
        enc = tok.encode(text, add_special_tokens=False)
        cases.append({"text": text, "ids": enc.ids, "decoded": tok.decode(enc.ids)})
    doc = {
        "gguf": "llama-tied-f32.gguf",
        "reference": f"tokenizers {tokenizers.__version__} ByteLevel BPE "
                     "(add_prefix_space=false, GPT-2 regex), add_special_tokens=false",
        "bos_id": 0,
        "eos_id": 1,
        "cases": cases,
    }
    (out / "tokenizer_cases.json").write_text(DumpJson(doc) + "\n", encoding="utf-8")
    return summary


def QuantRows() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(20240517)
    rows = []
    rows.append(("small_normal", rng.normal(0, 0.02, 64)))
    mags = np.concatenate([rng.normal(0, s, 32) for s in (1e-3, 1.0, 1e3)])
    rows.append(("awkward_magnitudes", mags))
    rows.append(("zero_block", np.concatenate([np.zeros(32), rng.normal(0, 1, 32)])))
    huge = rng.normal(0, 0.01, 64)
    huge[37] = 5000.0
    rows.append(("single_huge_value", huge))
    neg = rng.uniform(-1, 1, 32)
    neg[5] = -7.25
    rows.append(("negative_max", np.concatenate([neg, -np.abs(rng.normal(0, 3, 32))])))
    tie = rng.uniform(-1, 1, 64)
    tie[3], tie[20] = 3.0, -3.0  # equal magnitude: the first one sets the Q4_0 sign
    tie[40], tie[50] = -2.0, 2.0
    rows.append(("tied_magnitudes", tie))
    rows.append(("f16_subnormal_scale", rng.normal(0, 2e-6, 64)))
    # Exact halves: Q8_0 d = 1 (max 127) and Q4_0 d = 1 (max -8) so x*id lands on .5 boundaries.
    halves = np.array([127.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5] + [0.25 * i for i in range(24)])
    q4h = np.array([-8.0, -0.5, 0.5, 7.4, 7.5, 7.6, -7.5, 6.5] + [-0.125 * i for i in range(24)])
    rows.append(("rounding_halves", np.concatenate([halves, q4h])))
    rows.append(("constant", np.full(32, 0.3)))
    rows.append(("long_row", rng.normal(0, 1, 256)))
    return [(n, r.astype(np.float32)) for n, r in rows]


def MakeQuantFixture(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, x in QuantRows():
        e = {"name": name, "n": int(x.size), "x": [Num(v, "repr") for v in x]}
        for key, qt in (("f16", QT.F16), ("bf16", QT.BF16), ("q8_0", QT.Q8_0), ("q4_0", QT.Q4_0)):
            q = gguf.quants.quantize(x.reshape(1, -1), qt)
            e[key] = np.ascontiguousarray(q).view(np.uint8).tobytes().hex()
            deq = gguf.quants.dequantize(q, qt).reshape(-1).astype(np.float32)
            e[key + "_dequant"] = [Num(v, "repr") for v in deq]
        entries.append(e)
    doc = {"reference": f"gguf-py {gguf.__version__ if hasattr(gguf, '__version__') else ''}"
                        f" gguf.quants (bit-exact with ggml's quantize_row_*_ref)".replace("  ", " "),
           "rows": entries}
    (out / "quant_ref.json").write_text(DumpJson(doc) + "\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description="Regenerates gapbench's reference fixtures.")
    ap.add_argument("--out", type=Path, default=Path("tests/fixtures/engine"))
    ap.add_argument("--kernels-out", type=Path, default=Path("tests/fixtures/kernels"))
    ap.add_argument("--variants", default="", help="comma-separated variant names (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    MakeQuantFixture(args.kernels_out)
    only = set(v for v in args.variants.split(",") if v)
    for name, size, max_abs, check in MakeEngineFixtures(args.out, only):
        print(f"{name:26s} {size:7d} bytes  max|logit| {max_abs:.4f}  numpy-vs-HF {check:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
