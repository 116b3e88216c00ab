#include "engine/model.h"

#include <algorithm>

#include "common/error.h"
#include "kernels/matmul_simd.h"
#include "kernels/parallel.h"
#include "kernels/quant.h"

namespace gapbench::engine {
namespace {

constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxDim = 1 << 20;

std::string Shape2(int64_t cols, int64_t rows) { return StrCat("[", cols, ", ", rows, "]"); }

}  // namespace

std::unique_ptr<Model> Model::Load(const std::string& path, const EngineConfig& config) {
  std::unique_ptr<Model> m(new Model());
  m->config_ = config;
  m->file_ = GgufFile::Open(path);
  m->LoadHParams();
  config.Validate(m->hp_, path);
  m->tokenizer_ = Tokenizer::FromGguf(*m->file_);
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

// Every q8_0/q4_0 product (decode and prefill) reads its weight in the panel layout
// (kernels/matmul_simd.h) where the CPU's best target has a panel kernel; packing each weight once
// here saves MatMul repacking it on every call. The panels hold exactly the file's bytes (4-bit
// weights stay 4-bit, rows padded to whole 16-row panels), and the file's pages of a packed
// weight are released, so resident memory stays about one copy of the weights. Results are
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
    for (const auto* v : {&L.attn_norm, &L.ffn_norm, &L.bq, &L.bk, &L.bv}) total += vec_bytes(*v);
  }
  weight_bytes_ = total;
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
  hp.arch = arch;
  auto key = [&](const char* k) { return arch + "." + k; };
  auto positive = [&](const std::string& k, int64_t v, int64_t max) {
    if (v <= 0 || v > max)
      Fail(f.path(), ": metadata '", k, "' = ", v, " is out of range (1..", max, ")");
    return v;
  };
  hp.n_embd = positive(key("embedding_length"), f.RequireInt(key("embedding_length")), kMaxDim);
  hp.n_layer = positive(key("block_count"), f.RequireInt(key("block_count")), kMaxLayers);
  hp.n_ff =
      positive(key("feed_forward_length"), f.RequireInt(key("feed_forward_length")), kMaxDim * 8);
  hp.n_head =
      positive(key("attention.head_count"), f.RequireInt(key("attention.head_count")), 4096);
  hp.n_head_kv = positive(key("attention.head_count_kv"),
                          f.GetInt(key("attention.head_count_kv")).value_or(hp.n_head), 4096);
  if (hp.n_head % hp.n_head_kv != 0) {
    Fail(f.path(), ": attention.head_count ", hp.n_head, " is not a multiple of head_count_kv ",
         hp.n_head_kv);
  }
  const int64_t default_hd = hp.n_embd / hp.n_head;
  hp.head_dim = positive(key("attention.key_length"),
                         f.GetInt(key("attention.key_length")).value_or(default_hd), 4096);
  const int64_t vlen = f.GetInt(key("attention.value_length")).value_or(hp.head_dim);
  if (vlen != hp.head_dim) {
    Fail(f.path(), ": attention.value_length ", vlen, " differs from key_length ", hp.head_dim,
         " (not supported)");
  }
  hp.n_rot = f.GetInt(key("rope.dimension_count")).value_or(hp.head_dim);
  if (hp.n_rot <= 0 || hp.n_rot > hp.head_dim || hp.n_rot % 2 != 0) {
    Fail(f.path(), ": rope.dimension_count ", hp.n_rot, " must be even and within head_dim ",
         hp.head_dim);
  }
  hp.n_ctx_train = f.GetInt(key("context_length")).value_or(4096);
  if (hp.n_ctx_train <= 0) hp.n_ctx_train = 4096;
  hp.rope_base =
      static_cast<float>(f.GetFloat(key("rope.freq_base")).value_or(family.default_rope_base));
  hp.rms_eps = static_cast<float>(
      f.GetFloat(key("attention.layer_norm_rms_epsilon")).value_or(family.default_rms_eps));
  if (!(hp.rope_base > 0.0f) || !(hp.rms_eps >= 0.0f)) {
    Fail(f.path(), ": rope.freq_base must be positive and the rms epsilon non-negative");
  }
  const std::string scaling(f.GetString(key("rope.scaling.type")).value_or("none"));
  if (scaling == "linear") {
    const double factor = f.GetFloat(key("rope.scaling.factor")).value_or(1.0);
    if (!(factor > 0.0)) Fail(f.path(), ": rope.scaling.factor must be positive");
    hp.rope_freq_scale = static_cast<float>(1.0 / factor);
  } else if (scaling != "none" && !scaling.empty()) {
    Fail(f.path(), ": rope.scaling.type '", scaling, "' is not supported (none, linear)");
  }
  return hp;
}

void Model::LoadHParams() {
  hp_ = ReadHParams(*file_);
  family_ = *FindFamily(hp_.arch);
}

kernels::MatrixView Model::Matrix(const std::string& name, int64_t cols, int64_t rows) const {
  const GgufTensorInfo* t = file_->FindTensor(name);
  if (t == nullptr) Fail(file_->path(), ": required tensor '", name, "' is missing");
  if (t->ne.size() != 2 || t->ne[0] != cols || t->ne[1] != rows) {
    Fail(file_->path(), ": tensor '", name, "' has shape ", t->ShapeString(), ", expected ",
         Shape2(cols, rows));
  }
  if (!kernels::Traits(t->type).computable) {
    Fail(file_->path(), ": tensor '", name, "' has type ", kernels::TypeName(t->type),
         " which this engine cannot compute yet (supported: f32, f16, bf16, q8_0, q4_0, q4_K)");
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
  output_norm_ = Vector("output_norm.weight", hp.n_embd, true);
  rope_freqs_ = Vector("rope_freqs.weight", hp.n_rot / 2, false);

  layers_.resize(static_cast<size_t>(hp.n_layer));
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    LayerWeights& L = layers_[static_cast<size_t>(il)];
    const std::string p = StrCat("blk.", il, ".");
    L.attn_norm = Vector(p + "attn_norm.weight", hp.n_embd, true);
    L.wq = Matrix(p + "attn_q.weight", hp.n_embd, hp.n_q());
    L.wk = Matrix(p + "attn_k.weight", hp.n_embd, hp.n_kv());
    L.wv = Matrix(p + "attn_v.weight", hp.n_embd, hp.n_kv());
    L.wo = Matrix(p + "attn_output.weight", hp.n_q(), hp.n_embd);
    if (family_.qkv_bias) {
      L.bq = Vector(p + "attn_q.bias", hp.n_q(), true);
      L.bk = Vector(p + "attn_k.bias", hp.n_kv(), true);
      L.bv = Vector(p + "attn_v.bias", hp.n_kv(), true);
    }
    L.ffn_norm = Vector(p + "ffn_norm.weight", hp.n_embd, true);
    L.w_gate = Matrix(p + "ffn_gate.weight", hp.n_embd, hp.n_ff);
    L.w_up = Matrix(p + "ffn_up.weight", hp.n_embd, hp.n_ff);
    L.w_down = Matrix(p + "ffn_down.weight", hp.n_ff, hp.n_embd);
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
