// One progress display for every long command (eval, run, perplexity): on a terminal a bar
// redrawn in place at most every 200 ms; on a pipe or log file a plain line at most every 5 s,
// so CI logs stay short. Not here: what the numbers mean (the caller passes them).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace gapbench {

// "45s", "12m05s", "3h04m", "2d03h"; "?" when unknown (negative or not finite).
std::string FormatDuration(double seconds);

class ProgressLine {
 public:
  using Clock = std::chrono::steady_clock;
  // `label` starts every line ("eval", "gapbench run"). `min_interval` overrides the throttle
  // (200 ms on a terminal, 5 s otherwise); tests pass a long one.
  explicit ProgressLine(std::string label, std::FILE* out = stderr,
                        std::chrono::milliseconds min_interval = std::chrono::milliseconds(-1));

  // Draws "label: [####....]  40%  4/10 items  2.00 items/s  ETA 3s  <extra>" (the bar only on
  // a terminal) unless the last draw was less than the interval ago; `final_line` always draws
  // and ends the line. rate < 0: items done per second since construction; eta < 0: from rate.
  void Draw(int64_t done, int64_t total, std::string_view extra = {}, bool final_line = false,
            double rate = -1, double eta_s = -1);

  bool tty() const { return tty_; }
  double elapsed_s() const;

 private:
  std::string label_;
  std::FILE* out_;
  bool tty_;
  std::chrono::milliseconds interval_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace gapbench
