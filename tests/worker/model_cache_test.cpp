// The worker's caches (worker/model_cache.h) on real model files: reuse, LRU eviction under the
// memory budget, reload when the file changes; suites reused and reloaded; byte-size parsing.
#include "worker/model_cache.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "coordinator/model_identity.h"
#include "engine/engine_config.h"
#include "tests/worker/worker_fixture.h"

namespace gapbench::worker {
namespace {

TEST(ParseByteSize, UnitsArePowersOf1024) {
  EXPECT_EQ(ParseByteSize("4G", "m"), int64_t{4} << 30);
  EXPECT_EQ(ParseByteSize("512M", "m"), int64_t{512} << 20);
  EXPECT_EQ(ParseByteSize("1.5GiB", "m"), int64_t{3} << 29);
  EXPECT_EQ(ParseByteSize("10kb", "m"), 10240);
  EXPECT_EQ(ParseByteSize("1000", "m"), 1000);
  EXPECT_EQ(ParseByteSize("2T", "m"), int64_t{2} << 40);
  for (const char* bad : {"", "abc", "4Q", "-1", "0", "1e30G"}) {
    EXPECT_THROW(ParseByteSize(bad, "--memory-budget"), Error) << bad;
  }
  try {
    ParseByteSize("4Q", "--memory-budget");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--memory-budget"), std::string::npos);
  }
  EXPECT_GT(DefaultMemoryBudget(), 0);
}

TEST(ModelCache, ReusesEvictsLeastRecentlyUsedAndReloadsChangedFiles) {
  testing::TempDir dir;
  const auto a = dir / "a.gguf";
  const auto b = dir / "b.gguf";
  std::filesystem::copy_file(testing::WorkerFixtureModel("llama-mha-f32.gguf"), a);
  std::filesystem::copy_file(testing::WorkerFixtureModel("llama-tied-f32.gguf"), b);
  const std::string base = engine::EngineConfig{}.Canonical();
  const std::string q8 = engine::EngineConfig::FromJson(R"({"weights":"q8_0"})", "t").Canonical();

  // Budget for one f32 model plus one q8_0 one, not two f32 models.
  ModelCache probe(int64_t{1} << 40);
  const int64_t a_bytes = probe.Get(a.string(), base).bytes;
  const int64_t a_q8_bytes = probe.Get(a.string(), q8).bytes;
  const int64_t b_bytes = probe.Get(b.string(), base).bytes;
  ASSERT_LT(a_q8_bytes, a_bytes);
  ModelCache cache(std::max(a_bytes, b_bytes) + a_q8_bytes);

  const CachedModel first = cache.Get(a.string(), base);
  EXPECT_EQ(first.model_id, coordinator::IdentifyModelFile(a.string()).hash);
  EXPECT_EQ(first.config_hash, engine::EngineConfig{}.Hash());
  EXPECT_EQ(cache.Get(a.string(), base).model.get(), first.model.get());  // reused
  const CachedModel quant = cache.Get(a.string(), q8);                    // another config
  EXPECT_NE(quant.model.get(), first.model.get());
  EXPECT_EQ(cache.LoadedIds().size(), 2u);
  EXPECT_EQ(cache.bytes(), a_bytes + a_q8_bytes);
  // Loading b evicts the least recently used entry (a with the base config), not a/q8.
  cache.Get(a.string(), q8);
  bool over = true;
  const CachedModel bm = cache.Get(b.string(), base, &over);
  EXPECT_FALSE(over);
  EXPECT_EQ(cache.bytes(), b_bytes + a_q8_bytes);
  EXPECT_EQ(cache.LoadedIds(), (std::vector<std::string>{bm.model_id, quant.model_id}));
  EXPECT_EQ(cache.Get(a.string(), q8).model.get(), quant.model.get());
  // The evicted model is still usable by whoever holds it.
  EXPECT_GT(first.model->n_params(), 0);

  // A changed file is loaded again (and gets its new identity).
  std::filesystem::copy_file(testing::WorkerFixtureModel("llama-untied-f32.gguf"), b,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::last_write_time(b,
                                   std::filesystem::last_write_time(b) + std::chrono::seconds(5));
  const CachedModel b2 = cache.Get(b.string(), base);
  EXPECT_NE(b2.model.get(), bm.model.get());
  EXPECT_EQ(b2.model_id, coordinator::IdentifyModelFile(b.string()).hash);
  EXPECT_NE(b2.model_id, bm.model_id);

  // A model larger than the whole budget still loads, alone, and says so.
  ModelCache tiny(1000);
  tiny.Get(a.string(), q8);
  tiny.Get(a.string(), base, &over);
  EXPECT_TRUE(over);
  EXPECT_EQ(tiny.LoadedIds().size(), 1u);

  EXPECT_THROW(cache.Get((dir / "missing.gguf").string(), base), Error);
  EXPECT_THROW(cache.Get(a.string(), R"({"weights":"q3"})"), Error);
}

TEST(SuiteCache, ReusesAndReloadsOnRequest) {
  testing::TempDir dir;
  const auto file = testing::WriteMixedSuite(dir / "s.jsonl", 4);
  SuiteCache cache;
  const auto s1 = cache.Get(file.string(), "gapbench", "test");
  EXPECT_EQ(s1->items.size(), 4u);
  EXPECT_EQ(cache.Get(file.string(), "gapbench", "test").get(), s1.get());
  testing::WriteMixedSuite(file, 5);
  EXPECT_EQ(cache.Get(file.string(), "gapbench", "test")->items.size(), 4u);  // cached
  const auto s2 = cache.Get(file.string(), "gapbench", "test", /*reload=*/true);
  EXPECT_EQ(s2->items.size(), 5u);
  EXPECT_NE(s2->manifest.content_hash, s1->manifest.content_hash);
  EXPECT_THROW(cache.Get((dir / "none.jsonl").string(), "gapbench", "test"), Error);
}

}  // namespace
}  // namespace gapbench::worker
