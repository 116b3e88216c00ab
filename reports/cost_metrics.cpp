// Cost figures of one group: speed from the per-item timing, sizes from the timing, the model's
// metadata or the engine configuration, FLOPs estimated from the parameter count. Every figure
// that cannot be established is left out with a note saying why; docs/REPORTS.md lists the
// sources in the order they are tried.
//
// Not here: measuring anything (the worker records timing; `gapbench bench` measures speed).
#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/json.h"
#include "reports/gap_metrics.h"

namespace gapbench::reports {
namespace {

std::optional<double> NumberMember(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject()) return std::nullopt;
  const auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
  return it->value.GetDouble();
}

std::string StringMember(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject()) return "";
  const auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsString()) return "";
  return it->value.GetString();
}

rapidjson::Document ParseOrEmpty(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) doc.SetObject();
  return doc;
}

// Bytes per element of a KV cache type name (q8_0: 34-byte blocks of 32).
std::optional<double> KvElementBytes(const std::string& type) {
  if (type == "f32") return 4.0;
  if (type == "f16" || type == "bf16") return 2.0;
  if (type == "q8_0") return 34.0 / 32.0;
  return std::nullopt;
}

// 2 (K and V) × layers that own a cache × KV heads × head dim × bytes per element, from the
// model metadata and the configuration. Absent (with a note) when something is unknown.
std::optional<double> KvBytesFromShape(const rapidjson::Value& meta, const rapidjson::Value& cfg,
                                       std::vector<std::string>& notes) {
  const auto n_layer = NumberMember(meta, "n_layer");
  auto n_head_kv = NumberMember(meta, "n_head_kv");
  auto head_dim = NumberMember(meta, "head_dim");
  if (!head_dim) {
    const auto n_embd = NumberMember(meta, "n_embd");
    const auto n_head = NumberMember(meta, "n_head");
    if (n_embd && n_head && *n_head > 0) head_dim = *n_embd / *n_head;
  }
  if (!n_head_kv) n_head_kv = NumberMember(meta, "n_head");
  std::string kv_type = StringMember(cfg, "kv_cache");
  if (kv_type.empty()) kv_type = "f16";
  const auto elem = KvElementBytes(kv_type);
  if (!n_layer || !n_head_kv || !head_dim || !elem) {
    notes.push_back(
        "kv_bytes_per_token omitted: the model metadata lacks n_layer/n_head_kv/head_dim");
    return std::nullopt;
  }
  if (const auto kv_heads = NumberMember(cfg, "kv_heads"); kv_heads && *kv_heads > 0) {
    n_head_kv = *kv_heads;
  }
  double own_layers = *n_layer;
  if (cfg.IsObject() && cfg.HasMember("kv_sharing")) {
    const auto& sh = cfg["kv_sharing"];
    const std::string mode = StringMember(sh, "mode");
    if (mode == "adjacent") {
      const double group = NumberMember(sh, "group").value_or(2);
      if (group >= 1) own_layers = std::ceil(*n_layer / group);
    } else if (mode == "tail") {
      const double from = NumberMember(sh, "from_layer").value_or(0);
      if (from > 0 && from < *n_layer) own_layers = from;
    }
  }
  if (cfg.IsObject() && cfg.HasMember("sliding_window")) {
    const std::string layers = StringMember(cfg["sliding_window"], "layers");
    if (!layers.empty() && layers != "none") {
      notes.push_back(
          "kv_bytes_per_token omitted: with a sliding window it depends on the context");
      return std::nullopt;
    }
  }
  notes.push_back("kv_bytes_per_token computed from the model shape and the configuration");
  return 2.0 * own_layers * *n_head_kv * *head_dim * *elem;
}

}  // namespace

std::optional<double> ModelParameters(const ModelRow& model) {
  const auto meta = ParseOrEmpty(model.metadata_json);
  if (auto p = NumberMember(meta, "parameters")) return p;
  return NumberMember(meta, "n_params");
}

CostMetrics ComputeCost(const RunData& /*run*/, const RunGroup& g) {
  CostMetrics c;
  double latency_sum = 0, tokens_timed = 0, tokens_in = 0, tokens_out = 0;
  double flops_sum = 0, weight_bytes = 0, kv_bytes = 0;
  int64_t n_flops = 0, n_weight = 0, n_kv = 0;
  for (const auto& it : g.items) {
    const auto& r = it.record;
    // A guarded system also pays the guard's requests (its prompt once and both labels); the
    // record's tokens_in is the protected model's alone. latency_s already spans both.
    const int64_t guard_tokens = r.guard ? r.guard->tokens : 0;
    tokens_in += static_cast<double>(r.tokens_in + guard_tokens);
    tokens_out += static_cast<double>(r.tokens_out);
    if (r.latency_s > 0) {
      ++c.items_timed;
      latency_sum += r.latency_s;
      tokens_timed += static_cast<double>(r.tokens_in + guard_tokens + r.tokens_out);
    }
    if (const auto f = it.timing.find("flops"); f != it.timing.end()) {
      flops_sum += f->second;
      ++n_flops;
    }
    if (const auto w = it.timing.find("weight_bytes"); w != it.timing.end()) {
      weight_bytes = std::max(weight_bytes, w->second);
      ++n_weight;
    }
    if (const auto k = it.timing.find("kv_bytes_per_token"); k != it.timing.end()) {
      kv_bytes = std::max(kv_bytes, k->second);
      ++n_kv;
    }
  }
  const double n = static_cast<double>(g.items.size());
  if (n > 0) {
    c.tokens_in_mean = tokens_in / n;
    c.tokens_out_mean = tokens_out / n;
  }
  if (c.items_timed > 0) {
    c.latency_s_mean = latency_sum / static_cast<double>(c.items_timed);
    if (latency_sum > 0) c.tokens_per_s = tokens_timed / latency_sum;
  } else {
    c.notes.push_back("speed omitted: no item has a latency_s");
  }

  const auto meta = ParseOrEmpty(g.model.metadata_json);
  const auto cfg = ParseOrEmpty(g.config.canonical);
  c.parameters = ModelParameters(g.model);

  if (n_weight > 0) {
    c.weight_bytes = weight_bytes;
  } else if (const std::string w = StringMember(cfg, "weights"); w.empty() || w == "native") {
    if (const auto mw = NumberMember(meta, "weight_bytes")) {
      c.weight_bytes = *mw;
    } else if (g.model.size_bytes > 0) {
      c.weight_bytes = static_cast<double>(g.model.size_bytes);
      c.notes.push_back("weight_bytes is the model file size (native weights)");
    }
  }
  if (!c.weight_bytes) {
    c.notes.push_back("weight_bytes omitted: converted weights and no recorded size");
  }

  if (n_kv > 0) {
    c.kv_bytes_per_token = kv_bytes;
  } else if (const auto mk = NumberMember(meta, "kv_bytes_per_token");
             mk && StringMember(cfg, "kv_cache").empty()) {
    c.kv_bytes_per_token = *mk;
  } else {
    c.kv_bytes_per_token = KvBytesFromShape(meta, cfg, c.notes);
  }

  if (n_flops > 0 && n_flops == static_cast<int64_t>(g.items.size())) {
    c.flops_per_item = flops_sum / static_cast<double>(n_flops);
  } else if (c.parameters && n > 0) {
    c.flops_per_item = 2.0 * *c.parameters * (c.tokens_in_mean + c.tokens_out_mean);
  } else {
    c.notes.push_back("flops_per_item omitted: the model metadata has no parameter count");
  }
  return c;
}

}  // namespace gapbench::reports
