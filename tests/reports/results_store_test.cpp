// The results store on real SQLite files: creation, migrations and reopening, refusal of newer
// schemas, foreign databases and non-SQLite files, the pragmas really in effect, upserts, shard
// deduplication across sweeps, write-once item inserts with their alarms, read order, and the
// read-only handle. The crash-durability test with a killed process is in
// results_store_slow_test.cpp.
#include "reports/results_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/hash.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

using gapbench::testing::TempDir;
using gapbench::testing::WriteFile;

// Raw SQLite access, independent of the store, to inspect or tamper with a file.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  void Exec(const std::string& sql) {
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error ? error : "");
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

SweepRow MakeSweep(const std::string& id, int64_t priority, const std::string& started_at) {
  SweepRow s;
  s.id = id;
  s.name = "sweep-" + id;
  s.file = id + ".json";
  s.spec_json = R"({"name":")" + id + R"("})";
  s.priority = priority;
  s.started_at = started_at;
  return s;
}

ShardRow MakeShard(const std::string& id, int64_t begin, int64_t end, int64_t samples = 1) {
  ShardRow s;
  s.id = id;
  s.key = R"({"id":")" + id + R"("})";
  s.model_id = "m1";
  s.config_hash = "c1";
  s.strategy = R"({"kind":"greedy"})";
  s.suite_hash = "s1";
  s.begin = begin;
  s.end = end;
  s.seed = 0xfedcba9876543210ull;  // above INT64_MAX: must round-trip through SQLite's int64
  s.samples = samples;
  s.task_json = R"({"task":")" + id + R"("})";
  return s;
}

ItemRow MakeItem(const std::string& shard, int64_t index, int64_t sample,
                 const std::string& answer) {
  ItemRow r;
  r.shard_id = shard;
  r.item_index = index;
  r.sample = sample;
  r.item_id = "q" + std::to_string(index);
  r.record_json = R"({"id":"q)" + std::to_string(index) + R"(","answer":")" + answer + R"("})";
  r.timing_json = R"({"ms":12})";
  r.worker = "w1";
  return r;
}

TEST(ResultsStore, CreatesMigratesAndReopens) {
  TempDir dir;
  const std::string path = (dir / "results.sqlite").string();
  {
    ResultsStore store = ResultsStore::Open(path);
    EXPECT_EQ(store.schema_version(), kSchemaVersion);
    EXPECT_EQ(store.path(), path);
    store.SetMeta("lease_counter", "41");
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  {
    RawDb raw(path);
    EXPECT_EQ(raw.Text("SELECT COUNT(*) FROM schema_migrations"), std::to_string(kSchemaVersion));
    EXPECT_FALSE(raw.Text("SELECT applied_at FROM schema_migrations WHERE version = 1").empty());
    for (const char* table : {"sweeps", "models", "configurations", "suites", "shards",
                              "sweep_shards", "items", "events", "meta"}) {
      EXPECT_EQ(raw.Text(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND "
                                     "name='") +
                         table + "'"),
                "1")
          << table;
    }
  }
  // Reopening applies nothing again and keeps the data.
  ResultsStore again = ResultsStore::Open(path);
  EXPECT_EQ(again.schema_version(), kSchemaVersion);
  EXPECT_EQ(again.GetMeta("lease_counter"), "41");
  EXPECT_EQ(again.GetMeta("absent"), std::nullopt);
  again.SetMeta("lease_counter", "42");
  EXPECT_EQ(again.GetMeta("lease_counter"), "42");
  RawDb raw(path);
  EXPECT_EQ(raw.Text("SELECT COUNT(*) FROM schema_migrations"), std::to_string(kSchemaVersion));
}

TEST(ResultsStore, PragmasAreInEffect) {
  TempDir dir;
  const std::string path = (dir / "results.sqlite").string();
  ResultsStore store = ResultsStore::Open(path);
  auto pragma = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(store.handle(), sql, -1, &st, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    std::string v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
  };
  EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma("PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(pragma("PRAGMA foreign_keys"), "1");
  EXPECT_GE(std::stoi(pragma("PRAGMA busy_timeout")), 1000);
  // WAL is a property of the file: another connection sees it too.
  RawDb raw(path);
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
}

TEST(ResultsStore, RefusesNewerSchema) {
  TempDir dir;
  const std::string path = (dir / "results.sqlite").string();
  { ResultsStore::Open(path); }
  {
    RawDb raw(path);
    raw.Exec("INSERT INTO schema_migrations(version, applied_at) VALUES (" +
             std::to_string(kSchemaVersion + 1) + ", 'later')");
  }
  const std::string expected = "written by a newer gapbench: schema " +
                               std::to_string(kSchemaVersion + 1) + " > " +
                               std::to_string(kSchemaVersion);
  std::string e = ErrorOf([&] { ResultsStore::Open(path); });
  EXPECT_NE(e.find(expected), std::string::npos) << e;
  EXPECT_NE(e.find(path), std::string::npos) << e;
  e = ErrorOf([&] { ResultsStore::OpenReadOnly(path); });
  EXPECT_NE(e.find(expected), std::string::npos) << e;
}

// A hostile file with the right schema rows but a view where a table should be (e.g. an
// unbounded recursive query behind "items") is refused by the readers, not run.
TEST(ResultsStore, ReadOnlyRefusesViewsInPlaceOfTables) {
  TempDir dir;
  const std::string path = (dir / "results.sqlite").string();
  { ResultsStore::Open(path); }
  {
    RawDb raw(path);
    raw.Exec("DROP TABLE items");
    raw.Exec(
        "CREATE VIEW items AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        "SELECT 'x' AS shard_id, x AS item_index, 0 AS sample, '' AS item_id, '{}' AS "
        "record_json, '{}' AS timing_json, '' AS digest, '' AS worker, '' AS created_at FROM c");
  }
  const std::string e = ErrorOf([&] { ResultsStore::OpenReadOnly(path); });
  EXPECT_NE(e.find("'items' is a view, not a table"), std::string::npos) << e;
  EXPECT_NE(e.find(path), std::string::npos) << e;
}

TEST(ResultsStore, RefusesNonSqliteAndForeignFiles) {
  TempDir dir;
  const std::string garbage = (dir / "garbage.sqlite").string();
  std::string bytes;
  for (int i = 0; i < 4096; ++i) bytes.push_back(static_cast<char>((i * 7919 + 13) & 0xff));
  WriteFile(garbage, bytes);
  for (bool read_only : {false, true}) {
    const std::string e = ErrorOf(
        [&] { read_only ? ResultsStore::OpenReadOnly(garbage) : ResultsStore::Open(garbage); });
    EXPECT_NE(e.find(garbage), std::string::npos) << e;
    EXPECT_NE(e.find("not a database"), std::string::npos) << e;  // SQLite's own message
  }
  // The garbage is left as it was.
  EXPECT_EQ(gapbench::testing::ReadFile(garbage), bytes);

  // A SQLite database that belongs to something else is not adopted.
  const std::string foreign = (dir / "other.sqlite").string();
  { RawDb(foreign).Exec("CREATE TABLE customers(id INTEGER)"); }
  std::string e = ErrorOf([&] { ResultsStore::Open(foreign); });
  EXPECT_NE(e.find("not a gapbench results store"), std::string::npos) << e;
  EXPECT_NE(e.find(foreign), std::string::npos) << e;

  // Missing directory and missing file (read-only) name the path.
  const std::string nowhere = (dir / "no" / "such" / "dir.sqlite").string();
  e = ErrorOf([&] { ResultsStore::Open(nowhere); });
  EXPECT_NE(e.find(nowhere), std::string::npos) << e;
  const std::string missing = (dir / "missing.sqlite").string();
  e = ErrorOf([&] { ResultsStore::OpenReadOnly(missing); });
  EXPECT_NE(e.find(missing), std::string::npos) << e;
  EXPECT_FALSE(std::filesystem::exists(missing));  // read-only never creates
}

TEST(ResultsStore, RefusesADatabaseWithoutWal) {
  // An in-memory database cannot use WAL (SQLite keeps it in "memory" mode): the same check
  // that refuses a file system without shared-memory support.
  const std::string e = ErrorOf([] { ResultsStore::Open(":memory:"); });
  EXPECT_NE(e.find("could not switch to WAL"), std::string::npos) << e;
  EXPECT_NE(e.find("'memory'"), std::string::npos) << e;
}

TEST(ResultsStore, RefusesUnwritableFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  TempDir dir;
  const std::string path = (dir / "results.sqlite").string();
  { ResultsStore::Open(path); }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read,
                               std::filesystem::perm_options::replace);
  const std::string e = ErrorOf([&] { ResultsStore::Open(path); });
  EXPECT_NE(e.find("cannot be opened for writing"), std::string::npos) << e;
  EXPECT_NE(e.find(path), std::string::npos) << e;
}

TEST(ResultsStore, UpsertsAndReadOrder) {
  TempDir dir;
  ResultsStore store = ResultsStore::Open((dir / "r.sqlite").string());
  store.UpsertSweep(MakeSweep("b", 0, "2024-01-02T00:00:00.000Z"));
  store.UpsertSweep(MakeSweep("a", 0, "2024-01-03T00:00:00.000Z"));
  store.UpsertSweep(MakeSweep("c", 5, "2024-01-04T00:00:00.000Z"));
  // Update: name/priority/spec/ended_at change; started_at stays the first one.
  SweepRow b2 = MakeSweep("b", 1, "2030-01-01T00:00:00.000Z");
  b2.name = "renamed";
  b2.ended_at = "2024-01-05T00:00:00.000Z";
  store.UpsertSweep(b2);
  const std::vector<SweepRow> sweeps = store.Sweeps();
  ASSERT_EQ(sweeps.size(), 3u);
  EXPECT_EQ(sweeps[0].id, "c");  // priority 5
  EXPECT_EQ(sweeps[1].id, "b");  // priority 1
  EXPECT_EQ(sweeps[2].id, "a");
  EXPECT_EQ(sweeps[1].name, "renamed");
  EXPECT_EQ(sweeps[1].started_at, "2024-01-02T00:00:00.000Z");
  EXPECT_EQ(sweeps[1].ended_at, "2024-01-05T00:00:00.000Z");
  EXPECT_EQ(sweeps[2].spec_json, R"({"name":"a"})");
  store.SetSweepEnded("a", "2024-02-01T00:00:00.000Z");
  EXPECT_EQ(store.Sweep("a")->ended_at, "2024-02-01T00:00:00.000Z");
  EXPECT_EQ(store.Sweep("zzz"), std::nullopt);
  EXPECT_NE(ErrorOf([&] { store.SetSweepEnded("zzz", "x"); }).find("no such sweep"),
            std::string::npos);
  // An empty started_at is filled with the current time.
  store.UpsertSweep(MakeSweep("d", 0, ""));
  EXPECT_EQ(store.Sweep("d")->started_at.size(), std::string("2024-01-02T00:00:00.000Z").size());

  store.UpsertModel(ModelRow{"m2", "big", "/m/big.gguf", 200, "h2", R"({"arch":"llama"})"});
  store.UpsertModel(ModelRow{"m1", "small", "/m/small.gguf", 100, "h1", ""});
  store.UpsertModel(ModelRow{"m1", "tiny", "/m/tiny.gguf", 100, "h1", R"({"arch":"qwen2"})"});
  const std::vector<ModelRow> models = store.Models();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].id, "m1");
  EXPECT_EQ(models[0].alias, "tiny");
  EXPECT_EQ(models[0].metadata_json, R"({"arch":"qwen2"})");
  EXPECT_EQ(models[1].size_bytes, 200);

  store.UpsertConfiguration(ConfigurationRow{"c2", "q8", "{\"w\":\"q8\"}"});
  store.UpsertConfiguration(ConfigurationRow{"c1", "base", "{}"});
  store.UpsertConfiguration(ConfigurationRow{"c1", "base2", "{}"});
  const auto configs = store.Configurations();
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[0].hash, "c1");
  EXPECT_EQ(configs[0].name, "base2");

  store.UpsertSuite(SuiteRow{"s1", "mmlu", "mmlu-csv", "1", "/d/mmlu", "{}", 228});
  store.UpsertSuite(SuiteRow{"s1", "mmlu", "mmlu-csv", "2", "/d/mmlu", "{}", 230});
  const auto suites = store.Suites();
  ASSERT_EQ(suites.size(), 1u);
  EXPECT_EQ(suites[0].version, "2");
  EXPECT_EQ(suites[0].n_items, 230);
}

TEST(ResultsStore, ShardsAreSharedAcrossSweepsAndKeepTheirState) {
  TempDir dir;
  ResultsStore store = ResultsStore::Open((dir / "r.sqlite").string());
  store.UpsertSweep(MakeSweep("one", 0, "2024-01-01T00:00:00.000Z"));
  store.UpsertSweep(MakeSweep("two", 0, "2024-01-02T00:00:00.000Z"));
  const std::vector<ShardRow> first = {MakeShard("x", 0, 10), MakeShard("y", 10, 20)};
  EXPECT_EQ(store.AddShards("one", first), 2);
  EXPECT_EQ(store.AddShards("one", first), 0);  // idempotent
  store.SetShardState("x", ShardState::kDone, 2, "flaky once", "w7");

  // The second sweep shares x, adds z; listed in its own order.
  const std::vector<ShardRow> second = {MakeShard("z", 20, 30), MakeShard("x", 0, 10)};
  EXPECT_EQ(store.AddShards("two", second), 1);
  const std::optional<ShardRow> x = store.Shard("x");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->state, ShardState::kDone);  // state survived the second AddShards
  EXPECT_EQ(x->attempts, 2);
  EXPECT_EQ(x->last_error, "flaky once");
  EXPECT_EQ(x->worker, "w7");
  EXPECT_EQ(x->seed, 0xfedcba9876543210ull);
  EXPECT_EQ(x->begin, 0);
  EXPECT_EQ(x->end, 10);
  EXPECT_EQ(x->task_json, R"({"task":"x"})");

  auto ids = [](const std::vector<ShardRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.id);
    return out;
  };
  EXPECT_EQ(ids(store.Shards("one")), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(ids(store.Shards("two")), (std::vector<std::string>{"z", "x"}));
  EXPECT_EQ(ids(store.Shards()), (std::vector<std::string>{"x", "y", "z"}));
  // A later chunk appends after the sweep's existing links.
  EXPECT_EQ(store.AddShards("one", std::vector<ShardRow>{MakeShard("w", 30, 40)}), 1);
  EXPECT_EQ(ids(store.Shards("one")), (std::vector<std::string>{"x", "y", "w"}));

  EXPECT_NE(ErrorOf([&] { store.AddShards("nope", first); }).find("UpsertSweep it first"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              store.SetShardState("nope", ShardState::kRunning, 1, "", "w");
            }).find("no such shard"),
            std::string::npos);
  EXPECT_EQ(ParseShardState(ShardStateName(ShardState::kPoison)), ShardState::kPoison);
  EXPECT_THROW(ParseShardState("finished"), Error);
}

TEST(ResultsStore, WriteOnceItems) {
  TempDir dir;
  ResultsStore store = ResultsStore::Open((dir / "r.sqlite").string());
  store.UpsertSweep(MakeSweep("one", 0, "2024-01-01T00:00:00.000Z"));
  store.UpsertSweep(MakeSweep("two", 0, "2024-01-02T00:00:00.000Z"));
  store.AddShards("one", std::vector<ShardRow>{MakeShard("x", 0, 4, 2), MakeShard("y", 4, 6)});
  store.AddShards("two", std::vector<ShardRow>{MakeShard("y", 4, 6)});

  std::vector<ItemRow> batch = {MakeItem("x", 2, 1, "B"), MakeItem("x", 0, 0, "A"),
                                MakeItem("x", 2, 0, "B"), MakeItem("y", 5, 0, "C")};
  batch[1].digest = HashHex(batch[1].record_json);  // a correct digest given is accepted
  InsertResult r = store.InsertItems(batch);
  EXPECT_EQ(r.inserted, 4);
  EXPECT_EQ(r.duplicates, 0);
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(store.Shard("x")->n_items_done, 2);  // items 0 and 2 (item 2 has two samples)
  EXPECT_EQ(store.Shard("y")->n_items_done, 1);

  // Same records again: duplicates. A different record for (x, 0, 0): conflict, not stored.
  std::vector<ItemRow> again = {MakeItem("x", 0, 0, "A"), MakeItem("x", 0, 0, "Z"),
                                MakeItem("x", 1, 0, "N")};
  r = store.InsertItems(again);
  EXPECT_EQ(r.inserted, 1);
  EXPECT_EQ(r.duplicates, 1);
  EXPECT_EQ(r.conflicts, 1);
  EXPECT_EQ(store.Shard("x")->n_items_done, 3);

  const std::vector<ItemRow> x_items = store.ShardItems("x");
  ASSERT_EQ(x_items.size(), 4u);
  EXPECT_EQ(x_items[0].item_index, 0);
  EXPECT_EQ(x_items[0].record_json, MakeItem("x", 0, 0, "A").record_json);  // first one kept
  EXPECT_EQ(x_items[0].digest, HashHex(x_items[0].record_json));
  EXPECT_EQ(x_items[0].timing_json, R"({"ms":12})");
  EXPECT_EQ(x_items[0].item_id, "q0");
  EXPECT_EQ(x_items[0].worker, "w1");
  EXPECT_EQ(x_items[1].item_index, 1);
  EXPECT_EQ(x_items[2].item_index, 2);
  EXPECT_EQ(x_items[2].sample, 0);
  EXPECT_EQ(x_items[3].sample, 1);

  const std::vector<EventRow> conflicts = store.Events("conflict");
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].shard_id, "x");
  EXPECT_NE(conflicts[0].detail_json.find(HashHex(MakeItem("x", 0, 0, "A").record_json)),
            std::string::npos);
  EXPECT_NE(conflicts[0].detail_json.find(HashHex(MakeItem("x", 0, 0, "Z").record_json)),
            std::string::npos);
  store.LogEvent("state", "x", "w1", "");
  const std::vector<EventRow> all = store.Events();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_LT(all[0].id, all[1].id);
  EXPECT_EQ(all[1].kind, "state");
  EXPECT_EQ(all[1].detail_json, "{}");
  EXPECT_FALSE(all[1].at.empty());

  using Done = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(store.DoneItems("x"), (Done{{0, 0}, {1, 0}, {2, 0}, {2, 1}}));
  EXPECT_EQ(store.DoneItems("y"), (Done{{5, 0}}));
  EXPECT_TRUE(store.DoneItems("none").empty());

  // Items by sweep follow the sweep's shard order; y belongs to both sweeps.
  auto keys = [](const std::vector<ItemRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) {
      out.push_back(r.shard_id + ":" + std::to_string(r.item_index) + ":" +
                    std::to_string(r.sample));
    }
    return out;
  };
  EXPECT_EQ(keys(store.Items("one")),
            (std::vector<std::string>{"x:0:0", "x:1:0", "x:2:0", "x:2:1", "y:5:0"}));
  EXPECT_EQ(keys(store.Items("two")), (std::vector<std::string>{"y:5:0"}));
  EXPECT_EQ(store.Items().size(), 5u);

  // Bad batches are refused whole: nothing of them is stored.
  const size_t before = store.Items().size();
  std::vector<ItemRow> bad = {MakeItem("x", 3, 0, "ok"), MakeItem("x", 4, 0, "out of range")};
  EXPECT_NE(ErrorOf([&] { store.InsertItems(bad); }).find("covers items [0, 4)"),
            std::string::npos);
  bad = {MakeItem("x", 3, 0, "ok"), MakeItem("ghost", 0, 0, "no shard")};
  EXPECT_NE(ErrorOf([&] { store.InsertItems(bad); }).find("unknown shard 'ghost'"),
            std::string::npos);
  bad = {MakeItem("x", 3, 2, "sample out of range")};
  EXPECT_THROW(store.InsertItems(bad), Error);
  bad = {MakeItem("x", 3, 0, "ok")};
  bad[0].digest = "0000000000000000";
  EXPECT_NE(ErrorOf([&] { store.InsertItems(bad); }).find("does not match"), std::string::npos);
  EXPECT_EQ(store.Items().size(), before);
  EXPECT_EQ(store.Shard("x")->n_items_done, 3);
}

TEST(ResultsStore, JoinsACallersTransaction) {
  TempDir dir;
  const std::string path = (dir / "r.sqlite").string();
  ResultsStore store = ResultsStore::Open(path);
  // The coordinator may group calls in its own transaction through handle(): a rollback undoes
  // them all.
  ASSERT_EQ(sqlite3_exec(store.handle(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  store.SetMeta("k", "v");
  store.LogEvent("note", "", "", "{}");
  ASSERT_EQ(sqlite3_exec(store.handle(), "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(store.GetMeta("k"), std::nullopt);
  EXPECT_TRUE(store.Events().empty());
}

TEST(ResultsStore, ReadOnlyReadsButRefusesWrites) {
  TempDir dir;
  const std::string path = (dir / "r.sqlite").string();
  {
    ResultsStore store = ResultsStore::Open(path);
    store.UpsertSweep(MakeSweep("one", 0, "2024-01-01T00:00:00.000Z"));
    store.AddShards("one", std::vector<ShardRow>{MakeShard("x", 0, 4)});
    store.InsertItems(std::vector<ItemRow>{MakeItem("x", 1, 0, "A")});
  }
  ResultsStore ro = ResultsStore::OpenReadOnly(path);
  EXPECT_EQ(ro.schema_version(), kSchemaVersion);
  EXPECT_EQ(ro.Items("one").size(), 1u);
  EXPECT_EQ(ro.Shards("one").size(), 1u);
  std::string e = ErrorOf([&] { ro.InsertItems(std::vector<ItemRow>{MakeItem("x", 2, 0, "B")}); });
  EXPECT_NE(e.find(path), std::string::npos) << e;
  EXPECT_NE(e.find("readonly"), std::string::npos) << e;
  EXPECT_THROW(ro.SetMeta("k", "v"), Error);
  EXPECT_THROW(ro.UpsertSweep(MakeSweep("two", 0, "")), Error);
  EXPECT_EQ(ro.Items().size(), 1u);

  // A fresh empty SQLite file has no schema: read-only refuses it rather than reporting nothing.
  const std::string empty = (dir / "empty.sqlite").string();
  WriteFile(empty, "");
  e = ErrorOf([&] { ResultsStore::OpenReadOnly(empty); });
  EXPECT_NE(e.find("no gapbench schema"), std::string::npos) << e;

  // A writer and a reader at once (WAL): the reader sees committed rows.
  ResultsStore writer = ResultsStore::Open(path);
  writer.InsertItems(std::vector<ItemRow>{MakeItem("x", 2, 0, "B")});
  EXPECT_EQ(ro.Items().size(), 2u);
}

TEST(ResultsStore, MoveTransfersTheConnection) {
  TempDir dir;
  ResultsStore a = ResultsStore::Open((dir / "a.sqlite").string());
  ResultsStore b = ResultsStore::Open((dir / "b.sqlite").string());
  a.SetMeta("which", "a");
  b = std::move(a);
  EXPECT_EQ(b.GetMeta("which"), "a");
  ResultsStore c(std::move(b));
  EXPECT_EQ(c.GetMeta("which"), "a");
  EXPECT_EQ(c.handle() != nullptr, true);
}

}  // namespace
}  // namespace gapbench::reports
