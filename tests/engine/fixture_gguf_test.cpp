// The committed engine fixtures (tools/make_engine_fixtures.py) against our GGUF reader: every
// fixture GGUF must hold exactly the tensors, shapes (ggml order, ne[0] = input features) and
// types that its JSON's HF config implies under the conventions of ENGINE_NOTES §1/§3, the
// metadata must repeat the config, rope_freqs must equal the Llama-3 formula, and the
// quantised files (written by gguf-py) must equal our kernels' quantisation of the f32 file.
// Not here: running the model (the forward-pass tests compare logits).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <numbers>
#include <set>

#include "engine/gguf.h"
#include "kernels/quant.h"
#include "kernels/types.h"
#include "tests/engine/fixture_util.h"

namespace gapbench::engine {
namespace {

using kernels::GgmlType;
using testing::ListLogitsFixtures;
using testing::LoadLogitsFixture;
using testing::LogitsFixture;

struct Expected {
  std::vector<int64_t> ne;
  GgmlType type;
};

int64_t CfgInt(const rapidjson::Value& cfg, const char* key) {
  EXPECT_TRUE(cfg.HasMember(key) && cfg[key].IsInt64()) << key;
  return cfg.HasMember(key) && cfg[key].IsInt64() ? cfg[key].GetInt64() : -1;
}
double CfgDouble(const rapidjson::Value& cfg, const char* key) {
  EXPECT_TRUE(cfg.HasMember(key) && cfg[key].IsNumber()) << key;
  return cfg.HasMember(key) && cfg[key].IsNumber() ? cfg[key].GetDouble() : NAN;
}

// head_dim, else hidden_size / num_attention_heads (Phi-3's config has no head_dim).
int64_t HeadDim(const rapidjson::Value& cfg) {
  if (cfg.HasMember("head_dim") && cfg["head_dim"].IsInt64()) return cfg["head_dim"].GetInt64();
  return CfgInt(cfg, "hidden_size") / CfgInt(cfg, "num_attention_heads");
}

// The rope parameters of the global layers (Gemma 3 keeps one entry per layer type).
const rapidjson::Value& GlobalRope(const rapidjson::Value& cfg) {
  const auto& rope = cfg["rope_parameters"];
  return rope.HasMember("full_attention") ? rope["full_attention"] : rope;
}

bool IsGemma(const std::string& arch) { return arch == "gemma2" || arch == "gemma3"; }

// Every tensor the converter must write for this config, per ENGINE_NOTES §1 names and ggml
// dimension order: an HF [out, in] weight is {in, out}.
std::map<std::string, Expected> ExpectedTensors(const LogitsFixture& f) {
  const auto& cfg = f.config;
  const int64_t n_embd = CfgInt(cfg, "hidden_size");
  const int64_t n_head = CfgInt(cfg, "num_attention_heads");
  const int64_t n_kv = CfgInt(cfg, "num_key_value_heads");
  const int64_t head_dim = HeadDim(cfg);
  const int64_t n_ff = CfgInt(cfg, "intermediate_size");
  const int64_t n_vocab = CfgInt(cfg, "vocab_size");
  const auto w = kernels::ParseTypeName(f.wtype);
  EXPECT_TRUE(w.has_value()) << f.wtype;
  const GgmlType wt = w.value_or(GgmlType::kF32);
  const GgmlType f32 = GgmlType::kF32;  // 1-D tensors stay f32 in every file type

  std::map<std::string, Expected> out;
  out["token_embd.weight"] = {{n_embd, n_vocab}, wt};
  out["output_norm.weight"] = {{n_embd}, f32};
  if (!f.tied) out["output.weight"] = {{n_embd, n_vocab}, wt};
  const auto& rope = GlobalRope(cfg);
  if (std::string(rope["rope_type"].GetString()) == "llama3") {
    out["rope_freqs.weight"] = {{head_dim / 2}, f32};
  }
  for (int64_t layer_idx = 0; layer_idx < CfgInt(cfg, "num_hidden_layers"); ++layer_idx) {
    const std::string p = "blk." + std::to_string(layer_idx) + ".";
    out[p + "attn_norm.weight"] = {{n_embd}, f32};
    if (f.arch == "phi3") {  // fused: q, k, v rows; gate, up rows
      out[p + "attn_qkv.weight"] = {{n_embd, (n_head + 2 * n_kv) * head_dim}, wt};
      out[p + "ffn_up.weight"] = {{n_embd, 2 * n_ff}, wt};
    } else {
      out[p + "attn_q.weight"] = {{n_embd, n_head * head_dim}, wt};
      out[p + "attn_k.weight"] = {{n_embd, n_kv * head_dim}, wt};
      out[p + "attn_v.weight"] = {{n_embd, n_kv * head_dim}, wt};
      out[p + "ffn_gate.weight"] = {{n_embd, n_ff}, wt};
      out[p + "ffn_up.weight"] = {{n_embd, n_ff}, wt};
    }
    out[p + "attn_output.weight"] = {{n_head * head_dim, n_embd}, wt};
    out[p + "ffn_norm.weight"] = {{n_embd}, f32};
    out[p + "ffn_down.weight"] = {{n_ff, n_embd}, wt};
    if (f.arch == "qwen3" || f.arch == "gemma3") {
      out[p + "attn_q_norm.weight"] = {{head_dim}, f32};
      out[p + "attn_k_norm.weight"] = {{head_dim}, f32};
    }
    if (IsGemma(f.arch)) {
      out[p + "post_attention_norm.weight"] = {{n_embd}, f32};
      out[p + "post_ffw_norm.weight"] = {{n_embd}, f32};
    }
    if (f.arch == "qwen2") {  // q/k/v biases, no o bias
      out[p + "attn_q.bias"] = {{n_head * head_dim}, f32};
      out[p + "attn_k.bias"] = {{n_kv * head_dim}, f32};
      out[p + "attn_v.bias"] = {{n_kv * head_dim}, f32};
    }
  }
  return out;
}

class FixtureGguf : public ::testing::TestWithParam<std::string> {};

TEST(FixtureList, HasEveryVariantAndType) {
  const auto names = ListLogitsFixtures();
  const std::set<std::string> have(names.begin(), names.end());
  for (const char* variant :
       {"llama-tied", "llama-untied", "llama-rope3", "qwen2-tied", "qwen2-untied"}) {
    for (const char* wtype : {"f32", "f16", "bf16", "q8_0", "q4_0"}) {
      EXPECT_TRUE(have.count(std::string(variant) + "-" + wtype)) << variant << "-" << wtype;
    }
  }
  for (const char* variant : {"qwen3-tied", "gemma2", "gemma3", "phi3"}) {
    for (const char* wtype : {"f32", "f16", "bf16", "q8_0"}) {
      EXPECT_TRUE(have.count(std::string(variant) + "-" + wtype)) << variant << "-" << wtype;
    }
  }
  EXPECT_TRUE(have.count("llama-mha-f32"));
}

TEST_P(FixtureGguf, MetadataMatchesConfig) {
  const LogitsFixture f = LoadLogitsFixture(GetParam());
  const auto g = GgufFile::Open(f.gguf_path);
  const auto& cfg = f.config;
  const std::string a = f.arch + ".";
  EXPECT_EQ(g->RequireString("general.architecture"), f.arch);
  EXPECT_EQ(g->RequireInt(a + "block_count"), CfgInt(cfg, "num_hidden_layers"));
  EXPECT_EQ(g->RequireInt(a + "embedding_length"), CfgInt(cfg, "hidden_size"));
  EXPECT_EQ(g->RequireInt(a + "feed_forward_length"), CfgInt(cfg, "intermediate_size"));
  EXPECT_EQ(g->RequireInt(a + "context_length"), CfgInt(cfg, "max_position_embeddings"));
  EXPECT_EQ(g->RequireInt(a + "attention.head_count"), CfgInt(cfg, "num_attention_heads"));
  EXPECT_EQ(g->RequireInt(a + "attention.head_count_kv"), CfgInt(cfg, "num_key_value_heads"));
  EXPECT_EQ(g->RequireInt(a + "attention.key_length"), HeadDim(cfg));
  EXPECT_EQ(g->RequireInt(a + "attention.value_length"), HeadDim(cfg));
  EXPECT_EQ(g->RequireInt(a + "rope.dimension_count"), HeadDim(cfg));
  // Stored as f32 in the file: compare at f32 precision.
  EXPECT_FLOAT_EQ(*g->GetFloat(a + "attention.layer_norm_rms_epsilon"),
                  CfgDouble(cfg, "rms_norm_eps"));
  EXPECT_FLOAT_EQ(*g->GetFloat(a + "rope.freq_base"), CfgDouble(GlobalRope(cfg), "rope_theta"));
  // Gemma: soft-caps, window, local rope base and a query scale other than 1/sqrt(head_dim).
  for (const char* k : {"attn_logit_softcapping", "final_logit_softcapping"}) {
    if (cfg.HasMember(k) && cfg[k].IsNumber()) {
      EXPECT_FLOAT_EQ(*g->GetFloat(a + k), CfgDouble(cfg, k)) << k;
    } else {
      EXPECT_FALSE(g->GetFloat(a + k).has_value()) << k;
    }
  }
  if (IsGemma(f.arch)) {
    EXPECT_EQ(g->RequireInt(a + "attention.sliding_window"), CfgInt(cfg, "sliding_window"));
    const double scalar = CfgDouble(cfg, "query_pre_attn_scalar");
    if (scalar != static_cast<double>(HeadDim(cfg))) {
      EXPECT_FLOAT_EQ(*g->GetFloat(a + "attention.scale"), 1.0 / std::sqrt(scalar));
    } else {
      EXPECT_FALSE(g->GetFloat(a + "attention.scale").has_value());
    }
  }
  if (f.arch == "gemma3") {
    EXPECT_FLOAT_EQ(*g->GetFloat(a + "rope.freq_base_swa"),
                    CfgDouble(cfg["rope_parameters"]["sliding_attention"], "rope_theta"));
    EXPECT_EQ(g->RequireString(a + "rope.scaling.type"), "linear");
    EXPECT_FLOAT_EQ(*g->GetFloat(a + "rope.scaling.factor"), CfgDouble(GlobalRope(cfg), "factor"));
  }

  // Tokenizer: a byte-level BPE vocabulary the size of the embedding.
  EXPECT_EQ(g->RequireString("tokenizer.ggml.model"), "gpt2");
  const GgufValue* tokens = g->GetArray("tokenizer.ggml.tokens", GgufType::kString);
  const GgufValue* types = g->GetArray("tokenizer.ggml.token_type", GgufType::kI32);
  const GgufValue* merges = g->GetArray("tokenizer.ggml.merges", GgufType::kString);
  ASSERT_NE(tokens, nullptr);
  ASSERT_NE(types, nullptr);
  ASSERT_NE(merges, nullptr);
  EXPECT_EQ(static_cast<int64_t>(tokens->elems.size()), CfgInt(cfg, "vocab_size"));
  EXPECT_EQ(types->elems.size(), tokens->elems.size());
  EXPECT_GT(merges->elems.size(), 0u);
  const int64_t bos = g->RequireInt("tokenizer.ggml.bos_token_id");
  EXPECT_EQ(bos, CfgInt(cfg, "bos_token_id"));
  EXPECT_EQ(g->RequireInt("tokenizer.ggml.eos_token_id"), CfgInt(cfg, "eos_token_id"));
  ASSERT_LT(bos, static_cast<int64_t>(types->elems.size()));
  EXPECT_EQ(types->elems[bos].AsInt(), 3) << "BOS must be a control token";
  EXPECT_EQ(tokens->elems[bos].str, "<|begin_of_text|>");

  // The JSON itself: logits over the whole vocabulary, not degenerate, first sequence has BOS.
  EXPECT_EQ(f.n_vocab, CfgInt(cfg, "vocab_size"));
  ASSERT_EQ(f.sequences.size(), 3u);
  EXPECT_EQ(f.sequences[0].tokens[0], bos);
  for (const auto& seq : f.sequences) {
    float max_abs = 0, max_diff = 0;
    for (size_t i = 0; i < seq.logits.size(); ++i) {
      max_abs = std::max(max_abs, std::fabs(seq.logits[i]));
      max_diff = std::max(max_diff, std::fabs(seq.logits[i] - seq.logits_original[i]));
    }
    EXPECT_GT(max_abs, 1.0f);
    // Weight rounding moves logits by roughly its relative error; measured maxima are about
    // f16 0.007, bf16 0.06, q8_0 0.3, q4_0 3 (random Gaussian weights are hard on 4 bits).
    const std::map<std::string, float> kMaxDrift = {
        {"f32", 0.0f}, {"f16", 0.02f}, {"bf16", 0.2f}, {"q8_0", 0.75f}, {"q4_0", 6.0f}};
    EXPECT_LE(max_diff, kMaxDrift.at(f.wtype)) << f.wtype;
  }
}

TEST_P(FixtureGguf, TensorsMatchConfig) {
  const LogitsFixture f = LoadLogitsFixture(GetParam());
  const auto g = GgufFile::Open(f.gguf_path);
  const auto expected = ExpectedTensors(f);
  std::set<std::string> seen;
  for (const auto& t : g->tensors()) {
    seen.insert(t.name);
    const auto it = expected.find(t.name);
    if (it == expected.end()) {
      ADD_FAILURE() << "unexpected tensor " << t.name;
      continue;
    }
    EXPECT_EQ(t.ne, it->second.ne) << t.name << " " << t.ShapeString();
    EXPECT_EQ(t.type, it->second.type) << t.name;
  }
  for (const auto& [name, e] : expected) EXPECT_TRUE(seen.count(name)) << "missing " << name;
}

// Llama-3 scaling (HF _compute_llama3_parameters, ENGINE_NOTES §3), recomputed from the config.
TEST_P(FixtureGguf, RopeFreqsFollowLlama3Formula) {
  const LogitsFixture f = LoadLogitsFixture(GetParam());
  const auto& rope = GlobalRope(f.config);
  const auto g = GgufFile::Open(f.gguf_path);
  const GgufTensorInfo* t = g->FindTensor("rope_freqs.weight");
  if (std::string(rope["rope_type"].GetString()) != "llama3") {
    EXPECT_EQ(t, nullptr) << "rope_freqs without llama3 scaling";
    return;
  }
  ASSERT_NE(t, nullptr);
  const int64_t head_dim = HeadDim(f.config);
  const double theta = CfgDouble(rope, "rope_theta"), factor = CfgDouble(rope, "factor");
  const double low = CfgDouble(rope, "low_freq_factor"), high = CfgDouble(rope, "high_freq_factor");
  const double orig = CfgDouble(rope, "original_max_position_embeddings");
  int n_scaled = 0;
  for (int64_t i = 0; i < head_dim / 2; ++i) {
    const double inv_freq = std::pow(theta, -2.0 * static_cast<double>(i) / head_dim);
    const double wavelen = 2 * std::numbers::pi / inv_freq;
    double expect = 1.0;
    if (wavelen > orig / low) {
      expect = factor;
    } else if (wavelen >= orig / high) {
      const double s = (orig / wavelen - low) / (high - low);
      expect = 1.0 / ((1 - s) / factor + s);
    }
    float got;
    std::memcpy(&got, t->data + 4 * i, 4);
    EXPECT_NEAR(got, expect, 1e-5 * expect) << "rope_freqs[" << i << "]";
    n_scaled += expect != 1.0;
  }
  EXPECT_GE(n_scaled, 2) << "the fixture's scaling must really change frequencies";
}

// gguf-py quantised the non-f32 files; our kernels must produce the same bytes from the f32
// file of the same variant (1-D tensors are f32 everywhere and must be identical).
TEST_P(FixtureGguf, QuantisedTensorsEqualOurQuantisationOfF32File) {
  const LogitsFixture f = LoadLogitsFixture(GetParam());
  if (f.wtype == "f32") GTEST_SKIP() << "reference file itself";
  const std::string f32_name = f.name.substr(0, f.name.rfind('-')) + "-f32";
  const auto g = GgufFile::Open(f.gguf_path);
  const auto ref = GgufFile::Open(LoadLogitsFixture(f32_name).gguf_path);
  for (const auto& t : g->tensors()) {
    const GgufTensorInfo* r = ref->FindTensor(t.name);
    ASSERT_NE(r, nullptr) << t.name;
    ASSERT_EQ(r->type, GgmlType::kF32);
    ASSERT_EQ(r->ne, t.ne);
    const int64_t n = t.ne[0];
    const int64_t row_bytes = kernels::RowBytes(kernels::Traits(t.type), n);
    std::vector<float> x(n);
    std::vector<uint8_t> q(row_bytes);
    int64_t bad_rows = 0;
    for (int64_t row = 0; row < t.rows(); ++row) {
      std::memcpy(x.data(), r->data + row * n * 4, n * 4);
      kernels::QuantizeRow(t.type, x.data(), q.data(), n);
      bad_rows += std::memcmp(q.data(), t.data + row * row_bytes, row_bytes) != 0;
    }
    EXPECT_EQ(bad_rows, 0) << t.name << " (" << kernels::TypeName(t.type) << ")";
  }
}

// GPT-2 byte-level alphabet (bytes_to_unicode): printable bytes map to themselves, the other 68
// bytes to U+0100.. in byte order. Returns the byte for code point cp, or -1.
int ByteOfCodePoint(uint32_t cp) {
  auto printable = [](uint32_t b) {
    return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  };
  if (cp < 256 && printable(cp)) return static_cast<int>(cp);
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    if (printable(b)) continue;
    if (next++ == cp) return static_cast<int>(b);
  }
  return -1;
}

// Decodes a byte-level token (UTF-8 of alphabet code points) to raw bytes.
std::string TokenBytes(std::string_view tok) {
  std::string out;
  for (size_t i = 0; i < tok.size();) {
    const auto c = static_cast<uint8_t>(tok[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xC0 && c < 0xE0 && i + 1 < tok.size()) {
      cp = (c & 0x1Fu) << 6 | (static_cast<uint8_t>(tok[i + 1]) & 0x3Fu);
      len = 2;
    }
    const int b = ByteOfCodePoint(cp);
    EXPECT_GE(b, 0) << "not a byte-level token: " << tok;
    out.push_back(static_cast<char>(b));
    i += len;
  }
  return out;
}

// The GGUF vocabulary is the HF tokenizer's: the token strings of HF's ids spell the text.
TEST(FixtureTokenizer, GgufTokensSpellTheHfIds) {
  const auto tf = testing::LoadTokenizerFixture();
  const auto g = GgufFile::Open(tf.gguf_path);
  const GgufValue* tokens = g->GetArray("tokenizer.ggml.tokens", GgufType::kString);
  ASSERT_NE(tokens, nullptr);
  EXPECT_EQ(g->RequireInt("tokenizer.ggml.bos_token_id"), tf.bos_id);
  EXPECT_EQ(g->RequireInt("tokenizer.ggml.eos_token_id"), tf.eos_id);
  ASSERT_GE(tf.cases.size(), 10u);
  for (const auto& c : tf.cases) {
    std::string spelled;
    for (int32_t id : c.ids) {
      ASSERT_GE(id, 0);
      ASSERT_LT(id, static_cast<int32_t>(tokens->elems.size()));
      spelled += TokenBytes(tokens->elems[id].str);
    }
    EXPECT_EQ(spelled, c.text);
    EXPECT_EQ(c.decoded, c.text);
  }
}

std::string ParamName(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s) {
    if (c == '-') c = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(All, FixtureGguf, ::testing::ValuesIn(ListLogitsFixtures()), ParamName);

}  // namespace
}  // namespace gapbench::engine
