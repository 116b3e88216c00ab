// Model families beyond the fixture comparison of forward_test: each Gemma feature is shown to
// matter (a copy of the fixture with the feature broken -- a metadata key edited, or the engine's
// sliding_window setting moving the window boundary -- no longer matches transformers), the
// sliding_window setting composes with the native windows as documented (docs/SETTINGS.md), and
// unsupported architectures and variants are refused with errors that name them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "common/error.h"
#include "engine/family.h"
#include "engine/gguf_writer.h"
#include "engine/hparams.h"
#include "engine/model.h"
#include "engine/session.h"
#include "tests/engine/fixture_util.h"

namespace gapbench::engine {
namespace {

using testing::LogitsFixture;

// Same-weights bound of the f32 fixtures (forward_test.cpp).
constexpr double kExact = 1e-3;
// A broken feature must move the logits by far more than the bound.
constexpr double kBroken = 2e-2;

// Largest |engine - transformers| over every position of every sequence, relative to each
// sequence's max |logit|.
double FixtureError(const std::string& path, const LogitsFixture& f, const EngineConfig& cfg = {}) {
  auto model = Model::Load(path, cfg);
  double worst = 0;
  for (const auto& seq : f.sequences) {
    SessionOptions opts;
    opts.kv_type = kernels::GgmlType::kF32;
    Session s(*model, opts);
    s.Eval(seq.tokens, LogitsMode::kAll);
    double scale = 0, err = 0;
    for (float v : seq.logits) scale = std::max(scale, std::fabs(static_cast<double>(v)));
    for (int64_t r = 0; r < s.n_logit_rows(); ++r) {
      auto row = s.Logits(r);
      for (int64_t i = 0; i < f.n_vocab; ++i) {
        err = std::max(err, std::fabs(static_cast<double>(row[static_cast<size_t>(i)]) -
                                      seq.logits[static_cast<size_t>(r * f.n_vocab + i)]));
      }
    }
    worst = std::max(worst, err / scale);
  }
  return worst;
}

// Copies a GGUF with metadata keys set (`set`) or removed (`drop`) and extra f32 tensors added.
void CopyGguf(const std::string& src_path, const std::string& dst_path,
              const std::map<std::string, GgufWriteValue>& set,
              const std::set<std::string>& drop = {},
              const std::vector<std::pair<std::string, int64_t>>& extra_tensors = {}) {
  const auto src = GgufFile::Open(src_path);
  GgufWriter w;
  for (const auto& kv : src->metadata()) {
    const std::string key(kv.key);
    if (!drop.count(key)) w.Set(key, GgufWriteValue::FromValue(kv.value));
  }
  for (const auto& [k, v] : set) w.Set(k, v);
  for (const auto& t : src->tensors()) {
    w.AddTensor(GgufTensorSpec{t.name, t.ne, t.type},
                std::vector<uint8_t>(t.data, t.data + t.n_bytes));
  }
  for (const auto& [name, n] : extra_tensors) {
    w.AddTensor(GgufTensorSpec{name, {n}, kernels::GgmlType::kF32},
                std::vector<uint8_t>(static_cast<size_t>(4 * n), 0));
  }
  w.WriteFile(dst_path);
}

TEST(Gemma2, DescriptionFollowsTheFile) {
  const LogitsFixture f = testing::LoadLogitsFixture("gemma2-f32");
  const auto file = GgufFile::Open(f.gguf_path);
  const HParams hp = ReadHParams(*file);
  ASSERT_EQ(hp.n_layer, 3);
  EXPECT_FLOAT_EQ(hp.embd_scale, 8.0f);  // sqrt(64)
  EXPECT_FLOAT_EQ(hp.final_softcap, 4.0f);
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const LayerSpec& l = hp.layer(il);
    EXPECT_EQ(l.window, il % 2 == 0 ? 4 : 0) << il;  // even layers windowed
    EXPECT_FLOAT_EQ(l.attn_softcap, 2.0f);
    EXPECT_FLOAT_EQ(l.attn_scale, 1.0f / std::sqrt(24.0f));  // query_pre_attn_scalar 24
    EXPECT_TRUE(l.post_attn_norm && l.post_ffn_norm && !l.qk_norm);
    EXPECT_EQ(l.activation, Activation::kGeGluTanh);
  }
}

// The fixture's window (4) is shorter than its 6..12-token sequences: moving the boundary by one
// position either way, or removing the window, breaks the match; restating it does not.
TEST(Gemma2, WindowBoundaryMatters) {
  const LogitsFixture f = testing::LoadLogitsFixture("gemma2-f32");
  EXPECT_LE(FixtureError(f.gguf_path, f), kExact);
  auto with = [&](const char* json) {
    return FixtureError(f.gguf_path, f, EngineConfig::FromJson(json, "test"));
  };
  EXPECT_LE(with(R"({"sliding_window": {"layers": "native", "window": 4}})"), kExact);
  EXPECT_LE(with(R"({"sliding_window": {"layers": "alternate", "window": 4}})"), kExact);
  EXPECT_LE(with(R"({"sliding_window": {"layers": "none"}})"), kExact);  // = native
  EXPECT_GT(with(R"({"sliding_window": {"layers": "native", "window": 5}})"), kBroken);
  EXPECT_GT(with(R"({"sliding_window": {"layers": "native", "window": 3}})"), kBroken);
  EXPECT_GT(with(R"({"sliding_window": {"layers": "global"}})"), kBroken);
  EXPECT_GT(with(R"({"sliding_window": {"layers": "all", "window": 4}})"), kBroken);
}

// The setting's canonical form (results are keyed by its hash) tells the compositions apart;
// the default keeps the form it had before native windows existed.
TEST(Gemma2, WindowSettingsParseAndHashApart) {
  const EngineConfig none = EngineConfig::FromJson("{}", "test");
  const EngineConfig global =
      EngineConfig::FromJson(R"({"sliding_window": {"layers": "global"}})", "test");
  const EngineConfig native =
      EngineConfig::FromJson(R"({"sliding_window": {"layers": "native", "window": 8}})", "test");
  EXPECT_NE(none.Canonical().find(R"("sliding_window":{"window":0,"layers":"none"})"),
            std::string::npos)
      << none.Canonical();
  EXPECT_NE(global.Hash(), none.Hash());
  EXPECT_NE(native.Hash(), none.Hash());
  EXPECT_EQ(global.sliding_window.window, 0);
  EXPECT_THROW(EngineConfig::FromJson(R"({"sliding_window": {"layers": "native"}})", "test"),
               Error);
  EXPECT_THROW(EngineConfig::FromJson(R"({"sliding_window": {"layers": "gemma"}})", "test"), Error);
}

// "native" and "global" change a model's own windows; on a model without any they would be a
// setting identical to the baseline under another hash, so they are refused for that model.
TEST(Gemma2, NativeWindowModesNeedAModelWithNativeWindows) {
  const LogitsFixture llama = testing::LoadLogitsFixture("llama-tied-f32");
  const auto model = Model::Load(llama.gguf_path);
  for (const char* cfg : {R"({"sliding_window": {"layers": "native", "window": 8}})",
                          R"({"sliding_window": {"layers": "global"}})"}) {
    const EngineConfig c = EngineConfig::FromJson(cfg, "test");
    try {
      c.Validate(model->hparams(), "llama-tied");
      ADD_FAILURE() << cfg << " was accepted for a model without native windows";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("no native sliding window"), std::string::npos)
          << e.what();
    }
  }
  const LogitsFixture gemma = testing::LoadLogitsFixture("gemma2-f32");
  const auto g = Model::Load(gemma.gguf_path);
  EngineConfig::FromJson(R"({"sliding_window": {"layers": "global"}})", "test")
      .Validate(g->hparams(), "gemma2");  // fine: gemma2 has native windows
}

struct Breakage {
  const char* fixture;
  const char* what;
  std::map<std::string, GgufWriteValue> set;
  std::set<std::string> drop;
};

// Each metadata-driven feature matters: the fixture with the key edited no longer matches.
TEST(Families, EachFeatureMatters) {
  const std::vector<Breakage> cases = {
      {"gemma2-f32",
       "attention soft-cap",
       {{"gemma2.attn_logit_softcapping", GgufWriteValue::F32(1e6f)}},
       {}},
      {"gemma2-f32",
       "final soft-cap",
       {{"gemma2.final_logit_softcapping", GgufWriteValue::F32(1e6f)}},
       {}},
      {"gemma2-f32", "query_pre_attn_scalar", {}, {"gemma2.attention.scale"}},
      {"gemma2-f32",
       "window size",
       {{"gemma2.attention.sliding_window", GgufWriteValue::U32(5)}},
       {}},
      {"gemma3-f32",
       "local rope base",
       {{"gemma3.rope.freq_base_swa", GgufWriteValue::F32(1e6f)}},
       {}},
      {"gemma3-f32", "global linear rope scaling", {}, {"gemma3.rope.scaling.type"}},
      {"gemma3-f32", "window", {}, {"gemma3.attention.sliding_window"}},
  };
  testing::TempDir dir;
  for (const auto& c : cases) {
    const LogitsFixture f = testing::LoadLogitsFixture(c.fixture);
    const std::string path = (dir / (std::string(c.fixture) + ".gguf")).string();
    CopyGguf(f.gguf_path, path, c.set, c.drop);
    EXPECT_GT(FixtureError(path, f), kBroken) << c.fixture << ": " << c.what;
  }
}

// Metadata values that would silently give NaN or flat attention are refused at load, naming the
// file (before: a NaN, infinite, zero or negative attention.scale was used as given).
TEST(Families, HostileAttentionScaleIsRefused) {
  const LogitsFixture f = testing::LoadLogitsFixture("gemma2-f32");
  testing::TempDir dir;
  for (float bad : {std::nanf(""), std::numeric_limits<float>::infinity(), 0.0f, -0.25f}) {
    const std::string path = (dir / "scale.gguf").string();
    CopyGguf(f.gguf_path, path, {{"gemma2.attention.scale", GgufWriteValue::F32(bad)}});
    try {
      Model::Load(path);
      ADD_FAILURE() << "attention.scale " << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("attention scale"), std::string::npos) << e.what();
    }
  }
}

TEST(Families, SupportedListComesFromTheRegistry) {
  const std::string list = SupportedFamilies();
  for (const char* arch : {"llama", "qwen2", "qwen3", "gemma2", "gemma3", "phi3"}) {
    EXPECT_NE(FindFamily(arch), nullptr) << arch;
    EXPECT_NE(list.find(arch), std::string::npos) << arch;
  }
  EXPECT_EQ(SupportedFamilyNames().size(), 6u);
  EXPECT_EQ(FindFamily("mamba"), nullptr);
}

std::string LoadError(const std::string& path) {
  try {
    auto m = Model::Load(path);
    (void)m;
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Families, UnsupportedArchitectureIsRefusedNamingItAndTheSupportedOnes) {
  const LogitsFixture f = testing::LoadLogitsFixture("llama-tied-f32");
  testing::TempDir dir;
  const std::string path = (dir / "mamba.gguf").string();
  CopyGguf(f.gguf_path, path, {{"general.architecture", GgufWriteValue::String("mamba")}});
  const std::string err = LoadError(path);
  EXPECT_NE(err.find("mamba.gguf"), std::string::npos) << err;
  EXPECT_NE(err.find("architecture 'mamba' is not supported"), std::string::npos) << err;
  EXPECT_NE(err.find("llama, qwen2, qwen3, gemma2, gemma3, phi3"), std::string::npos) << err;
}

TEST(Families, Phi3LongRopeIsRefusedClearly) {
  const LogitsFixture f = testing::LoadLogitsFixture("phi3-f32");
  testing::TempDir dir;
  const std::string path = (dir / "phi3-128k.gguf").string();
  CopyGguf(f.gguf_path, path, {}, {},
           {{"rope_factors_long.weight", 8}, {"rope_factors_short.weight", 8}});
  const std::string err = LoadError(path);
  EXPECT_NE(err.find("LongRoPE"), std::string::npos) << err;
  EXPECT_NE(err.find("phi3-128k.gguf"), std::string::npos) << err;
}

TEST(Qwen3, HeadDimDiffersFromEmbeddingOverHeads) {
  const LogitsFixture f = testing::LoadLogitsFixture("qwen3-tied-f32");
  const HParams hp = ReadHParams(*GgufFile::Open(f.gguf_path));
  EXPECT_EQ(hp.head_dim, 32);
  EXPECT_NE(hp.n_q(), hp.n_embd);
  EXPECT_TRUE(hp.layer(0).qk_norm);
  EXPECT_FALSE(hp.layer(0).qkv_bias);
  EXPECT_EQ(hp.rope_style, kernels::RopeStyle::kNeox);
}

}  // namespace
}  // namespace gapbench::engine
