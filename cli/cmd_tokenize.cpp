// `gapbench tokenize --model FILE (--text S | --file F) [--json] [--bos|--no-bos] [--special]`:
// prints the token ids of the text, space separated, or {"tokens": [...], "pieces": [...]}.
// Only the GGUF header and the tokenizer metadata are read; no weights are touched.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"

namespace gapbench::cli {
namespace {

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench tokenize",
      .summary = "Prints the token ids of the text, space separated (or JSON with --json).",
      .options = {{"model", "FILE", "GGUF file holding the vocabulary (a model or vocab-only)",
                   true},
                  {"text", "S", "the text to tokenize"},
                  {"file", "F", "tokenize the whole content of file F as one string"},
                  {"json", "", "print {\"tokens\": [...], \"pieces\": [...]} instead of ids"},
                  {"bos", "", "add BOS (default: what the vocabulary asks for)"},
                  {"no-bos", "", "do not add BOS"},
                  {"special", "", "text matching control tokens becomes those tokens"},
                  {"allow-unknown-pre-tokenizer", "",
                   "tokenize a vocabulary whose tokenizer.ggml.pre gapbench does not know with "
                   "llama.cpp's 'default' pre-tokenizer (refused otherwise)"}},
      .exclusive = {{"text", "file"}, {"bos", "no-bos"}},
      .one_required = {{"text", "file"}},
  };
  return kSpec;
}

std::string ReadWholeFile(const std::string& path) {
  CheckInputFile(path, "--file");
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path, ": cannot open --file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) Fail(path, ": read error");
  return text.str();
}

}  // namespace

int CmdTokenize(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  const std::string model_path = args.Require("model");
  CheckInputFile(model_path, "--model");
  const std::string text = args.Has("text") ? *args.Get("text") : ReadWholeFile(*args.Get("file"));

  const auto tokenizer = engine::Tokenizer::FromGguf(
      *engine::GgufFile::Open(model_path),
      engine::TokenizerOptions{.allow_unknown_pre = args.Has("allow-unknown-pre-tokenizer")});
  bool add_bos = tokenizer->add_bos_default();
  if (args.Has("bos")) add_bos = true;
  if (args.Has("no-bos")) add_bos = false;
  const std::vector<int32_t> ids = tokenizer->Encode(text, add_bos, args.Has("special"));

  if (args.Has("json")) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("tokens");
    w.StartArray();
    for (int32_t id : ids) w.Int(id);
    w.EndArray();
    w.Key("pieces");
    w.StartArray();
    for (int32_t id : ids) {
      // A byte token alone may be a partial UTF-8 sequence; JSON strings must be valid UTF-8.
      const std::string piece = SanitizeUtf8(tokenizer->TokenPiece(id));
      w.String(piece.data(), static_cast<rapidjson::SizeType>(piece.size()));
    }
    w.EndArray();
    w.EndObject();
    std::printf("%s\n", buf.GetString());
    return 0;
  }
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) line.push_back(' ');
    line += std::to_string(ids[i]);
  }
  std::printf("%s\n", line.c_str());
  return 0;
}

}  // namespace gapbench::cli
