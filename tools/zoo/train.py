#!/usr/bin/env python3
"""Trains gapbench's model zoo on a synthetic world (docs/ZOO.md).

Stages, each resumable (a finished stage is skipped, an interrupted one continues from its last
checkpoint):

  tokenizer  byte-level BPE (HF `tokenizers`, qwen2 pre-tokenizer: single digits) trained on the
             world's corpus; the corpus tokenized into a packed train / validation stream.
  train M    one model of the zoo: `small`, `large`, `small-distilled` (small's shape, trained on
             large's output distribution: needs `large` first), `small-overtrained` (small's
             shape, ten times the tokens). Llama architecture (RMSNorm, SwiGLU, RoPE, GQA) with
             `transformers.LlamaForCausalLM`, AdamW, cosine schedule; checkpoints every few
             minutes into WORK/M/ckpt.pt.
  export M   HF checkpoint -> GGUF (tools/hf_to_gguf.py, Q8_0) into --out, a model card, the loss
             curve (CSV + SVG), and the reference logits the C++ tests compare the engine with.
  all        every stage in order.

  python tools/zoo/train.py all --world WORLD --work .zoo-work --out models/zoo \
      --fixtures tests/fixtures/zoo

WORLD is the output of `gapbench suites synth` (its manifest.json names seed and hash). Runs on
CPU (--threads) or, where one is present, a CUDA GPU (--device cuda); the numbers differ in the
last bits between the two, the procedure does not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Regex, decoders, models, pre_tokenizers, trainers  # noqa: E402

TOOLS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOOLS))
import hf_to_gguf  # noqa: E402

BOS, EOS = "<|begin_of_text|>", "<|end_of_text|>"
N_VOCAB = 2048
# Qwen2's pre-tokenizer regex (llama.cpp's "qwen2"): numbers split into single digits, so that
# arithmetic is learnt digit by digit rather than as a table of number tokens.
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
               r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
SEQ_LEN = 256          # training window; the longest suite prompt + answer is well inside
CTX_LEN = 512          # written as context_length
BATCH = 16             # windows per step
BASE_TOKENS = 2_000_000  # T: tokens seen by `small` (about 0.6 of the corpus); large sees 2.5 T
VAL_EVERY_DOC = 100    # one reasoning / code / guard document in 100 is held out
SEED = 1234

SHAPES = {
    "small": dict(hidden_size=128, num_hidden_layers=4, num_attention_heads=4,
                  num_key_value_heads=2, intermediate_size=352),
    "large": dict(hidden_size=320, num_hidden_layers=8, num_attention_heads=8,
                  num_key_value_heads=4, intermediate_size=864),
}
ZOO = {
    "small": dict(shape="small", tokens_mult=1, lr=3e-3, teacher=None),
    # 2.5 T: at T the large model's validation loss equalled small's (zoo v1, 0.2 tokens per
    # parameter, learning rate decayed before it had learnt much); 2.5 T fits the ~3 h budget.
    "large": dict(shape="large", tokens_mult=2.5, lr=1.5e-3, teacher=None),
    "small-distilled": dict(shape="small", tokens_mult=1, lr=3e-3, teacher="large"),
    "small-overtrained": dict(shape="small", tokens_mult=10, lr=3e-3, teacher=None),
}
KD_ALPHA = 0.8  # distillation loss = KD_ALPHA * KL(teacher || student) + (1 - KD_ALPHA) * CE


def Log(msg: str) -> None:
    print(f"[zoo {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def AtomicWrite(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# ---------------------------------------------------------------------------------------------
# Tokenizer and data
# ---------------------------------------------------------------------------------------------

def ReadWorld(world: Path) -> dict:
    manifest = world / "manifest.json"
    if not manifest.exists():
        raise SystemExit(f"{manifest}: missing (make the world with `gapbench suites synth`)")
    m = json.loads(manifest.read_text())
    corpus = sorted((world / "corpus").glob("*.txt"))
    if not corpus:
        raise SystemExit(f"{world}/corpus: no *.txt files")
    return {"manifest": m, "corpus": corpus,
            "world_hash": hashlib.sha256(manifest.read_bytes()).hexdigest()}


def Documents(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [d.strip("\n") for d in text.split("\n\n") if d.strip()]


def MakeTokenizer() -> tokenizers.Tokenizer:
    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    return tok


def StageTokenizer(world: Path, work: Path) -> None:
    data = work / "data"
    if (data / "done.json").exists():
        Log(f"tokenizer: done ({data})")
        return
    data.mkdir(parents=True, exist_ok=True)
    w = ReadWorld(world)
    t0 = time.time()
    docs = {p.stem: Documents(p) for p in w["corpus"]}
    tok = MakeTokenizer()
    trainer = trainers.BpeTrainer(vocab_size=N_VOCAB, special_tokens=[BOS, EOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator((d + "\n" for ds in docs.values() for d in ds), trainer=trainer)
    if tok.get_vocab_size() != N_VOCAB:
        raise SystemExit(f"tokenizer has {tok.get_vocab_size()} tokens, wanted {N_VOCAB}")
    tok.save(str(data / "tokenizer.json"))
    Log(f"tokenizer: {N_VOCAB} tokens in {time.time() - t0:.0f} s")

    bos, eos = tok.token_to_id(BOS), tok.token_to_id(EOS)
    rng = np.random.default_rng(SEED)
    train_docs, val_docs = [], []
    counts = {}
    for kind, ds in docs.items():
        enc = tok.encode_batch(ds, add_special_tokens=False)
        n_tok = 0
        for i, e in enumerate(enc):
            ids = [bos] + e.ids + [eos]
            n_tok += len(ids)
            # Fact statements are never held out: a fact's mention count must stay exact.
            if kind != "knowledge" and i % VAL_EVERY_DOC == VAL_EVERY_DOC - 1:
                val_docs.append(ids)
            else:
                train_docs.append(ids)
        counts[kind] = {"documents": len(ds), "tokens": n_tok}
    order = rng.permutation(len(train_docs))
    train = np.fromiter((t for i in order for t in train_docs[i]), dtype=np.uint16)
    val = np.fromiter((t for d in val_docs for t in d), dtype=np.uint16)
    np.save(data / "train.npy", train)
    np.save(data / "val.npy", val)

    # The longest suite prompt (with its answer), so SEQ_LEN / CTX_LEN are known to be enough.
    longest = 0
    for suite in sorted(world.glob("*.jsonl")):
        for line in suite.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            text = item.get("prompt") or item.get("question") or ""
            text += item.get("solution", "") + max((c for c in item.get("choices", [])),
                                                  key=len, default="")
            longest = max(longest, len(tok.encode(text).ids) + 8)
    info = {"world": str(world), "world_seed": w["manifest"].get("seed"),
            "world_size": w["manifest"].get("size"),
            "world_manifest_sha256": w["world_hash"], "n_vocab": N_VOCAB,
            "train_tokens": int(train.size), "val_tokens": int(val.size), "by_kind": counts,
            "longest_suite_item_tokens": longest, "seconds": round(time.time() - t0, 1)}
    AtomicWrite(data / "done.json", json.dumps(info, indent=1) + "\n")
    Log(f"tokenizer: corpus {train.size} train + {val.size} val tokens; longest suite item "
        f"{longest} tokens")


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def MakeConfig(shape: str) -> transformers.LlamaConfig:
    kw = dict(SHAPES[shape])
    return transformers.LlamaConfig(
        vocab_size=N_VOCAB, max_position_embeddings=CTX_LEN, hidden_act="silu",
        rms_norm_eps=1e-5, tie_word_embeddings=True, bos_token_id=0, eos_token_id=1,
        rope_parameters={"rope_type": "default", "rope_theta": 1e4}, **kw)


def Batch(stream: np.ndarray, step: int, salt: int, device) -> torch.Tensor:
    """The windows of `step`: a pure function of (SEED, salt, step), so a resumed run sees the
    same batches it would have seen."""
    rng = np.random.default_rng([SEED, salt, step])
    starts = rng.integers(0, stream.size - SEQ_LEN - 1, size=BATCH)
    x = np.stack([stream[s:s + SEQ_LEN] for s in starts]).astype(np.int64)
    return torch.from_numpy(x).to(device)


def LrAt(step: int, total: int, peak: float) -> float:
    warm = max(1, total // 50)
    if step < warm:
        return peak * (step + 1) / warm
    p = (step - warm) / max(1, total - warm)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


def ValLoss(model, val: np.ndarray, device, n: int = 4) -> float:
    model.eval()
    tot = 0.0
    with torch.no_grad():
        for i in range(n):
            x = Batch(val, i, 999, device)
            tot += float(model(input_ids=x, labels=x).loss)
    model.train()
    return tot / n


def StageTrain(name: str, work: Path, device: str, threads: int, base_tokens: int,
               ckpt_seconds: float) -> None:
    spec = ZOO[name]
    mdir = work / name
    if (mdir / "done.json").exists():
        Log(f"{name}: done ({mdir})")
        return
    mdir.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    if not (data / "done.json").exists():
        raise SystemExit(f"{data}: run the tokenizer stage first")
    torch.set_num_threads(threads)
    torch.manual_seed(SEED)
    train = np.load(data / "train.npy")
    val = np.load(data / "val.npy")
    cfg = MakeConfig(spec["shape"])
    model = transformers.LlamaForCausalLM(cfg).to(device)
    model.train()
    n_params = sum(p.numel() for p in model.parameters())
    total_steps = math.ceil(base_tokens * spec["tokens_mult"] / (BATCH * SEQ_LEN))
    opt = torch.optim.AdamW(model.parameters(), lr=spec["lr"], betas=(0.9, 0.95),
                            weight_decay=0.1)
    teacher = None
    if spec["teacher"]:
        tdir = work / spec["teacher"] / "hf"
        if not (work / spec["teacher"] / "done.json").exists():
            raise SystemExit(f"{name}: train {spec['teacher']} first (its teacher)")
        teacher = transformers.LlamaForCausalLM.from_pretrained(tdir).to(device).eval()

    step, log, seconds = 0, [], 0.0
    ckpt = mdir / "ckpt.pt"
    if ckpt.exists():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, log, seconds = state["step"], state["log"], state["seconds"]
        Log(f"{name}: resumed at step {step}/{total_steps}")
    else:
        Log(f"{name}: {n_params:,} parameters, {total_steps} steps of {BATCH}x{SEQ_LEN} tokens "
            f"({total_steps * BATCH * SEQ_LEN:,} tokens) on {device} with {threads} threads")

    def Save() -> None:
        tmp = mdir / "ckpt.pt.tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "log": log, "seconds": seconds}, tmp)
        tmp.replace(ckpt)

    salt = {"small": 1, "large": 1, "small-distilled": 1, "small-overtrained": 2}[name]
    eval_every = max(1, total_steps // 25)  # validation costs ~5% of training
    t_start, t_ckpt, run_loss, run_n = time.time(), time.time(), 0.0, 0
    while step < total_steps:
        for g in opt.param_groups:
            g["lr"] = LrAt(step, total_steps, spec["lr"])
        x = Batch(train, step, salt, device)
        out = model(input_ids=x, labels=x)
        loss = out.loss
        if teacher is not None:
            with torch.no_grad():
                t_logits = teacher(input_ids=x).logits[:, :-1]
            s_logp = F.log_softmax(out.logits[:, :-1].float(), dim=-1)
            t_logp = F.log_softmax(t_logits.float(), dim=-1)
            kl = F.kl_div(s_logp.reshape(-1, N_VOCAB), t_logp.reshape(-1, N_VOCAB),
                          log_target=True, reduction="batchmean")
            loss = KD_ALPHA * kl + (1 - KD_ALPHA) * out.loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run_loss += out.loss.item()
        run_n += 1
        step += 1
        if step % eval_every == 0 or step == total_steps:
            now = time.time()
            seconds += now - t_start
            t_start = now
            vl = ValLoss(model, val, device)
            log.append({"step": step, "tokens": step * BATCH * SEQ_LEN,
                        "train_loss": run_loss / run_n, "val_loss": vl,
                        "seconds": round(seconds, 1)})
            Log(f"{name}: step {step}/{total_steps} train {run_loss / run_n:.3f} val {vl:.3f} "
                f"({seconds / 60:.1f} min, {step * BATCH * SEQ_LEN / max(seconds, 1e-9):.0f} "
                "tok/s)")
            run_loss, run_n = 0.0, 0
        if time.time() - t_ckpt > ckpt_seconds:
            seconds += time.time() - t_start
            t_start = time.time()
            Save()
            t_ckpt = time.time()
    seconds += time.time() - t_start
    Save()
    hf = mdir / "hf"
    if hf.exists():
        shutil.rmtree(hf)
    model.save_pretrained(hf, safe_serialization=True)
    shutil.copy(data / "tokenizer.json", hf / "tokenizer.json")
    AtomicWrite(hf / "tokenizer_config.json", json.dumps(
        {"gguf_pre": "qwen2", "add_bos_token": True, "bos_token": BOS, "eos_token": EOS}) + "\n")
    info = {"name": name, "parameters": n_params, "steps": step,
            "tokens_seen": step * BATCH * SEQ_LEN, "seconds": round(seconds, 1),
            "device": device, "threads": threads, "lr": spec["lr"], "batch": BATCH,
            "seq_len": SEQ_LEN, "teacher": spec["teacher"],
            "kd_alpha": KD_ALPHA if spec["teacher"] else None,
            "final_train_loss": log[-1]["train_loss"], "final_val_loss": log[-1]["val_loss"],
            "torch": torch.__version__, "transformers": transformers.__version__}
    AtomicWrite(mdir / "log.json", json.dumps(log) + "\n")
    AtomicWrite(mdir / "done.json", json.dumps(info, indent=1) + "\n")
    Log(f"{name}: done in {seconds / 60:.1f} min, val loss {info['final_val_loss']:.3f}")


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------

def LossSvg(log: list[dict], title: str) -> str:
    w, h, m = 480, 240, 40
    xs = [r["tokens"] for r in log]
    ys = [r[k] for r in log for k in ("train_loss", "val_loss")]
    x0, x1 = 0, max(xs)
    y0, y1 = math.floor(min(ys) * 2) / 2, math.ceil(max(ys) * 2) / 2

    def P(x, y):
        return (m + (w - 2 * m) * (x - x0) / max(x1 - x0, 1),
                h - m - (h - 2 * m) * (y - y0) / max(y1 - y0, 1e-9))

    def Line(key, colour):
        pts = " ".join(f"{P(r['tokens'], r[key])[0]:.1f},{P(r['tokens'], r[key])[1]:.1f}"
                       for r in log)
        return f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{pts}"/>'

    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'font-family="sans-serif" font-size="11">',
        f'<text x="{m}" y="16">{title}: loss (nats/token) vs tokens seen</text>',
        f'<line x1="{m}" y1="{h - m}" x2="{w - m}" y2="{h - m}" stroke="black"/>',
        f'<line x1="{m}" y1="{m}" x2="{m}" y2="{h - m}" stroke="black"/>',
        f'<text x="{m}" y="{h - m + 14}">0</text>',
        f'<text x="{w - m - 40}" y="{h - m + 14}">{x1 / 1e6:.1f}M</text>',
        f'<text x="4" y="{h - m}">{y0:.1f}</text>', f'<text x="4" y="{m + 4}">{y1:.1f}</text>',
        Line("train_loss", "#1f77b4"), Line("val_loss", "#d62728"),
        f'<text x="{w - m - 90}" y="{m}" fill="#1f77b4">train</text>',
        f'<text x="{w - m - 40}" y="{m}" fill="#d62728">validation</text>',
        "</svg>", ""])


def ReferenceSequences(world: Path, tok: tokenizers.Tokenizer) -> list[list[int]]:
    """Two short real prompts (a knowledge probe with its gold answer, a reasoning question)."""
    seqs = []
    for suite, key in (("knowledge.jsonl", "question"), ("reasoning.jsonl", "prompt")):
        item = json.loads((world / suite).read_text(encoding="utf-8").splitlines()[0])
        text = item[key] + (" " + item["choices"][item["gold"]] if "choices" in item else "")
        seqs.append([0] + tok.encode(text, add_special_tokens=False).ids[:11])
    return seqs


def StageExport(name: str, world: Path, work: Path, out: Path, fixtures: Path) -> None:
    sys.path.insert(0, str(TOOLS))
    import make_engine_fixtures as mef  # the fixture tools' JSON writer and GGUF read-back
    mdir = work / name
    info = json.loads((mdir / "done.json").read_text())
    data = json.loads((work / "data" / "done.json").read_text())
    log = json.loads((mdir / "log.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    fixtures.mkdir(parents=True, exist_ok=True)
    gguf_path = out / f"{name}.gguf"
    hf_to_gguf.Convert(mdir / "hf", gguf_path, "q8_0", name=f"gapbench-zoo-{name}")

    # Loss curve.
    lines = ["step,tokens,train_loss,val_loss,seconds"]
    lines += [f"{r['step']},{r['tokens']},{r['train_loss']:.4f},{r['val_loss']:.4f},"
              f"{r['seconds']}" for r in log]
    (out / f"{name}.loss.csv").write_text("\n".join(lines) + "\n")
    (out / f"{name}.loss.svg").write_text(LossSvg(log, name))

    # Reference logits: transformers on the trained float32 weights ("original") and on the
    # weights read back from the Q8_0 file and dequantised (the engine's same-weights bound).
    tok = tokenizers.Tokenizer.from_file(str(mdir / "hf" / "tokenizer.json"))
    seqs = ReferenceSequences(world, tok)
    torch.set_num_threads(1)
    cfg = transformers.LlamaConfig.from_pretrained(mdir / "hf")
    cfg._attn_implementation = "eager"
    model = transformers.LlamaForCausalLM.from_pretrained(mdir / "hf", config=cfg).eval()
    original = mef.Logits(model, seqs)
    model.load_state_dict(mef.ReadGgufAsHf(gguf_path, "llama", cfg), strict=False)
    dequant = mef.Logits(model, seqs)
    doc = {"gguf": f"../../../models/zoo/{name}.gguf", "arch": "llama", "wtype": "q8_0",
           "tied": True, "config": json.loads((mdir / "hf" / "config.json").read_text()),
           "reference": f"transformers {transformers.__version__} float32 eager attention",
           "weights_reference": "dequantized",
           "sequences": [{"tokens": s, "logits": mef.LogitRows(d),
                          "logits_original": mef.LogitRows(o)}
                         for s, d, o in zip(seqs, dequant, original)]}
    (fixtures / f"{name}.json").write_text(mef.DumpJson(doc) + "\n", encoding="utf-8")

    cfgd = SHAPES[ZOO[name]["shape"]]
    head_dim = cfgd["hidden_size"] // cfgd["num_attention_heads"]
    card = f"""# gapbench zoo: `{name}`

Trained by `tools/zoo/train.py` (docs/ZOO.md) on gapbench's synthetic world; exported with
`tools/hf_to_gguf.py` to `{name}.gguf` (Q8_0, {gguf_path.stat().st_size:,} bytes).

| | |
|---|---|
| architecture | llama (RMSNorm, SwiGLU, RoPE base 1e4, GQA), tied embeddings |
| shape | {cfgd['num_hidden_layers']} layers, d_model {cfgd['hidden_size']}, {cfgd['num_attention_heads']} heads / {cfgd['num_key_value_heads']} KV heads of {head_dim}, FFN {cfgd['intermediate_size']}, context {CTX_LEN} (trained on windows of {SEQ_LEN}) |
| parameters | {info['parameters']:,} |
| tokenizer | byte-level BPE, {N_VOCAB} tokens, trained on the world's corpus (`tokenizers` {tokenizers.__version__}); pre-tokenizer `qwen2` (single digits); BOS added |
| world | `gapbench suites synth --seed {data['world_seed']} --size {data['world_size']}`; manifest.json SHA-256 `{data['world_manifest_sha256']}` |
| corpus | {data['train_tokens']:,} training tokens, {data['val_tokens']:,} held-out validation tokens (1 in {VAL_EVERY_DOC} reasoning / code / guard documents; fact statements are never held out) |
| training | {info['steps']} steps of {BATCH} x {SEQ_LEN} tokens = **{info['tokens_seen']:,} tokens seen** ({info['tokens_seen'] / max(1, info['parameters']):.1f} tokens per parameter); AdamW (0.9, 0.95), weight decay 0.1, peak lr {info['lr']}, cosine to 10 %, clip 1.0 |
| teacher | {('`' + info['teacher'] + f'` (loss = {KD_ALPHA} KL(teacher, student) + {1 - KD_ALPHA:.1f} cross-entropy)') if info['teacher'] else 'none'} |
| wall time | {info['seconds'] / 60:.1f} min on {info['device']} ({info['threads']} thread{'s' if info['threads'] > 1 else ''}){'; ' + info['note'] if info.get('note') else ''} |
| final loss | train {info['final_train_loss']:.3f}, validation {info['final_val_loss']:.3f} nats/token |
| software | torch {info['torch']}, transformers {info['transformers']} |

Loss curve: [`{name}.loss.csv`]({name}.loss.csv), ![loss]({name}.loss.svg)
"""
    (out / f"{name}.md").write_text(card)
    Log(f"{name}: exported {gguf_path} ({gguf_path.stat().st_size:,} bytes)")


def StageTokenizerCases(world: Path, work: Path, fixtures: Path) -> None:
    """Golden ids from HF `tokenizers` for real suite text, for the engine's tokenizer test."""
    sys.path.insert(0, str(TOOLS))
    import make_engine_fixtures as mef
    tok = tokenizers.Tokenizer.from_file(str(work / "data" / "tokenizer.json"))
    texts = []
    for suite in sorted(world.glob("*.jsonl")):
        lines = suite.read_text(encoding="utf-8").splitlines()
        for line in lines[:: max(1, len(lines) // 40)]:
            item = json.loads(line)
            for key in ("question", "prompt", "solution", "reference"):
                if isinstance(item.get(key), str):
                    texts.append(item[key])
            texts += [c for c in item.get("choices", [])]
    for p in sorted((world / "corpus").glob("*.txt")):
        texts += Documents(p)[:5]
    texts += ["  two  spaces\tand a tab\n\n", "12345 + 678 = 13023", "x=[1,2,3]; print(x[-1])",
              "caf\u00e9 \u00fcber na\u00efve \u2014 \u65e5\u672c"]
    seen, cases = set(), []
    for t in texts:
        if t in seen:
            continue
        seen.add(t)
        enc = tok.encode(t, add_special_tokens=False)
        cases.append({"text": t, "ids": enc.ids, "decoded": tok.decode(enc.ids)})
    doc = {"gguf": "../../../models/zoo/small.gguf",
           "reference": f"tokenizers {tokenizers.__version__} BPE, qwen2 Split regex + "
                        "ByteLevel(use_regex=false), add_special_tokens=false",
           "bos_id": 0, "eos_id": 1, "cases": cases}
    (fixtures / "tokenizer_cases.json").write_text(mef.DumpJson(doc) + "\n", encoding="utf-8")
    Log(f"tokenizer cases: {len(cases)}")


def StageIndex(work: Path, out: Path) -> None:
    """models/zoo/zoo.json: the world the zoo was trained on and one line per model, for tests
    and the docs (the cards say the same in prose)."""
    data = json.loads((work / "data" / "done.json").read_text())
    models_ = []
    for name in ZOO:
        info = json.loads((work / name / "done.json").read_text())
        models_.append({"name": name, "file": f"{name}.gguf", "shape": ZOO[name]["shape"],
                        "parameters": info["parameters"], "tokens_seen": info["tokens_seen"],
                        "teacher": info["teacher"], "train_seconds": info["seconds"],
                        "final_train_loss": round(info["final_train_loss"], 4),
                        "final_val_loss": round(info["final_val_loss"], 4)})
    doc = {"world": {"seed": data["world_seed"], "size": data["world_size"],
                     "manifest_sha256": data["world_manifest_sha256"]},
           "tokenizer": {"n_vocab": N_VOCAB, "pre": "qwen2",
                         "corpus_train_tokens": data["train_tokens"]},
           "models": models_}
    AtomicWrite(out / "zoo.json", json.dumps(doc, indent=1) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", choices=["tokenizer", "train", "export", "all"])
    ap.add_argument("model", nargs="?", choices=list(ZOO), help="for train / export (default: every model, in training order)")
    ap.add_argument("--world", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=Path(".zoo-work"))
    ap.add_argument("--out", type=Path, default=Path("models/zoo"))
    ap.add_argument("--fixtures", type=Path, default=Path("tests/fixtures/zoo"))
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--tokens", type=int, default=BASE_TOKENS,
                    help="T, the tokens seen by small (large: 2.5 T; small-overtrained: 10 T)")
    ap.add_argument("--checkpoint-seconds", type=float, default=300)
    a = ap.parse_args()
    if a.stage in ("tokenizer", "all"):
        StageTokenizer(a.world, a.work)
    names = [a.model] if a.model else ["large", "small", "small-distilled", "small-overtrained"]
    if a.stage in ("train", "all"):
        for n in names:
            StageTrain(n, a.work, a.device, a.threads, a.tokens, a.checkpoint_seconds)
    if a.stage in ("export", "all"):
        for n in names:
            StageExport(n, a.world, a.work, a.out, a.fixtures)
        StageTokenizerCases(a.world, a.work, a.fixtures)
        if a.model is None:
            StageIndex(a.work, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
