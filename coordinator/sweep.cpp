#include "coordinator/sweep.h"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/json.h"
#include "common/text.h"
#include "coordinator/expand.h"
#include "coordinator/synth_world.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/pretokenizer.h"
#include "suites/loaders.h"
#include "suites/presets.h"
#include "suites/prompt.h"
#include "suites/registry.h"
#include "world/generate.h"

namespace gapbench::coordinator {
namespace {

namespace fs = std::filesystem;
using Value = rapidjson::Value;

constexpr size_t kMaxSweepBytes = size_t{16} << 20;  // a sweep is a small hand-written file
constexpr size_t kMaxIssuesPerSuite = 5;             // bad suite lines shown per suite

// " (did you mean 'x'?)" when some candidate is close to `word`, else "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = &c;
    }
  }
  if (best == nullptr || best_d > std::max<size_t>(2, word.size() / 3)) return "";
  return StrCat(" (did you mean '", *best, "'?)");
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string_view TypeName(const Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsString()) return "a string";
  if (v.IsArray()) return "an array";
  if (v.IsObject()) return "an object";
  if (v.IsInt64() || v.IsUint64()) return "an integer";
  return "a number";
}

std::string Quoted(const Value& v) {
  if (v.IsString()) return StrCat("\"", std::string_view(v.GetString(), v.GetStringLength()), "\"");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  v.Accept(w);
  std::string s = buf.GetString();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

// Collects errors as "SOURCE: $.path: message" and reads typed fields, recording a message for
// every missing or ill-typed one instead of stopping.
class Checker {
 public:
  explicit Checker(std::string source) : source_(std::move(source)) {}

  void Add(std::string_view path, std::string_view message) {
    errors_.push_back(StrCat(source_, ": ", path, ": ", message));
  }
  void AddRaw(std::string message) { errors_.push_back(std::move(message)); }
  std::vector<std::string> TakeErrors() { return std::move(errors_); }
  size_t n_errors() const { return errors_.size(); }
  const std::string& source() const { return source_; }

  // Reports every key of `obj` not in `valid`.
  void CheckKeys(const Value& obj, std::string_view path, const std::vector<std::string>& valid) {
    for (const auto& m : obj.GetObject()) {
      const std::string key(m.name.GetString(), m.name.GetStringLength());
      if (std::find(valid.begin(), valid.end(), key) != valid.end()) continue;
      Add(StrCat(path, ".", key),
          StrCat("unknown key", DidYouMean(key, valid), "; expected one of ", Join(valid)));
    }
  }

  // The member `key` of `obj`, or nullptr (recording an error when it is required).
  const Value* Member(const Value& obj, std::string_view path, const char* key, bool required) {
    const auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) {
      if (required) Add(StrCat(path, ".", key), "missing (required)");
      return nullptr;
    }
    return &it->value;
  }

  std::optional<std::string> String(const Value& obj, std::string_view path, const char* key,
                                    bool required, std::string_view what) {
    const Value* v = Member(obj, path, key, required);
    if (v == nullptr) return std::nullopt;
    if (!v->IsString() || v->GetStringLength() == 0) {
      Add(StrCat(path, ".", key), StrCat("expected ", what, " (a non-empty string), got ",
                                         v->IsString() ? "an empty string" : TypeName(*v)));
      return std::nullopt;
    }
    return std::string(v->GetString(), v->GetStringLength());
  }

  std::optional<int64_t> Int(const Value& obj, std::string_view path, const char* key, int64_t min,
                             std::string_view what) {
    const Value* v = Member(obj, path, key, false);
    if (v == nullptr) return std::nullopt;
    return IntValue(*v, StrCat(path, ".", key), min, what);
  }

  std::optional<int64_t> IntValue(const Value& v, const std::string& path, int64_t min,
                                  std::string_view what) {
    if (!v.IsInt64()) {
      Add(path, StrCat("expected ", what, " (an integer >= ", min, "), got ", TypeName(v), " ",
                       Quoted(v)));
      return std::nullopt;
    }
    if (v.GetInt64() < min) {
      Add(path, StrCat("expected ", what, " (an integer >= ", min, "), got ", v.GetInt64()));
      return std::nullopt;
    }
    return v.GetInt64();
  }

  // An array member; records an error when it is present but not an array (or empty).
  const Value* Array(const Value& obj, std::string_view path, const char* key, bool required,
                     std::string_view what) {
    const Value* v = Member(obj, path, key, required);
    if (v == nullptr) return nullptr;
    if (!v->IsArray() || v->Empty()) {
      Add(StrCat(path, ".", key), StrCat("expected a non-empty array of ", what, ", got ",
                                         v->IsArray() ? "an empty array" : TypeName(*v)));
      return nullptr;
    }
    return v;
  }

  bool IsObject(const Value& v, std::string_view path, std::string_view what) {
    if (v.IsObject()) return true;
    Add(path, StrCat("expected ", what, " (an object), got ", TypeName(v)));
    return false;
  }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

// Names declared in one section, for duplicate detection and for resolving references.
class NameTable {
 public:
  explicit NameTable(std::string_view kind) : kind_(kind) {}
  // Records `name` at `path`; reports a duplicate. Returns false for a duplicate.
  bool Declare(Checker& ck, const std::string& name, const std::string& path, size_t index) {
    if (groups_.count(name)) {
      ck.Add(path, StrCat("duplicate ", kind_, " name '", name, "'; names must be unique"));
      return false;
    }
    const auto [it, fresh] = first_.emplace(name, std::make_pair(path, index));
    if (!fresh) {
      ck.Add(path, StrCat("duplicate ", kind_, " name '", name, "' (first at ", it->second.first,
                          "); names must be unique"));
    }
    return fresh;
  }
  // A name that stands for several entries (a synthetic world's four suites); shares the
  // namespace of single names.
  void DeclareGroup(Checker& ck, const std::string& name, const std::string& path,
                    std::vector<size_t> indices) {
    if (first_.count(name) || groups_.count(name)) {
      ck.Add(path, StrCat("duplicate ", kind_, " name '", name, "'; names must be unique"));
      return;
    }
    groups_.emplace(name, std::move(indices));
  }
  // Every index `name` stands for (one, or a group's); empty after reporting an unknown name.
  std::vector<size_t> ResolveAll(Checker& ck, const std::string& name, const std::string& path) {
    if (const auto g = groups_.find(name); g != groups_.end()) return g->second;
    if (first_.count(name) || groups_.empty()) {
      if (auto idx = Resolve(ck, name, path)) return {*idx};
      return {};
    }
    std::vector<std::string> names;
    for (const auto& [n, _] : first_) names.push_back(n);
    for (const auto& [n, _] : groups_) names.push_back(n);
    std::sort(names.begin(), names.end());
    ck.Add(path, StrCat("unknown ", kind_, " '", name, "'", DidYouMean(name, names),
                        "; declared: ", Join(names)));
    return {};
  }
  // The index of `name`, or nullopt after reporting an unknown reference at `path`.
  std::optional<size_t> Resolve(Checker& ck, const std::string& name, const std::string& path) {
    const auto it = first_.find(name);
    if (it != first_.end()) return it->second.second;
    std::vector<std::string> names;
    for (const auto& [n, _] : first_) names.push_back(n);
    ck.Add(path, StrCat("unknown ", kind_, " '", name, "'", DidYouMean(name, names),
                        names.empty() ? StrCat("; no ", kind_, " is declared")
                                      : StrCat("; declared: ", Join(names))));
    return std::nullopt;
  }
  size_t size() const { return first_.size(); }

 private:
  std::string kind_;
  std::map<std::string, std::pair<std::string, size_t>> first_;  // name -> (path, index)
  std::map<std::string, std::vector<size_t>> groups_;            // name -> indices
};

// EngineConfig::FromJson says "PREFIX: unknown key 'kv_head' (did you mean ...)" or
// "PREFIX: 'kv_heads' = 5 is out of range ...". Moves the key into the JSON path so every sweep
// error reads "FILE: $.path.to.key: message".
std::string ConfigErrorWithPath(const std::string& msg, const std::string& prefix) {
  if (msg.rfind(prefix + ": ", 0) != 0) return msg;
  std::string_view rest(msg);
  rest.remove_prefix(prefix.size() + 2);
  std::string_view what;
  if (rest.rfind("unknown key '", 0) == 0) {
    what = "unknown key";
    rest.remove_prefix(what.size() + 1);
  }
  if (rest.empty() || rest[0] != '\'') return msg;
  const size_t close = rest.find('\'', 1);
  if (close == std::string_view::npos) return msg;
  const std::string_view key = rest.substr(1, close - 1);
  rest.remove_prefix(close + 1);
  if (!what.empty()) return StrCat(prefix, ".", key, ": ", what, rest);
  while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  if (rest.rfind("= ", 0) == 0) return StrCat(prefix, ".", key, ": value ", rest.substr(2));
  return StrCat(prefix, ".", key, ": ", rest);
}

std::string ResolvePath(const std::string& dir, const std::string& p) {
  fs::path path(p);
  if (path.is_relative()) path = fs::path(dir) / path;
  return path.lexically_normal().string();
}

// Where a missing path was looked for, so a user sees how relative paths resolved.
std::string NotFound(const std::string& given, const std::string& resolved) {
  if (given == resolved) return StrCat("not found: ", resolved);
  return StrCat("not found: ", resolved, " ('", given, "' relative to the sweep file's folder)");
}

void ParseModels(const Value& root, Checker& ck, Sweep& sw, NameTable& names) {
  const Value* arr = ck.Array(root, "$", "models", true, "models {\"path\", \"alias\"}");
  if (arr == nullptr) return;
  for (rapidjson::SizeType i = 0; i < arr->Size(); ++i) {
    const std::string path = StrCat("$.models[", i, "]");
    const Value& m = (*arr)[i];
    ModelSpec spec;
    if (!ck.IsObject(m, path, "a model {\"path\", \"alias\"}")) continue;
    ck.CheckKeys(m, path, {"path", "alias"});
    const auto file = ck.String(m, path, "path", true, "the model's GGUF file");
    const auto alias = ck.String(m, path, "alias", false, "a short name for the model");
    if (file) {
      spec.path = ResolvePath(sw.dir, *file);
      std::error_code ec;
      if (!fs::is_regular_file(spec.path, ec)) {
        ck.Add(path + ".path", NotFound(*file, spec.path));
      } else {
        try {
          spec.identity = IdentifyModelFile(spec.path);
          const auto file = engine::GgufFile::Open(spec.path);
          for (const auto& t : file->tensors()) {
            spec.parameters += t.n_elements;
            spec.tensor_bytes += t.n_bytes;
          }
          spec.hparams = engine::ReadHParams(*file);
          spec.pre_tokenizer = file->GetString("tokenizer.ggml.pre").value_or("");
          spec.pre_tokenizer_known =
              file->GetString("tokenizer.ggml.model").value_or("") != "gpt2" ||
              engine::LookupPreTokenizer(spec.pre_tokenizer).known;
          const auto chat_template = file->GetString("tokenizer.chat_template");
          spec.chat_template = std::string(chat_template.value_or(""));
          if (!chat_template || chat_template->empty()) {
            spec.chat_problem = "the model has no tokenizer.chat_template";
          } else {
            try {
              suites::ChatTemplate::Recognise(*chat_template, spec.path, "", "");
            } catch (const Error& e) {
              spec.chat_problem = e.what();
            }
          }
        } catch (const Error& e) {
          ck.Add(path + ".path", StrCat("not a usable GGUF model: ", e.what()));
        }
      }
    }
    if (alias) {
      spec.alias = *alias;
    } else if (file) {
      spec.alias = fs::path(*file).stem().string();
    }
    if (!spec.alias.empty()) names.Declare(ck, spec.alias, path + (alias ? ".alias" : ".path"), i);
    sw.models.push_back(std::move(spec));
  }
}

void ParseEngines(const Value& root, Checker& ck, Sweep& sw, NameTable& names) {
  const Value* arr = ck.Array(root, "$", "engines", true, "engines {\"name\", \"config\"}");
  if (arr == nullptr) return;
  for (rapidjson::SizeType i = 0; i < arr->Size(); ++i) {
    const std::string path = StrCat("$.engines[", i, "]");
    const Value& e = (*arr)[i];
    EngineSpec spec;
    if (!ck.IsObject(e, path, "an engine {\"name\", \"config\"}")) continue;
    ck.CheckKeys(e, path, {"name", "config"});
    if (auto name = ck.String(e, path, "name", true, "a name for this configuration")) {
      spec.name = *name;
      names.Declare(ck, spec.name, path + ".name", i);
    }
    // "config": an EngineConfig object inline, or the path of a JSON file holding one; absent
    // means the defaults ({}). EngineConfig::FromJson stops at its first problem, so one
    // config contributes at most one error.
    if (const Value* c = ck.Member(e, path, "config", false)) {
      const std::string cpath = path + ".config";
      try {
        if (c->IsObject()) {
          rapidjson::StringBuffer buf;
          JsonWriter w(buf);
          c->Accept(w);
          spec.config =
              engine::EngineConfig::FromJson(buf.GetString(), StrCat(ck.source(), ": ", cpath));
        } else if (c->IsString()) {
          const std::string file = ResolvePath(sw.dir, c->GetString());
          std::ifstream in(file, std::ios::binary);
          if (!in) {
            ck.Add(cpath, NotFound(c->GetString(), file));
          } else {
            std::ostringstream s;
            s << in.rdbuf();
            spec.config = engine::EngineConfig::FromJson(
                s.str(), StrCat(ck.source(), ": ", cpath, " (", file, ")"));
          }
        } else {
          ck.Add(cpath, StrCat("expected an engine configuration (an object, or the path of a JSON "
                               "file), got ",
                               TypeName(*c)));
        }
      } catch (const Error& err) {
        ck.AddRaw(ConfigErrorWithPath(err.what(), StrCat(ck.source(), ": ", cpath)));
      }
    }
    sw.engines.push_back(std::move(spec));
  }
}

void ParseStrategies(const Value& root, Checker& ck, Sweep& sw, NameTable& names, NameTable& models,
                     NameTable& engines) {
  const Value* arr = ck.Array(root, "$", "strategies", false, "strategies {\"name\"}");
  if (arr == nullptr) {
    if (root.HasMember("strategies")) return;  // error already recorded
    StrategySpec single;
    single.name = "single";
    single.canonical = R"({"name":"single"})";
    sw.strategies.push_back(std::move(single));
    names.Declare(ck, "single", "$.strategies (default)", 0);
    return;
  }
  for (rapidjson::SizeType i = 0; i < arr->Size(); ++i) {
    const std::string path = StrCat("$.strategies[", i, "]");
    const Value& s = (*arr)[i];
    StrategySpec spec;
    if (!ck.IsObject(s, path, "a strategy {\"name\"[, \"kind\"]}")) continue;
    std::vector<std::string> keys = StrategyConfigKeys();
    keys.emplace_back("name");
    for (const char* k :
         {"small", "large", "guard", "small_engine", "large_engine", "guard_engine"}) {
      keys.emplace_back(k);
    }
    ck.CheckKeys(s, path, keys);
    std::vector<std::string> errors;
    spec.config = ParseStrategyConfig(s, path, errors);
    for (const auto& e : errors) {
      const size_t colon = e.find(": ");
      ck.Add(e.substr(0, colon), e.substr(colon + 2));
    }
    const bool route = spec.config.kind == StrategyKind::kRoute;
    const bool guard = spec.config.kind == StrategyKind::kGuard;
    // Members: model aliases and engine names, resolved here so a typo is reported at its path.
    // A route's first member is "small", a guard's "guard"; both protect or escalate to "large".
    auto member = [&](const char* key, NameTable& table, std::optional<size_t>& out) {
      const std::string_view role = std::string_view(key).substr(0, 5);
      const bool takes = role == "large" ? route || guard : role == "small" ? route : guard;
      if (!takes) {
        if (s.HasMember(key)) {
          ck.Add(StrCat(path, ".", key), role == "large"
                                             ? "only a \"route\" or \"guard\" strategy takes it"
                                         : role == "small" ? "only a \"route\" strategy takes it"
                                                           : "only a \"guard\" strategy takes it");
        }
        return;
      }
      const bool is_engine = std::string_view(key).ends_with("_engine");
      // One engine serves both members when the sweep declares only one.
      const bool required = !is_engine || sw.engines.size() != 1;
      if (auto name =
              ck.String(s, path, key, required, is_engine ? "an engine name" : "a model alias")) {
        out = table.Resolve(ck, *name, StrCat(path, ".", key));
      } else if (!required && !s.HasMember(key)) {
        out = 0;
      }
    };
    std::optional<size_t> small, large, small_engine, large_engine, guard_model, guard_engine;
    member("small", models, small);
    member("guard", models, guard_model);
    member("large", models, large);
    member("small_engine", engines, small_engine);
    member("guard_engine", engines, guard_engine);
    member("large_engine", engines, large_engine);
    const std::optional<size_t> first = route ? small : guard_model;
    const std::optional<size_t> first_engine = route ? small_engine : guard_engine;
    if ((route || guard) && first && large && first_engine && large_engine) {
      spec.members = {{*first, *first_engine}, {*large, *large_engine}};
      if (*first == *large && *first_engine == *large_engine) {
        ck.Add(path, StrCat("the ", route ? "small" : "guard",
                            " and the large member are the same model and engine"));
      }
    }
    if (auto name = ck.String(s, path, "name", true, "a strategy name")) {
      spec.name = *name;
      spec.canonical = CanonicalJson(s);
      names.Declare(ck, spec.name, path + ".name", i);
    }
    sw.strategies.push_back(std::move(spec));
  }
}

// Loads one suite to learn its size and content hash; records every problem.
void LoadSuiteSpec(Checker& ck, const std::string& path, const std::string& given,
                   SuiteSpec& spec) {
  std::error_code ec;
  if (!fs::exists(spec.path, ec)) {
    ck.Add(path + ".path", NotFound(given, spec.path));
    return;
  }
  try {
    suites::LoadOptions lo;
    lo.format = spec.format;
    lo.split = spec.split;
    const suites::LoadResult r = suites::LoadSuiteChecked(spec.path, lo);
    for (size_t k = 0; k < r.issues.size() && k < kMaxIssuesPerSuite; ++k) {
      ck.Add(path + ".path", StrCat("bad suite item: ", r.issues[k].ToString()));
    }
    if (r.issues.size() > kMaxIssuesPerSuite) {
      ck.Add(path + ".path",
             StrCat("... and ", r.issues.size() - kMaxIssuesPerSuite,
                    " more bad items (gapbench suites validate ", spec.path, " lists them all)"));
    }
    if (!r.issues.empty()) return;
    if (r.suite.items.empty()) {
      ck.Add(path + ".path", StrCat("the suite at ", spec.path, " has no items"));
      return;
    }
    spec.format = r.suite.manifest.format;
    spec.content_hash = r.suite.manifest.content_hash;
    spec.n_loaded = r.suite.items.size();
    spec.n_items = spec.limit ? std::min<size_t>(spec.n_loaded, static_cast<size_t>(*spec.limit))
                              : spec.n_loaded;
    // Every evaluated item must have its few-shot examples (drawn as the workers draw them),
    // or its shards would fail on every attempt.
    suites::FewShotOptions shots;
    shots.k = static_cast<int>(std::min<int64_t>(spec.fewshot, INT32_MAX));
    if (const std::string why = suites::CheckFewShot(r.suite, spec.n_items, shots); !why.empty()) {
      ck.Add(path + ".fewshot", StrCat("fewshot ", spec.fewshot, " cannot be met: ", why));
    }
    if (spec.chat) {
      if (const std::string why = suites::CheckChat(r.suite, spec.n_items); !why.empty()) {
        ck.Add(path + ".chat", why);
      }
    }
    // Multiple-choice items are scored once, by log-likelihood, whatever `samples` says (the
    // runner's SamplesFor), while the coordinator waits for items x samples results per shard.
    // So samples > 1 means one sample for an all-choice suite, and is refused for a mixed one.
    if (spec.samples > 1) {
      size_t n_choice = 0;
      for (size_t k = 0; k < spec.n_items; ++k) {
        if (r.suite.items[k].kind == suites::ItemKind::kMultipleChoice) ++n_choice;
      }
      if (n_choice == spec.n_items) {
        spec.samples = 1;
      } else if (n_choice > 0) {
        ck.Add(path + ".samples",
               StrCat("samples ", spec.samples, " needs generation or code items only, but ",
                      n_choice, " of the ", spec.n_items,
                      " items are multiple-choice (scored once each); split the suite or set "
                      "samples to 1"));
      }
    }
  } catch (const Error& e) {
    ck.Add(path + ".path", StrCat("cannot load the suite: ", e.what()));
  }
}

// A suite's "synth" block: {"seed": N, "size": "small|default|large", "corpus_tokens": N,
// "suite": "knowledge|reasoning|code|guard"}. Returns nullopt after recording every problem.
struct SynthBlock {
  SynthSpec spec;
  std::string suite;  // empty: all four
};
std::optional<SynthBlock> ParseSynth(Checker& ck, const Value& v, const std::string& path) {
  if (!ck.IsObject(v, path, "a synthetic world {\"seed\", \"size\"}")) return std::nullopt;
  const size_t before = ck.n_errors();
  ck.CheckKeys(v, path, {"seed", "size", "corpus_tokens", "suite"});
  SynthBlock b;
  if (ck.Member(v, path, "seed", true) != nullptr) {
    if (auto seed = ck.Int(v, path, "seed", 0, "the world's seed")) {
      b.spec.seed = static_cast<uint64_t>(*seed);
    }
  }
  const std::vector<std::string> kSizes = {"small", "default", "large"};
  if (auto size = ck.String(v, path, "size", false, "the world's size")) {
    if (std::find(kSizes.begin(), kSizes.end(), *size) == kSizes.end()) {
      ck.Add(path + ".size", StrCat("unknown size \"", *size, "\"", DidYouMean(*size, kSizes),
                                    "; expected one of ", Join(kSizes)));
    }
    b.spec.size = *size;
  }
  if (auto n =
          ck.Int(v, path, "corpus_tokens", world::kMinCorpusWords, "the corpus length in words")) {
    if (*n > world::kMaxCorpusWords) {
      ck.Add(path + ".corpus_tokens",
             StrCat("at most ", world::kMaxCorpusWords, " words, got ", *n));
    }
    b.spec.corpus_tokens = *n;
  }
  if (auto suite = ck.String(v, path, "suite", false, "one of the world's suites")) {
    const auto& names = world::SuiteNames();
    if (std::find(names.begin(), names.end(), *suite) == names.end()) {
      ck.Add(path + ".suite", StrCat("unknown world suite \"", *suite, "\"",
                                     DidYouMean(*suite, names), "; expected one of ", Join(names)));
    }
    b.suite = *suite;
  }
  if (ck.n_errors() != before) return std::nullopt;
  return b;
}

// A preset entry {"preset": "open-llm-v1", "data": DIR, "name": N, "limit": N, "max_tokens": N}
// stands for the preset's tasks (suites/presets.h), each a suite named NAME.TASK with the
// preset's file under DIR, its format and its shots, greedy and one sample (as the leaderboard);
// NAME (default: the preset's name) stands for all of them in the grid and in combinations.
// DIR defaults to the shared data folder (suites/registry.h). Every missing file is reported.
void ParsePresetEntry(const Value& s, const std::string& path, Checker& ck, Sweep& sw,
                      NameTable& names) {
  ck.CheckKeys(s, path, {"preset", "name", "data", "limit", "max_tokens"});
  const size_t before = ck.n_errors();
  const suites::Preset* preset = nullptr;
  if (auto p = ck.String(s, path, "preset", true, "a preset name")) {
    preset = suites::FindPreset(*p);
    if (preset == nullptr) {
      const std::vector<std::string> known = suites::PresetNames();
      ck.Add(path + ".preset", StrCat("unknown preset \"", *p, "\"", DidYouMean(*p, known),
                                      "; expected one of ", Join(known)));
    }
  }
  std::string name = preset != nullptr ? preset->name : "";
  if (auto n = ck.String(s, path, "name", false, "a name for the preset's suites")) name = *n;
  const std::optional<int64_t> limit =
      ck.Int(s, path, "limit", 1, "the number of items to take from each task");
  const int64_t max_tokens =
      ck.Int(s, path, "max_tokens", 1, "tokens per completion").value_or(256);
  std::string data;
  if (auto d = ck.String(s, path, "data", false, "the folder holding the preset's files")) {
    data = ResolvePath(sw.dir, *d);
    std::error_code ec;
    if (!fs::is_directory(data, ec)) ck.Add(path + ".data", NotFound(*d, data));
  } else if (s.HasMember("data")) {
    return;  // reported by String
  } else {
    data = suites::FindDataDir();
    if (data.empty()) {
      ck.Add(path + ".data",
             "missing, and no shared data folder was found ($GAPBENCH_DATA_DIR, "
             "$GAPBENCH_SHARED_DIR/data, or shared/data above the working directory): name the "
             "folder that holds the preset's files");
    }
  }
  if (preset == nullptr || ck.n_errors() != before) return;
  std::vector<size_t> members;
  for (const suites::PresetTask& task : preset->tasks) {
    SuiteSpec one;
    one.name = StrCat(name, ".", task.task);
    one.path = ResolvePath(data, task.file);
    one.format = task.format;
    one.fewshot = task.fewshot;
    one.limit = limit;
    one.max_tokens = max_tokens;
    one.preset = preset->name;
    one.preset_entry = name;
    one.preset_task = task.task;
    names.Declare(ck, one.name, path + ".name", sw.suites.size());
    std::error_code ec;
    if (!fs::exists(one.path, ec)) {
      ck.Add(path + ".data", StrCat("preset ", preset->name, ", task ", task.task, ": ", task.what,
                                    " not found: ", one.path));
    } else {
      LoadSuiteSpec(ck, StrCat(path, ".", task.task), one.path, one);
    }
    members.push_back(sw.suites.size());
    sw.suites.push_back(std::move(one));
  }
  names.DeclareGroup(ck, name, path + ".name", members);
}

// A suite's "chat", "fewshot_as_multiturn" and "system_prompt" (the last two need "chat").
void ParseChat(Checker& ck, const Value& s, const std::string& path, SuiteSpec& spec) {
  for (const char* key : {"chat", "fewshot_as_multiturn"}) {
    const Value* v = ck.Member(s, path, key, false);
    if (v == nullptr) continue;
    if (!v->IsBool()) {
      ck.Add(StrCat(path, ".", key), StrCat("expected true or false, got ", TypeName(*v)));
    } else {
      (std::string_view(key) == "chat" ? spec.chat : spec.fewshot_as_multiturn) = v->GetBool();
    }
  }
  if (auto prompt = ck.String(s, path, "system_prompt", false, "a system prompt")) {
    spec.system_prompt = *prompt;
  }
  if (!spec.chat && (spec.fewshot_as_multiturn || !spec.system_prompt.empty())) {
    ck.Add(path + ".chat", "\"fewshot_as_multiturn\" and \"system_prompt\" need \"chat\": true");
  }
}

void ParseSuites(const Value& root, Checker& ck, Sweep& sw, NameTable& names, int64_t samples) {
  const Value* arr = ck.Array(root, "$", "suites", true, "suites {\"name\", \"path\", ...}");
  if (arr == nullptr) return;
  const std::vector<std::string>& kFormats = suites::SuiteFormats();
  for (rapidjson::SizeType i = 0; i < arr->Size(); ++i) {
    const std::string path = StrCat("$.suites[", i, "]");
    const Value& s = (*arr)[i];
    SuiteSpec spec;
    if (!ck.IsObject(s, path, "a suite {\"name\", \"path\", ...}")) continue;
    if (s.HasMember("preset")) {
      ParsePresetEntry(s, path, ck, sw, names);
      continue;
    }
    ck.CheckKeys(
        s, path,
        {"name", "path", "synth", "preset", "format", "fewshot", "limit", "split", "samples",
         "max_tokens", "temperature", "chat", "fewshot_as_multiturn", "system_prompt"});
    const size_t errors_before = ck.n_errors();
    const bool is_synth = s.HasMember("synth");
    std::optional<std::string> name = ck.String(s, path, "name", true, "a name for the suite");
    if (name) spec.name = *name;
    std::optional<std::string> file;
    if (is_synth) {
      for (const char* key : {"path", "format", "split"}) {
        if (s.HasMember(key)) {
          ck.Add(StrCat(path, ".", key),
                 StrCat("not used with \"synth\" (the world's suites are generated files in "
                        "the native format)"));
        }
      }
    } else {
      if (!s.HasMember("path")) {
        ck.Add(path + ".path",
               "missing (required): the suite's file or folder, or a \"synth\" block for a "
               "synthetic world (docs/WORLD.md)");
      } else {
        file = ck.String(s, path, "path", true, "the suite's file or folder");
      }
    }
    if (auto format = ck.String(s, path, "format", false, "the suite's format");
        format && !is_synth) {
      if (std::find(kFormats.begin(), kFormats.end(), *format) == kFormats.end()) {
        ck.Add(path + ".format",
               StrCat("unknown format \"", *format, "\"", DidYouMean(*format, kFormats),
                      "; expected one of ", Join(kFormats)));
      } else {
        spec.format = *format;
      }
    }
    if (auto split = ck.String(s, path, "split", false, "the MMLU split to score");
        split && !is_synth)
      spec.split = *split;
    spec.fewshot = ck.Int(s, path, "fewshot", 0, "the number of few-shot examples").value_or(0);
    spec.limit = ck.Int(s, path, "limit", 1, "the number of items to take");
    spec.samples = ck.Int(s, path, "samples", 1, "completions per item").value_or(samples);
    spec.max_tokens = ck.Int(s, path, "max_tokens", 1, "tokens per completion").value_or(256);
    ParseChat(ck, s, path, spec);
    spec.temperature = spec.samples > 1 ? 0.8 : 0.0;
    if (const Value* t = ck.Member(s, path, "temperature", false)) {
      if (!t->IsNumber() || t->GetDouble() < 0 || t->GetDouble() > 100) {
        ck.Add(path + ".temperature", StrCat("expected a sampling temperature (a number in "
                                             "[0, 100]), got ",
                                             TypeName(*t), " ", Quoted(*t)));
      } else {
        spec.temperature = t->GetDouble();
        if (spec.samples > 1 && spec.temperature == 0) {
          ck.Add(path + ".temperature", StrCat("must be > 0 when samples is ", spec.samples,
                                               " (greedy completions would all be equal)"));
        }
      }
    }
    if (!is_synth) {
      if (name) names.Declare(ck, spec.name, path + ".name", sw.suites.size());
      if (file) {
        spec.path = ResolvePath(sw.dir, *file);
        // A suite whose own fields are wrong is not loaded: its format or split may be the cause.
        if (ck.n_errors() == errors_before || !fs::exists(spec.path)) {
          LoadSuiteSpec(ck, path, *file, spec);
        }
      }
      sw.suites.push_back(std::move(spec));
      continue;
    }
    // A synthetic world: generated once (cached next to the sweep file), then each of its
    // suites loaded and hashed like any file. Without "suite", the entry is the world's four
    // suites, named NAME.knowledge ... NAME.guard, and NAME stands for all of them.
    const auto block = ParseSynth(ck, s["synth"], path + ".synth");
    if (!block || !name || ck.n_errors() != errors_before) continue;
    std::string dir;
    try {
      dir = EnsureWorld(sw.dir, block->spec);
    } catch (const Error& e) {
      ck.Add(path + ".synth", StrCat("cannot generate the world: ", e.what()));
      continue;
    }
    const std::vector<std::string> parts =
        block->suite.empty() ? world::SuiteNames() : std::vector<std::string>{block->suite};
    std::vector<size_t> members;
    for (const auto& part : parts) {
      SuiteSpec one = spec;
      if (!block->suite.empty()) {
        names.Declare(ck, one.name, path + ".name", sw.suites.size());
      } else {
        one.name = StrCat(*name, ".", part);
        names.Declare(ck, one.name, path + ".name", sw.suites.size());
      }
      one.path = (fs::path(dir) / (part + ".jsonl")).string();
      LoadSuiteSpec(ck, path, one.path, one);
      members.push_back(sw.suites.size());
      sw.suites.push_back(std::move(one));
    }
    if (block->suite.empty()) names.DeclareGroup(ck, *name, path + ".name", members);
  }
}

// Reads a list of names (grid axis) or, when `axis` is absent, all declared indices.
std::vector<size_t> ReadAxis(const Value& grid, Checker& ck, const char* axis, NameTable& names,
                             size_t n_declared) {
  std::vector<size_t> out;
  const std::string path = StrCat("$.grid.", axis);
  const auto it = grid.FindMember(axis);
  if (it == grid.MemberEnd()) {
    for (size_t i = 0; i < n_declared; ++i) out.push_back(i);
    return out;
  }
  const Value& v = it->value;
  if (!v.IsArray() || v.Empty()) {
    ck.Add(path, StrCat("expected a non-empty array of ", axis, " names, got ",
                        v.IsArray() ? "an empty array" : TypeName(v)));
    return out;
  }
  std::set<std::string> seen;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    const std::string ipath = StrCat(path, "[", i, "]");
    if (!v[i].IsString()) {
      ck.Add(ipath, StrCat("expected a ", axis, " name (a string), got ", TypeName(v[i])));
      continue;
    }
    const std::string name = v[i].GetString();
    if (!seen.insert(name).second) {
      ck.Add(ipath, StrCat("'", name, "' is listed twice"));
      continue;
    }
    for (size_t idx : names.ResolveAll(ck, name, ipath)) out.push_back(idx);
  }
  return out;
}

struct Tables {
  NameTable models{"model"}, engines{"engine"}, strategies{"strategy"}, suites{"suite"};
};

void ParseGrid(const Value& grid, Checker& ck, Sweep& sw, Tables& t) {
  if (!ck.IsObject(grid, "$.grid", "a grid {\"model\": [..], \"engine\": [..], \"suite\": [..]}")) {
    return;
  }
  ck.CheckKeys(grid, "$.grid", {"model", "engine", "strategy", "suite"});
  const auto models = ReadAxis(grid, ck, "model", t.models, sw.models.size());
  const auto engines = ReadAxis(grid, ck, "engine", t.engines, sw.engines.size());
  const auto strategies = ReadAxis(grid, ck, "strategy", t.strategies, sw.strategies.size());
  const auto suites = ReadAxis(grid, ck, "suite", t.suites, sw.suites.size());
  for (size_t m : models)
    for (size_t e : engines)
      for (size_t st : strategies)
        for (size_t su : suites) {
          // A routed system names its own members: one combination per suite, whatever the
          // model and engine axes hold (it sits at its large member's model and engine).
          Combination c{m, e, st, su};
          if (const auto& members = sw.strategies[st].members; !members.empty()) {
            c.model = members[1].model;
            c.engine = members[1].engine;
            if (std::find(sw.combinations.begin(), sw.combinations.end(), c) !=
                sw.combinations.end()) {
              continue;
            }
          }
          sw.combinations.push_back(c);
        }
}

void ParseCombinations(const Value& list, Checker& ck, Sweep& sw, Tables& t) {
  if (!list.IsArray() || list.Empty()) {
    ck.Add("$.combinations", StrCat("expected a non-empty array of {\"model\", \"engine\", "
                                    "\"suite\"[, \"strategy\"]}, got ",
                                    list.IsArray() ? "an empty array" : TypeName(list)));
    return;
  }
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const std::string path = StrCat("$.combinations[", i, "]");
    const Value& c = list[i];
    if (!ck.IsObject(c, path, "a combination {\"model\", \"engine\", \"suite\"}")) continue;
    ck.CheckKeys(c, path, {"model", "engine", "strategy", "suite"});
    Combination comb;
    std::vector<size_t> suite_indices;  // a synthetic world's name stands for its four suites
    bool ok = true;
    // A routed or guarded system names its members in its strategy entry: no model or engine
    // here.
    bool routed = false;
    bool guarded = false;
    if (const auto it = c.FindMember("strategy"); it != c.MemberEnd() && it->value.IsString()) {
      for (const auto& st : sw.strategies) {
        if (st.name != it->value.GetString() || st.members.empty()) continue;
        routed = true;
        guarded = st.config.kind == StrategyKind::kGuard;
      }
    }
    auto ref = [&](const char* key, NameTable& names, size_t& out) {
      const std::string_view k(key);
      if (routed && k != "strategy") {
        if (c.HasMember(key)) {
          ck.Add(StrCat(path, ".", key),
                 guarded ? "a guard strategy names its members (guard, large) in its strategy entry"
                         : "a route strategy names its members (small, large) in its strategy "
                           "entry");
          ok = false;
        }
        return;
      }
      const bool required = k != "strategy" || sw.strategies.size() != 1;
      const auto name = ck.String(c, path, key, required, StrCat("a ", key, " name"));
      if (!name) {
        ok = ok && !required && !c.HasMember(key);
        return;
      }
      if (auto idx = names.Resolve(ck, *name, StrCat(path, ".", key))) {
        out = *idx;
      } else {
        ok = false;
      }
    };
    ref("model", t.models, comb.model);
    ref("engine", t.engines, comb.engine);
    ref("strategy", t.strategies, comb.strategy);
    if (routed && ok) {
      comb.model = sw.strategies[comb.strategy].members[1].model;
      comb.engine = sw.strategies[comb.strategy].members[1].engine;
    }
    if (const auto name = ck.String(c, path, "suite", true, "a suite name")) {
      suite_indices = t.suites.ResolveAll(ck, *name, path + ".suite");
      ok = ok && !suite_indices.empty();
    } else {
      ok = false;
    }
    if (!ok) continue;
    for (size_t su : suite_indices) {
      comb.suite = su;
      if (std::find(sw.combinations.begin(), sw.combinations.end(), comb) !=
          sw.combinations.end()) {
        ck.Add(path, "the same combination is listed twice");
        continue;
      }
      sw.combinations.push_back(comb);
    }
  }
}

void ParseSeeds(const Value& root, Checker& ck, Sweep& sw) {
  const bool has_seed = root.HasMember("seed"), has_seeds = root.HasMember("seeds");
  if (has_seed && has_seeds) {
    ck.Add("$.seeds", "give either \"seed\": N or \"seeds\": [N, ...], not both");
    return;
  }
  if (has_seed) {
    if (auto s = ck.IntValue(root["seed"], "$.seed", 0, "a seed")) {
      sw.seeds.push_back(static_cast<uint64_t>(*s));
    }
  } else if (has_seeds) {
    const Value* arr = ck.Array(root, "$", "seeds", false, "seeds");
    if (arr == nullptr) return;
    std::set<int64_t> seen;
    for (rapidjson::SizeType i = 0; i < arr->Size(); ++i) {
      const std::string path = StrCat("$.seeds[", i, "]");
      if (auto s = ck.IntValue((*arr)[i], path, 0, "a seed")) {
        if (!seen.insert(*s).second) {
          ck.Add(path, StrCat("seed ", *s, " is listed twice"));
        } else {
          sw.seeds.push_back(static_cast<uint64_t>(*s));
        }
      }
    }
  } else {
    sw.seeds.push_back(1);
  }
}

}  // namespace

// Every engine configuration a combination uses must suit its model (head dimension for a q8_0
// KV cache, divisors for kv_heads, layer indices for KV sharing, ...): checked here from the GGUF
// metadata alone, so a sweep fails at validation instead of poisoning shards at run time.
static void CheckConfigsAgainstModels(Checker& ck, const Sweep& sw) {
  // The (model, engine) pairs a combination runs: a routed system's members (each with its own
  // engine), or the combination's model and engine.
  const auto members_of = [&](const Combination& c) {
    std::vector<std::pair<size_t, size_t>> out;
    const auto& members = sw.strategies[c.strategy].members;
    for (const StrategyMember& m : members) out.emplace_back(m.model, m.engine);
    if (out.empty()) out.emplace_back(c.model, c.engine);
    return out;
  };
  // A chat suite needs a known chat template in every model it is combined with, and a routed
  // system's members one and the same template (the prompt is rendered once, with the large
  // member's template, for both).
  std::set<std::pair<size_t, size_t>> chat_seen;
  std::set<std::pair<size_t, size_t>> chat_pairs_seen;
  for (const Combination& c : sw.combinations) {
    if (!sw.suites[c.suite].chat) continue;
    auto members = members_of(c);
    // A guard reads the request in its own template, not in a chat format: only the protected
    // model renders chat prompts.
    if (sw.strategies[c.strategy].config.kind == StrategyKind::kGuard) {
      members.erase(members.begin());
    }
    for (const auto& [model, engine] : members) {
      const ModelSpec& m = sw.models[model];
      if (!m.hparams || m.chat_problem.empty()) continue;
      if (!chat_seen.insert({model, c.suite}).second) continue;
      ck.Add(StrCat("$.suites[", c.suite, "].chat"),
             StrCat("suite '", sw.suites[c.suite].name, "' asks for chat prompts but model '",
                    m.alias, "' (", m.path, ") cannot have them: ", m.chat_problem));
    }
    if (members.size() < 2) continue;
    const ModelSpec& small = sw.models[members.front().first];
    const ModelSpec& large = sw.models[members.back().first];
    if (!small.chat_problem.empty() || !large.chat_problem.empty()) continue;  // reported above
    if (small.chat_template == large.chat_template) continue;
    if (!chat_pairs_seen.insert({c.strategy, c.suite}).second) continue;
    ck.Add(StrCat("$.suites[", c.suite, "].chat"),
           StrCat("suite '", sw.suites[c.suite].name,
                  "' asks for chat prompts but the routed "
                  "system '",
                  sw.strategies[c.strategy].name,
                  "' has members with different chat "
                  "templates ('",
                  small.alias, "' and '", large.alias,
                  "'): its prompt is rendered once, with the large member's template"));
  }
  std::set<std::pair<size_t, size_t>> seen;
  for (const Combination& c : sw.combinations) {
    for (const auto& [model, engine_index] : members_of(c)) {
      if (!seen.insert({model, engine_index}).second) continue;
      const ModelSpec& m = sw.models[model];
      if (!m.hparams) continue;  // an unusable file was reported with the model already
      const EngineSpec& engine = sw.engines[engine_index];
      if (!m.pre_tokenizer_known && !engine.config.allow_unknown_pre_tokenizer) {
        ck.Add(StrCat("$.engines[", engine_index, "].config"),
               StrCat("'", engine.name, "' does not suit model '", m.alias, "': ", m.path,
                      " has an unknown pre-tokenizer '", m.pre_tokenizer,
                      "' (tokenizer.ggml.pre), so its token ids would differ from the model's "
                      "own tokenizer; add \"allow_unknown_pre_tokenizer\": true to this "
                      "engine's config to use llama.cpp's 'default' pre-tokenizer anyway"));
      }
      try {
        engine.config.Validate(*m.hparams, m.path);
      } catch (const Error& e) {
        ck.Add(StrCat("$.engines[", engine_index, "].config"),
               StrCat("'", engine.name, "' does not suit model '", m.alias, "': ", e.what()));
      }
    }
  }
}

SweepCheck CheckSweepText(std::string_view text, const std::string& source,
                          const std::string& base_dir) {
  SweepCheck out;
  Sweep& sw = out.sweep;
  sw.file = source;
  sw.dir = fs::absolute(base_dir.empty() ? "." : base_dir).lexically_normal().string();
  Checker ck(source);
  if (text.size() > kMaxSweepBytes) {
    ck.Add("$", StrCat("the file is ", text.size(), " bytes; a sweep may be at most ",
                       kMaxSweepBytes, " bytes"));
    out.errors = ck.TakeErrors();
    return out;
  }
  rapidjson::Document doc;
  // Iterative parsing: deeply nested input cannot overflow the stack. Strings must be valid
  // UTF-8: names and paths reach report.md and index.html as they are.
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag |
            rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    ck.Add("$", StrCat("invalid JSON at byte ", doc.GetErrorOffset(), ": ",
                       rapidjson::GetParseError_En(doc.GetParseError())));
    out.errors = ck.TakeErrors();
    return out;
  }
  // A key given twice would silently keep the last value (a typo or a merge accident).
  if (const std::string dup = FindDuplicateKey(doc); !dup.empty()) {
    ck.Add(dup, "duplicate key (each key may appear once per object)");
    out.errors = ck.TakeErrors();
    return out;
  }
  if (!ck.IsObject(doc, "$", "a sweep")) {
    out.errors = ck.TakeErrors();
    return out;
  }
  ck.CheckKeys(doc, "$",
               {"name", "models", "engines", "strategies", "suites", "grid", "combinations", "seed",
                "seeds", "samples", "shard_size", "priority"});
  sw.name = ck.String(doc, "$", "name", false, "the sweep's name")
                .value_or(fs::path(source).stem().string());
  const int64_t samples = ck.Int(doc, "$", "samples", 1, "completions per item").value_or(1);
  sw.shard_size = ck.Int(doc, "$", "shard_size", 1, "items per shard").value_or(10);
  sw.priority = ck.Int(doc, "$", "priority", 0, "a priority (higher runs first)").value_or(0);
  ParseSeeds(doc, ck, sw);
  Tables t;
  ParseModels(doc, ck, sw, t.models);
  ParseEngines(doc, ck, sw, t.engines);
  ParseStrategies(doc, ck, sw, t.strategies, t.models, t.engines);
  ParseSuites(doc, ck, sw, t.suites, samples);
  const bool has_grid = doc.HasMember("grid"), has_list = doc.HasMember("combinations");
  if (has_grid && has_list) {
    ck.Add("$", "give either \"grid\" or \"combinations\", not both");
  } else if (has_grid) {
    ParseGrid(doc["grid"], ck, sw, t);
  } else if (has_list) {
    ParseCombinations(doc["combinations"], ck, sw, t);
  } else {
    ck.Add("$.grid",
           "missing: give \"grid\": {\"model\": [..], \"engine\": [..], \"suite\": "
           "[..]} or \"combinations\": [{\"model\", \"engine\", \"suite\"}, ...]");
  }
  if (ck.n_errors() == 0) CheckConfigsAgainstModels(ck, sw);
  out.errors = ck.TakeErrors();
  return out;
}

SweepCheck CheckSweepFile(const std::string& file) {
  std::error_code ec;
  const fs::path p(file);
  if (!fs::is_regular_file(p, ec)) {
    SweepCheck out;
    out.errors.push_back(StrCat(file, ": cannot read the sweep file (",
                                ec              ? ec.message()
                                : fs::exists(p) ? "not a regular file"
                                                : "no such file",
                                ")"));
    return out;
  }
  if (fs::file_size(p, ec) > kMaxSweepBytes) {
    SweepCheck out;
    out.errors.push_back(StrCat(file, ": a sweep may be at most ", kMaxSweepBytes, " bytes"));
    return out;
  }
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in && !in.eof()) {
    SweepCheck out;
    out.errors.push_back(StrCat(file, ": cannot read the sweep file"));
    return out;
  }
  return CheckSweepText(s.str(), file, fs::absolute(p).parent_path().string());
}

Sweep LoadSweep(const std::string& file) {
  SweepCheck c = CheckSweepFile(file);
  if (!c.ok()) {
    std::string msg =
        StrCat(c.errors.size(), " error", c.errors.size() == 1 ? "" : "s", " in the sweep:");
    for (const auto& e : c.errors) msg += "\n  " + e;
    throw Error(msg);
  }
  return std::move(c.sweep);
}

}  // namespace gapbench::coordinator
