// Random-weight GGUF models in the real shapes of small public models (SmolLM2-135M,
// Qwen2.5-0.5B, Llama-3.2-1B, Qwen3-0.6B, Gemma-2-2B, Gemma-3-1B, Phi-3-mini) plus a tiny one
// for tests, with the metadata keys, tensor names,
// ggml dimension order and a byte-level (gpt2-kind) vocabulary that llama.cpp and our engine
// expect. Weights are deterministic for a seed whatever the thread count, and tensors stream to
// the file one chunk at a time, so a 5 GB f32 model never sits in memory.
// Not here: trained weights, tokenizer merges beyond a handful (every file gets the gpt2-kind
// vocabulary, whatever the architecture's real tokenizer), architectures other than llama,
// qwen2, qwen3, gemma2, gemma3 and phi3.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/weight_mix.h"
#include "kernels/types.h"

namespace gapbench::engine {

struct ModelPreset {
  std::string name;          // "smollm2-135m", ...
  std::string display_name;  // general.name prefix: "SmolLM2-135M"
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t n_ff = 0;
  int64_t n_vocab = 0;
  int64_t n_ctx = 0;  // context_length
  double rope_base = 10000.0;
  double rms_eps = 1e-5;
  bool llama3_rope = false;   // rope_freqs tensor: factor 32, low 1, high 4, original ctx 8192
  std::string arch;           // the architecture of the published model
  int64_t explicit_head_dim;  // 0: n_embd / n_head (else written as attention.key_length)
  bool tied;                  // no output.weight: the head is token_embd
  int64_t sliding_window;     // attention.sliding_window (gemma2/gemma3/phi3), 0: none

  int64_t head_dim() const { return explicit_head_dim > 0 ? explicit_head_dim : n_embd / n_head; }
};

// The presets: "smollm2-135m", "qwen2.5-0.5b", "llama3.2-1b", "qwen3-0.6b", "gemma-2-2b",
// "gemma-3-1b", "phi-3-mini", "tiny".
std::optional<ModelPreset> FindPreset(std::string_view name);
std::vector<std::string> PresetNames();
// The published-shape preset of an architecture ("gemma2" -> "gemma-2-2b"), nullopt if none.
std::optional<ModelPreset> PresetForArch(std::string_view arch);
// The architectures WriteRandomModel writes.
std::vector<std::string> RandomModelArchs();

// Llama-3 rope scaling as the per-frequency divisors ggml applies (theta_i / factor_i):
// n_rot/2 values, 1 for high frequencies, `factor` for low ones, smooth in between.
std::vector<float> Llama3RopeFreqs(int64_t n_rot, double base, double factor, double low_freq,
                                   double high_freq, double original_ctx);

// The gpt2 byte-level encoding of byte b (GPT-2's bytes_to_unicode), as UTF-8.
std::string GptByteToken(uint8_t b);

struct RandomModelProgress {
  size_t tensor_index = 0;  // the tensor being written (0-based)
  size_t n_tensors = 0;
  std::string tensor_name;
  uint64_t bytes_done = 0;  // tensor data written so far
  uint64_t bytes_total = 0;
};

struct RandomModelOptions {
  std::string arch = "llama";  // RandomModelArchs(): the tensors and keys of that family
  ModelPreset preset;
  kernels::GgmlType wtype = kernels::GgmlType::kF32;  // 2-D weights; norms and biases stay f32
  // Optional: a llama.cpp quantisation mix (weight_mix.h: q4_k_m, ...), which then assigns each
  // 2-D weight its type exactly as llama-quantize would; wtype is ignored.
  std::optional<WeightMix> mix;
  uint64_t seed = 0;
  // Optional: a GGUF whose tokenizer.* metadata is copied (a real vocabulary, e.g. llama.cpp's
  // ggml-vocab-qwen2.gguf); its token count then sets the vocabulary size of the model.
  std::string vocab_path;
  std::function<void(const RandomModelProgress&)> progress;  // optional, called per chunk
};

// Writes the model to `path` (via path + ".tmp", renamed at the end). Throws Error on a bad
// arch / wtype / preset combination (naming it) or an I/O failure (naming the file).
void WriteRandomModel(const RandomModelOptions& options, const std::string& path);

// Size in bytes the file will have; does not touch the disk.
uint64_t RandomModelFileSize(const RandomModelOptions& options);
// Sum of the element counts of the file's tensors (what `model inspect` reports as parameters).
int64_t RandomModelParameterCount(const RandomModelOptions& options);

}  // namespace gapbench::engine
