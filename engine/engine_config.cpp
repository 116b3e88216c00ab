#include "engine/engine_config.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/error.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/text.h"
#include "engine/model.h"
#include "engine/weight_mix.h"

namespace gapbench::engine {
namespace {

[[noreturn]] void UnknownKey(std::string_view source, std::string_view path, std::string_view key,
                             const std::vector<std::string_view>& valid) {
  std::string_view best;
  size_t best_d = SIZE_MAX;
  for (auto v : valid) {
    const size_t d = EditDistance(key, v);
    if (d < best_d) {
      best_d = d;
      best = v;
    }
  }
  std::string all;
  for (auto v : valid) all += (all.empty() ? "" : ", ") + std::string(v);
  Fail(source, ": unknown key '", path, key, "'",
       best_d <= std::max<size_t>(2, key.size() / 3) ? StrCat(" (did you mean '", best, "'?)") : "",
       "; valid keys: ", all);
}

int64_t GetInt(const rapidjson::Value& v, std::string_view source, std::string_view path,
               int64_t min, int64_t max) {
  if (!v.IsInt64()) Fail(source, ": '", path, "' must be an integer");
  const int64_t x = v.GetInt64();
  if (x < min || x > max)
    Fail(source, ": '", path, "' = ", x, " is out of range (", min, "..", max, ")");
  return x;
}

std::string GetString(const rapidjson::Value& v, std::string_view source, std::string_view path) {
  if (!v.IsString()) Fail(source, ": '", path, "' must be a string");
  return std::string(v.GetString(), v.GetStringLength());
}

kernels::GgmlType ParseType(const std::string& s, std::string_view source, std::string_view path,
                            const std::vector<std::string_view>& allowed) {
  std::string lower = s;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto a : allowed) {
    if (lower == a) return *kernels::ParseTypeName(a);
  }
  std::string all;
  for (auto a : allowed) all += (all.empty() ? "" : ", ") + std::string(a);
  Fail(source, ": '", path, "' = \"", s, "\" is not one of ", all);
}

}  // namespace

std::string_view WindowLayersName(WindowLayers l) {
  switch (l) {
    case WindowLayers::kNone:
      return "none";
    case WindowLayers::kAlternate:
      return "alternate";
    case WindowLayers::kAll:
      return "all";
    case WindowLayers::kNative:
      return "native";
    case WindowLayers::kGlobal:
      return "global";
  }
  return "none";
}

std::string_view KvSharingModeName(KvSharingMode m) {
  switch (m) {
    case KvSharingMode::kNone:
      return "none";
    case KvSharingMode::kAdjacent:
      return "adjacent";
    case KvSharingMode::kTail:
      return "tail";
  }
  return "none";
}

EngineConfig EngineConfig::FromJson(std::string_view json, std::string_view source) {
  const rapidjson::Document doc = ParseJson(json, source);
  if (!doc.IsObject()) Fail(source, ": an engine configuration must be a JSON object");
  EngineConfig c;
  constexpr int64_t kBig = int64_t{1} << 40;
  for (const auto& m : doc.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    const auto& v = m.value;
    if (key == "weights") {
      std::string s = GetString(v, source, key);
      for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      c.weights.reset();
      c.weights_mix.clear();
      if (const auto mix = FindWeightMix(s)) {
        c.weights_mix = std::string(mix->name);
      } else if (s != "native") {
        const std::vector<std::string_view> types = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k"};
        if (std::find(types.begin(), types.end(), s) == types.end()) {
          Fail(source, ": 'weights' = \"", GetString(v, source, key),
               "\" is not one of native, f32, f16, bf16, q8_0, q4_0, q4_k (every matrix that "
               "type) or ",
               WeightMixNames(), " (llama.cpp's per-tensor mix)");
        }
        c.weights = ParseType(s, source, key, types);
      }
    } else if (key == "kv_cache") {
      c.kv_cache = ParseType(GetString(v, source, key), source, key, {"f32", "f16", "q8_0"});
      c.kv_cache_set = true;
    } else if (key == "kv_heads") {
      c.kv_heads = GetInt(v, source, key, 0, 4096);
    } else if (key == "threads") {
      c.threads = static_cast<int>(GetInt(v, source, key, 0, 4096));
    } else if (key == "allow_unknown_pre_tokenizer") {
      if (!v.IsBool()) Fail(source, ": '", key, "' must be true or false");
      c.allow_unknown_pre_tokenizer = v.GetBool();
    } else if (key == "context") {
      c.context = GetInt(v, source, key, 0, kMaxContext);
    } else if (key == "batch") {
      c.batch = GetInt(v, source, key, 0, 1 << 20);
    } else if (key == "sliding_window") {
      if (!v.IsObject())
        Fail(source, ": 'sliding_window' must be an object {\"window\", \"layers\"}");
      c.sliding_window.specified = true;
      c.sliding_window.layers = WindowLayers::kAll;
      bool has_layers = false;
      for (const auto& w : v.GetObject()) {
        const std::string_view k(w.name.GetString(), w.name.GetStringLength());
        if (k == "window") {
          c.sliding_window.window = GetInt(w.value, source, "sliding_window.window", 0, kBig);
        } else if (k == "layers") {
          has_layers = true;
          const std::string s = GetString(w.value, source, "sliding_window.layers");
          if (s == "none")
            c.sliding_window.layers = WindowLayers::kNone;
          else if (s == "alternate")
            c.sliding_window.layers = WindowLayers::kAlternate;
          else if (s == "all")
            c.sliding_window.layers = WindowLayers::kAll;
          else if (s == "native")
            c.sliding_window.layers = WindowLayers::kNative;
          else if (s == "global")
            c.sliding_window.layers = WindowLayers::kGlobal;
          else
            Fail(source, ": 'sliding_window.layers' = \"", s,
                 "\" is not one of none, alternate, all, native, global");
        } else {
          UnknownKey(source, "sliding_window.", k, {"window", "layers"});
        }
      }
      if (c.sliding_window.window == 0 && c.sliding_window.layers != WindowLayers::kGlobal) {
        if (has_layers && c.sliding_window.layers != WindowLayers::kNone) {
          Fail(source, ": 'sliding_window.window' must be > 0 when layers is \"",
               WindowLayersName(c.sliding_window.layers), "\"");
        }
        c.sliding_window.layers = WindowLayers::kNone;
      }
      if (c.sliding_window.layers == WindowLayers::kNone ||
          c.sliding_window.layers == WindowLayers::kGlobal) {
        c.sliding_window.window = 0;
      }
    } else if (key == "kv_sharing") {
      if (!v.IsObject())
        Fail(source, ": 'kv_sharing' must be an object {\"mode\", \"group\", \"from_layer\"}");
      for (const auto& w : v.GetObject()) {
        const std::string_view k(w.name.GetString(), w.name.GetStringLength());
        if (k == "mode") {
          const std::string s = GetString(w.value, source, "kv_sharing.mode");
          if (s == "none")
            c.kv_sharing.mode = KvSharingMode::kNone;
          else if (s == "adjacent")
            c.kv_sharing.mode = KvSharingMode::kAdjacent;
          else if (s == "tail")
            c.kv_sharing.mode = KvSharingMode::kTail;
          else
            Fail(source, ": 'kv_sharing.mode' = \"", s, "\" is not one of none, adjacent, tail");
        } else if (k == "group") {
          c.kv_sharing.group = GetInt(w.value, source, "kv_sharing.group", 1, 4096);
        } else if (k == "from_layer") {
          c.kv_sharing.from_layer = GetInt(w.value, source, "kv_sharing.from_layer", 0, 4096);
        } else {
          UnknownKey(source, "kv_sharing.", k, {"mode", "group", "from_layer"});
        }
      }
      if (c.kv_sharing.mode == KvSharingMode::kTail && c.kv_sharing.from_layer < 1) {
        Fail(source,
             ": 'kv_sharing.from_layer' must be >= 1 for mode \"tail\" (layer 0 has no "
             "earlier layer to share)");
      }
    } else {
      UnknownKey(source, "", key,
                 {"weights", "kv_cache", "kv_heads", "sliding_window", "kv_sharing", "threads",
                  "context", "batch", "allow_unknown_pre_tokenizer"});
    }
  }
  // Canonical defaults for fields a mode does not use, so equal behaviour hashes equally.
  if (c.kv_sharing.mode != KvSharingMode::kAdjacent) c.kv_sharing.group = 2;
  if (c.kv_sharing.mode != KvSharingMode::kTail) c.kv_sharing.from_layer = 0;
  return c;
}

EngineConfig EngineConfig::FromArg(const std::string& arg) {
  size_t i = 0;
  while (i < arg.size() && std::isspace(static_cast<unsigned char>(arg[i]))) ++i;
  if (i < arg.size() && arg[i] == '{') return FromJson(arg, "--config");
  std::ifstream in(arg, std::ios::binary);
  if (!in) Fail(arg, ": cannot read the engine configuration file (or pass inline JSON '{...}')");
  std::ostringstream s;
  s << in.rdbuf();
  return FromJson(s.str(), arg);
}

void EngineConfig::Validate(const HParams& hp, std::string_view model_name) const {
  if (kv_heads != 0) {
    if (kv_heads > hp.n_head_kv || hp.n_head_kv % kv_heads != 0) {
      Fail(model_name, ": kv_heads: ", kv_heads, " does not divide the model's ", hp.n_head_kv,
           " KV heads");
    }
  }
  if (kv_cache == kernels::GgmlType::kQ8_0 && hp.head_dim % 32 != 0) {
    Fail(model_name,
         ": kv_cache q8_0 needs a head dimension that is a multiple of 32 (the "
         "model's is ",
         hp.head_dim, ")");
  }
  if (kv_sharing.mode == KvSharingMode::kTail && kv_sharing.from_layer >= hp.n_layer) {
    Fail(model_name, ": kv_sharing.from_layer ", kv_sharing.from_layer, " >= ", hp.n_layer,
         " layers");
  }
  if (sliding_window.layers == WindowLayers::kNative ||
      sliding_window.layers == WindowLayers::kGlobal) {
    bool any_native = false;
    for (int64_t il = 0; il < hp.n_layer; ++il) any_native |= hp.layer(il).window > 0;
    if (!any_native) {
      Fail(model_name, ": sliding_window layers \"",
           sliding_window.layers == WindowLayers::kNative ? "native" : "global",
           "\" changes the model's own windows, but this model has no native sliding window "
           "(use \"all\" or \"alternate\" to add one)");
    }
  }
  if (weights) {
    const int64_t block = kernels::Traits(*weights).block_size;
    if (hp.n_embd % block != 0 || hp.n_ff % block != 0 || hp.n_q() % block != 0) {
      Fail(model_name, ": weights ", kernels::TypeName(*weights),
           " need row lengths that are "
           "multiples of ",
           block, " (n_embd ", hp.n_embd, ", n_ff ", hp.n_ff, ")");
    }
  }
}

int64_t EngineConfig::LayerWindow(const HParams& hp, int64_t il) const {
  const int64_t native = hp.layer(il).window;
  switch (sliding_window.layers) {
    case WindowLayers::kNone:
      return native;
    case WindowLayers::kGlobal:
      return 0;
    case WindowLayers::kNative:
      return native > 0 ? sliding_window.window : 0;
    case WindowLayers::kAll:
    case WindowLayers::kAlternate:
      return LayerWindowed(il) ? sliding_window.window : 0;
  }
  return native;
}

bool EngineConfig::LayerWindowed(int64_t il) const {
  switch (sliding_window.layers) {
    case WindowLayers::kNone:
    case WindowLayers::kNative:
    case WindowLayers::kGlobal:
      return false;
    case WindowLayers::kAll:
      return true;
    case WindowLayers::kAlternate:
      return il % 2 == 0;
  }
  return false;
}

int64_t EngineConfig::KvSourceLayer(int64_t il) const {
  switch (kv_sharing.mode) {
    case KvSharingMode::kNone:
      return il;
    case KvSharingMode::kAdjacent:
      return il / kv_sharing.group * kv_sharing.group;
    case KvSharingMode::kTail:
      return il >= kv_sharing.from_layer ? kv_sharing.from_layer - 1 : il;
  }
  return il;
}

std::string EngineConfig::Canonical() const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("weights");
  w.String(weights                ? std::string(kernels::TypeName(*weights)).c_str()
           : !weights_mix.empty() ? weights_mix.c_str()
                                  : "native");
  w.Key("kv_cache");
  w.String(std::string(kernels::TypeName(kv_cache)).c_str());
  w.Key("kv_heads");
  w.Int64(kv_heads);
  w.Key("sliding_window");
  w.StartObject();
  w.Key("window");
  w.Int64(sliding_window.window);
  w.Key("layers");
  w.String(std::string(WindowLayersName(sliding_window.layers)).c_str());
  w.EndObject();
  w.Key("kv_sharing");
  w.StartObject();
  w.Key("mode");
  w.String(std::string(KvSharingModeName(kv_sharing.mode)).c_str());
  w.Key("group");
  w.Int64(kv_sharing.group);
  w.Key("from_layer");
  w.Int64(kv_sharing.from_layer);
  w.EndObject();
  w.Key("threads");
  w.Int(threads);
  w.Key("context");
  w.Int64(context);
  w.Key("batch");
  w.Int64(batch);
  // Written only when set, so the hashes of every configuration without it stay as they were.
  if (allow_unknown_pre_tokenizer) {
    w.Key("allow_unknown_pre_tokenizer");
    w.Bool(true);
  }
  w.EndObject();
  return buf.GetString();
}

std::string EngineConfig::Hash() const { return HashHex(Canonical()); }

}  // namespace gapbench::engine
