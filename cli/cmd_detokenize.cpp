// `gapbench detokenize --model FILE --tokens 1,2,3`: prints the text of the ids (control tokens
// as their text). Only the GGUF header and the tokenizer metadata are read.
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"

namespace gapbench::cli {
namespace {

constexpr const char* kUsage =
    "usage: gapbench detokenize --model FILE --tokens ID,ID,...\n"
    "  --model FILE   GGUF file holding the vocabulary (a model or a vocab-only file)\n"
    "  --tokens LIST  comma-separated token ids; the decoded text is printed as is\n";

}  // namespace

int CmdDetokenize(const Argv& argv) {
  const Args args("detokenize", argv, {"model", "tokens"}, {});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals().empty()) {
    Fail("detokenize: unexpected argument '", args.positionals()[0], "'\n", kUsage);
  }
  const std::string model_path = args.Require("model");
  const std::vector<int32_t> ids = ParseIntList(args.Require("tokens"), "detokenize --tokens");
  const auto tokenizer = engine::Tokenizer::FromGguf(*engine::GgufFile::Open(model_path));
  const std::string text = tokenizer->Decode(ids);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

}  // namespace gapbench::cli
