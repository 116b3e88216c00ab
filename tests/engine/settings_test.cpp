// Engine settings (EngineConfig) on the fixture models: identity settings are bit-identical to
// the default; every transformation matches a straightforward reference -- a naive forward pass
// with the corresponding mask or K/V source layer (reference_forward.h, itself anchored to the
// transformers logits), a GGUF whose K/V heads were pooled offline, and files quantised offline
// by gguf-py; the KV memory allocated equals the accounting.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <optional>

#include "common/error.h"
#include "engine/engine_config.h"
#include "engine/gguf_writer.h"
#include "engine/kv_cache.h"
#include "engine/model.h"
#include "engine/random_model.h"
#include "engine/session.h"
#include "tests/engine/fixture_util.h"
#include "tests/engine/reference_forward.h"
#include "tests/test_util.h"

namespace gapbench::engine {
namespace {

using testing::ReferenceAttention;

std::string FixturePath(const std::string& name) {
  return (testing::EngineFixtureDir() / (name + ".gguf")).string();
}

std::vector<int32_t> Tokens(int64_t n, int32_t n_vocab) {
  std::vector<int32_t> t;
  for (int64_t i = 0; i < n; ++i) t.push_back(static_cast<int32_t>((i * 37 + 11) % n_vocab));
  return t;
}

// All-position logits from the engine, evaluated in chunks of `batch` (1 = token by token), with
// an f32 KV cache unless `kv` says otherwise (nullopt: the model's configured cache).
std::vector<float> EngineLogits(const Model& m, const std::vector<int32_t>& toks, int64_t batch,
                                int64_t n_ctx = 64,
                                std::optional<kernels::GgmlType> kv = kernels::GgmlType::kF32) {
  Session s(m, SessionOptions{n_ctx, batch, kv});
  std::vector<float> out;
  for (size_t i = 0; i < toks.size(); i += static_cast<size_t>(batch)) {
    const size_t n = std::min(static_cast<size_t>(batch), toks.size() - i);
    s.Eval(std::span(toks).subspan(i, n), LogitsMode::kAll);
    for (int64_t r = 0; r < s.n_logit_rows(); ++r) {
      auto row = s.Logits(r);
      out.insert(out.end(), row.begin(), row.end());
    }
  }
  return out;
}

double RelErr(const std::vector<float>& a, const std::vector<std::vector<double>>& ref) {
  double scale = 0, err = 0;
  size_t i = 0;
  for (const auto& row : ref) {
    for (double v : row) {
      scale = std::max(scale, std::fabs(v));
      err = std::max(err, std::fabs(a[i++] - v));
    }
  }
  EXPECT_EQ(i, a.size());
  return err / scale;
}

ReferenceAttention Plain(const Model& m) {
  ReferenceAttention a;
  for (int64_t il = 0; il < m.hparams().n_layer; ++il) {
    a.window.push_back(0);
    a.kv_source.push_back(il);
  }
  return a;
}

// The naive reference itself reproduces transformers (so it can stand in for it below).
TEST(Settings, ReferenceForwardMatchesTransformers) {
  for (const char* name : {"llama-rope3-f32", "qwen2-untied-f32"}) {
    const auto f = testing::LoadLogitsFixture(name);
    auto m = Model::Load(f.gguf_path);
    const auto& seq = f.sequences.back();
    const auto ref = testing::ReferenceForward(*m, seq.tokens, Plain(*m));
    EXPECT_LE(RelErr(seq.logits, ref), 1e-5) << name;
  }
}

TEST(Settings, IdentitySettingsAreBitIdentical) {
  for (const char* name : {"llama-untied-f32", "qwen2-tied-q8_0"}) {
    const std::string path = FixturePath(name);
    auto base = Model::Load(path);
    const auto toks = Tokens(20, static_cast<int32_t>(base->hparams().n_vocab));
    const auto want = EngineLogits(*base, toks, 7);
    for (const char* json :
         {R"({"kv_heads": 2})", R"({"sliding_window": {"window": 20, "layers": "all"}})",
          R"({"sliding_window": {"window": 5000, "layers": "alternate"}})",
          R"({"kv_sharing": {"mode": "none"}})", R"({"weights": "native"})"}) {
      auto m = Model::Load(path, EngineConfig::FromJson(json, "test"));
      const auto got = EngineLogits(*m, toks, 7);
      ASSERT_EQ(got.size(), want.size());
      EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0)
          << name << " " << json;
    }
  }
}

TEST(Settings, SlidingWindowMatchesMaskedReference) {
  for (const char* name : {"llama-untied-f32", "qwen2-untied-f32"}) {
    for (const char* layers : {"all", "alternate"}) {
      const auto cfg = EngineConfig::FromJson(
          StrCat(R"({"sliding_window": {"window": 3, "layers": ")", layers, R"("}})"), "test");
      auto m = Model::Load(FixturePath(name), cfg);
      const auto toks = Tokens(13, static_cast<int32_t>(m->hparams().n_vocab));
      ReferenceAttention att = Plain(*m);
      for (int64_t il = 0; il < m->hparams().n_layer; ++il) {
        att.window[static_cast<size_t>(il)] = cfg.LayerWindowed(il) ? 3 : 0;
      }
      const auto ref = testing::ReferenceForward(*m, toks, att);
      // Only f32 summation order differs from the double reference.
      for (int64_t batch : {1, 5, 13}) {
        EXPECT_LE(RelErr(EngineLogits(*m, toks, batch), ref), 1e-5)
            << name << " " << layers << " batch " << batch;
      }
      // The windowed layers really hold 3 rows: allocated bytes equal the accounting.
      Session s(*m, SessionOptions{64, 5, kernels::GgmlType::kF32});
      const int64_t row = 4 * m->hparams().n_kv();
      int64_t expect = 0;
      for (int64_t il = 0; il < m->hparams().n_layer; ++il) {
        expect += 2 * row * (cfg.LayerWindowed(il) ? 3 : 64);
      }
      EXPECT_EQ(s.cache().allocated_bytes(), expect);
    }
  }
}

TEST(Settings, KvSharingMatchesReferenceWithSourceLayer) {
  for (const char* name : {"llama-rope3-f32", "qwen2-tied-f32"}) {
    for (const char* json : {R"({"kv_sharing": {"mode": "adjacent", "group": 2}})",
                             R"({"kv_sharing": {"mode": "tail", "from_layer": 1}})",
                             R"({"kv_sharing": {"mode": "adjacent", "group": 2},
              "sliding_window": {"window": 4, "layers": "alternate"}})"}) {
      const auto cfg = EngineConfig::FromJson(json, "test");
      auto m = Model::Load(FixturePath(name), cfg);
      const auto toks = Tokens(11, static_cast<int32_t>(m->hparams().n_vocab));
      ReferenceAttention att = Plain(*m);
      for (int64_t il = 0; il < m->hparams().n_layer; ++il) {
        const int64_t src = cfg.KvSourceLayer(il);
        att.kv_source[static_cast<size_t>(il)] = src;
        // A layer that reuses another layer's K/V also uses its attention span.
        att.window[static_cast<size_t>(il)] =
            cfg.LayerWindowed(src) ? cfg.sliding_window.window : 0;
      }
      const auto ref = testing::ReferenceForward(*m, toks, att);
      for (int64_t batch : {1, 4}) {
        EXPECT_LE(RelErr(EngineLogits(*m, toks, batch), ref), 1e-5) << name << " " << json;
      }
      // Shared layers store nothing: the fixtures have 2 layers, one of which owns K/V.
      Session s(*m, SessionOptions{32, 4, kernels::GgmlType::kF32});
      EXPECT_EQ(s.cache().allocated_bytes(), KvCache::BytesFor(m->hparams(), s.config(), 32));
      EXPECT_LE(s.cache().allocated_bytes(), 2 * 4 * m->hparams().n_kv() * 32);
    }
  }
}

// kv_heads = n mean-pools K/V heads at load: the same logits as a GGUF pooled offline here.
// Heads 64 wide with 4 query heads per KV head: a chunk of 4+ tokens takes the widened-cache
// attention path (kernels/attention_rows.h), token by token the per-query path; both against
// the naive reference, with plain, windowed (each row of the rows path starting at its window's
// first key) and shared-K/V layers, and with the context filling up past the window rings.
TEST(Settings, WideHeadChunksMatchReference) {
  testing::TempDir dir;
  RandomModelOptions o;
  o.arch = "qwen2";
  o.preset = *FindPreset("tiny");
  o.preset.n_embd = 256;
  o.preset.n_head = 4;
  o.preset.n_head_kv = 1;
  o.preset.n_ff = 256;
  o.seed = 21;
  o.wtype = kernels::GgmlType::kF32;
  const std::string path = (dir / "hd64.gguf").string();
  WriteRandomModel(o, path);
  for (const char* json :
       {"{}", R"({"sliding_window": {"window": 6, "layers": "alternate"}})",
        R"({"sliding_window": {"window": 6, "layers": "all"}})",
        R"({"kv_sharing": {"mode": "tail", "from_layer": 1}})", R"({"kv_cache": "f16"})"}) {
    const auto cfg = EngineConfig::FromJson(json, "test");
    auto m = Model::Load(path, cfg);
    ASSERT_EQ(m->hparams().head_dim, 64);
    const auto toks = Tokens(41, static_cast<int32_t>(m->hparams().n_vocab));
    ReferenceAttention att = Plain(*m);
    for (int64_t il = 0; il < m->hparams().n_layer; ++il) {
      const int64_t src = cfg.KvSourceLayer(il);
      att.kv_source[static_cast<size_t>(il)] = src;
      att.window[static_cast<size_t>(il)] = cfg.LayerWindowed(src) ? cfg.sliding_window.window : 0;
    }
    const auto ref = testing::ReferenceForward(*m, toks, att);
    // Against the double reference: this random model's logits sit ~1.6e-4 (relative) from it
    // on either attention path (f32 activations throughout), 2e-3 with an f16 cache.
    const double tol = std::string(json).find("f16") != std::string::npos ? 2e-3 : 1e-3;
    std::vector<float> one_by_one;
    for (int64_t batch : {1, 4, 9, 41}) {
      const std::vector<float> got = EngineLogits(*m, toks, batch, 64, std::nullopt);
      EXPECT_LE(RelErr(got, ref), tol) << json << " batch " << batch;
      // And chunks against token by token (the per-query path, checked against transformers
      // on the fixtures): only the order of f32 sums differs.
      if (batch == 1) {
        one_by_one = got;
        continue;
      }
      ASSERT_EQ(got.size(), one_by_one.size());
      double scale = 0, err = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        scale = std::max(scale, std::fabs(static_cast<double>(one_by_one[i])));
        err = std::max(err, std::fabs(static_cast<double>(got[i] - one_by_one[i])));
      }
      EXPECT_LE(err / scale, 1e-5) << json << " batch " << batch << " vs token by token";
    }
  }
}

TEST(Settings, GqaPoolingEqualsOfflinePooledFile) {
  for (const char* name : {"llama-mha-f32", "qwen2-untied-f32"}) {
    const std::string path = FixturePath(name);
    const auto src = GgufFile::Open(path);
    const std::string arch(src->RequireString("general.architecture"));
    const int64_t n_kv = src->RequireInt(arch + ".attention.head_count_kv");
    const int64_t n_embd = src->RequireInt(arch + ".embedding_length");
    const int64_t head_dim = n_embd / src->RequireInt(arch + ".attention.head_count");
    GgufWriter w;
    for (const auto& kv : src->metadata())
      w.Set(std::string(kv.key), GgufWriteValue::FromValue(kv.value));
    w.SetU32(arch + ".attention.head_count_kv", 1);
    for (const auto& t : src->tensors()) {
      ASSERT_EQ(t.type, kernels::GgmlType::kF32);
      const auto* data = reinterpret_cast<const float*>(t.data);
      const bool pool = t.name.find("attn_k.") != std::string::npos ||
                        t.name.find("attn_v.") != std::string::npos;
      std::vector<float> values(data, data + t.n_elements);
      std::vector<int64_t> ne = t.ne;
      if (pool) {
        // rows = heads * head_dim (biases: cols = 1); average the heads row by row.
        const int64_t cols = t.ne.size() == 2 ? t.ne[0] : 1;
        std::vector<float> pooled(static_cast<size_t>(head_dim * cols), 0.0f);
        for (int64_t h = 0; h < n_kv; ++h) {
          for (int64_t i = 0; i < head_dim * cols; ++i)
            pooled[static_cast<size_t>(i)] += values[static_cast<size_t>(h * head_dim * cols + i)];
        }
        for (auto& v : pooled) v /= static_cast<float>(n_kv);
        values = pooled;
        ne.back() = t.ne.size() == 2 ? head_dim : head_dim;
      }
      std::vector<uint8_t> bytes(values.size() * 4);
      std::memcpy(bytes.data(), values.data(), bytes.size());
      w.AddTensor(GgufTensorSpec{t.name, ne, t.type}, std::move(bytes));
    }
    testing::TempDir dir;
    const std::string pooled_path = (dir / "pooled.gguf").string();
    w.WriteFile(pooled_path);
    auto offline = Model::Load(pooled_path);
    auto online = Model::Load(path, EngineConfig::FromJson(R"({"kv_heads": 1})", "test"));
    EXPECT_EQ(online->hparams().n_head_kv, 1);
    const auto toks = Tokens(9, static_cast<int32_t>(online->hparams().n_vocab));
    const auto a = EngineLogits(*offline, toks, 4), b = EngineLogits(*online, toks, 4);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << name;
    // And it is a real change: pooled logits differ from the native model's.
    auto native = Model::Load(path);
    const auto c = EngineLogits(*native, toks, 4);
    EXPECT_NE(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)), 0) << name;
    // Pooled K/V take 1/n_kv of the native KV cache.
    EXPECT_EQ(KvCache::BytesFor(online->hparams(), online->config(), 64) * n_kv,
              KvCache::BytesFor(native->hparams(), native->config(), 64));
  }
}

// Re-quantising f32 weights at load equals the files gguf-py quantised offline from the same
// weights (tools/make_engine_fixtures.py): the same bytes, so bit-identical logits.
TEST(Settings, RequantisedWeightsEqualOfflineFiles) {
  for (const char* arch : {"llama-untied", "qwen2-tied"}) {
    for (const char* t : {"f16", "bf16", "q8_0", "q4_0"}) {
      auto online =
          Model::Load(FixturePath(StrCat(arch, "-f32")),
                      EngineConfig::FromJson(StrCat(R"({"weights": ")", t, R"("})"), "test"));
      auto offline = Model::Load(FixturePath(StrCat(arch, "-", t)));
      EXPECT_EQ(online->weight_bytes(), offline->weight_bytes()) << arch << " " << t;
      const auto toks = Tokens(10, static_cast<int32_t>(online->hparams().n_vocab));
      const auto a = EngineLogits(*online, toks, 10), b = EngineLogits(*offline, toks, 10);
      EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << arch << " " << t;
    }
  }
}

// q4_k needs rows of whole 256-blocks: a random model with 256-wide rows, written once as f32
// and once quantised to q4_K by the writer (offline), then re-quantised at load (online).
TEST(Settings, Q4KWeightsEqualOfflineQuantisedFile) {
  testing::TempDir dir;
  RandomModelOptions o;
  o.arch = "llama";
  o.preset = *FindPreset("tiny");
  o.preset.n_embd = 256;
  o.preset.n_ff = 512;
  o.seed = 11;
  const std::string f32_path = (dir / "f32.gguf").string();
  const std::string q4k_path = (dir / "q4k.gguf").string();
  WriteRandomModel(o, f32_path);
  o.wtype = kernels::GgmlType::kQ4_K;
  WriteRandomModel(o, q4k_path);
  auto online = Model::Load(f32_path, EngineConfig::FromJson(R"({"weights": "q4_k"})", "test"));
  auto offline = Model::Load(q4k_path);
  EXPECT_EQ(online->token_embd().type, kernels::GgmlType::kQ4_K);
  EXPECT_EQ(online->weight_bytes(), offline->weight_bytes());
  const auto toks = Tokens(12, static_cast<int32_t>(online->hparams().n_vocab));
  const auto a = EngineLogits(*online, toks, 5), b = EngineLogits(*offline, toks, 5);
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  // ~4.5 bits per weight: the 2-D weights shrink about 7x from f32.
  auto native = Model::Load(f32_path);
  EXPECT_LT(online->weight_bytes() * 6, native->weight_bytes());
}

// Q8_0 KV cache: 34 bytes per 32 values, logits close to the f32 cache. The fixtures' heads are
// 16 wide, so a random model with 32-wide heads (q8_0 blocks never straddle heads) is made here.
TEST(Settings, Q8KvCacheIsSmallAndClose) {
  testing::TempDir dir;
  RandomModelOptions o;
  o.arch = "qwen2";
  o.preset = *FindPreset("tiny");
  o.preset.n_head = 2;
  o.preset.n_head_kv = 1;
  o.seed = 3;
  const std::string path = (dir / "hd32.gguf").string();
  WriteRandomModel(o, path);
  auto q8 = Model::Load(path, EngineConfig::FromJson(R"({"kv_cache": "q8_0"})", "test"));
  auto f32 = Model::Load(path, EngineConfig::FromJson(R"({"kv_cache": "f32"})", "test"));
  Session s(*q8, SessionOptions{64, 16, std::nullopt});
  EXPECT_EQ(s.cache().type(), kernels::GgmlType::kQ8_0);
  // layers x (K + V) x 64 rows x one 32-wide KV head = one 34-byte block.
  EXPECT_EQ(s.cache().allocated_bytes(), o.preset.n_layer * 2 * 64 * 34);
  EXPECT_EQ(s.cache().allocated_bytes(), KvCache::BytesFor(q8->hparams(), s.config(), 64));
  const auto toks = Tokens(30, static_cast<int32_t>(q8->hparams().n_vocab));
  Session a(*q8, SessionOptions{64, 16, std::nullopt}),
      b(*f32, SessionOptions{64, 16, std::nullopt});
  a.Eval(toks, LogitsMode::kAll);
  b.Eval(toks, LogitsMode::kAll);
  double scale = 0, err = 0;
  for (int64_t r = 0; r < a.n_logit_rows(); ++r) {
    for (size_t i = 0; i < a.Logits(r).size(); ++i) {
      scale = std::max(scale, std::fabs(static_cast<double>(b.Logits(r)[i])));
      err = std::max(err, std::fabs(static_cast<double>(a.Logits(r)[i] - b.Logits(r)[i])));
    }
  }
  // 8-bit K/V (error <= 1/254 of each block's max per value): within 2% of the scale.
  EXPECT_LE(err / scale, 2e-2);
  EXPECT_GT(err, 0.0);  // and it did quantise
}

TEST(Settings, ConfigErrorsAreClear) {
  auto msg = [](const char* json) {
    try {
      EngineConfig::FromJson(json, "sweep.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(msg(R"({"kv_head": 2})").find("did you mean 'kv_heads'"), std::string::npos);
  EXPECT_NE(msg(R"({"weights": "q3"})").find("not one of"), std::string::npos);
  EXPECT_NE(
      msg(R"({"sliding_window": {"window": 4, "layer": "all"}})").find("did you mean 'layers'"),
      std::string::npos);
  EXPECT_NE(msg(R"({"kv_sharing": {"mode": "tail", "from_layer": 0}})").find("from_layer"),
            std::string::npos);
  EXPECT_NE(msg("[1]").find("must be a JSON object"), std::string::npos);

  auto m = Model::Load(FixturePath("llama-untied-f32"));
  auto vmsg = [&](const char* json) {
    try {
      EngineConfig::FromJson(json, "c").Validate(m->hparams(), "m.gguf");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(vmsg(R"({"kv_heads": 3})").find("kv_heads: 3 does not divide the model's 2 KV heads"),
            std::string::npos);
  EXPECT_NE(vmsg(R"({"kv_sharing": {"mode": "tail", "from_layer": 40}})")
                .find("kv_sharing.from_layer 40 >= 2 layers"),
            std::string::npos);
  EXPECT_EQ(vmsg(R"({"kv_heads": 1})"), "");
}

TEST(Settings, NativeIsCaseInsensitiveAndKvCacheIsTracked) {
  EXPECT_FALSE(EngineConfig::FromJson(R"({"weights": "NATIVE"})", "t").weights.has_value());
  EXPECT_FALSE(EngineConfig::FromJson(R"({"weights": "native"})", "t").kv_cache_set);
  EXPECT_TRUE(EngineConfig::FromJson(R"({"kv_cache": "f32"})", "t").kv_cache_set);
  EXPECT_THROW(EngineConfig::FromJson(R"({"context": 100000000000})", "t"), Error);
}

TEST(Settings, CanonicalFormAndHashAreStable) {
  const auto a = EngineConfig::FromJson(R"({"kv_heads": 2, "weights": "q8_0"})", "a");
  const auto b = EngineConfig::FromJson(R"({"weights": "Q8_0", "kv_heads": 2, "threads": 0})", "b");
  EXPECT_EQ(a.Canonical(), b.Canonical());
  EXPECT_EQ(a.Hash(), b.Hash());
  const auto c = EngineConfig::FromJson(R"({"weights": "q4_0", "kv_heads": 2})", "c");
  EXPECT_NE(a.Hash(), c.Hash());
  // The canonical form parses back to the same configuration.
  EXPECT_EQ(EngineConfig::FromJson(a.Canonical(), "canon").Canonical(), a.Canonical());
}

// The fallback for an unknown pre-tokenizer changes token ids, so it is part of the identity when
// set; unset, the canonical form (and so every stored configuration hash) is as before.
TEST(Settings, AllowUnknownPreTokenizerIsInTheIdentityOnlyWhenSet) {
  const auto plain = EngineConfig::FromJson(R"({"kv_heads": 2})", "a");
  EXPECT_FALSE(plain.allow_unknown_pre_tokenizer);
  EXPECT_EQ(plain.Canonical().find("pre_tokenizer"), std::string::npos) << plain.Canonical();
  const auto off =
      EngineConfig::FromJson(R"({"kv_heads": 2, "allow_unknown_pre_tokenizer": false})", "b");
  EXPECT_EQ(off.Hash(), plain.Hash());
  const auto on =
      EngineConfig::FromJson(R"({"kv_heads": 2, "allow_unknown_pre_tokenizer": true})", "c");
  EXPECT_TRUE(on.allow_unknown_pre_tokenizer);
  EXPECT_NE(on.Hash(), plain.Hash());
  EXPECT_TRUE(EngineConfig::FromJson(on.Canonical(), "canon").allow_unknown_pre_tokenizer);
  EXPECT_THROW(EngineConfig::FromJson(R"({"allow_unknown_pre_tokenizer": 1})", "d"), Error);
}

}  // namespace
}  // namespace gapbench::engine
