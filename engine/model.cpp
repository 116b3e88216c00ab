#include "engine/model.h"

#include <algorithm>

#include "common/error.h"
#include "engine/weight_mix.h"
#include "kernels/matmul_simd.h"
#include "kernels/parallel.h"
#include "kernels/quant.h"

namespace gapbench::engine {
namespace {

std::string Shape2(int64_t cols, int64_t rows) { return StrCat("[", cols, ", ", rows, "]"); }

}  // namespace

std::unique_ptr<Model> Model::Load(const std::string& path, const EngineConfig& config) {
  std::unique_ptr<Model> m(new Model());
  m->config_ = config;
  m->file_ = GgufFile::Open(path);
  m->LoadHParams();
  CheckTensorTypes(*m->file_);
  config.Validate(m->hp_, path);
  m->tokenizer_ = Tokenizer::FromGguf(
      *m->file_, TokenizerOptions{.allow_unknown_pre = config.allow_unknown_pre_tokenizer});
  m->BindWeights();
  m->ApplyKvHeads();
  m->ApplyWeightType();
  m->CountBytes();
  m->PackForPrefill();
  return m;
}

kernels::MatrixView Model::OwnMatrix(const std::vector<float>& values, int64_t rows, int64_t cols,
                                     kernels::GgmlType t) {
  const auto& tr = kernels::Traits(t);
  const int64_t row_bytes = kernels::RowBytes(tr, cols);
  std::vector<uint8_t> buf(static_cast<size_t>(rows * row_bytes));
  kernels::ParallelFor(0, rows, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      kernels::QuantizeRow(t, values.data() + r * cols, buf.data() + r * row_bytes, cols);
    }
  });
  owned_.push_back(std::move(buf));
  return kernels::MatrixView{t, owned_.back().data(), rows, cols};
}

namespace {

std::vector<float> Dequantize(const kernels::MatrixView& m) {
  std::vector<float> out(static_cast<size_t>(m.rows * m.cols));
  const int64_t row_bytes = kernels::RowBytes(kernels::Traits(m.type), m.cols);
  kernels::ParallelFor(0, m.rows, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      kernels::DequantizeRow(m.type, static_cast<const uint8_t*>(m.data) + r * row_bytes,
                             out.data() + r * m.cols, m.cols);
    }
  });
  return out;
}

// Mean of each group of `group` consecutive heads of head_dim rows (rows x cols, row-major).
std::vector<float> PoolHeads(const std::vector<float>& w, int64_t n_heads, int64_t head_dim,
                             int64_t cols, int64_t group) {
  const int64_t out_heads = n_heads / group;
  std::vector<float> out(static_cast<size_t>(out_heads * head_dim * cols), 0.0f);
  for (int64_t h = 0; h < out_heads; ++h) {
    for (int64_t g = 0; g < group; ++g) {
      const float* src = w.data() + ((h * group + g) * head_dim) * cols;
      float* dst = out.data() + h * head_dim * cols;
      for (int64_t i = 0; i < head_dim * cols; ++i) dst[i] += src[i];
    }
    float* dst = out.data() + h * head_dim * cols;
    for (int64_t i = 0; i < head_dim * cols; ++i) dst[i] /= static_cast<float>(group);
  }
  return out;
}

}  // namespace

void Model::ApplyKvHeads() {
  const int64_t target = config_.kv_heads;
  if (target == 0 || target == hp_.n_head_kv) return;
  // GQA by mean-pooling (Ainslie et al. 2023): K/V projection heads (and biases) of each group
  // of n_head_kv / target heads are averaged; the pooled weights keep the file's type.
  const int64_t group = hp_.n_head_kv / target;
  for (auto& L : layers_) {
    for (auto* m : {&L.wk, &L.wv}) {
      const std::vector<float> pooled =
          PoolHeads(Dequantize(*m), hp_.n_head_kv, hp_.head_dim, hp_.n_embd, group);
      *m = OwnMatrix(pooled, target * hp_.head_dim, hp_.n_embd, m->type);
    }
    for (auto* b : {&L.bk, &L.bv}) {
      if (!b->empty()) *b = PoolHeads(*b, hp_.n_head_kv, hp_.head_dim, 1, group);
    }
  }
  hp_.n_head_kv = target;
}

void Model::ApplyWeightType() {
  if (!config_.weights_mix.empty()) return ApplyWeightMix();
  if (!config_.weights) return;
  const kernels::GgmlType t = *config_.weights;
  auto convert = [&](kernels::MatrixView& m) {
    if (m.type != t) m = OwnMatrix(Dequantize(m), m.rows, m.cols, t);
  };
  const bool tied = tied_;
  convert(token_embd_);
  if (tied) {
    output_ = token_embd_;
  } else {
    convert(output_);
  }
  for (auto& L : layers_) {
    for (auto* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) convert(*m);
  }
}

// A llama.cpp mix: each matrix gets the type llama-quantize would give the file's tensor of that
// name (weight_mix.h), computed over the file's whole tensor list so that its counters and the
// tied-output rule see what llama.cpp sees.
void Model::ApplyWeightMix() {
  const std::optional<WeightMix> mix = FindWeightMix(config_.weights_mix);
  GB_CHECK(mix.has_value(), "unknown weight mix ", config_.weights_mix);
  std::vector<TensorShape> shapes;
  for (const auto& t : file_->tensors()) shapes.push_back(TensorShape{t.name, t.ne});
  const auto types = AssignWeightTypes(*mix, shapes, hp_.n_layer);
  auto convert = [&](kernels::MatrixView& m, const std::string& name) {
    for (size_t i = 0; i < shapes.size(); ++i) {
      if (shapes[i].name != name || !types[i]) continue;
      if (m.type != *types[i]) m = OwnMatrix(Dequantize(m), m.rows, m.cols, *types[i]);
      return;
    }
  };
  convert(token_embd_, "token_embd.weight");
  if (tied_) {
    output_ = token_embd_;
  } else {
    convert(output_, "output.weight");
  }
  for (int64_t il = 0; il < hp_.n_layer; ++il) {
    LayerWeights& L = layers_[static_cast<size_t>(il)];
    const LayerSpec& ls = hp_.layers[static_cast<size_t>(il)];
    const std::string p = StrCat("blk.", il, ".");
    // A fused tensor's row ranges (phi3) take the fused tensor's type: quantisation is per row,
    // so converting each range gives the bytes llama-quantize writes for the whole tensor.
    convert(L.wq, p + (ls.fused_qkv ? "attn_qkv.weight" : "attn_q.weight"));
    convert(L.wk, p + (ls.fused_qkv ? "attn_qkv.weight" : "attn_k.weight"));
    convert(L.wv, p + (ls.fused_qkv ? "attn_qkv.weight" : "attn_v.weight"));
    convert(L.wo, p + "attn_output.weight");
    convert(L.w_gate, p + (ls.fused_gate_up ? "ffn_up.weight" : "ffn_gate.weight"));
    convert(L.w_up, p + "ffn_up.weight");
    convert(L.w_down, p + "ffn_down.weight");
  }
}

// Every q8_0/q4_0/q5_0/q5_1/q4_1/q4_K/q5_K/q6_K product (decode and prefill) reads its weight in
// the panel layout (kernels/matmul_simd.h) where the CPU's best target has a panel kernel; packing
// each weight once here saves MatMul repacking it on every call. The panels hold exactly the file's
// bytes (4-bit weights stay 4-bit, rows padded to whole 16-row panels), and the file's pages of a
// packed weight are released, so resident memory stays about one copy of the weights. Results are
// unchanged (the kernels give the same bits from either layout).
void Model::PackForPrefill() {
  auto pack = [&](kernels::MatrixView& m) {
    const int64_t row_bytes = kernels::RowBytes(kernels::Traits(m.type), m.cols);
    const auto* rows = static_cast<const uint8_t*>(m.data);
    // Each chunk's file pages go as soon as it is packed: the panels read the weight from now
    // on (anything else that reads the rows, such as Embed on a tied output, faults them back in
    // on demand), and the two copies never coexist whole.
    auto panels = kernels::SimdPackPanels(
        m.type, rows, m.rows, row_bytes, m.cols, [&](int64_t begin, int64_t end) {
          file_->ReleasePages(rows + begin * row_bytes,
                              static_cast<size_t>((end - begin) * row_bytes));
        });
    if (panels.empty()) return;
    file_->ReleasePages(rows, static_cast<size_t>(m.rows * row_bytes));  // pages across chunks
    m.packed = panels.data();
    packed_.push_back(std::move(panels));
  };
  for (auto& L : layers_) {
    for (auto* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) pack(*m);
  }
  pack(output_);  // the LM head, read by every decode step
  // A tied embedding is the packed output: Embed reads its rows from the panels, so the file's
  // pages stay released.
  if (tied_) token_embd_ = output_;
}

void Model::CountBytes() {
  auto matrix_bytes = [](const kernels::MatrixView& m) {
    return m.rows * kernels::RowBytes(kernels::Traits(m.type), m.cols);
  };
  auto vec_bytes = [](const std::vector<float>& v) {
    return static_cast<int64_t>(v.size() * sizeof(float));
  };
  int64_t total = matrix_bytes(token_embd_) + (tied_ ? 0 : matrix_bytes(output_)) +
                  vec_bytes(output_norm_) + vec_bytes(rope_freqs_);
  for (const auto& L : layers_) {
    for (const auto* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      total += matrix_bytes(*m);
    }
    for (const auto* v : {&L.attn_norm, &L.ffn_norm, &L.attn_post_norm, &L.ffn_post_norm, &L.q_norm,
                          &L.k_norm, &L.bq, &L.bk, &L.bv}) {
      total += vec_bytes(*v);
    }
  }
  weight_bytes_ = total;
}

// Every tensor's type is one the kernels compute, checked from the header alone, so a file the
// engine cannot run is refused before the tokenizer or any tensor data is read.
void CheckTensorTypes(const GgufFile& f) {
  for (const auto& t : f.tensors()) {
    if (kernels::Traits(t.type).computable) continue;
    Fail(f.path(), ": tensor '", t.name, "' has type ", kernels::TypeName(t.type),
         ", which this engine cannot compute (supported: ", kernels::ComputableTypeNames(), ")");
  }
}

std::optional<std::string> WhyNotRunnable(const GgufFile& f) {
  try {
    ReadHParams(f);
    CheckTensorTypes(f);
    // The vocabulary too: an unknown pre-tokenizer is refused at load by default (the message
    // names the setting that allows it).
    Tokenizer::FromGguf(f);
  } catch (const Error& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

void Model::LoadHParams() { hp_ = ReadHParams(*file_); }

kernels::MatrixView Model::Matrix(const std::string& name, int64_t cols, int64_t rows) const {
  const GgufTensorInfo* t = file_->FindTensor(name);
  if (t == nullptr) Fail(file_->path(), ": required tensor '", name, "' is missing");
  if (t->ne.size() != 2 || t->ne[0] != cols || t->ne[1] != rows) {
    Fail(file_->path(), ": tensor '", name, "' has shape ", t->ShapeString(), ", expected ",
         Shape2(cols, rows));
  }
  if (!kernels::Traits(t->type).computable) {
    Fail(file_->path(), ": tensor '", name, "' has type ", kernels::TypeName(t->type),
         ", which this engine cannot compute (supported: ", kernels::ComputableTypeNames(), ")");
  }
  return kernels::MatrixView{t->type, t->data, rows, cols};
}

std::vector<float> Model::Vector(const std::string& name, int64_t n, bool required) const {
  const GgufTensorInfo* t = file_->FindTensor(name);
  if (t == nullptr) {
    if (required) Fail(file_->path(), ": required tensor '", name, "' is missing");
    return {};
  }
  if (t->n_elements != n || t->ne[0] != n) {
    Fail(file_->path(), ": tensor '", name, "' has shape ", t->ShapeString(), ", expected [", n,
         "]");
  }
  if (!kernels::Traits(t->type).computable) {
    Fail(file_->path(), ": tensor '", name, "' has unsupported type ", kernels::TypeName(t->type));
  }
  std::vector<float> out(static_cast<size_t>(n));
  kernels::DequantizeRow(t->type, t->data, out.data(), n);
  return out;
}

std::vector<float> Model::Norm(const std::string& name, int64_t n, bool required) const {
  std::vector<float> w = Vector(name, n, required);
  if (hp_.norm_add_one) {
    for (float& x : w) x += 1.0f;
  }
  return w;
}

void Model::BindWeights() {
  const HParams& hp = hp_;
  const GgufTensorInfo* emb = file_->FindTensor("token_embd.weight");
  if (emb == nullptr) Fail(file_->path(), ": required tensor 'token_embd.weight' is missing");
  if (emb->ne.size() != 2 || emb->ne[0] != hp.n_embd) {
    Fail(file_->path(), ": tensor 'token_embd.weight' has shape ", emb->ShapeString(),
         ", expected [", hp.n_embd, ", n_vocab]");
  }
  hp_.n_vocab = emb->ne[1];
  if (hp_.n_vocab < tokenizer_->n_vocab()) {
    Fail(file_->path(), ": the tokenizer has ", tokenizer_->n_vocab(),
         " tokens but token_embd.weight only ", hp_.n_vocab, " rows");
  }
  token_embd_ = Matrix("token_embd.weight", hp.n_embd, hp_.n_vocab);
  tied_ = file_->FindTensor("output.weight") == nullptr;
  output_ = tied_ ? token_embd_ : Matrix("output.weight", hp.n_embd, hp_.n_vocab);
  output_norm_ = Norm("output_norm.weight", hp.n_embd, true);
  rope_freqs_ = Vector("rope_freqs.weight", hp.n_rot / 2, false);

  layers_.resize(static_cast<size_t>(hp.n_layer));
  // Rows [first, first + n) of a fused matrix, as a matrix of its own.
  auto rows = [](const kernels::MatrixView& m, int64_t first, int64_t n) {
    const int64_t row_bytes = kernels::RowBytes(kernels::Traits(m.type), m.cols);
    return kernels::MatrixView{m.type, static_cast<const uint8_t*>(m.data) + first * row_bytes, n,
                               m.cols};
  };
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    LayerWeights& L = layers_[static_cast<size_t>(il)];
    const LayerSpec& ls = hp.layer(il);
    const std::string p = StrCat("blk.", il, ".");
    L.attn_norm = Norm(p + "attn_norm.weight", hp.n_embd, true);
    if (ls.fused_qkv) {
      const kernels::MatrixView qkv =
          Matrix(p + "attn_qkv.weight", hp.n_embd, hp.n_q() + 2 * hp.n_kv());
      L.wq = rows(qkv, 0, hp.n_q());
      L.wk = rows(qkv, hp.n_q(), hp.n_kv());
      L.wv = rows(qkv, hp.n_q() + hp.n_kv(), hp.n_kv());
    } else {
      L.wq = Matrix(p + "attn_q.weight", hp.n_embd, hp.n_q());
      L.wk = Matrix(p + "attn_k.weight", hp.n_embd, hp.n_kv());
      L.wv = Matrix(p + "attn_v.weight", hp.n_embd, hp.n_kv());
    }
    L.wo = Matrix(p + "attn_output.weight", hp.n_q(), hp.n_embd);
    if (ls.qkv_bias) {
      L.bq = Vector(p + "attn_q.bias", hp.n_q(), true);
      L.bk = Vector(p + "attn_k.bias", hp.n_kv(), true);
      L.bv = Vector(p + "attn_v.bias", hp.n_kv(), true);
    }
    if (ls.qk_norm) {
      L.q_norm = Norm(p + "attn_q_norm.weight", hp.head_dim, true);
      L.k_norm = Norm(p + "attn_k_norm.weight", hp.head_dim, true);
    }
    if (ls.post_attn_norm)
      L.attn_post_norm = Norm(p + "post_attention_norm.weight", hp.n_embd, true);
    L.ffn_norm = Norm(p + "ffn_norm.weight", hp.n_embd, true);
    if (ls.fused_gate_up) {
      const kernels::MatrixView up = Matrix(p + "ffn_up.weight", hp.n_embd, 2 * hp.n_ff);
      L.w_gate = rows(up, 0, hp.n_ff);
      L.w_up = rows(up, hp.n_ff, hp.n_ff);
    } else {
      L.w_gate = Matrix(p + "ffn_gate.weight", hp.n_embd, hp.n_ff);
      L.w_up = Matrix(p + "ffn_up.weight", hp.n_embd, hp.n_ff);
    }
    L.w_down = Matrix(p + "ffn_down.weight", hp.n_ff, hp.n_embd);
    if (ls.post_ffn_norm) L.ffn_post_norm = Norm(p + "post_ffw_norm.weight", hp.n_embd, true);
  }
  for (const auto& t : file_->tensors()) {
    n_params_ += t.n_elements;
    file_weight_bytes_ += static_cast<int64_t>(t.n_bytes);
  }
}

void Model::Embed(int32_t token, float* out) const {
  if (token < 0 || token >= hp_.n_vocab) {
    Fail(path(), ": token id ", token, " is out of range (vocabulary has ", hp_.n_vocab,
         " tokens)");
  }
  const auto& tr = kernels::Traits(token_embd_.type);
  if (token_embd_.packed != nullptr) {  // a tied embedding in the panel layout (PackForPrefill)
    std::vector<uint8_t> row(static_cast<size_t>(kernels::RowBytes(tr, hp_.n_embd)));
    kernels::UnpackPanelRow(token_embd_.type, token_embd_.packed, hp_.n_embd, token, row.data());
    kernels::DequantizeRow(token_embd_.type, row.data(), out, hp_.n_embd);
    return;
  }
  const auto* row = static_cast<const uint8_t*>(token_embd_.data) +
                    static_cast<int64_t>(token) * kernels::RowBytes(tr, hp_.n_embd);
  kernels::DequantizeRow(token_embd_.type, row, out, hp_.n_embd);
}

}  // namespace gapbench::engine
