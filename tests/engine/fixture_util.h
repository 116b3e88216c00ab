// Loader for the engine reference fixtures in tests/fixtures/engine (written by
// tools/make_engine_fixtures.py from transformers and the HF tokenizers library; see
// tools/README.md for what each file holds). Header-only so any engine test binary can use it.
// Not here: comparing logits or running the engine -- callers choose their own tolerances.
#pragma once

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "tests/test_util.h"

namespace gapbench::testing {

struct LogitsSequence {
  std::vector<int32_t> tokens;
  // Row-major [n_pos][n_vocab]: the HF model whose weights are the values the GGUF holds
  // (dequantised for f16/bf16/q8_0/q4_0; the original weights for f32).
  std::vector<float> logits;
  // Same layout, from the original f32 HF model. Equals `logits` for f32 fixtures (whose JSON
  // has no separate copy).
  std::vector<float> logits_original;

  int64_t n_pos() const { return static_cast<int64_t>(tokens.size()); }
  const float* Row(int64_t pos, int64_t n_vocab) const { return logits.data() + pos * n_vocab; }
};

struct LogitsFixture {
  using Sequence = LogitsSequence;
  std::string name;       // "llama-tied-q8_0"
  std::string gguf_path;  // absolute path of the GGUF next to the JSON
  std::string arch;       // "llama" | "qwen2"
  std::string wtype;      // "f32" | "f16" | "bf16" | "q8_0" | "q4_0"
  bool tied = false;
  int64_t n_vocab = 0;
  std::vector<LogitsSequence> sequences;
  // The HF config.json the model was built from (hidden_size, num_attention_heads,
  // rope_parameters, ...). Owned here so tests can read any key.
  rapidjson::Document config;
};

struct TokenizerCase {
  std::string text;
  std::vector<int32_t> ids;  // HF ids with add_special_tokens=False
  std::string decoded;       // HF decode(ids)
};
struct TokenizerFixture {
  std::string gguf_path;  // a GGUF whose vocabulary produced `cases`
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  std::vector<TokenizerCase> cases;
};

inline std::filesystem::path EngineFixtureDir() {
  return SourceDir() / "tests" / "fixtures" / "engine";
}

namespace fixture_detail {

inline rapidjson::Document ParseFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) Fail(path.string(), ": fixture not found");
  return ParseJson(ReadFile(path), path.string());
}

inline const rapidjson::Value& Member(const rapidjson::Value& obj, const char* key,
                                      const std::string& where) {
  if (!obj.IsObject() || !obj.HasMember(key)) Fail(where, ": missing key '", key, "'");
  return obj[key];
}

inline std::string Str(const rapidjson::Value& obj, const char* key, const std::string& where) {
  const auto& v = Member(obj, key, where);
  if (!v.IsString()) Fail(where, ": '", key, "' must be a string");
  return std::string(v.GetString(), v.GetStringLength());
}

inline int32_t Int(const rapidjson::Value& obj, const char* key, const std::string& where) {
  const auto& v = Member(obj, key, where);
  if (!v.IsInt()) Fail(where, ": '", key, "' must be an integer");
  return v.GetInt();
}

inline std::vector<int32_t> Ints(const rapidjson::Value& v, const std::string& where) {
  if (!v.IsArray()) Fail(where, ": expected an array of integers");
  std::vector<int32_t> out;
  out.reserve(v.Size());
  for (const auto& e : v.GetArray()) {
    if (!e.IsInt()) Fail(where, ": expected an integer");
    out.push_back(e.GetInt());
  }
  return out;
}

// [[n_vocab floats] per position] -> flat row-major; checks the shape.
inline std::vector<float> Matrix(const rapidjson::Value& v, size_t n_rows, int64_t* n_cols,
                                 const std::string& where) {
  if (!v.IsArray() || v.Size() != n_rows) Fail(where, ": expected ", n_rows, " rows");
  std::vector<float> out;
  for (const auto& row : v.GetArray()) {
    if (!row.IsArray()) Fail(where, ": row is not an array");
    if (*n_cols == 0) *n_cols = row.Size();
    if (static_cast<int64_t>(row.Size()) != *n_cols) Fail(where, ": ragged rows");
    for (const auto& e : row.GetArray()) {
      if (!e.IsNumber()) Fail(where, ": expected a number");
      out.push_back(static_cast<float>(e.GetDouble()));
    }
  }
  return out;
}

}  // namespace fixture_detail

// The zoo's fixtures (tools/zoo/train.py): reference logits of models/zoo/*.gguf and the zoo
// tokenizer's cases.
inline std::filesystem::path ZooFixtureDir() { return SourceDir() / "tests" / "fixtures" / "zoo"; }

// Loads DIR/<name>.json (DIR defaults to tests/fixtures/engine), e.g.
// LoadLogitsFixture("qwen2-untied-q4_0"). The JSON's "gguf" is relative to DIR. Throws
// gapbench::Error naming the file when it is missing or malformed.
inline LogitsFixture LoadLogitsFixture(const std::string& name,
                                       const std::filesystem::path& dir = EngineFixtureDir()) {
  namespace fd = fixture_detail;
  const auto path = dir / (name + ".json");
  const std::string where = path.string();
  rapidjson::Document doc = fd::ParseFile(path);
  LogitsFixture f;
  f.name = name;
  f.gguf_path = (dir / fd::Str(doc, "gguf", where)).lexically_normal().string();
  f.arch = fd::Str(doc, "arch", where);
  f.wtype = fd::Str(doc, "wtype", where);
  const auto& tied = fd::Member(doc, "tied", where);
  if (!tied.IsBool()) Fail(where, ": 'tied' must be a boolean");
  f.tied = tied.GetBool();
  const auto& seqs = fd::Member(doc, "sequences", where);
  if (!seqs.IsArray() || seqs.Empty()) Fail(where, ": 'sequences' must be a non-empty array");
  for (const auto& s : seqs.GetArray()) {
    LogitsSequence seq;
    seq.tokens = fd::Ints(fd::Member(s, "tokens", where), where);
    seq.logits = fd::Matrix(fd::Member(s, "logits", where), seq.tokens.size(), &f.n_vocab, where);
    seq.logits_original =
        s.HasMember("logits_original")
            ? fd::Matrix(s["logits_original"], seq.tokens.size(), &f.n_vocab, where)
            : seq.logits;
    f.sequences.push_back(std::move(seq));
  }
  f.config.CopyFrom(fd::Member(doc, "config", where), f.config.GetAllocator());
  return f;
}

// Names (without .json) of every logits fixture, sorted: "llama-mha-f32", ...
inline std::vector<std::string> ListLogitsFixtures(
    const std::filesystem::path& dir = EngineFixtureDir()) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto& p = entry.path();
    if (p.extension() != ".json") continue;
    const std::string stem = p.stem().string();
    if (stem.rfind("tokenizer", 0) == 0) continue;  // tokenizer_cases.json
    names.push_back(stem);
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline TokenizerFixture LoadTokenizerFixture(
    const std::filesystem::path& dir = EngineFixtureDir()) {
  namespace fd = fixture_detail;
  const auto path = dir / "tokenizer_cases.json";
  const std::string where = path.string();
  rapidjson::Document doc = fd::ParseFile(path);
  TokenizerFixture f;
  f.gguf_path = (dir / fd::Str(doc, "gguf", where)).lexically_normal().string();
  f.bos_id = fd::Int(doc, "bos_id", where);
  f.eos_id = fd::Int(doc, "eos_id", where);
  const auto& cases = fd::Member(doc, "cases", where);
  if (!cases.IsArray()) Fail(where, ": 'cases' must be an array");
  for (const auto& c : cases.GetArray()) {
    TokenizerCase tc;
    tc.text = fd::Str(c, "text", where);  // UTF-8
    tc.ids = fd::Ints(fd::Member(c, "ids", where), where);
    tc.decoded = fd::Str(c, "decoded", where);
    f.cases.push_back(std::move(tc));
  }
  return f;
}

}  // namespace gapbench::testing
