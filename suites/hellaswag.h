// HellaSwag's text clean-up as lm-eval's hellaswag/utils.py does it, exposed for tests and for
// anyone building HellaSwag-style items (the loader is in hellaswag.cpp, reached via loaders.h).
#pragma once

#include <string>
#include <string_view>

namespace gapbench::suites {

// Python's str.capitalize() for ASCII and Latin-1 letters: first upper, the rest lower.
std::string PyCapitalize(std::string_view s);
// lm-eval's hellaswag preprocess(): strip, " [title]" -> ". ", drop "[...]", "  " -> " ".
std::string HellaswagPreprocess(std::string_view text);

}  // namespace gapbench::suites
