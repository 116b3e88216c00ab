#!/usr/bin/env python3
"""Per-item MMLU log-likelihoods: gapbench eval against llama.cpp (llama-cpp-python, pinned in
tools/requirements-peer.txt) on the same GGUF, the same 5-shot LME prompts and the same context /
continuation split (tokenize(context + continuation) cut at len(tokenize(context))). Both use f32
KV caches. Prints max and mean |delta| of the summed log-likelihoods and whether the argmax
choices agree.

usage: bench/mmlu_loglik_agreement.py --model M.gguf --mmlu ../shared/data/mmlu [--subjects 5]
           [--per-subject 4] [--gapbench build/cli/gapbench]
Run it with a Python that has llama_cpp installed (e.g. a venv made from
tools/requirements-peer.txt).
"""
import argparse, csv, json, math, os, subprocess, sys, tempfile
import llama_cpp
from mmlu_mc_compare import fmt, read_csv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--mmlu", required=True)
    ap.add_argument("--subjects", type=int, default=5)
    ap.add_argument("--per-subject", type=int, default=4)
    ap.add_argument("--gapbench", default="build/cli/gapbench")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="mmlu-agree-")
    os.makedirs(f"{tmp}/mmlu/dev"); os.makedirs(f"{tmp}/mmlu/test")
    items = []
    for name in sorted(os.listdir(f"{a.mmlu}/test"))[: a.subjects]:
        subject = name[: -len("_test.csv")]
        dev = read_csv(f"{a.mmlu}/dev/{subject}_dev.csv")
        test = read_csv(f"{a.mmlu}/test/{name}")[: a.per_subject]
        for folder, rows, fn in (("dev", dev, f"{subject}_dev.csv"), ("test", test, name)):
            with open(f"{tmp}/mmlu/{folder}/{fn}", "w", newline="", encoding="utf-8") as f:
                csv.writer(f).writerows(rows)
        header = f"The following are multiple choice questions (with answers) about {subject.replace('_', ' ')}.\n\n"
        shots = "".join(fmt(r[0], r[1:5], r[5]) for r in dev[:5])
        items += [header + shots + fmt(r[0], r[1:5]) for r in test]
    recs = f"{tmp}/records.jsonl"
    subprocess.run([a.gapbench, "eval", "--model", a.model, "--suite", f"{tmp}/mmlu", "--fewshot", "5",
                    "--kv-type", "f32", "--out", recs, "--json"], check=True, capture_output=True)
    ours = [json.loads(l)["choice_logprobs"] for l in open(recs)]
    assert len(ours) == len(items), (len(ours), len(items))
    llm = llama_cpp.Llama(model_path=a.model, n_ctx=4096, n_batch=512, logits_all=True, verbose=False,
                          type_k=0, type_v=0, n_threads=2)
    add_bos = llm._model.add_bos_token() if hasattr(llm._model, "add_bos_token") else False
    deltas, agree = [], 0
    for ctx_text, mine in zip(items, ours):
        theirs = []
        for letter in "ABCD":
            ctx = llm.tokenize(ctx_text.encode(), add_bos=add_bos, special=False)
            whole = llm.tokenize((ctx_text + " " + letter).encode(), add_bos=add_bos, special=False)
            n = 0
            while n < min(len(ctx), len(whole)) and ctx[n] == whole[n]:
                n += 1
            llm.reset()
            llm.eval(whole)
            lp = 0.0
            for i in range(n, len(whole)):
                row = llm.scores[i - 1]
                m = max(row)
                lse = m + math.log(sum(math.exp(x - m) for x in row))
                lp += row[whole[i]] - lse
            theirs.append(lp)
        deltas += [abs(x - y) for x, y in zip(mine, theirs)]
        agree += int(max(range(4), key=lambda i: mine[i]) == max(range(4), key=lambda i: theirs[i]))
    print(f"{len(items)} items x 4 choices: max |delta logprob| = {max(deltas):.2e}, "
          f"mean = {sum(deltas) / len(deltas):.2e}; argmax agreement {agree}/{len(items)}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    main()
