// The shared progress line: what a log file (not a terminal) receives, the throttle, and the
// duration format. The throttle interval is injected, so nothing here depends on timing.
#include "common/progress.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

namespace gapbench {
namespace {

std::string ReadAll(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

TEST(ProgressLine, LogFileGetsPlainThrottledLinesAndAlwaysTheFinalOne) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ProgressLine p("eval", f, std::chrono::hours(1));
  EXPECT_FALSE(p.tty());
  p.Draw(1, 4, "acc 1.0000", false, 2.0);
  p.Draw(2, 4, "acc 0.5000", false, 2.0);  // within the interval: not drawn
  p.Draw(4, 4, "acc 0.7500", true, 2.0);   // the final line is always drawn
  const std::string out = ReadAll(f);
  std::fclose(f);
  EXPECT_EQ(out,
            "eval: 1/4 items  2.00 items/s  ETA 2s  acc 1.0000\n"
            "eval: 4/4 items  2.00 items/s  ETA 0s  acc 0.7500\n");
}

TEST(ProgressLine, GivenEtaAndUnknownEta) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ProgressLine p("gapbench run", f, std::chrono::milliseconds(0));
  p.Draw(3, 10, "workers 2", false, 0.5, 125);
  p.Draw(0, 10, {}, false, 0.0);  // no rate yet: the ETA is unknown
  const std::string out = ReadAll(f);
  std::fclose(f);
  EXPECT_EQ(out,
            "gapbench run: 3/10 items  0.50 items/s  ETA 2m05s  workers 2\n"
            "gapbench run: 0/10 items  0.00 items/s  ETA ?\n");
}

TEST(FormatDuration, Units) {
  EXPECT_EQ(FormatDuration(45.4), "45s");
  EXPECT_EQ(FormatDuration(725), "12m05s");
  EXPECT_EQ(FormatDuration(3 * 3600 + 4 * 60 + 10), "3h04m");
  EXPECT_EQ(FormatDuration(2 * 86400 + 3 * 3600), "2d03h");
  EXPECT_EQ(FormatDuration(-1), "?");
  EXPECT_EQ(FormatDuration(std::nan("")), "?");
}

}  // namespace
}  // namespace gapbench
