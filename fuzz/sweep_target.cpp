#include <string>
#include <string_view>

#include "common/error.h"
#include "coordinator/sweep.h"
#include "fuzz/targets.h"

namespace gapbench::fuzz {

void FuzzSweep(const uint8_t* data, size_t size, const std::string& base_dir) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  coordinator::SweepCheck check;
  try {
    check = coordinator::CheckSweepText(text, "fuzz-sweep.json", base_dir);
  } catch (const Error& e) {
    GB_CHECK(false, "CheckSweepText threw (it must collect problems): ", e.what());
  }
  for (const auto& e : check.errors) {
    GB_CHECK(e.rfind("fuzz-sweep.json", 0) == 0, "a sweep error does not name the file: ", e);
  }
}

}  // namespace gapbench::fuzz
