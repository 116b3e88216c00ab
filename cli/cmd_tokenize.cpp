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
#include "engine/unicode.h"

namespace gapbench::cli {
namespace {

constexpr const char* kUsage =
    "usage: gapbench tokenize --model FILE (--text S | --file F) [--json] [--bos|--no-bos]\n"
    "                         [--special]\n"
    "  --model FILE   GGUF file holding the vocabulary (a model or a vocab-only file)\n"
    "  --text S       the text to tokenize\n"
    "  --file F       tokenize the whole content of file F as one string\n"
    "  --json         print {\"tokens\": [...], \"pieces\": [...]} instead of ids\n"
    "  --bos/--no-bos add (or not) BOS; default: what the vocabulary asks for\n"
    "  --special      text matching control tokens (e.g. <|im_start|>) becomes those tokens\n";

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path, ": cannot open --file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) Fail(path, ": read error");
  return text.str();
}

}  // namespace

int CmdTokenize(const Argv& argv) {
  const Args args("tokenize", argv, {"model", "text", "file"},
                  {"json", "bos", "no-bos", "special"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals().empty()) {
    Fail("tokenize: unexpected argument '", args.positionals()[0], "'\n", kUsage);
  }
  if (args.Has("text") == args.Has("file"))
    Fail("tokenize: give exactly one of --text, --file\n", kUsage);
  if (args.Has("bos") && args.Has("no-bos"))
    Fail("tokenize: --bos and --no-bos exclude each other");
  const std::string model_path = args.Require("model");
  const std::string text = args.Has("text") ? *args.Get("text") : ReadWholeFile(*args.Get("file"));

  const auto tokenizer = engine::Tokenizer::FromGguf(*engine::GgufFile::Open(model_path));
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
      const std::string piece = engine::unicode::SanitizeUtf8(tokenizer->TokenPiece(id));
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
