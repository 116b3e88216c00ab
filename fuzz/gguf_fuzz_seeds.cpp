// Writes a small seed corpus for gguf_fuzz: valid GGUF files from our writer with metadata of
// every type (string and nested arrays included), several tensor types and two alignments.
// Usage: gguf_fuzz_seeds DIR
#include <cstdio>
#include <string>

#include "common/error.h"
#include "engine/gguf_writer.h"

namespace {

using gapbench::engine::GgufType;
using gapbench::engine::GgufWriter;
using gapbench::engine::GgufWriteValue;
using gapbench::kernels::GgmlType;

std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 37 + 11);
  return b;
}

GgufWriter Base() {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetU32("llama.block_count", 1);
  w.SetF32("llama.rope.freq_base", 10000.0f);
  w.Set("i64", GgufWriteValue::I64(-5));
  w.Set("f64", GgufWriteValue::F64(0.5));
  w.SetBool("b", true);
  w.Set("tokenizer.ggml.tokens", GgufWriteValue::StringArray({"a", "Ġb", ""}));
  w.Set("n",
        GgufWriteValue::Array(GgufType::kArray,
                              {GgufWriteValue::Array(GgufType::kI8, {GgufWriteValue::I8(-1)})}));
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gguf_fuzz_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  try {
    GgufWriter empty = Base();
    empty.WriteFile(dir + "/metadata_only.gguf");

    GgufWriter mixed = Base();
    mixed.AddTensor({"token_embd.weight", {32, 2}, GgmlType::kQ8_0}, Pattern(68));
    mixed.AddTensor({"blk.0.attn_norm.weight", {3}, GgmlType::kF32}, Pattern(12));
    mixed.AddTensor({"blk.0.attn_q.weight", {32, 1, 2}, GgmlType::kQ4_0}, Pattern(36));
    mixed.AddTensor({"blk.0.ffn_up.weight", {2, 2}, GgmlType::kF16}, Pattern(8));
    mixed.WriteFile(dir + "/tensors_align32.gguf");

    GgufWriter aligned = Base();
    aligned.SetAlignment(64);
    aligned.AddTensor({"a", {5}, GgmlType::kBF16}, Pattern(10));
    aligned.AddTensor({"b", {256}, GgmlType::kQ4_K}, Pattern(144));
    aligned.WriteFile(dir + "/tensors_align64.gguf");
  } catch (const gapbench::Error& e) {
    std::fprintf(stderr, "gguf_fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
