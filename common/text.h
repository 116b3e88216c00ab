// Small text helpers shared by the parsers that report user errors.
#pragma once

#include <cstddef>
#include <string_view>

namespace gapbench {

// Levenshtein distance (insertions, deletions, substitutions), for "did you mean" suggestions.
size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace gapbench
