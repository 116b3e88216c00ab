#!/usr/bin/env python3
"""Writes the bundled example suites (examples/suites/*.jsonl) used by the default sweep.

Deterministic (fixed seed, no downloads): a multiple-choice fact suite with an in-distribution
and an out-of-distribution sibling (tags split/family/fact_frequency/subject, for the
generalisation and knowledge gaps) and an arithmetic word-problem suite with 1-4 steps (tag
steps, for the reasoning gap). The facts are real; the numbers are generated.
Usage: python3 tools/make_example_suites.py [OUT_DIR]   (default examples/suites)
"""
import json
import os
import random
import sys

FACTS = [
    # (subject, question, answer, distractors, rough frequency of the fact on the web)
    ("geography", "What is the capital of France?", "Paris", ["Lyon", "Nice", "Lille"], 90000),
    ("geography", "What is the capital of Japan?", "Tokyo", ["Osaka", "Kyoto", "Nagoya"], 80000),
    ("geography", "What is the capital of Canada?", "Ottawa", ["Toronto", "Montreal", "Calgary"], 30000),
    ("geography", "What is the capital of Australia?", "Canberra", ["Sydney", "Perth", "Hobart"], 25000),
    ("geography", "What is the capital of Mongolia?", "Ulaanbaatar", ["Erdenet", "Darkhan", "Khovd"], 900),
    ("geography", "What is the capital of Burkina Faso?", "Ouagadougou", ["Bobo-Dioulasso", "Koudougou", "Banfora"], 400),
    ("geography", "Which is the longest river in Africa?", "Nile", ["Congo", "Niger", "Zambezi"], 20000),
    ("geography", "Which ocean lies between Africa and Australia?", "Indian", ["Atlantic", "Pacific", "Arctic"], 15000),
    ("geography", "What is the capital of Bhutan?", "Thimphu", ["Paro", "Punakha", "Jakar"], 300),
    ("geography", "What is the capital of Kyrgyzstan?", "Bishkek", ["Osh", "Karakol", "Naryn"], 500),
    ("science", "What is the chemical symbol for gold?", "Au", ["Ag", "Gd", "Go"], 50000),
    ("science", "How many planets orbit the Sun?", "8", ["7", "9", "10"], 60000),
    ("science", "What gas do plants absorb for photosynthesis?", "carbon dioxide", ["oxygen", "nitrogen", "helium"], 40000),
    ("science", "What is the atomic number of carbon?", "6", ["8", "12", "4"], 20000),
    ("science", "What is the hardest natural mineral?", "diamond", ["quartz", "topaz", "corundum"], 18000),
    ("science", "Which element has the symbol W?", "tungsten", ["titanium", "vanadium", "xenon"], 3000),
    ("science", "What is the SI unit of magnetic flux?", "weber", ["tesla", "henry", "gauss"], 1500),
    ("science", "Which planet has the moon Titan?", "Saturn", ["Jupiter", "Uranus", "Neptune"], 12000),
    ("science", "Which enzyme unwinds DNA at the replication fork?", "helicase", ["ligase", "primase", "topoisomerase"], 800),
    ("science", "Which particle mediates the electromagnetic force?", "photon", ["gluon", "W boson", "graviton"], 6000),
    ("history", "In which year did World War II end?", "1945", ["1944", "1946", "1939"], 70000),
    ("history", "Who was the first President of the United States?", "George Washington", ["John Adams", "Thomas Jefferson", "James Madison"], 65000),
    ("history", "Which empire built Machu Picchu?", "Inca", ["Aztec", "Maya", "Olmec"], 14000),
    ("history", "In which year did the Berlin Wall fall?", "1989", ["1987", "1991", "1985"], 30000),
    ("history", "Which English king sealed the Magna Carta in 1215?", "King John", ["Henry II", "Richard I", "Edward I"], 2500),
    ("history", "Which city was the capital of the Byzantine Empire?", "Constantinople", ["Rome", "Athens", "Antioch"], 9000),
    ("history", "Who was the last Tsar of Russia?", "Nicholas II", ["Alexander III", "Peter III", "Ivan VI"], 8000),
    ("history", "In which year was the Treaty of Westphalia signed?", "1648", ["1618", "1701", "1588"], 1200),
    ("history", "Which dynasty built most of the Great Wall seen today?", "Ming", ["Qin", "Han", "Tang"], 5000),
    ("history", "Who founded the Mauryan Empire?", "Chandragupta", ["Ashoka", "Bindusara", "Harsha"], 700),
]

OOD_TEMPLATES = [
    "Trivia time. {q}",
    "A student asks: \"{q}\" Which answer is right?",
    "{q} (Choose the single best answer.)",
]


def mc_item(idx, subject, question, answer, distractors, freq, split, rng):
    choices = [answer] + list(distractors)
    rng.shuffle(choices)
    return {
        "kind": "multiple_choice",
        "id": f"{split}-{idx:03d}",
        "question": question,
        "choices": choices,
        "gold": choices.index(answer),
        "tags": {"subject": subject, "fact_frequency": freq, "split": split, "family": "facts"},
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join("examples", "suites")
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261129)
    with open(os.path.join(out, "facts.jsonl"), "w") as f:
        for i, (s, q, a, d, fr) in enumerate(FACTS):
            f.write(json.dumps(mc_item(i, s, q, a, d, fr, "id", rng)) + "\n")
    with open(os.path.join(out, "facts-ood.jsonl"), "w") as f:
        for i, (s, q, a, d, fr) in enumerate(FACTS):
            q2 = OOD_TEMPLATES[i % len(OOD_TEMPLATES)].format(q=q)
            f.write(json.dumps(mc_item(i, s, q2, a, d, fr, "ood", rng)) + "\n")
    with open(os.path.join(out, "arith.jsonl"), "w") as f:
        for i in range(32):
            steps = 1 + i % 4
            value = rng.randint(2, 9)
            words = [f"Sam has {value} apples."]
            work = []
            for _ in range(steps):
                k = rng.randint(2, 9)
                if rng.random() < 0.5:
                    words.append(f"He gets {k} more.")
                    work.append(f"{value} + {k} = {value + k}")
                    value += k
                else:
                    words.append(f"He buys {k} times as many in total.")
                    work.append(f"{value} * {k} = {value * k}")
                    value *= k
            item = {
                "kind": "generation",
                "id": f"arith-{i:03d}",
                "style": "qa",
                "prompt": " ".join(words) + " How many apples does he have now?",
                "reference": str(value),
                "match": "numeric",
                "solution": "\n".join(work) + f"\n#### {value}",
                "stop": ["\n\n", "Question:"],
                "tags": {"steps": steps, "split": "id", "family": "arith"},
            }
            f.write(json.dumps(item) + "\n")


if __name__ == "__main__":
    main()
