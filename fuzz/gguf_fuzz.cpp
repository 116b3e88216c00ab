// libFuzzer target for the GGUF reader: parses the input with GgufFile::FromBuffer and, when it
// parses, reads every metadata value (through every accessor) and every tensor byte. Any crash,
// sanitizer report or exception other than gapbench::Error is a finding.
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>

#include "common/error.h"
#include "engine/gguf.h"

namespace {

using gapbench::engine::GgufValue;

uint64_t Touch(const GgufValue& v) {
  uint64_t h = static_cast<uint64_t>(v.type);
  if (v.IsNumber()) h += static_cast<uint64_t>(v.AsInt()) + std::bit_cast<uint64_t>(v.AsDouble());
  for (char c : v.str) h = h * 31 + static_cast<uint8_t>(c);
  for (const auto& e : v.elems) h += Touch(e);
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto f = gapbench::engine::GgufFile::FromBuffer("fuzz.gguf", {data, size});
    uint64_t h = 0;
    for (const auto& kv : f->metadata()) {
      h += Touch(kv.value);
      try {
        h += std::bit_cast<uint64_t>(f->GetFloat(kv.key).value_or(0));
        h += static_cast<uint64_t>(f->GetInt(kv.key).value_or(0));
        h += f->GetString(kv.key).value_or("").size();
      } catch (const gapbench::Error&) {
      }
    }
    for (const auto& t : f->tensors()) {
      for (uint64_t i = 0; i < t.n_bytes; ++i) h += t.data[i];
      h += static_cast<uint64_t>(t.rows()) + t.ShapeString().size();
      if (f->FindTensor(t.name) == nullptr) __builtin_trap();
    }
    volatile uint64_t sink = h;
    (void)sink;
  } catch (const gapbench::Error& e) {
    // Expected for hostile input; the message must name the file.
    if (std::strstr(e.what(), "fuzz.gguf") == nullptr) __builtin_trap();
  }
  return 0;
}
