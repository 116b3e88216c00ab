// Model: immutable, memory-mapped weights of one GGUF file plus its hyper-parameters and
// tokenizer. Shareable between sessions and threads (nothing here mutates after Load).
// Not here: the KV cache and the forward pass (session.h), per-family conventions (family.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine_config.h"
#include "engine/family.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"
#include "kernels/matmul.h"

namespace gapbench::engine {

struct HParams {
  std::string arch;
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_ff = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;  // key/query/value head dimension
  int64_t n_rot = 0;     // rotary dimensions per head (<= head_dim)
  float rope_base = 10000.0f;
  float rope_freq_scale = 1.0f;  // 1 / linear scaling factor
  float rms_eps = 1e-5f;
  int64_t n_q() const { return n_head * head_dim; }
  int64_t n_kv() const { return n_head_kv * head_dim; }
};

// The hyper-parameters of a GGUF model file, checked (supported family, ranges, head layout)
// without loading any tensor: cheap enough for validating sweeps. Error naming the file.
HParams ReadHParams(const GgufFile& file);

struct LayerWeights {
  // Projections; rows = output features. [n_q, n_embd], [n_kv, n_embd] x2, [n_embd, n_q]
  kernels::MatrixView wq, wk, wv, wo;
  // Feed-forward: gate/up [n_ff, n_embd], down [n_embd, n_ff]
  kernels::MatrixView w_gate, w_up, w_down;
  std::vector<float> attn_norm, ffn_norm;  // [n_embd]
  std::vector<float> bq, bk, bv;           // empty unless the family has QKV bias
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
  const FamilySpec& family() const { return family_; }
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
  void CountBytes();
  void PackForPrefill();
  // Stores rows x cols f32 values as type t in a buffer the model owns.
  kernels::MatrixView OwnMatrix(const std::vector<float>& values, int64_t rows, int64_t cols,
                                kernels::GgmlType t);
  kernels::MatrixView Matrix(const std::string& name, int64_t cols, int64_t rows) const;
  std::vector<float> Vector(const std::string& name, int64_t n, bool required) const;

  std::unique_ptr<GgufFile> file_;
  EngineConfig config_;
  HParams hp_;
  FamilySpec family_;
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
