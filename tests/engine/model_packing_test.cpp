// Model::Load packs q8_0/q4_0/q4_K/q5_K/q5_0/q6_K/q5_1/q4_1 weights (layers and the LM head) into
// the kernels' panel layout where the CPU has a panel kernel: the packed bytes are the file's bytes
// (4-bit weights stay 4-bit, 6-bit stay 6-bit; no widened or dequantised copy; q4_K and q5_K add 4
// bytes per row and 256-block for their unpacked scales), and a tied embedding read back from the
// panels gives the file's rows.
#include <gtest/gtest.h>

#include <vector>

#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/random_model.h"
#include "engine/weight_mix.h"
#include "kernels/matmul_simd.h"
#include "kernels/quant.h"
#include "tests/test_util.h"

namespace gapbench::engine {
namespace {

using kernels::GgmlType;

class ModelPacking : public ::testing::TestWithParam<GgmlType> {};

TEST_P(ModelPacking, PanelsHoldTheFileBytesAndEmbedReadsThem) {
  const GgmlType type = GetParam();
  // Whether the CPU's best target has the panel kernels (asked of q8_0, so a type the packer
  // forgets fails below rather than skipping).
  const std::vector<uint8_t> probe(16 * 34, 0);
  if (kernels::SimdPackPanels(GgmlType::kQ8_0, probe.data(), 16, 34, 32).empty()) {
    GTEST_SKIP() << "this CPU's best SIMD target has no panel kernel";
  }
  testing::TempDir dir;
  const auto path = (dir / "m.gguf").string();
  RandomModelOptions o;
  o.preset = *FindPreset("tiny");
  if (type == GgmlType::kQ4_K || type == GgmlType::kQ5_K ||
      type == GgmlType::kQ6_K) {  // rows of whole 256-value blocks
    o.preset.n_embd = 256;
    o.preset.n_ff = 512;
  }
  o.wtype = type;
  // q6_K files come from llama.cpp's q6_k mix (every 2-D weight q6_K when the rows allow it).
  if (type == GgmlType::kQ6_K) o.mix = FindWeightMix("q6_k");
  o.seed = 5;
  WriteRandomModel(o, path);
  const auto model = Model::Load(path);
  ASSERT_TRUE(model->tied_output());

  auto bytes = [](const kernels::MatrixView& m) {
    const int64_t panel =
        m.cols / kernels::Traits(m.type).block_size * kernels::PanelBytesPerBlock(m.type);
    if (m.type != GgmlType::kQ4_K && m.type != GgmlType::kQ5_K) {  // exactly the file's bytes
      EXPECT_EQ(panel, 16 * kernels::RowBytes(kernels::Traits(m.type), m.cols));
    }
    return (m.rows + 15) / 16 * panel;
  };
  int64_t expect = bytes(model->output());
  EXPECT_EQ(model->output().type, type);
  EXPECT_NE(model->output().packed, nullptr);
  for (int64_t il = 0; il < model->hparams().n_layer; ++il) {
    const LayerWeights& L = model->layer(il);
    for (const auto* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      EXPECT_EQ(m->type, type);
      EXPECT_NE(m->packed, nullptr);
      expect += bytes(*m);
    }
  }
  EXPECT_EQ(model->packed_bytes(), expect);

  // Every embedding row, read through the panels, equals the file's row.
  const auto file = GgufFile::Open(path);
  const GgufTensorInfo* emb = file->FindTensor("token_embd.weight");
  const int64_t d = model->hparams().n_embd;
  const int64_t row_bytes = kernels::RowBytes(kernels::Traits(type), d);
  std::vector<float> got(static_cast<size_t>(d)), want(got.size());
  for (int32_t t = 0; t < model->hparams().n_vocab; ++t) {
    model->Embed(t, got.data());
    kernels::DequantizeRow(type, emb->data + t * row_bytes, want.data(), d);
    ASSERT_EQ(got, want) << "token " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Int8, ModelPacking,
                         ::testing::Values(GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K,
                                           GgmlType::kQ5_K, GgmlType::kQ5_0, GgmlType::kQ6_K,
                                           GgmlType::kQ5_1, GgmlType::kQ4_1),
                         [](const auto& info) {
                           return std::string(kernels::TypeName(info.param));
                         });

}  // namespace
}  // namespace gapbench::engine
