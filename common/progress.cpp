#include "common/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace gapbench {

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[48];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s % 3600 / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
  }
  return buf;
}

ProgressLine::ProgressLine(std::string label, std::FILE* out, std::chrono::milliseconds interval)
    : label_(std::move(label)), out_(out), tty_(::isatty(::fileno(out)) != 0) {
  interval_ = interval.count() >= 0 ? interval : std::chrono::milliseconds(tty_ ? 200 : 5000);
}

double ProgressLine::elapsed_s() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void ProgressLine::Draw(int64_t done, int64_t total, std::string_view extra, bool final_line,
                        double rate, double eta_s) {
  const auto now = Clock::now();
  if (!final_line && drawn_ && now - last_ < interval_) return;
  drawn_ = true;
  last_ = now;
  if (rate < 0) {
    const double secs = elapsed_s();
    rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  }
  if (eta_s < 0 && rate > 0) eta_s = static_cast<double>(std::max<int64_t>(0, total - done)) / rate;
  std::string line = label_ + ": ";
  if (tty_) {
    constexpr int kWidth = 30;
    const double frac = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
    const int filled = static_cast<int>(std::clamp(frac, 0.0, 1.0) * kWidth);
    line += "[" + std::string(static_cast<size_t>(filled), '#') +
            std::string(static_cast<size_t>(kWidth - filled), '.') + "] ";
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3.0f%%  ", frac * 100);
    line += pct;
  }
  char nums[160];
  std::snprintf(nums, sizeof nums, "%lld/%lld items  %.2f items/s  ETA %s",
                static_cast<long long>(done), static_cast<long long>(total), rate,
                FormatDuration(eta_s).c_str());
  line += nums;
  if (!extra.empty()) line.append("  ").append(extra);
  if (tty_) {
    std::fprintf(out_, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace gapbench
