// The preset table (presets.h). Open LLM Leaderboard v1 (Hugging Face, archived June 2024): six
// tasks of EleutherAI's lm-evaluation-harness, averaged with equal weights; shots and metrics as
// its "About" page lists them and as lm-eval's benchmarks/openllm.yaml group has them (ARC 25,
// HellaSwag 10, TruthfulQA 0, MMLU 5, WinoGrande 5, GSM8K 5).
#include "suites/presets.h"

namespace gapbench::suites {

const std::vector<Preset>& Presets() {
  static const std::vector<Preset> kPresets = {
      {"open-llm-v1",
       "Open LLM Leaderboard v1: the equal-weight average of six lm-eval tasks",
       {
           {"arc_challenge", "arc/ARC-Challenge-Test.jsonl", "arc", 25, kMetricAccNorm, false,
            "AI2 ARC-Challenge test JSONL (shots from ARC-Challenge-Dev.jsonl next to it)"},
           {"hellaswag", "hellaswag/hellaswag_val.jsonl", "hellaswag", 10, kMetricAccNorm, false,
            "the HellaSwag authors' validation JSONL"},
           {"mmlu", "mmlu", "mmlu", 5, kMetricAcc, true,
            "the MMLU folder (test/ and dev/ CSVs of Hendrycks et al.)"},
           {"truthfulqa_mc2", "truthfulqa/mc_task.json", "truthfulqa_mc2", 0, kMetricMc2, false,
            "TruthfulQA's mc_task.json"},
           {"winogrande", "winogrande/dev.jsonl", "winogrande", 5, kMetricAcc, false,
            "WinoGrande 1.1 dev.jsonl"},
           {"gsm8k", "gsm8k/test.jsonl", "gsm8k", 5, kMetricStrictMatch, false, "GSM8K test.jsonl"},
       }},
  };
  return kPresets;
}

const Preset* FindPreset(std::string_view name) {
  for (const Preset& p : Presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string> PresetNames() {
  std::vector<std::string> out;
  for (const Preset& p : Presets()) out.push_back(p.name);
  return out;
}

}  // namespace gapbench::suites
