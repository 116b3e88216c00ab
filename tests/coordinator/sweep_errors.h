// Test helpers for a checked sweep's errors: all of them as one string (for failure messages), and
// whether one error contains every given part (its JSON path, the offending value, ...).
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>

#include "coordinator/sweep.h"

namespace gapbench::coordinator {

inline std::string AllErrors(const SweepCheck& c) {
  std::string out;
  for (const auto& e : c.errors) out += e + "\n";
  return out;
}

// Whether some error contains every one of `parts`.
inline bool HasError(const SweepCheck& c, std::initializer_list<std::string_view> parts) {
  return std::any_of(c.errors.begin(), c.errors.end(), [&](const std::string& e) {
    return std::all_of(parts.begin(), parts.end(),
                       [&](std::string_view p) { return e.find(p) != std::string::npos; });
  });
}

}  // namespace gapbench::coordinator
