#!/usr/bin/env python3
"""Converts a Hugging Face llama / qwen2 / qwen3 / gemma2 / gemma3 / phi3 checkpoint into a GGUF.

This is gapbench's own converter, written after reading llama.cpp's convert_hf_to_gguf.py and
following its conventions so that our GGUF files look like the ones people download:

  * tensor names: token_embd, output_norm, output (absent when the embeddings are tied),
    rope_freqs, blk.N.{attn_norm, attn_q, attn_k, attn_v, attn_output, ffn_norm, ffn_gate,
    ffn_up, ffn_down}.{weight,bias}; qwen3 / gemma3 add attn_q_norm, attn_k_norm; gemma2 /
    gemma3 name their four norms attn_norm, post_attention_norm, ffn_norm (pre-feed-forward)
    and post_ffw_norm; phi3 keeps its fused attn_qkv and ffn_up (gate rows, then up rows);
  * Gemma: every *norm.weight is written as 1 + w (the engine multiplies by the stored weight);
    the embeddings are tied; gemma2 writes both soft-caps and the sliding window; gemma3 writes
    the window, the global rope base (rope.freq_base), the local one (rope.freq_base_swa) and a
    linear rope scaling of the global layers; a query_pre_attn_scalar other than head_dim is
    written as attention.scale (llama.cpp's converter writes none: it assumes head_dim);
  * ggml dimension order: an HF [out, in] matrix is written as ne = {in, out} (numpy keeps the
    HF shape; the writer reverses it);
  * llama only: the rows of q_proj / k_proj (and their biases, if any) are permuted per head from
    HF's rotate-half (NEOX) layout to interleaved pairs, so the engine applies NORM rope to
    llama GGUFs; qwen2 keeps HF's layout and uses NEOX rope;
  * Llama-3 rope scaling becomes a rope_freqs.weight tensor of head_dim/2 frequency divisors;
  * 1-D tensors (norms, biases, rope_freqs) stay F32 in every output type; 2-D tensors take the
    requested type (f32, f16, bf16, q8_0, q4_0) -- token_embd and output included; a matrix whose
    row length is not a multiple of 32 falls back to F16 for the quantised types;
  * tokenizer: byte-level BPE (tokenizer.ggml.model = "gpt2") from tokenizer.json.

Quantisation and file writing use gguf-py (gguf.quants, gguf.GGUFWriter), an implementation
independent of gapbench's C++ kernels and reader.

Deliberately left out: SentencePiece tokenizers, other architectures, LongRoPE, sharded checkpoints,
.bin (pickle) checkpoints, k-quants, lazy loading of large models.

Usage: hf_to_gguf.py MODEL_DIR --outfile out.gguf --outtype {f32,f16,bf16,q8_0,q4_0}
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import gguf
import numpy as np
from safetensors.numpy import load_file

QT = gguf.GGMLQuantizationType

# Output type name -> (2-D tensor type, general.file_type).
OUT_TYPES = {
    "f32": (QT.F32, gguf.LlamaFileType.ALL_F32),
    "f16": (QT.F16, gguf.LlamaFileType.MOSTLY_F16),
    "bf16": (QT.BF16, gguf.LlamaFileType.MOSTLY_BF16),
    "q8_0": (QT.Q8_0, gguf.LlamaFileType.MOSTLY_Q8_0),
    "q4_0": (QT.Q4_0, gguf.LlamaFileType.MOSTLY_Q4_0),
}

ARCH_BY_HF_CLASS = {
    "LlamaForCausalLM": "llama",
    "Qwen2ForCausalLM": "qwen2",
    "Qwen3ForCausalLM": "qwen3",
    "Gemma2ForCausalLM": "gemma2",
    "Gemma3ForCausalLM": "gemma3",
    "Phi3ForCausalLM": "phi3",
}
GEMMA = ("gemma2", "gemma3")

# HF per-layer suffix -> GGUF per-layer name (weight and bias share the mapping).
LAYER_MAP = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
    "self_attn.q_norm": "attn_q_norm",
    "self_attn.k_norm": "attn_k_norm",
}
# Phi-3: fused q/k/v rows and fused gate/up rows (gate first), kept fused as llama.cpp does.
PHI3_LAYER_MAP = {k: v for k, v in LAYER_MAP.items()
                  if k not in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                               "mlp.gate_proj", "mlp.up_proj")}
PHI3_LAYER_MAP.update({"self_attn.qkv_proj": "attn_qkv", "mlp.gate_up_proj": "ffn_up"})
# Gemma 2/3: four norms per layer (post_attention_layernorm follows attention there).
GEMMA_LAYER_MAP = dict(LAYER_MAP, **{
    "post_attention_layernorm": "post_attention_norm",
    "pre_feedforward_layernorm": "ffn_norm",
    "post_feedforward_layernorm": "post_ffw_norm",
})


def LayerMap(arch: str) -> dict[str, str]:
    if arch == "phi3":
        return PHI3_LAYER_MAP
    return GEMMA_LAYER_MAP if arch in GEMMA else LAYER_MAP
GLOBAL_MAP = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}


class ConversionError(Exception):
    pass


def PermuteNormRope(w: np.ndarray, n_head: int) -> np.ndarray:
    """HF rotate-half row order -> interleaved pairs, per head.

    HF's q/k rows of one head are [x_0 .. x_{d/2-1} | x_{d/2} .. x_{d-1}] with x_i rotated against
    x_{i+d/2}. NORM rope rotates adjacent rows (2i, 2i+1), so row 2i must hold x_i and row 2i+1 hold
    x_{i+d/2}: view each head as [2, d/2] and transpose to [d/2, 2]. Works on weights [out, in]
    and biases [out].
    """
    out = w.shape[0]
    if out % (2 * n_head):
        raise ConversionError(f"cannot permute {out} rows into {n_head} heads of pairs")
    half = out // n_head // 2
    return w.reshape(n_head, 2, half, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def UnpermuteNormRope(w: np.ndarray, n_head: int) -> np.ndarray:
    """Inverse of PermuteNormRope (GGUF llama q/k rows -> HF rows)."""
    half = w.shape[0] // n_head // 2
    return w.reshape(n_head, half, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def Llama3RopeFactors(head_dim: int, theta: float, scaling: dict) -> np.ndarray:
    """Per-frequency divisors equivalent to HF's llama3 inv_freq adjustment.

    The engine computes theta_i = pos * base^(-2i/d) / factor_i; HF computes the adjusted
    inv_freq directly. For wavelength lambda = 2*pi/inv_freq: lambda < orig/high keeps the
    frequency (factor 1), lambda > orig/low divides it by `factor`, and in between HF blends
    (1-s)*inv/factor + s*inv, i.e. a divisor of 1/((1-s)/factor + s).
    """
    factor = float(scaling.get("factor", 8.0))
    low = float(scaling.get("low_freq_factor", 1.0))
    high = float(scaling.get("high_freq_factor", 4.0))
    orig = float(scaling.get("original_max_position_embeddings", 8192))
    # Same float32 arithmetic as HF for the base frequencies.
    exps = np.arange(0, head_dim, 2, dtype=np.int64).astype(np.float32) / np.float32(head_dim)
    inv_freq = 1.0 / (np.float32(theta) ** exps)
    factors = []
    for f in inv_freq.astype(np.float64):
        wavelen = 2 * math.pi / f
        if wavelen < orig / high:
            factors.append(1.0)
        elif wavelen > orig / low:
            factors.append(factor)
        else:
            smooth = (orig / wavelen - low) / (high - low)
            factors.append(1.0 / ((1.0 - smooth) / factor + smooth))
    return np.asarray(factors, dtype=np.float32)


def RopeParameters(config: dict) -> dict:
    """transformers 5 writes `rope_parameters`; older checkpoints use rope_theta + rope_scaling."""
    params = dict(config.get("rope_parameters") or {})
    scaling = config.get("rope_scaling") or {}
    for k, v in scaling.items():
        params.setdefault(k, v)
    if "type" in params and "rope_type" not in params:
        params["rope_type"] = params["type"]
    params.setdefault("rope_theta", config.get("rope_theta", 10000.0))
    params.setdefault("rope_type", "default")
    return params


def MapTensorName(hf_name: str, arch: str = "llama") -> str:
    if hf_name in GLOBAL_MAP:
        return GLOBAL_MAP[hf_name]
    layer_map = LayerMap(arch)
    parts = hf_name.split(".")
    # model.layers.<i>.<suffix>.<weight|bias>
    if len(parts) >= 5 and parts[0] == "model" and parts[1] == "layers" and parts[2].isdigit():
        suffix = ".".join(parts[3:-1])
        if suffix in layer_map and parts[-1] in ("weight", "bias"):
            return f"blk.{int(parts[2])}.{layer_map[suffix]}.{parts[-1]}"
    raise ConversionError(f"tensor '{hf_name}' has no GGUF name (unsupported checkpoint?)")


def LoadCheckpoint(model_dir: Path) -> dict[str, np.ndarray]:
    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise ConversionError(f"{model_dir}: no *.safetensors file")
    tensors: dict[str, np.ndarray] = {}
    for f in files:
        for name, t in load_file(str(f)).items():
            if name in tensors:
                raise ConversionError(f"{f}: tensor '{name}' appears twice")
            tensors[name] = t
    return tensors


def ToFloat32(name: str, t: np.ndarray) -> np.ndarray:
    if t.dtype in (np.float32, np.float16):
        return t.astype(np.float32)
    raise ConversionError(f"tensor '{name}': dtype {t.dtype} not supported (save as float32)")


def EncodeTensor(name: str, data: np.ndarray, qtype: QT) -> tuple[np.ndarray, QT]:
    """Returns the bytes/array to write and the final type (1-D stays F32, as llama.cpp does)."""
    if data.ndim <= 1 or qtype == QT.F32:
        return data.astype(np.float32), QT.F32
    if qtype in (QT.Q8_0, QT.Q4_0) and data.shape[-1] % 32:
        qtype = QT.F16  # llama.cpp's fallback for rows that do not fill quant blocks
        print(f"warning: {name}: row of {data.shape[-1]} is not a multiple of 32, using F16",
              file=sys.stderr)
    if qtype == QT.F16:
        return data.astype(np.float16), QT.F16
    return gguf.quants.quantize(data, qtype), qtype


def AddTokenizer(w: gguf.GGUFWriter, model_dir: Path, config: dict, n_vocab: int) -> None:
    """Writes byte-level BPE metadata from tokenizer.json (+ tokenizer_config.json)."""
    path = model_dir / "tokenizer.json"
    if not path.exists():
        raise ConversionError(f"{model_dir}: tokenizer.json missing")
    tok = json.loads(path.read_text(encoding="utf-8"))
    model = tok.get("model", {})
    if model.get("type") != "BPE":
        raise ConversionError(f"{path}: model.type {model.get('type')!r}, only BPE is supported")
    id_to_token: dict[int, str] = {i: t for t, i in model["vocab"].items()}
    special_ids = set()
    for added in tok.get("added_tokens", []):
        id_to_token[added["id"]] = added["content"]
        if added.get("special", False):
            special_ids.add(added["id"])
    if max(id_to_token) >= n_vocab:
        raise ConversionError(f"{path}: token id {max(id_to_token)} >= vocab_size {n_vocab}")
    tokens, types = [], []
    for i in range(n_vocab):
        if i in id_to_token:
            tokens.append(id_to_token[i])
            types.append(gguf.TokenType.CONTROL if i in special_ids else gguf.TokenType.NORMAL)
        else:  # padding rows of the embedding, as llama.cpp writes them
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
    merges = []
    for m in model.get("merges", []):
        merges.append(m if isinstance(m, str) else " ".join(m))

    tok_cfg_path = model_dir / "tokenizer_config.json"
    tok_cfg = json.loads(tok_cfg_path.read_text(encoding="utf-8")) if tok_cfg_path.exists() else {}

    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(tok_cfg.get("gguf_pre", "gpt-2"))
    w.add_token_list(tokens)
    w.add_token_types([int(t) for t in types])
    w.add_token_merges(merges)
    if config.get("bos_token_id") is not None:
        w.add_bos_token_id(int(config["bos_token_id"]))
    eos = config.get("eos_token_id")
    if isinstance(eos, list):
        eos = eos[0]
    if eos is not None:
        w.add_eos_token_id(int(eos))
    w.add_add_bos_token(bool(tok_cfg.get("add_bos_token", False)))


def Convert(model_dir: Path, outfile: Path, outtype: str, name: str | None = None) -> None:
    config = json.loads((model_dir / "config.json").read_text())
    archs = config.get("architectures") or []
    if len(archs) != 1 or archs[0] not in ARCH_BY_HF_CLASS:
        raise ConversionError(f"{model_dir}/config.json: architectures {archs} not supported")
    arch = ARCH_BY_HF_CLASS[archs[0]]
    if outtype not in OUT_TYPES:
        raise ConversionError(f"unknown --outtype {outtype!r}; one of {sorted(OUT_TYPES)}")
    qtype, file_type = OUT_TYPES[outtype]

    n_embd = int(config["hidden_size"])
    n_head = int(config["num_attention_heads"])
    n_head_kv = int(config.get("num_key_value_heads") or n_head)
    head_dim = int(config.get("head_dim") or n_embd // n_head)
    n_vocab = int(config["vocab_size"])
    tied = bool(config.get("tie_word_embeddings", False))
    rope = GemmaGlobalRope(config) if arch in GEMMA else RopeParameters(config)

    w = gguf.GGUFWriter(str(outfile), arch)
    w.add_name(name or model_dir.name)
    w.add_file_type(int(file_type))
    if qtype in (QT.Q8_0, QT.Q4_0):
        w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_context_length(int(config["max_position_embeddings"]))
    w.add_embedding_length(n_embd)
    w.add_block_count(int(config["num_hidden_layers"]))
    w.add_feed_forward_length(int(config["intermediate_size"]))
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head_kv)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(float(rope["rope_theta"]))
    w.add_layer_norm_rms_eps(float(config["rms_norm_eps"]))
    w.add_vocab_size(n_vocab)
    if arch in GEMMA:
        AddGemmaMetadata(w, arch, config, head_dim)
    rope_type = rope["rope_type"]
    if rope_type == "linear":
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(float(rope["factor"]))
    elif rope_type == "longrope" or float(rope.get("partial_rotary_factor", 1.0)) != 1.0:
        raise ConversionError(f"{model_dir}: LongRoPE / partial rotary factors are not supported")
    elif rope_type not in ("default", "llama3"):
        raise ConversionError(f"{model_dir}: rope_type {rope_type!r} not supported")
    AddTokenizer(w, model_dir, config, n_vocab)

    hf = LoadCheckpoint(model_dir)
    if tied or arch in GEMMA:
        hf.pop("lm_head.weight", None)  # some checkpoints store the tied copy anyway
    elif "lm_head.weight" not in hf:
        raise ConversionError(f"{model_dir}: untied model without lm_head.weight")

    out: list[tuple[str, np.ndarray]] = []
    if arch == "llama" and rope_type == "llama3":
        out.append(("rope_freqs.weight", Llama3RopeFactors(head_dim, rope["rope_theta"], rope)))
    for hf_name in sorted(hf, key=_HfOrder):
        data = ToFloat32(hf_name, hf[hf_name])
        gname = MapTensorName(hf_name, arch)
        if arch in GEMMA and hf_name.endswith("norm.weight"):
            data = data + np.float32(1.0)  # Gemma's RMSNorm multiplies by (1 + w)
        if arch == "llama" and hf_name.endswith(("q_proj.weight", "q_proj.bias")):
            data = PermuteNormRope(data, n_head)
        elif arch == "llama" and hf_name.endswith(("k_proj.weight", "k_proj.bias")):
            data = PermuteNormRope(data, n_head_kv)
        out.append((gname, data))

    for gname, data in out:
        encoded, final_type = EncodeTensor(gname, data, qtype)
        if final_type in (QT.F32, QT.F16):
            w.add_tensor(gname, encoded)
        else:
            w.add_tensor(gname, encoded, raw_shape=encoded.shape, raw_dtype=final_type)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def GemmaGlobalRope(config: dict) -> dict:
    """Gemma 3 keeps one rope_parameters entry per layer type; the global one is the file's."""
    params = config.get("rope_parameters") or {}
    if "full_attention" in params:
        p = dict(params["full_attention"])
        p.setdefault("rope_type", "default")
        return p
    return RopeParameters(config)


def AddGemmaMetadata(w: gguf.GGUFWriter, arch: str, config: dict, head_dim: int) -> None:
    types = config.get("layer_types") or []
    window = config.get("sliding_window")
    if any(t == "sliding_attention" for t in types):
        # The engine derives which layers are windowed from the architecture (gemma2: even
        # layers, gemma3: all but every sixth); refuse a checkpoint that says otherwise.
        period = 2 if arch == "gemma2" else 6
        expect = ["sliding_attention" if (i + 1) % period else "full_attention"
                  for i in range(len(types))]
        if types != expect:
            raise ConversionError(f"layer_types {types} differ from {arch}'s fixed pattern")
        w.add_sliding_window(int(window))
    scalar = config.get("query_pre_attn_scalar")
    if scalar is not None and int(scalar) != head_dim:
        w.add_key_value(f"{arch}.attention.scale", float(scalar) ** -0.5,
                        gguf.GGUFValueType.FLOAT32)
    for key in ("attn_logit_softcapping", "final_logit_softcapping"):
        if config.get(key) is not None:
            w.add_key_value(f"{arch}.{key}", float(config[key]), gguf.GGUFValueType.FLOAT32)
    if arch == "gemma3":
        local = (config.get("rope_parameters") or {}).get("sliding_attention", {})
        w.add_key_value("gemma3.rope.freq_base_swa",
                        float(local.get("rope_theta", config.get("rope_local_base_freq", 1e4))),
                        gguf.GGUFValueType.FLOAT32)
        if local.get("rope_type", "default") != "default":
            raise ConversionError("gemma3: scaled rope on local layers is not supported")


def _HfOrder(name: str) -> tuple:
    """Embeddings first, then layers in numeric order, then the final norm and head."""
    parts = name.split(".")
    if name == "model.embed_tokens.weight":
        return (0, 0, "")
    if len(parts) > 2 and parts[1] == "layers" and parts[2].isdigit():
        return (1, int(parts[2]), name)
    return (2, 0, name)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("--outfile", type=Path, required=True)
    ap.add_argument("--outtype", default="f16", choices=sorted(OUT_TYPES))
    ap.add_argument("--name", default=None, help="general.name (default: directory name)")
    args = ap.parse_args()
    try:
        Convert(args.model_dir, args.outfile, args.outtype, args.name)
    except (ConversionError, OSError, KeyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
