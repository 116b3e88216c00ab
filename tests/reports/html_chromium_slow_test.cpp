// index.html in a real browser: `gapbench report` (the CLI, as a process) renders the golden
// fixture's database, then headless Chromium opens index.html#selftest from disk with no
// network. The page's own script sorts the table and records the outcome and any script errors
// or console.error calls in attributes of <html>, which --dump-dom shows us. It also measures the
// layout in the DOM (getBoundingClientRect; html.cpp's layout()): no element wider than the
// viewport except inside the table's scroll container, every chart text inside its SVG, legends
// clear of plotted points, one non-overlapping label per Pareto point. Checked at 1280 and 800 px,
// on the golden fixture and on a "wide" run (long names, nine arms: one panel per model).
// Screenshots at both widths are kept as test artefacts (paths printed). Skips with a message
// when chromium is not installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <regex>

#include "tests/reports/report_fixture.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

namespace fs = std::filesystem;
using gapbench::testing::ReadFile;
using gapbench::testing::RunProcess;
using gapbench::testing::TempDir;

std::string FindChromium() {
  for (const char* p :
       {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

std::string Attr(const std::string& dom, const std::string& name) {
  const std::regex re("<html[^>]*\\s" + name + "=\"([^\"]*)\"");
  std::smatch m;
  return std::regex_search(dom, m, re) ? m[1].str() : "<absent>";
}

struct Page {
  std::string dom;
};

// index.html#selftest at `width` px: the DOM after the page's own checks ran; with a non-empty
// `shot`, also a full-page screenshot kept as <shot>_<width>.png in the test's working directory
// (the build tree under ctest).
Page Open(const std::string& chromium, const TempDir& dir, const fs::path& html, int width,
          const std::string& shot) {
  const std::string url = "file://" + fs::absolute(html).string();
  const std::string profile = (dir / "profile").string();
  const std::string size = StrCat("--window-size=", width, ",3000");
  // Headless screenshots are of the window: tall enough for the whole page.
  const std::string shot_size = StrCat("--window-size=", width, ",6000");
  const auto dom =
      RunProcess({"timeout", "90", chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                  "--no-first-run", "--user-data-dir=" + profile, "--hide-scrollbars", size,
                  "--virtual-time-budget=5000", "--dump-dom", url + "#selftest"});
  EXPECT_EQ(dom.exit_code, 0) << dom.err;
  if (!shot.empty()) {
    const fs::path png = fs::absolute(StrCat(shot, "_", width, ".png"));
    const auto ss =
        RunProcess({"timeout", "90", chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--no-first-run", "--user-data-dir=" + profile, "--hide-scrollbars", shot_size,
                    "--screenshot=" + png.string(), url});
    EXPECT_EQ(ss.exit_code, 0) << ss.err;
    EXPECT_TRUE(fs::exists(png));
    if (fs::exists(png)) {
      EXPECT_GT(fs::file_size(png), 10000u);
    }
    std::printf("screenshot: %s\n", png.c_str());
  }
  return {dom.out};
}

TEST(HtmlChromiumSlowTest, PageLoadsSortsAndDrawsCharts) {
  const std::string chromium = FindChromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh)";

  TempDir dir;
  const auto lines = testing::SplitLines(
      ReadFile(gapbench::testing::SourceDir() / "tests/fixtures/reports/golden/run.jsonl"));
  testing::BuildDatabase((dir / "results.sqlite").string(), lines);
  const auto rep = RunProcess({gapbench::testing::GapbenchBin(), "report", dir.path().string()});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const fs::path html = dir / "index.html";
  ASSERT_TRUE(fs::exists(html));
  const std::string page = ReadFile(html);
  // Self-contained: nothing fetched from anywhere.
  EXPECT_EQ(page.find("http://"), page.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  // Text from data is escaped (the fixture's model alias is "tiny <1B> & co").
  EXPECT_NE(page.find("tiny &lt;1B&gt; &amp; co"), std::string::npos);
  EXPECT_EQ(page.find("tiny <1B>"), std::string::npos);

  for (const int width : {1280, 800}) {
    const Page p = Open(chromium, dir, html, width, "html_chromium_report");
    EXPECT_EQ(Attr(p.dom, "data-selftest"), "pass")
        << width << ": " << Attr(p.dom, "data-error-log");
    EXPECT_EQ(Attr(p.dom, "data-errors"), "0") << width << ": " << Attr(p.dom, "data-error-log");
    EXPECT_EQ(Attr(p.dom, "data-layout"), "pass") << width;
    EXPECT_EQ(Attr(p.dom, "data-viewport"), std::to_string(width));
    EXPECT_EQ(Attr(p.dom, "data-rows"), "15");  // the fixture's 15 groups
    // At 800 px the table is wider than the page: it scrolls inside its container.
    if (width == 800) {
      EXPECT_EQ(Attr(p.dom, "data-table-scrolls"), "yes");
    }
    // After the self-test the model column is sorted ascending: "big" rows before "tiny".
    EXPECT_LT(p.dom.find("<td>big</td>"), p.dom.find("<td>tiny &lt;1B&gt; &amp; co</td>"));
    // Charts: accuracy per suite (5), generalisation, reasoning, knowledge, Pareto.
    for (const char* id : {"chart-accuracy-0", "chart-accuracy-4", "chart-generalisation",
                           "chart-reasoning-0", "chart-knowledge-0", "chart-pareto-0"}) {
      EXPECT_NE(p.dom.find(StrCat("id=\"", id, "\"")), std::string::npos) << id;
    }
  }
  // The chance level (two choices per fixture MMLU item) is a line in the accuracy chart.
  EXPECT_NE(page.find("chance 0.500"), std::string::npos);
}

// Long model and configuration names, nine arms on one suite: the charts shorten labels to fit,
// split the lines into one panel per model, and the page still passes its layout check.
TEST(HtmlChromiumSlowTest, WideRunStaysInsideThePageAtBothWidths) {
  const std::string chromium = FindChromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh)";
  TempDir dir;
  std::vector<std::string> lines = {
      R"({"type":"suite","content_hash":"s-mc","name":"multiple-choice-suite-with-a-long-name","n_items":12})"};
  const char* models[] = {"an-extremely-long-model-alias-for-layout-7b-instruct-q4",
                          "medium-model-1.5b", "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW"};
  const char* configs[] = {"baseline", "kv-cache-q8_0-sliding-window-512-shared-kv",
                           "weights-q4_0"};
  for (int mi = 0; mi < 3; ++mi) {
    lines.push_back(StrCat(R"({"type":"model","id":"m)", mi, R"(","alias":")", models[mi],
                           R"(","size_bytes":)", (mi + 1) * 1000000, R"(,"file_hash":"f)", mi,
                           R"(","metadata":{"parameters":)", (mi + 1) * 1000000, "}}"));
  }
  for (int ci = 0; ci < 3; ++ci) {
    lines.push_back(StrCat(R"({"type":"config","hash":"c)", ci, R"(","name":")", configs[ci],
                           R"(","canonical":{}})"));
  }
  const char* subjects[] = {"high_school_macroeconomics", "abstract_algebra", "virology"};
  for (int mi = 0; mi < 3; ++mi) {
    for (int ci = 0; ci < 3; ++ci) {
      for (int i = 0; i < 12; ++i) {
        const bool correct = (i * 7 + mi * 3 + ci) % 4 != 0;
        lines.push_back(StrCat(
            R"({"type":"item","model":"m)", mi, R"(","config":"c)", ci,
            R"(","suite":"s-mc","index":)", i, R"(,"record":{"item_id":"q)", i < 10 ? "0" : "", i,
            R"(","suite":"multiple-choice-suite-with-a-long-name","suite_hash":"s-mc","kind":"multiple_choice","tags":{"subject":")",
            subjects[i % 3], R"(","steps":)", 1 + i % 4, R"(},"gold":0,"pred":)", correct ? 0 : 1,
            R"(,"pred_norm":0,"choice_logprobs":[-1,-2,-3,-4],"correct":)",
            correct ? "true" : "false", R"(,"correct_norm":true},"timing":{"latency_s":)",
            0.01 * (mi + 1) * (ci + 1) + 0.001 * i, "}}"));
      }
    }
  }
  testing::BuildDatabase((dir / "results.sqlite").string(), lines);
  const auto rep = RunProcess({gapbench::testing::GapbenchBin(), "report", dir.path().string()});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const fs::path html = dir / "index.html";
  const std::string page = ReadFile(html);
  // Nine lines would be unreadable in one chart: one panel per model, three lines each.
  for (const char* id : {"chart-knowledge-0-0", "chart-knowledge-0-1", "chart-knowledge-0-2",
                         "chart-reasoning-0-2"}) {
    EXPECT_NE(page.find(StrCat("id=\"", id, "\"")), std::string::npos) << id;
  }
  EXPECT_EQ(page.find("id=\"chart-knowledge-0\""), std::string::npos);
  EXPECT_NE(page.find("chance 0.250"), std::string::npos);  // four choices
  for (const int width : {1280, 800}) {
    const Page p = Open(chromium, dir, html, width, "html_chromium_wide");
    EXPECT_EQ(Attr(p.dom, "data-selftest"), "pass") << width;
    EXPECT_EQ(Attr(p.dom, "data-errors"), "0") << width << ": " << Attr(p.dom, "data-error-log");
    EXPECT_EQ(Attr(p.dom, "data-layout"), "pass") << width;
  }
}

}  // namespace
}  // namespace gapbench::reports
