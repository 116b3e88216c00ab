#!/usr/bin/env python3
"""Log-likelihoods of (context, continuation) requests computed by llama.cpp (llama-cpp-python,
pinned in tools/requirements-peer.txt): the independent peer of
tests/peer/llama_cpp_agreement_slow_test.cpp. Nothing here is gapbench's code.

The split is lm-evaluation-harness's (_encode_pair), the one gapbench documents: trailing
whitespace of the context moves to the continuation; context tokens = tokenize(context), the
continuation's = tokenize(context + continuation)[len(context tokens):]; BOS when the vocabulary
asks for it (llama.cpp's add_bos_token). The model sees context + continuation tokens in one
batch with logits for every position; each continuation token's log-probability is taken from
the row before it (log-softmax in float64).

usage: llama_cpp_loglik.py MODEL.gguf REQUESTS.jsonl OUT.jsonl --n-ctx N [--kv f32|f16]
REQUESTS: one {"context": str, "continuation": str} per line. OUT: one
{"logprob", "greedy", "n_tokens", "context_tokens", "tokens"} per request, in order.
"""
import argparse
import json
import sys

import llama_cpp
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("requests")
    ap.add_argument("out")
    ap.add_argument("--n-ctx", type=int, required=True)
    ap.add_argument("--kv", choices=("f32", "f16"), default="f32")
    a = ap.parse_args()
    kv = 0 if a.kv == "f32" else 1  # GGML_TYPE_F32 / GGML_TYPE_F16
    llm = llama_cpp.Llama(model_path=a.model, n_ctx=a.n_ctx, n_batch=a.n_ctx, n_ubatch=a.n_ctx,
                          logits_all=True, verbose=False, type_k=kv, type_v=kv, n_threads=2,
                          seed=0)
    add_bos = bool(llm._model.add_bos_token())
    with open(a.requests, encoding="utf-8") as f, open(a.out, "w", encoding="utf-8") as out:
        for line in f:
            r = json.loads(line)
            ctx, cont = r["context"], r["continuation"]
            n_space = len(ctx) - len(ctx.rstrip())
            if n_space:
                cont = ctx[-n_space:] + cont
                ctx = ctx[:-n_space]
            c = llm.tokenize(ctx.encode("utf-8"), add_bos=add_bos, special=False)
            whole = llm.tokenize((ctx + cont).encode("utf-8"), add_bos=add_bos, special=False)
            cont_tokens = whole[len(c):]
            tokens = c + cont_tokens
            if not cont_tokens or len(tokens) > a.n_ctx:
                print(f"request does not fit: {len(c)} + {len(cont_tokens)} tokens",
                      file=sys.stderr)
                return 1
            llm.reset()
            llm.eval(tokens)
            logits = np.asarray(llm.scores[: len(tokens)], dtype=np.float64)
            lp, greedy = 0.0, True
            for i in range(len(c), len(tokens)):
                row = logits[i - 1]
                m = row.max()
                lp += row[tokens[i]] - (m + np.log(np.exp(row - m).sum()))
                greedy = greedy and int(row.argmax()) == tokens[i]
            out.write(json.dumps({"logprob": lp, "greedy": greedy, "n_tokens": len(cont_tokens),
                                  "context_tokens": len(c), "tokens": tokens}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
