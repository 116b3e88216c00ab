// Model: immutable, memory-mapped weights of one GGUF file plus its hyper-parameters and
// tokenizer. Shareable between sessions and threads (nothing here mutates after Load).
// Not here: the KV cache and the forward pass (session.h), per-family conventions (family.h),
// the hyper-parameter reader (hparams.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine_config.h"
#include "engine/gguf.h"
#include "engine/hparams.h"
#include "engine/tokenizer.h"
#include "kernels/matmul.h"

namespace gapbench::engine {

// Refuses (Error naming the file and tensor) a file with a tensor whose type the engine cannot
// compute, listing the types it can. Reads no tensor data.
void CheckTensorTypes(const GgufFile& file);
// Why the engine cannot run `file` (unsupported architecture or variant, hyper-parameters out
// of range, a tensor type it cannot compute), or nullopt when it can load it. Reads no tensor
// data (a missing or misshapen tensor is only found by loading).
std::optional<std::string> WhyNotRunnable(const GgufFile& file);

struct LayerWeights {
  // Projections; rows = output features. [n_q, n_embd], [n_kv, n_embd] x2, [n_embd, n_q]
  // A fused attn_qkv tensor is bound as three row ranges of it (no copy).
  kernels::MatrixView wq, wk, wv, wo;
  // Feed-forward: gate/up [n_ff, n_embd], down [n_embd, n_ff]; a fused ffn_up (gate rows, then
  // up rows) is bound as two row ranges.
  kernels::MatrixView w_gate, w_up, w_down;
  std::vector<float> attn_norm, ffn_norm;            // [n_embd]
  std::vector<float> attn_post_norm, ffn_post_norm;  // [n_embd] or empty (LayerSpec)
  std::vector<float> q_norm, k_norm;                 // [head_dim] or empty (LayerSpec::qk_norm)
  std::vector<float> bq, bk, bv;                     // empty unless LayerSpec::qkv_bias
};

class Model {
 public:
  // Loads `path` (memory-mapped) and applies the load-time settings of `config`: weights
  // re-quantised to config.weights, K/V heads mean-pooled to config.kv_heads (both into owned
  // buffers). Throws Error naming the file and tensor on any problem.
  static std::unique_ptr<Model> Load(const std::string& path, const EngineConfig& config = {});

  const EngineConfig& config() const { return config_; }

  const std::string& path() const { return file_->path(); }
  const GgufFile& file() const { return *file_; }
  const HParams& hparams() const { return hp_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }

  const kernels::MatrixView& token_embd() const { return token_embd_; }  // [n_vocab, n_embd]
  const kernels::MatrixView& output() const { return output_; }          // [n_vocab, n_embd]
  bool tied_output() const { return tied_; }
  const std::vector<float>& output_norm() const { return output_norm_; }
  const std::vector<float>& rope_freqs() const { return rope_freqs_; }  // empty or [n_rot/2]
  const LayerWeights& layer(int64_t i) const { return layers_[static_cast<size_t>(i)]; }

  // Copies the embedding row of `token` (dequantised) into out[n_embd].
  void Embed(int32_t token, float* out) const;

  int64_t n_params() const { return n_params_; }
  // Bytes of the weights as the engine uses them (after re-quantisation and pooling), norms and
  // biases as f32 included.
  int64_t weight_bytes() const { return weight_bytes_; }
  int64_t file_weight_bytes() const { return file_weight_bytes_; }  // as stored in the file
  // Bytes of the weights held in the kernels' panel layout (PackForPrefill); their file pages are
  // released, so this replaces, not adds to, the mapped bytes of those weights.
  int64_t packed_bytes() const {
    int64_t n = 0;
    for (const auto& p : packed_) n += static_cast<int64_t>(p.size());
    return n;
  }

 private:
  Model() = default;
  void LoadHParams();
  void BindWeights();
  void ApplyKvHeads();
  void ApplyWeightType();
  void ApplyWeightMix();
  void CountBytes();
  void PackForPrefill();
  // Stores rows x cols f32 values as type t in a buffer the model owns.
  kernels::MatrixView OwnMatrix(const std::vector<float>& values, int64_t rows, int64_t cols,
                                kernels::GgmlType t);
  kernels::MatrixView Matrix(const std::string& name, int64_t cols, int64_t rows) const;
  std::vector<float> Vector(const std::string& name, int64_t n, bool required) const;
  // A norm weight: Vector, plus 1 where the description says the norm multiplies by (1 + w).
  std::vector<float> Norm(const std::string& name, int64_t n, bool required) const;

  std::unique_ptr<GgufFile> file_;
  EngineConfig config_;
  HParams hp_;
  std::unique_ptr<Tokenizer> tokenizer_;
  kernels::MatrixView token_embd_, output_;
  bool tied_ = false;
  std::vector<float> output_norm_, rope_freqs_;
  std::vector<LayerWeights> layers_;
  int64_t n_params_ = 0;
  int64_t weight_bytes_ = 0;
  int64_t file_weight_bytes_ = 0;
  std::vector<std::vector<uint8_t>> owned_;   // storage of transformed matrices
  std::vector<std::vector<uint8_t>> packed_;  // layer weights in the prefill panel layout
};

}  // namespace gapbench::engine
