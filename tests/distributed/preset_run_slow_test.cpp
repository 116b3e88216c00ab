// The open-llm-v1 preset through `gapbench run` on a fixture model, with the real files of
// ../shared/data (HellaSwag, which it lacks, written in the authors' format): a few items per
// task, the report's preset average checked against the item records recomputed here.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "common/error.h"
#include "common/json.h"
#include "tests/coordinator/preset_fixture.h"
#include "tests/distributed/cluster_fixture.h"

namespace gapbench::testing {
namespace {

namespace fs = std::filesystem;

std::string PresetSweep(const fs::path& data, int limit) {
  return StrCat(R"({"name": "olv1", "models": [{"alias": "tiny", "path": ")",
                FixtureModel().string(), R"("}], "engines": [{"name": "base"}],
  "suites": [{"preset": "open-llm-v1", "data": ")",
                data.string(), R"(", "limit": )", limit, R"(, "max_tokens": 8}], "grid": {}})");
}

TEST(PresetRun, OpenLlmV1RunsOnTheSharedDataAndReportsItsAverage) {
  GB_REQUIRE_SHARED_DATA(shared);
  TempDir dir;
  // ../shared/data names its missing HellaSwag file.
  if (!fs::exists(shared / "hellaswag" / "hellaswag_val.jsonl")) {
    WriteFile(dir / "shared-sweep.json", PresetSweep(shared, 2));
    const auto v =
        RunProcess({GapbenchBin(), "sweep", "validate", (dir / "shared-sweep.json").string()});
    EXPECT_EQ(v.exit_code, 1) << v.out << v.err;
    EXPECT_NE((v.out + v.err).find("task hellaswag"), std::string::npos) << v.out << v.err;
    EXPECT_NE((v.out + v.err).find("hellaswag/hellaswag_val.jsonl"), std::string::npos);
  }
  // The real files, plus HellaSwag lines in the authors' format.
  const fs::path data = dir / "data";
  fs::create_directories(data);
  for (const char* sub : {"arc", "mmlu", "truthfulqa", "winogrande", "gsm8k"}) {
    fs::create_directory_symlink(shared / sub, data / sub);
  }
  WriteHellaswag(data / "hellaswag" / "hellaswag_val.jsonl", 16);
  WriteFile(dir / "sweep.json", PresetSweep(data, 2));
  const auto r = RunProcess({GapbenchBin(), "run", (dir / "sweep.json").string(), "--workers", "1",
                             "--threads", "1", "--out", (dir / "out").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("12/12 items"), std::string::npos) << r.err;

  // Recompute each task's score from items.jsonl by the leaderboard's metric.
  std::map<std::string, std::map<std::string, std::vector<double>>> values;  // task -> subject
  std::istringstream lines(ReadFile(dir / "out" / "items.jsonl"));
  std::string line;
  while (std::getline(lines, line)) {
    const rapidjson::Document d = ParseJson(line, "items.jsonl");
    const std::string suite = d["suite"].GetString();
    const std::string task = suite.substr(suite.find('.') + 1);
    double v = 0;
    if (task == "arc_challenge" || task == "hellaswag") {
      v = d["correct_norm"].GetBool() ? 1 : 0;
    } else if (task == "truthfulqa_mc2") {
      v = d["score"].GetDouble();
    } else {
      v = d["correct"].GetBool() ? 1 : 0;
    }
    const std::string subject =
        task == "mmlu" && d.HasMember("tags") && d["tags"].HasMember("subject")
            ? d["tags"]["subject"].GetString()
            : "";
    values[task][subject].push_back(v);
  }
  ASSERT_EQ(values.size(), 6u);
  double sum = 0;
  for (const auto& [task, by_subject] : values) {
    double task_value = 0;
    for (const auto& [_, xs] : by_subject) {
      double m = 0;
      for (double x : xs) m += x;
      task_value += m / static_cast<double>(xs.size()) / static_cast<double>(by_subject.size());
    }
    sum += task_value;
  }
  const rapidjson::Document results =
      ParseJson(ReadFile(dir / "out" / "results.json"), "results.json");
  ASSERT_TRUE(results.HasMember("presets"));
  const auto& presets = results["presets"];
  ASSERT_EQ(presets.Size(), 1u);
  const auto& p = presets[0];
  EXPECT_STREQ(p["preset"].GetString(), "open-llm-v1");
  ASSERT_EQ(p["tasks"].Size(), 6u);
  const char* kTasks[] = {"arc_challenge",  "hellaswag",  "mmlu",
                          "truthfulqa_mc2", "winogrande", "gsm8k"};
  const int kShots[] = {25, 10, 5, 0, 5, 5};
  for (rapidjson::SizeType i = 0; i < 6; ++i) {
    EXPECT_STREQ(p["tasks"][i]["task"].GetString(), kTasks[i]);
    EXPECT_EQ(p["tasks"][i]["fewshot"].GetInt(), kShots[i]);
    EXPECT_EQ(p["tasks"][i]["n"].GetInt(), 2);
  }
  ASSERT_TRUE(p["average"].IsObject()) << ReadFile(dir / "out" / "results.json");
  EXPECT_NEAR(p["average"]["value"].GetDouble(), sum / 6, 1e-9);
  const std::string md = ReadFile(dir / "out" / "report.md");
  EXPECT_NE(md.find("## Preset averages"), std::string::npos) << md;
  EXPECT_NE(ReadFile(dir / "out" / "index.html").find("id=\"presets\""), std::string::npos);
}

}  // namespace
}  // namespace gapbench::testing
