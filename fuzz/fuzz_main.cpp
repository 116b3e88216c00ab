// libFuzzer entry for the targets of fuzz/targets.h; GB_FUZZ_TARGET picks one at compile time
// (fuzz/CMakeLists.txt builds one executable per target). The tokenizer target reads the
// vocabulary from $GAPBENCH_FUZZ_VOCAB (a GGUF file). gapbench::Error is an accepted refusal.
#include <cstdlib>
#include <memory>
#include <string>

#include "common/error.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"
#include "fuzz/targets.h"

#if defined(GB_FUZZ_TOKENIZER)
namespace {

const gapbench::engine::Tokenizer& Vocab() {
  static const std::unique_ptr<gapbench::engine::Tokenizer> tok = [] {
    const char* path = std::getenv("GAPBENCH_FUZZ_VOCAB");
    if (path == nullptr) std::abort();  // set GAPBENCH_FUZZ_VOCAB to a GGUF vocabulary
    // Robustness, not fidelity: fuzz a vocabulary with an unknown pre-tokenizer too.
    return gapbench::engine::Tokenizer::FromGguf(
        *gapbench::engine::GgufFile::Open(path),
        gapbench::engine::TokenizerOptions{.allow_unknown_pre = true});
  }();
  return *tok;
}

}  // namespace
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
#if defined(GB_FUZZ_PROTOCOL)
    gapbench::fuzz::FuzzProtocol(data, size);
#elif defined(GB_FUZZ_SUITE)
    gapbench::fuzz::FuzzSuiteText(data, size);
#elif defined(GB_FUZZ_TOKENIZER)
    gapbench::fuzz::FuzzTokenizer(Vocab(), data, size);
#else
#error "define one GB_FUZZ_* target"
#endif
  } catch (const gapbench::Error&) {
  }
  return 0;
}
