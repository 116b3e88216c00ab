#include "engine/hparams.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "engine/family.h"

namespace gapbench::engine {
namespace {

constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxDim = 1 << 20;

// An integer key; per-layer arrays of integers (some architectures store head counts that way)
// are summarised by their largest element and flagged in *is_array.
std::optional<int64_t> OptInt(const GgufFile& f, const std::string& key, bool* is_array = nullptr) {
  const GgufValue* v = f.Find(key);
  if (v != nullptr && v->type == GgufType::kArray) {
    if (v->elems.empty() || !v->elems[0].IsInteger()) {
      Fail(f.path(), ": metadata '", key, "' should be an integer but is an array of ",
           GgufTypeName(v->elem_type));
    }
    if (is_array != nullptr) *is_array = true;
    int64_t m = v->elems[0].AsInt();
    for (const auto& e : v->elems) m = std::max(m, e.AsInt());
    return m;
  }
  return f.GetInt(key);
}

std::optional<std::string> OptString(const GgufFile& f, const std::string& key) {
  auto s = f.GetString(key);
  if (!s) return std::nullopt;
  return std::string(*s);
}

}  // namespace

ModelHparams ReadModelHparams(const GgufFile& f, const std::optional<std::string>& arch) {
  ModelHparams h;
  if (arch) {
    const std::string a = *arch + ".";
    h.context_length = OptInt(f, a + "context_length");
    h.embedding_length = OptInt(f, a + "embedding_length");
    h.block_count = OptInt(f, a + "block_count");
    h.feed_forward_length = OptInt(f, a + "feed_forward_length");
    h.head_count = OptInt(f, a + "attention.head_count", &h.per_layer_heads);
    h.head_count_kv = OptInt(f, a + "attention.head_count_kv", &h.per_layer_heads);
    h.key_length = OptInt(f, a + "attention.key_length");
    h.value_length = OptInt(f, a + "attention.value_length");
    h.head_dim = h.key_length;
    if (!h.head_dim && h.embedding_length && h.head_count && *h.head_count > 0) {
      h.head_dim = *h.embedding_length / *h.head_count;
    }
    h.rope_dimension_count = OptInt(f, a + "rope.dimension_count");
    if (!h.rope_dimension_count) h.rope_dimension_count = h.head_dim;
    h.rope_freq_base = f.GetFloat(a + "rope.freq_base");
    h.rope_freq_base_swa = f.GetFloat(a + "rope.freq_base_swa");
    h.rope_scaling_type = OptString(f, a + "rope.scaling.type");
    h.rope_scaling_factor = f.GetFloat(a + "rope.scaling.factor");
    h.rope_scaling_original_context_length = OptInt(f, a + "rope.scaling.original_context_length");
    h.rms_epsilon = f.GetFloat(a + "attention.layer_norm_rms_epsilon");
    h.vocab_size = OptInt(f, a + "vocab_size");
    h.sliding_window = OptInt(f, a + "attention.sliding_window");
    h.attention_scale = f.GetFloat(a + "attention.scale");
    h.attn_logit_softcapping = f.GetFloat(a + "attn_logit_softcapping");
    h.final_logit_softcapping = f.GetFloat(a + "final_logit_softcapping");
  }
  h.has_rope_freqs = f.FindTensor("rope_freqs.weight") != nullptr;
  h.has_rope_factors_long_short = f.FindTensor("rope_factors_long.weight") != nullptr ||
                                  f.FindTensor("rope_factors_short.weight") != nullptr;
  return h;
}

HParams ReadHParams(const GgufFile& f) {
  HParams hp;
  const std::string arch(f.RequireString("general.architecture"));
  const FamilySpec* fam = FindFamily(arch);
  if (fam == nullptr) {
    Fail(f.path(), ": architecture '", arch, "' is not supported (supported: ", SupportedFamilies(),
         ")");
  }
  const FamilySpec& family = *fam;
  const ModelHparams raw = ReadModelHparams(f, arch);
  hp.arch = arch;
  auto key = [&](const char* k) { return arch + "." + k; };
  auto need = [&](const char* k, const std::optional<int64_t>& v, int64_t max) {
    if (!v) Fail(f.path(), ": required metadata '", key(k), "' is missing");
    if (*v <= 0 || *v > max)
      Fail(f.path(), ": metadata '", key(k), "' = ", *v, " is out of range (1..", max, ")");
    return *v;
  };
  if (raw.per_layer_heads) {
    Fail(f.path(), ": per-layer head counts (", key("attention.head_count"),
         " as an array) are not supported");
  }
  hp.n_embd = need("embedding_length", raw.embedding_length, kMaxDim);
  hp.n_layer = need("block_count", raw.block_count, kMaxLayers);
  hp.n_ff = need("feed_forward_length", raw.feed_forward_length, kMaxDim * 8);
  hp.n_head = need("attention.head_count", raw.head_count, 4096);
  hp.n_head_kv = need("attention.head_count_kv", raw.head_count_kv.value_or(hp.n_head), 4096);
  if (hp.n_head % hp.n_head_kv != 0) {
    Fail(f.path(), ": attention.head_count ", hp.n_head, " is not a multiple of head_count_kv ",
         hp.n_head_kv);
  }
  hp.head_dim = need("attention.key_length", raw.key_length.value_or(hp.n_embd / hp.n_head), 4096);
  const int64_t vlen = raw.value_length.value_or(hp.head_dim);
  if (vlen != hp.head_dim) {
    Fail(f.path(), ": attention.value_length ", vlen, " differs from key_length ", hp.head_dim,
         " (not supported)");
  }
  hp.n_rot = raw.rope_dimension_count.value_or(hp.head_dim);
  if (hp.n_rot <= 0 || hp.n_rot > hp.head_dim || hp.n_rot % 2 != 0) {
    Fail(f.path(), ": rope.dimension_count ", hp.n_rot, " must be even and within head_dim ",
         hp.head_dim);
  }
  hp.n_ctx_train = raw.context_length.value_or(4096);
  if (hp.n_ctx_train <= 0) hp.n_ctx_train = 4096;
  hp.rope_base = static_cast<float>(raw.rope_freq_base.value_or(family.default_rope_base));
  hp.rms_eps = static_cast<float>(raw.rms_epsilon.value_or(family.default_rms_eps));
  if (!(hp.rope_base > 0.0f) || !(hp.rms_eps >= 0.0f)) {
    Fail(f.path(), ": rope.freq_base must be positive and the rms epsilon non-negative");
  }
  const std::string scaling = raw.rope_scaling_type.value_or("none");
  if (scaling == "linear") {
    const double factor = raw.rope_scaling_factor.value_or(1.0);
    if (!(factor > 0.0)) Fail(f.path(), ": rope.scaling.factor must be positive");
    hp.rope_freq_scale = static_cast<float>(1.0 / factor);
  } else if (scaling != "none" && !scaling.empty()) {
    Fail(f.path(), ": rope.scaling.type '", scaling, "' is not supported (none, linear)");
  }
  if (raw.has_rope_factors_long_short) {
    Fail(f.path(),
         ": LongRoPE (rope_factors_long/short tensors, e.g. Phi-3 128k) is not "
         "supported; use a 4k-context variant");
  }
  family.describe(f, raw, hp);
  GB_CHECK(static_cast<int64_t>(hp.layers.size()) == hp.n_layer, "family ", arch, " described ",
           hp.layers.size(), " layers of ", hp.n_layer);
  for (const auto& l : hp.layers) {
    if (l.window < 0 || !(l.rope_base > 0.0f) || !(l.attn_softcap >= 0.0f)) {
      Fail(f.path(), ": invalid sliding window, rope base or soft-cap in the metadata");
    }
    // attention.scale (or a scale derived from a degenerate shape) multiplies every score.
    if (!(std::isfinite(l.attn_scale) && l.attn_scale > 0.0f)) {
      Fail(f.path(), ": invalid attention scale ", l.attn_scale,
           " (attention.scale must be finite and > 0)");
    }
  }
  if (!(hp.final_softcap >= 0.0f)) Fail(f.path(), ": final_logit_softcapping must be >= 0");
  return hp;
}

}  // namespace gapbench::engine
