// EngineConfig: the engine settings a sweep varies (ARCHITECTURE.md), parsed from JSON with
// errors that name the key and suggest the closest valid one, validated against a model, and
// written back in a canonical form whose hash keys results.
//   {"weights": "native|f32|f16|bf16|q8_0|q4_0|q4_k|q4_k_m|q5_k_m|q6_k|q5_0|q5_1|q4_1",
//    "kv_cache": "f32|f16|q8_0",
//    "kv_heads": 0, "sliding_window": {"window": 0, "layers": "none|alternate|all|native|global"},
//    "kv_sharing": {"mode": "none|adjacent|tail", "group": 2, "from_layer": 0},
//    "threads": 0, "context": 0, "batch": 0, "allow_unknown_pre_tokenizer": false}
// Not here: applying the settings (model.cpp applies weights and kv_heads, session.cpp the rest).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kernels/types.h"

namespace gapbench::engine {

struct HParams;

// none: the model's native attention (global for llama/qwen2; Gemma's windowed layers keep their
// window); global: every layer global (removes native windows); native: the setting's window on
// the natively windowed layers (widen or narrow); alternate / all: the setting's window on the
// even / all layers, replacing the native pattern.
enum class WindowLayers { kNone, kAlternate, kAll, kNative, kGlobal };
enum class KvSharingMode { kNone, kAdjacent, kTail };

// Largest context a session may hold (positions); larger values are an error, not a wrapped size.
constexpr int64_t kMaxContext = int64_t{1} << 24;

struct EngineConfig {
  std::optional<kernels::GgmlType> weights;  // nullopt = native (the file's types) or a mix
  // A llama.cpp quantisation mix ("q4_k_m", ...: engine/weight_mix.h) that re-quantises every
  // matrix with llama-quantize's per-tensor assignment; empty = none. Set only when weights is
  // nullopt.
  std::string weights_mix;
  kernels::GgmlType kv_cache = kernels::GgmlType::kF16;
  bool kv_cache_set = false;  // "kv_cache" was given (not part of the canonical form)
  int64_t kv_heads = 0;       // 0 = native; n < native = GQA by mean-pooling K/V heads
  struct {
    int64_t window = 0;
    WindowLayers layers = WindowLayers::kNone;
    bool specified = false;  // "sliding_window" was given
  } sliding_window;
  struct {
    KvSharingMode mode = KvSharingMode::kNone;
    int64_t group = 2;       // adjacent: layers [g*k, g*k+g) use layer g*k's K/V
    int64_t from_layer = 0;  // tail: layers >= from_layer use layer from_layer-1's K/V
  } kv_sharing;
  int threads = 0;      // 0 = all cores
  int64_t context = 0;  // 0 = the model's training context (engine::ContextFor)
  int64_t batch = 0;    // 0 = 256 tokens per forward chunk
  // A byte-level BPE vocabulary whose tokenizer.ggml.pre gapbench does not know is refused (its
  // token ids would differ from the model's own tokenizer); true falls back to llama.cpp's
  // "default" pre-tokenizer, and the results record the fallback.
  bool allow_unknown_pre_tokenizer = false;

  // Parses a JSON object; `source` names it in errors ("--config", a file name, ...).
  static EngineConfig FromJson(std::string_view json, std::string_view source);
  // `arg` is either inline JSON (starts with '{') or the path of a JSON file.
  static EngineConfig FromArg(const std::string& arg);

  // Checks the settings against a model; errors say why (e.g. "kv_heads: 3 does not divide the
  // model's 8 KV heads"). `model_name` prefixes the messages.
  void Validate(const HParams& hp, std::string_view model_name) const;

  // Canonical JSON: every field, fixed key order, no whitespace. Equal configs give equal text.
  std::string Canonical() const;
  std::string Hash() const;  // 16 hex digits of the canonical form

  // Per-layer view of the attention settings for a model of n_layer layers.
  // The window layer il of `hp` attends over (0 = global): this setting composed with the
  // model's native pattern (WindowLayers).
  int64_t LayerWindow(const HParams& hp, int64_t il) const;
  // Whether the setting alone (alternate / all) windows layer il.
  bool LayerWindowed(int64_t il) const;
  int64_t KvSourceLayer(int64_t il) const;  // the layer whose K/V layer il uses (il if its own)
};

std::string_view WindowLayersName(WindowLayers l);
std::string_view KvSharingModeName(KvSharingMode m);

}  // namespace gapbench::engine
