#!/usr/bin/env python3
"""Dumps the requests lm-evaluation-harness builds for the local copies of published tasks.

For every task gapbench reproduces (docs/SUITES.md) this builds lm-eval's own ConfigurableTask
from its built-in task YAML (`TaskManager`), swaps only the data source for the local file
(`custom_dataset`: the file's rows as the fields the Hugging Face copy has), and asks lm-eval for
the few-shot context and the requests of a sample of items. The context and continuation of
every request (the prompt and stop sequences for generation tasks) go into
tests/fixtures/lmeval/TASK.json; tests/suites/lmeval_requests_test.cpp checks that gapbench builds
byte-identical requests. Nothing here formats a prompt: the strings come from lm-eval's code.

Runs offline. Install lm-eval into a venv of its own (never /work/venv):
    python3 -m venv /work/venv-lmeval
    /work/venv-lmeval/bin/pip install -r tools/requirements-lmeval.txt
    /work/venv-lmeval/bin/python tools/lmeval_requests.py --data ../shared/data \
        --out tests/fixtures/lmeval
"""
import argparse
import csv
import json
import os
import sys

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import datasets  # noqa: E402
import lm_eval  # noqa: E402
from lm_eval.api.task import ConfigurableTask  # noqa: E402
from lm_eval.tasks import TaskManager  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures", "lmeval")


def read_jsonl(path):
    with open(path, encoding="utf-8-sig") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


# --- The local files as the rows of the Hugging Face copies lm-eval's YAMLs read. ---------------


def arc_rows(path):
    return [
        {
            "id": d["id"],
            "question": d["question"]["stem"],
            "choices": {
                "text": [c["text"] for c in d["question"]["choices"]],
                "label": [c["label"] for c in d["question"]["choices"]],
            },
            "answerKey": d["answerKey"],
        }
        for d in read_jsonl(path)
    ]


def truthfulqa_rows(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    out = []
    for d in data:
        row = {"question": d["question"]}
        for key in ("mc1_targets", "mc2_targets"):
            row[key] = {"choices": list(d[key].keys()), "labels": list(d[key].values())}
        out.append(row)
    return out


def winogrande_rows(path):
    return read_jsonl(path)


def piqa_rows(path):
    labels = read_lines(path.replace(".jsonl", "-labels.lst"))
    rows = read_jsonl(path)
    for r, label in zip(rows, labels, strict=True):
        r["label"] = int(label)
    return rows


def boolq_rows(path):
    # Google's form -> SuperGLUE's (the copy lm-eval reads): passage "{title} -- {passage}".
    out = []
    for i, d in enumerate(read_jsonl(path)):
        if "label" in d:
            out.append({"question": d["question"], "passage": d["passage"],
                        "idx": d.get("idx", i), "label": int(d["label"])})
        else:
            out.append({"question": d["question"], "passage": d["title"] + " -- " + d["passage"],
                        "idx": i, "label": int(d["answer"])})
    return out


def hellaswag_rows(path):
    rows = read_jsonl(path)
    for r in rows:
        r["label"] = str(r["label"])  # the Hugging Face copy's type
    return rows


def mmlu_rows(path):
    subject = os.path.basename(path).rsplit("_", 1)[0]
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [
            {"question": r[0], "subject": subject, "choices": r[1:5],
             "answer": int(r[5]) if r[5].isdigit() else "ABCD".index(r[5])}
            for r in csv.reader(f)
        ]


def gsm8k_rows(path):
    return read_jsonl(path)


# --- Tasks: lm-eval task name, the local files per split, which rows to dump. -------------------


def sample(n, count=20, extra=()):
    """Evenly spread row indices (first and last included) plus the quirky ones named."""
    rows = {round(i * (n - 1) / (count - 1)) for i in range(count)} if n > count else set(range(n))
    return sorted(rows | {e for e in extra if e < n})


def tasks(data):
    """(fixture name, lm-eval task, {split: rows}, eval split, rows to dump, shots, id of row i,
    gapbench's path/format)."""
    arc = os.path.join(data, "arc")
    out = []
    for name, kind in (("arc_easy", "Easy"), ("arc_challenge", "Challenge")):
        test = arc_rows(os.path.join(arc, f"ARC-{kind}-Test.jsonl"))
        dev = arc_rows(os.path.join(arc, f"ARC-{kind}-Dev.jsonl"))
        # Quirks: NYSEDREGENTS digit keys, 3- and 5-choice questions.
        extra = [i for i, r in enumerate(test)
                 if r["answerKey"].isdigit() or len(r["choices"]["text"]) != 4][:6]
        for shots in (0, 25):
            out.append({
                "fixture": f"{name}_{shots}shot", "task": name,
                "splits": {"test": test, "train": dev}, "eval": "test",
                "rows": sample(len(test), 20 if shots == 0 else 6, extra if shots == 0 else ()),
                "shots": shots, "id": lambda i, r: r["id"],
                "path": f"arc/ARC-{kind}-Test.jsonl", "format": "arc"})
    tqa = truthfulqa_rows(os.path.join(data, "truthfulqa", "mc_task.json"))
    for mc in ("mc1", "mc2"):
        out.append({
            "fixture": f"truthfulqa_{mc}", "task": f"truthfulqa_{mc}",
            "splits": {"validation": tqa}, "eval": "validation",
            "rows": sample(len(tqa), 20, (25, 208)), "shots": 0,
            "id": lambda i, r, mc=mc: f"truthfulqa_{mc}/{i}",
            "path": "truthfulqa/mc_task.json", "format": f"truthfulqa_{mc}"})
    wg = winogrande_rows(os.path.join(data, "winogrande", "dev.jsonl"))
    out.append({"fixture": "winogrande", "task": "winogrande", "splits": {"validation": wg},
                "eval": "validation", "rows": sample(len(wg)), "shots": 0,
                "id": lambda i, r: r["qID"], "path": "winogrande/dev.jsonl",
                "format": "winogrande"})
    pq = piqa_rows(os.path.join(data, "piqa", "valid.jsonl"))
    out.append({"fixture": "piqa", "task": "piqa", "splits": {"validation": pq},
                "eval": "validation", "rows": sample(len(pq)), "shots": 0,
                "id": lambda i, r: f"piqa/{i}", "path": "piqa/valid.jsonl", "format": "piqa"})
    bq = boolq_rows(os.path.join(data, "boolq", "dev.jsonl"))
    out.append({"fixture": "boolq", "task": "boolq", "splits": {"validation": bq},
                "eval": "validation", "rows": sample(len(bq)), "shots": 0,
                "id": lambda i, r: f"boolq/{i}", "path": "boolq/dev.jsonl", "format": "boolq"})
    # No copy of HellaSwag is available: lines written in the authors' format, committed beside
    # the fixtures (the C++ test loads the same file).
    hs_path = os.path.join(FIXTURES, "hellaswag_sample.jsonl")
    hs = hellaswag_rows(hs_path)
    out.append({"fixture": "hellaswag", "task": "hellaswag", "splits": {"validation": hs},
                "eval": "validation", "rows": list(range(len(hs))), "shots": 0,
                "id": lambda i, r: f"hellaswag/{r['ind']}",
                "path": "@fixtures/hellaswag_sample.jsonl", "format": "hellaswag"})
    # Few-shot format of the partial (WinoGrande) and HellaSwag tasks: row 0 of a small
    # committed file at 0 shots, and with each other row as its one (first_n) training shot.
    wg_path = os.path.join(FIXTURES, "winogrande_sample.jsonl")
    for name, task, rows, rel, fmt, ident in (
            ("winogrande_tiny", "winogrande", winogrande_rows(wg_path),
             "@fixtures/winogrande_sample.jsonl", "winogrande", lambda r: r["qID"]),
            ("hellaswag_tiny", "hellaswag", hs, "@fixtures/hellaswag_sample.jsonl", "hellaswag",
             lambda r: f"hellaswag/{r['ind']}")):
        out.append({"fixture": f"{name}_0shot", "task": task, "splits": {"validation": rows},
                    "eval": "validation", "rows": list(range(len(rows))), "shots": 0,
                    "id": lambda i, r, ident=ident: ident(r), "path": rel, "format": fmt})
        for j in range(1, len(rows)):
            out.append({"fixture": f"{name}_shot{j}", "task": task,
                        "splits": {"validation": rows, "train": [rows[j]]},
                        "eval": "validation", "rows": [0], "shots": 1,
                        "id": lambda i, r, j=j, rows=rows, ident=ident: ident(rows[j]),
                        "path": rel, "format": fmt})
    for subject in ("abstract_algebra", "college_physics", "high_school_world_history",
                    "professional_law"):
        test = mmlu_rows(os.path.join(data, "mmlu", "test", f"{subject}_test.csv"))
        dev = mmlu_rows(os.path.join(data, "mmlu", "dev", f"{subject}_dev.csv"))
        for shots in (0, 5):
            out.append({
                "fixture": f"mmlu_{subject}_{shots}shot", "task": f"mmlu_{subject}",
                "splits": {"test": test, "dev": dev}, "eval": "test",
                "rows": sample(len(test), 8 if shots == 0 else 3), "shots": shots,
                "id": lambda i, r, s=subject: f"{s}/{i}", "path": "mmlu", "format": "mmlu"})
    # The small files tests/suites/prompt_test.cpp reads: MMLU edge cases (a question with
    # surrounding whitespace and a newline, choices with spaces) at 0 and 2 shots.
    tiny = os.path.join(FIXTURES, "mmlu_tiny")
    test = mmlu_rows(os.path.join(tiny, "test", "college_physics_test.csv"))
    dev = mmlu_rows(os.path.join(tiny, "dev", "college_physics_dev.csv"))
    for shots in (0, 2):
        out.append({
            "fixture": f"mmlu_tiny_{shots}shot", "task": "mmlu_college_physics",
            "splits": {"test": test, "dev": dev}, "eval": "test", "rows": [0], "shots": shots,
            "id": lambda i, r: f"college_physics/{i}", "path": "@fixtures/mmlu_tiny",
            "format": "mmlu"})
    tiny_gsm = gsm8k_rows(os.path.join(FIXTURES, "gsm8k_tiny.jsonl"))
    out.append({"fixture": "gsm8k_tiny_0shot", "task": "gsm8k", "splits": {"test": tiny_gsm},
                "eval": "test", "rows": list(range(len(tiny_gsm))), "shots": 0,
                "id": lambda i, r: f"gsm8k/{i}", "path": "@fixtures/gsm8k_tiny.jsonl",
                "format": "gsm8k"})
    # The shot format: item 0 with each other row as its one (first_n) training shot.
    for j in range(1, len(tiny_gsm)):
        out.append({"fixture": f"gsm8k_tiny_shot{j}", "task": "gsm8k",
                    "splits": {"test": tiny_gsm, "train": [tiny_gsm[j]]}, "eval": "test",
                    "rows": [0], "shots": 1, "id": lambda i, r, j=j: f"gsm8k/{j}",
                    "path": "@fixtures/gsm8k_tiny.jsonl", "format": "gsm8k"})
    gsm = gsm8k_rows(os.path.join(data, "gsm8k", "test.jsonl"))
    out.append({"fixture": "gsm8k", "task": "gsm8k", "splits": {"test": gsm}, "eval": "test",
                "rows": sample(len(gsm)), "shots": 0, "id": lambda i, r: f"gsm8k/{i}",
                "path": "gsm8k/test.jsonl", "format": "gsm8k"})
    return out


def build_task(manager, spec):
    config = manager._get_config(spec["task"])
    splits = dict(spec["splits"])
    # Splits the YAML names that the local data lacks (a train split, used for shots only) get
    # the evaluated rows; at 0 shots nothing reads them.
    for key in ("training_split", "validation_split", "test_split", "fewshot_split"):
        name = config.get(key)
        if name and name not in splits:
            splits[name] = spec["splits"][spec["eval"]]
    config["custom_dataset"] = lambda **_: datasets.DatasetDict(
        {k: datasets.Dataset.from_list(v) for k, v in splits.items()})
    config.pop("dataset_kwargs", None)
    if spec["shots"] > 0:
        # Shots in file order from the pool (lm-eval's first_n sampler): gapbench's pool shots.
        config["fewshot_config"] = {"sampler": "first_n"}
        if "fewshot_split" not in config:
            config["fewshot_split"] = "train"
    config.setdefault("metadata", {})
    return ConfigurableTask(config=config)


def dump(spec, task):
    docs = task.test_docs() if spec["eval"] == "test" else task.validation_docs()
    raw = spec["splits"][spec["eval"]]
    items = []
    for i in spec["rows"]:
        doc = docs[i]
        ctx = task.fewshot_context(doc, spec["shots"])
        reqs = task.construct_requests(doc=doc, ctx=ctx, metadata=(spec["task"], i, 1))
        if not isinstance(reqs, list):
            reqs = [reqs]
        item = {"row": i, "id": spec["id"](i, raw[i])}
        if task.OUTPUT_TYPE == "generate_until":
            prompt, kwargs = reqs[0].arguments
            item["prompt"] = prompt
            item["until"] = list(kwargs.get("until", []))
        else:
            args = [list(r.arguments) for r in reqs]
            if all(a[0] == args[0][0] for a in args):
                # One context for every choice (all but partial evaluation): stored once.
                item["context"] = args[0][0]
                item["continuations"] = [a[1] for a in args]
            else:
                item["requests"] = args
        items.append(item)
    return {
        "generated_by": "tools/lmeval_requests.py",
        "lm_eval_version": lm_eval.__version__,
        "task": spec["task"],
        "output_type": task.OUTPUT_TYPE,
        "num_fewshot": spec["shots"],
        "path": spec["path"],
        "format": spec["format"],
        "items": items,
    }


def chat_fixture(manager):
    """lm-eval's --apply_chat_template prompts for the tiny GSM8K: item 0 with every ordered pair
    of the other rows as its two (first_n) shots, 0 shots, with and without
    --fewshot_as_multiturn and --system_instruction, rendered by real chat templates (the
    committed tests/fixtures/chat goldens' strings) the way HFLM.apply_chat_template renders them
    (jinja2 as transformers sets it up; on a TemplateError, again without system turns)."""
    sys.path.insert(0, HERE)
    import chat_template_fixtures as ctf  # noqa: E402  (jinja2 environment and lm-eval's retry)

    env = ctf.make_env()
    tiny = gsm8k_rows(os.path.join(FIXTURES, "gsm8k_tiny.jsonl"))
    entries = []
    for name in ("qwen2", "gemma2", "llama3.2"):
        with open(os.path.join(FIXTURES, "..", "chat", name + ".json"), encoding="utf-8") as f:
            spec = json.load(f)

        def apply_chat_template(history, add_generation_prompt=True, spec=spec):
            msgs = [(m["role"], m["content"]) for m in history]
            return ctf.render(env, spec["template"], msgs, add_generation_prompt,
                              spec["bos_token"], spec["eos_token"])[0]

        pairs = [[]] + [[a, b] for a in (1, 2, 3) for b in (1, 2, 3) if a != b]
        for shots in pairs:
            task = build_task(manager, {"task": "gsm8k", "eval": "test", "shots": len(shots),
                                        "splits": {"test": tiny,
                                                   "train": [tiny[j] for j in shots]}})
            doc = task.test_docs()[0]
            for multiturn in (False, True):
                for system in (None, "Solve the problem."):
                    ctx = task.fewshot_context(doc, len(shots), system_instruction=system,
                                               apply_chat_template=True,
                                               fewshot_as_multiturn=multiturn,
                                               chat_template=apply_chat_template)
                    entries.append({"template": name, "shots": [f"gsm8k/{j}" for j in shots],
                                    "fewshot_as_multiturn": multiturn,
                                    "system_instruction": system or "", "prompt": ctx})
    return {"generated_by": "tools/lmeval_requests.py", "lm_eval_version": lm_eval.__version__,
            "task": "gsm8k", "path": "@fixtures/gsm8k_tiny.jsonl", "item": "gsm8k/0",
            "entries": entries}


def gsm8k_strict_fixture(manager):
    """lm-eval's GSM8K "strict-match" score (the leaderboard's): its own RegexFilter with the
    filter and exact_match settings of its gsm8k.yaml, on hand-written generations against
    real-format answers, so tests/suites/scoring_test.cpp checks gapbench's strict match."""
    from lm_eval.api.metrics import exact_match_hf_evaluate
    from lm_eval.filters.extraction import RegexFilter

    config = manager._get_config("gsm8k")
    strict = next(f for f in config["filter_list"] if f["name"] == "strict-match")
    regex = next(f for f in strict["filter"] if f["function"] == "regex")
    flt = RegexFilter(regex_pattern=regex["regex_pattern"], group_select=regex.get("group_select", 0))
    metric = next(m for m in config["metric_list"] if m["metric"] == "exact_match")
    kwargs = {k: metric[k] for k in ("ignore_case", "ignore_punctuation", "regexes_to_ignore")}
    answers = ["She sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72", "Total: $1,200.\n#### 1200",
               "It is negative.\n#### -3", "Half.\n#### 0.5", "A #### B\n#### 18"]
    generations = [
        " 24 + 48 = 72\n#### 72", " The answer is 72.", " #### 72.", "#### 72\n#### 73",
        " #### 7,2", " #### $72", "####72", " #### 72 clips", " ####  72", " #### -72",
        " #### 1,200", " #### 1200.00", " #### 1.200", "\n#### -3", " #### - 3", " #### 0.5",
        " #### .5", " #### 18", " #### 18\n", " so #### 18 and #### 19", " #### 1,2,0,0",
        " #### 12.00.", "", " #### ", " #### ...",
    ]
    cases = []
    for answer in answers:
        for g in generations:
            pred = flt.apply([[g]], [{}])[0][0]
            score = exact_match_hf_evaluate(predictions=[pred], references=[answer], **kwargs)
            cases.append({"generation": g, "answer": answer, "extracted": pred,
                          "correct": bool(score["exact_match"] == 1.0)})
    return {"generated_by": "tools/lmeval_requests.py", "lm_eval_version": lm_eval.__version__,
            "task": "gsm8k", "filter": "strict-match", "cases": cases}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data"))
    ap.add_argument("--out", default=FIXTURES)
    ap.add_argument("--only", default="", help="comma-separated fixture names")
    args = ap.parse_args()
    manager = TaskManager()
    only = {s for s in args.only.split(",") if s}
    os.makedirs(args.out, exist_ok=True)
    for spec in tasks(args.data):
        if only and spec["fixture"] not in only:
            continue
        out = dump(spec, build_task(manager, spec))
        path = os.path.join(args.out, spec["fixture"] + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print(f"{path}: {len(out['items'])} items", file=sys.stderr)
    if not only or "gsm8k_strict" in only:
        out = gsm8k_strict_fixture(manager)
        path = os.path.join(args.out, "gsm8k_strict.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print(f"{path}: {len(out['cases'])} cases", file=sys.stderr)
    if not only or "gsm8k_tiny_chat" in only:
        out = chat_fixture(manager)
        path = os.path.join(args.out, "gsm8k_tiny_chat.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print(f"{path}: {len(out['entries'])} prompts", file=sys.stderr)


if __name__ == "__main__":
    main()
