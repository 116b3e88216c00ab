#!/usr/bin/env python3
"""5-shot MMLU items/second: gapbench eval against llama.cpp's llama-perplexity --multiple-choice
on the same model, the same prompts (LME's MMLU template, first 5 dev rows as shots) and the same
threads. llama-perplexity recomputes the whole prompt for every item; gapbench computes the
few-shot prefix once and each item's context once for its four choices.

usage: bench/mmlu_mc_compare.py --model M.gguf --mmlu ../shared/data/mmlu [--per-subject 4] [--subjects N]
           [--threads 2] [--gapbench build/cli/gapbench] [--llama .peer/llama.cpp/bin/llama-perplexity]
Prints a Markdown table (seconds, items/s, peak RSS, accuracy) and the ratio.
"""
import argparse, csv, os, re, resource, struct, subprocess, sys, tempfile, time, json


def py_strip(s):
    return s.strip()


def fmt(q, choices, letter=None):
    s = py_strip(q) + "\n" + "".join(f"{'ABCD'[i]}. {c}\n" for i, c in enumerate(choices)) + "Answer:"
    return s + (f" {letter}\n\n" if letter else "")


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [r for r in csv.reader(f) if len(r) >= 6]


def run_timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/env", "time", "-f", "%M"] + cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-2000:]}")
    rss_kb = int(p.stderr.strip().splitlines()[-1])
    return dt, rss_kb * 1024, p.stdout, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--mmlu", required=True)
    ap.add_argument("--per-subject", type=int, default=4)
    ap.add_argument("--subjects", type=int, default=0, help="first N subjects only (0: all 57)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gapbench", default="build/cli/gapbench")
    ap.add_argument("--llama", default=".peer/llama.cpp/bin/llama-perplexity")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="mmlu-mc-")
    os.makedirs(f"{tmp}/mmlu/dev"); os.makedirs(f"{tmp}/mmlu/test")
    tasks = []
    names = sorted(os.listdir(f"{a.mmlu}/test"))
    for name in names[: a.subjects] if a.subjects else names:
        subject = name[: -len("_test.csv")]
        dev = read_csv(f"{a.mmlu}/dev/{subject}_dev.csv")
        test = read_csv(f"{a.mmlu}/test/{name}")[: a.per_subject]
        with open(f"{tmp}/mmlu/dev/{subject}_dev.csv", "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(dev)
        with open(f"{tmp}/mmlu/test/{name}", "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(test)
        header = f"The following are multiple choice questions (with answers) about {subject.replace('_', ' ')}.\n\n"
        shots = "".join(fmt(r[0], r[1:5], r[5]) for r in dev[:5])
        for r in test:
            tasks.append((header + shots + fmt(r[0], r[1:5]), "ABCD".index(r[5].strip())))
    # llama.cpp's binary multiple-choice format: n, offsets, then per task: question, mc1, mc2.
    def s(x):
        b = x.encode("utf-8"); return struct.pack("<I", len(b)) + b
    blobs = []
    for q, gold in tasks:
        blob = s(q) + struct.pack("<I", 4) + b"".join(s(c) for c in "ABCD")
        blob += struct.pack("<4i", *[1 if i == gold else 0 for i in range(4)]) + struct.pack("<I", 0)
        blobs.append(blob)
    head = 4 + 4 * len(blobs)
    offsets, pos = [], head
    for b in blobs:
        offsets.append(pos); pos += len(b)
    with open(f"{tmp}/tasks.bin", "wb") as f:
        f.write(struct.pack("<I", len(blobs)) + struct.pack(f"<{len(blobs)}I", *offsets) + b"".join(blobs))
    n = len(tasks)
    g_dt, g_rss, g_out, _ = run_timed([a.gapbench, "eval", "--model", a.model, "--suite", f"{tmp}/mmlu",
                                       "--fewshot", "5", "--threads", str(a.threads), "--json"])
    g = json.loads(g_out)
    l_dt, l_rss, l_out, l_err = run_timed([a.llama, "-m", a.model, "-bf", f"{tmp}/tasks.bin", "--multiple-choice",
                                           "-t", str(a.threads), "-c", "2048", "-b", "2048"])
    m = re.findall(r"Final result: ([0-9.]+)", l_out + l_err)
    l_acc = float(m[-1]) / 100 if m else float("nan")
    print(f"{n} items, 5-shot, {a.threads} threads, model {os.path.basename(a.model)}\n")
    print("| tool | seconds | items/s | peak RSS MiB | accuracy |\n|---|---|---|---|---|")
    print(f"| gapbench eval | {g_dt:.1f} | {n / g_dt:.2f} | {g_rss / 2**20:.0f} | {g['accuracy']:.4f} |")
    print(f"| llama-perplexity --multiple-choice | {l_dt:.1f} | {n / l_dt:.2f} | {l_rss / 2**20:.0f} | {l_acc:.4f} |")
    print(f"\nitems/s ratio gapbench / llama.cpp: {l_dt / g_dt:.1f}x")


if __name__ == "__main__":
    main()
