// index.html in a real browser: `gapbench report` (the CLI, as a process) renders the golden
// fixture's database, then headless Chromium opens index.html#selftest from disk with no
// network. The page's own script sorts the table and records the outcome and any script errors
// or console.error calls in attributes of <html>, which --dump-dom shows us. A screenshot is kept
// as a test artefact (path printed). Skips with a message when chromium is not installed.
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

  const std::string url = "file://" + fs::absolute(html).string() + "#selftest";
  const std::string profile = (dir / "profile").string();
  const auto dom = RunProcess({"timeout", "90", chromium, "--headless=new", "--no-sandbox",
                               "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile,
                               "--virtual-time-budget=5000", "--dump-dom", url});
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_EQ(Attr(dom.out, "data-selftest"), "pass") << Attr(dom.out, "data-error-log");
  EXPECT_EQ(Attr(dom.out, "data-errors"), "0") << Attr(dom.out, "data-error-log");
  EXPECT_EQ(Attr(dom.out, "data-rows"), "15");  // the fixture's 15 groups
  // After the self-test the model column is sorted ascending: "big" rows before "tiny".
  EXPECT_LT(dom.out.find("<td>big</td>"), dom.out.find("<td>tiny &lt;1B&gt; &amp; co</td>"));
  // Charts: accuracy per suite (5), generalisation, reasoning, knowledge, Pareto.
  for (const char* id : {"chart-accuracy-0", "chart-accuracy-4", "chart-generalisation",
                         "chart-reasoning-0", "chart-knowledge-0", "chart-pareto-0"}) {
    EXPECT_NE(dom.out.find(StrCat("id=\"", id, "\"")), std::string::npos) << id;
  }

  // The screenshot artefact goes to the test's working directory (the build tree under ctest).
  const fs::path shot = fs::absolute("html_chromium_report.png");
  const auto ss =
      RunProcess({"timeout", "90", chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                  "--no-first-run", "--user-data-dir=" + profile, "--hide-scrollbars",
                  "--window-size=1400,3000", "--screenshot=" + shot.string(),
                  "file://" + fs::absolute(html).string()});
  ASSERT_EQ(ss.exit_code, 0) << ss.err;
  ASSERT_TRUE(fs::exists(shot));
  EXPECT_GT(fs::file_size(shot), 10000u);
  std::printf("screenshot: %s\n", shot.c_str());
}

}  // namespace
}  // namespace gapbench::reports
