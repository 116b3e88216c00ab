// Durability and locking of the results store with real processes: a child inserts batches and
// acknowledges each one through a pipe only after InsertItems returned; the parent kills it with
// SIGKILL at once, reopens the file and finds every acknowledged item (several rounds, killed at
// different moments). Also: a writer blocked past the busy timeout gets a clear Error, and two
// processes writing the same file at once both succeed (SQLite serialises them).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "reports/results_store.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

using gapbench::testing::TempDir;

constexpr int64_t kBatch = 8;  // items per InsertItems call

ItemRow Item(const std::string& shard, int64_t index) {
  ItemRow r;
  r.shard_id = shard;
  r.item_index = index;
  r.item_id = "q" + std::to_string(index);
  r.record_json = R"({"id":"q)" + std::to_string(index) + R"(","correct":true})";
  r.worker = "child";
  return r;
}

void Prepare(const std::string& path, const std::vector<std::string>& shards) {
  ResultsStore store = ResultsStore::Open(path);
  SweepRow sweep;
  sweep.id = "sw";
  sweep.name = "durability";
  store.UpsertSweep(sweep);
  std::vector<ShardRow> rows;
  for (const std::string& id : shards) {
    ShardRow s;
    s.id = id;
    s.key = id;
    s.begin = 0;
    s.end = 1'000'000;
    rows.push_back(s);
  }
  store.AddShards("sw", rows);
}

// In the child: insert batches forever, acknowledging batch numbers through `ack_fd` only after
// the call returned. Never returns.
[[noreturn]] void InsertForever(const std::string& path, const std::string& shard, int ack_fd) {
  try {
    ResultsStore store = ResultsStore::Open(path);
    for (int32_t batch = 0;; ++batch) {
      std::vector<ItemRow> items;
      for (int64_t k = 0; k < kBatch; ++k) items.push_back(Item(shard, batch * kBatch + k));
      const InsertResult r = store.InsertItems(items);
      if (r.inserted != kBatch) _exit(3);
      if (write(ack_fd, &batch, sizeof batch) != sizeof batch) _exit(4);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child: %s\n", e.what());
    _exit(2);
  }
}

TEST(ResultsStoreDurability, AcknowledgedItemsSurviveSigkill) {
  for (int round = 0; round < 6; ++round) {
    TempDir dir;
    const std::string path = (dir / "results.sqlite").string();
    Prepare(path, {"s"});
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      InsertForever(path, "s", fds[1]);
    }
    close(fds[1]);
    // Kill after a different number of acknowledgements each round (1 .. 51), immediately.
    const size_t kill_after = 1 + 10 * static_cast<size_t>(round);
    std::vector<int32_t> acked;
    int32_t batch = 0;
    while (acked.size() < kill_after && read(fds[0], &batch, sizeof batch) == sizeof batch) {
      acked.push_back(batch);
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    // Acknowledgements written before the kill are still in the pipe: they count too.
    while (read(fds[0], &batch, sizeof batch) == sizeof batch) acked.push_back(batch);
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child ended on its own (status " << status << ") before it was killed";
    ASSERT_GE(acked.size(), kill_after);

    ResultsStore store = ResultsStore::Open(path);
    std::set<int64_t> stored;
    for (const auto& [index, sample] : store.DoneItems("s")) stored.insert(index);
    for (int32_t b : acked) {
      for (int64_t k = 0; k < kBatch; ++k) {
        ASSERT_TRUE(stored.count(b * kBatch + k))
            << "round " << round << ": acknowledged item " << b * kBatch + k << " is missing";
      }
    }
    // Batches are atomic: whole batches only, whatever moment the kill hit.
    EXPECT_EQ(stored.size() % kBatch, 0u) << "round " << round;
    EXPECT_EQ(store.Shard("s")->n_items_done, static_cast<int64_t>(stored.size()));
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(store.handle(), "PRAGMA integrity_check", -1, &st, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
    sqlite3_finalize(st);
  }
}

TEST(ResultsStoreDurability, TwoProcessesWriteTheSameFile) {
  TempDir dir;
  const std::string path = (dir / "results.sqlite").string();
  Prepare(path, {"a", "b"});
  constexpr int32_t kBatches = 40;
  std::vector<pid_t> children;
  for (const char* shard : {"a", "b"}) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        ResultsStore store = ResultsStore::Open(path);
        for (int32_t batch = 0; batch < kBatches; ++batch) {
          std::vector<ItemRow> items;
          for (int64_t k = 0; k < kBatch; ++k) items.push_back(Item(shard, batch * kBatch + k));
          store.InsertItems(items);
          store.SetShardState(shard, ShardState::kRunning, batch, "", shard);
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "child: %s\n", e.what());
        _exit(2);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  ResultsStore store = ResultsStore::Open(path);
  EXPECT_EQ(store.Shard("a")->n_items_done, kBatches * kBatch);
  EXPECT_EQ(store.Shard("b")->n_items_done, kBatches * kBatch);
  EXPECT_EQ(store.Shard("b")->attempts, kBatches - 1);
}

TEST(ResultsStoreDurability, ConcurrentFirstOpensMigrateOnce) {
  for (int round = 0; round < 3; ++round) {
    TempDir dir;
    const std::string path = (dir / "results.sqlite").string();
    std::vector<pid_t> children;
    for (int i = 0; i < 4; ++i) {
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        try {
          ResultsStore store = ResultsStore::Open(path);
          store.LogEvent("opened", "", std::to_string(i), "{}");
        } catch (const std::exception& e) {
          std::fprintf(stderr, "child: %s\n", e.what());
          _exit(2);
        }
        _exit(0);
      }
      children.push_back(pid);
    }
    for (pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    }
    ResultsStore store = ResultsStore::Open(path);
    EXPECT_EQ(store.Events("opened").size(), 4u);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(store.handle(), "SELECT COUNT(*) FROM schema_migrations", -1, &st,
                                 nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), kSchemaVersion);
    sqlite3_finalize(st);
  }
}

TEST(ResultsStoreDurability, BlockedWriterFailsClearlyAfterTheBusyTimeout) {
  TempDir dir;
  const std::string path = (dir / "results.sqlite").string();
  ResultsStore holder = ResultsStore::Open(path);
  ResultsStore blocked = ResultsStore::Open(path);
  ASSERT_EQ(sqlite3_exec(holder.handle(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const auto start = std::chrono::steady_clock::now();
  try {
    blocked.SetMeta("k", "v");
    ADD_FAILURE() << "a write went through while another connection held the write lock";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("SetMeta"), std::string::npos) << message;
    EXPECT_NE(message.find("locked"), std::string::npos) << message;
  }
  // It waited (busy_timeout) instead of failing at once.
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  ASSERT_EQ(sqlite3_exec(holder.handle(), "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  blocked.SetMeta("k", "v");  // free again
  EXPECT_EQ(holder.GetMeta("k"), "v");
}

}  // namespace
}  // namespace gapbench::reports
