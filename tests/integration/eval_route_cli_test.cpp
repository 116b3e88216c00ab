// `gapbench eval --small`: the routed system end to end on the model zoo's small and large models
// (real processes, real files). Its records hold exactly each member's answers when run alone;
// the summary's qualities, escalated share and APGR agree with a computation from those records
// written out here; bad routing options are clear errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>

#include "common/error.h"
#include "common/json.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;
namespace fs = std::filesystem;

fs::path Zoo(const char* name) { return testing::SourceDir() / "models" / "zoo" / name; }

std::vector<rapidjson::Document> ReadRecords(const fs::path& p) {
  std::vector<rapidjson::Document> out;
  std::istringstream in(testing::ReadFile(p));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(ParseJson(line, p.string()));
  }
  return out;
}

// 24 four-choice questions in the native format (cloze style: choices scored as continuations).
void WriteSuite(const fs::path& file) {
  const char* colours[] = {"red", "green", "blue", "yellow"};
  std::string text;
  for (int i = 0; i < 24; ++i) {
    text += StrCat(R"({"kind":"multiple_choice","id":"q)", i, R"(","style":"cloze",)",
                   R"("question":"The colour of object )", i, R"( is","choices":[")", colours[0],
                   R"(",")", colours[1], R"(",")", colours[2], R"(",")", colours[3],
                   R"("],"gold":)", (i * 7) % 4, "}\n");
  }
  testing::WriteFile(file, text);
}

TEST(EvalRouteCli, RecordsAndSummaryFollowFromBothMembers) {
  if (!fs::exists(Zoo("small.gguf")) || !fs::exists(Zoo("large.gguf"))) {
    GTEST_SKIP() << "models/zoo/{small,large}.gguf are absent";
  }
  testing::TempDir dir;
  WriteSuite(dir / "s.jsonl");
  auto eval = [&](std::vector<std::string> extra, const fs::path& out) {
    std::vector<std::string> argv = {
        GapbenchBin(), "eval",     "--suite",   (dir / "s.jsonl").string(),
        "--format",    "gapbench", "--threads", "1",
        "--json",      "--out",    out.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv);
  };
  const auto s = eval({"--model", Zoo("small.gguf").string()}, dir / "small.jsonl");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const auto l = eval({"--model", Zoo("large.gguf").string()}, dir / "large.jsonl");
  ASSERT_EQ(l.exit_code, 0) << l.err;
  const auto r = eval({"--model", Zoo("large.gguf").string(), "--small", Zoo("small.gguf").string(),
                       "--threshold", "0.4"},
                      dir / "routed.jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto small = ReadRecords(dir / "small.jsonl");
  const auto large = ReadRecords(dir / "large.jsonl");
  const auto routed = ReadRecords(dir / "routed.jsonl");
  ASSERT_EQ(routed.size(), 24u);
  ASSERT_EQ(small.size(), 24u);
  struct Row {
    double signal, small, large;
  };
  std::vector<Row> rows;
  int escalated = 0, correct = 0;
  for (size_t i = 0; i < routed.size(); ++i) {
    const auto& rec = routed[i];
    ASSERT_TRUE(rec.HasMember("route")) << i;
    const auto& route = rec["route"];
    EXPECT_EQ(std::string(route["signal"].GetString()), "top_prob");
    EXPECT_EQ(route["threshold"].GetDouble(), 0.4);
    EXPECT_EQ(std::string(route["small"]["prediction"].GetString()),
              small[i]["prediction"].GetString());
    EXPECT_EQ(route["small"]["correct"].GetBool(), small[i]["correct"].GetBool());
    EXPECT_EQ(std::string(route["large"]["prediction"].GetString()),
              large[i]["prediction"].GetString());
    EXPECT_EQ(route["large"]["correct"].GetBool(), large[i]["correct"].GetBool());
    EXPECT_GT(route["small"]["seconds"].GetDouble(), 0.0);
    // top_prob from the small model's own record: softmax of its choice log-likelihoods.
    const auto& lp = small[i]["choice_logprobs"];
    double z = 0, best = 0;
    for (const auto& v : lp.GetArray()) z += std::exp(v.GetDouble());
    for (const auto& v : lp.GetArray()) best = std::max(best, std::exp(v.GetDouble()) / z);
    EXPECT_NEAR(route["value"].GetDouble(), best, 1e-9);
    const bool up = route["value"].GetDouble() < 0.4;
    EXPECT_EQ(route["escalated"].GetBool(), up);
    EXPECT_EQ(std::string(rec["prediction"].GetString()),
              (up ? large : small)[i]["prediction"].GetString());
    escalated += up ? 1 : 0;
    correct += rec["correct"].GetBool() ? 1 : 0;
    rows.push_back({best, small[i]["correct"].GetBool() ? 1.0 : 0.0,
                    large[i]["correct"].GetBool() ? 1.0 : 0.0});
  }
  const auto sum = ParseJson(r.out, "routed eval");
  const auto& rt = sum["route"];
  const auto ss = ParseJson(s.out, "small eval"), ls = ParseJson(l.out, "large eval");
  EXPECT_NEAR(rt["small_quality"].GetDouble(), ss["accuracy"].GetDouble(), 1e-12);
  EXPECT_NEAR(rt["large_quality"].GetDouble(), ls["accuracy"].GetDouble(), 1e-12);
  EXPECT_NEAR(rt["call_share"].GetDouble(), escalated / 24.0, 1e-12);
  EXPECT_NEAR(rt["quality"].GetDouble(), correct / 24.0, 1e-12);
  EXPECT_NEAR(sum["accuracy"].GetDouble(), correct / 24.0, 1e-12);
  // APGR written out: escalate the lowest-signal items first, fractionally between items.
  const double qs = rt["small_quality"].GetDouble(), ql = rt["large_quality"].GetDouble();
  if (qs != ql) {
    std::sort(rows.begin(), rows.end(),
              [](const Row& a, const Row& b) { return a.signal < b.signal; });
    double apgr = 0;
    for (int k = 1; k <= 10; ++k) {
      double q = 0;
      for (size_t i = 0; i < rows.size(); ++i) {
        const double w = std::clamp(k / 10.0 * 24 - static_cast<double>(i), 0.0, 1.0);
        q += w * rows[i].large + (1 - w) * rows[i].small;
      }
      apgr += ((q / 24) - qs) / (ql - qs) / 10;
    }
    ASSERT_TRUE(rt["apgr"].IsNumber()) << r.out;
    EXPECT_NEAR(rt["apgr"].GetDouble(), apgr, 1e-9);
    ASSERT_TRUE(rt.HasMember("apgr_ci"));
    EXPECT_LE(rt["apgr_ci"][0].GetDouble(), rt["apgr_ci"][1].GetDouble());
  } else {
    EXPECT_TRUE(rt["apgr"].IsNull());
  }
}

TEST(EvalRouteCli, BadRoutingOptionsAreClearErrors) {
  testing::TempDir dir;
  WriteSuite(dir / "s.jsonl");
  const std::string model =
      (testing::SourceDir() / "tests" / "fixtures" / "engine" / "llama-mha-f32.gguf").string();
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {GapbenchBin(), "eval",    "--model",
                                     model,         "--suite", (dir / "s.jsonl").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv);
  };
  auto r = run({"--threshold", "0.3"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--threshold needs --small"), std::string::npos) << r.err;
  r = run({"--small", model, "--threshold", "1.5", "--gen-signal", "margin"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--threshold: expected a number in [0, 1]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--gen-signal: expected \"mean_logprob\""), std::string::npos) << r.err;
  r = run({"--small", (dir / "missing.gguf").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("missing.gguf"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gapbench
