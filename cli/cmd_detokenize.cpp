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

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench detokenize",
      .summary = "Prints the text of the token ids (control tokens as their text).",
      .options = {{"model", "FILE", "GGUF file holding the vocabulary (a model or vocab-only)",
                   true},
                  {"tokens", "LIST", "comma-separated token ids", true}},
  };
  return kSpec;
}

}  // namespace

int CmdDetokenize(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  const std::string model_path = args.Require("model");
  CheckInputFile(model_path, "--model");
  const std::vector<int32_t> ids = ParseIntList(args.Require("tokens"), "detokenize --tokens");
  // Ids to text does not pre-tokenize, so an unknown pre-tokenizer changes nothing here.
  const auto tokenizer = engine::Tokenizer::FromGguf(
      *engine::GgufFile::Open(model_path), engine::TokenizerOptions{.allow_unknown_pre = true});
  const std::string text = tokenizer->Decode(ids);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

}  // namespace gapbench::cli
