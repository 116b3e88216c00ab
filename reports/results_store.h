// The results store: one SQLite database (conventionally `results.sqlite`) holding everything a
// report needs -- sweeps, models, engine configurations, suites, shards and every item record --
// and the coordinator's journal of shard states. The schema is owned here and versioned: Open()
// applies the numbered migrations in order inside transactions and records them in
// `schema_migrations`; a database written by a newer gapbench is refused with a clear message.
//
// Durability contract (HARNESS_NOTES "Distribution"): WAL journal, synchronous=FULL, one writer
// per database. Every mutating call is one transaction committed before it returns, so a caller
// that acknowledges after the call returns never acknowledges something a crash can lose.
// Item results are write-once: re-inserting an equal record (same digest) is a no-op; a different
// record for the same (shard, item, sample) is kept out and counted as a non-determinism alarm.
//
// Not here: scheduling decisions (coordinator/), statistics and rendering (the rest of reports/).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace gapbench::reports {

inline constexpr int kSchemaVersion = 1;

enum class ShardState { kPending, kRunning, kDone, kPoison };
const char* ShardStateName(ShardState s);  // "pending" | "running" | "done" | "poison"
ShardState ParseShardState(std::string_view s);

struct SweepRow {
  std::string id;  // the sweep's content id (hash of its canonical shard list + name)
  std::string name;
  std::string file;       // the sweep file as given
  std::string spec_json;  // the sweep file's JSON as loaded (for the report's provenance)
  int64_t priority = 0;
  std::string git_commit;  // of gapbench's source, "" when unknown
  std::string gapbench_version;
  std::string machine;     // host name, CPU model, cores
  std::string started_at;  // ISO-8601 UTC, set when first queued
  std::string ended_at;    // "" until every shard is done or poison
};

struct ModelRow {
  std::string id;  // ModelIdentity's content id
  std::string alias;
  std::string path;
  int64_t size_bytes = 0;
  std::string file_hash;
  std::string metadata_json;  // architecture, parameters, file type, ... ("{}" when unknown)
};

struct ConfigurationRow {
  std::string hash;       // EngineConfig::Hash()
  std::string name;       // the sweep's name for it ("base", "q8"), informational
  std::string canonical;  // EngineConfig::Canonical()
};

struct SuiteRow {
  std::string content_hash;
  std::string name;
  std::string format;
  std::string version;
  std::string path;
  std::string manifest_json;
  int64_t n_items = 0;
};

// One shard as scheduled. The descriptive fields are fixed at creation (the id hashes them);
// state/attempts/last_error/worker are the coordinator's journal.
struct ShardRow {
  std::string id;
  std::string key;  // canonical JSON the id hashes
  std::string model_id;
  std::string config_hash;
  std::string strategy;  // canonical JSON of the strategy entry
  std::string suite_hash;
  int64_t begin = 0;  // item range [begin, end) in the suite's order
  int64_t end = 0;
  uint64_t seed = 0;
  int64_t samples = 1;
  std::string task_json;  // everything a worker needs to run it (coordinator/protocol.h)
  ShardState state = ShardState::kPending;
  int64_t attempts = 0;
  std::string last_error;
  std::string worker;        // last worker that held it
  int64_t n_items_done = 0;  // distinct item indices with results (maintained by InsertItems)
};

// One stored item result. `record_json` is suites::ItemRecordToJson without timing;
// `timing_json` holds latency and token-speed fields kept apart so runs diff item for item.
struct ItemRow {
  std::string shard_id;
  int64_t item_index = 0;  // index in the suite ([begin, end) of the shard)
  int64_t sample = 0;      // 0..samples-1
  std::string item_id;
  std::string record_json;
  std::string timing_json = "{}";
  std::string digest;  // HashHex(record_json): write-once check
  std::string worker;
};

// One entry of the event log (state changes, refusals, alarms), oldest first by `id`.
struct EventRow {
  int64_t id = 0;
  std::string at;  // ISO-8601 UTC with milliseconds
  std::string kind;
  std::string shard_id;  // "" when the event concerns no shard
  std::string worker;
  std::string detail_json;
};

struct InsertResult {
  int64_t inserted = 0;
  int64_t duplicates = 0;  // equal digest already stored: no-op
  int64_t conflicts = 0;   // different digest already stored: kept out, alarm
};

// One ResultsStore per thread: it owns one connection and its methods are not synchronised.
// Several stores (threads, processes) may share a file; SQLite serialises their writes, waiting up
// to a 5 s busy timeout. Read orders are documented in docs/RESULTS_DB.md.
class ResultsStore {
 public:
  // Creates the file when missing (mode 0600: items may hold private prompts and completions;
  // SQLite gives the -wal and -shm files the database's mode) and migrates it to
  // kSchemaVersion. Error naming the path when it is not a SQLite database, is from a newer
  // schema, or cannot be opened for writing.
  static ResultsStore Open(const std::string& path);
  // Open() for the one process that schedules on the database (the coordinator): also takes an
  // exclusive flock(2) on the database file for the store's life (the kernel drops it when the
  // process dies, kill -9 included). Error "in use" when another store holds it. (A refused call
  // closes its descriptor of the file, which drops the POSIX locks other SQLite connections of
  // the same process hold on it: only tests open one database twice in one process.)
  static ResultsStore OpenExclusive(const std::string& path);
  // For reads only (reports, compare): no migration, `PRAGMA query_only` (no SQL can write).
  // The file is opened read-write where permitted so that, being the last connection, closing
  // it removes the -wal/-shm files as a writer's close does (a read-only connection would leave
  // them beside a finished run); a file that is not writable is opened read-only. Error when the
  // schema is missing or newer.
  static ResultsStore OpenReadOnly(const std::string& path);

  ResultsStore(ResultsStore&&) noexcept;
  ResultsStore& operator=(ResultsStore&&) noexcept;
  ~ResultsStore();

  const std::string& path() const { return path_; }
  int schema_version() const;
  // True when this store created the database file (it did not exist before Open).
  bool created() const { return created_; }
  // Closes the connection and deletes the database file with its -wal, -shm and -journal (then
  // releases the exclusive lock). For a coordinator whose start failed on a database it created,
  // so no empty database is left behind. The store is unusable afterwards.
  void CloseAndRemove();

  // --- writes (each one transaction) ---
  // Insert or update by primary key (sweeps: name/priority/spec/ended_at may change).
  void UpsertSweep(const SweepRow& sweep);
  void UpsertModel(const ModelRow& model);
  void UpsertConfiguration(const ConfigurationRow& config);
  void UpsertSuite(const SuiteRow& suite);
  // Inserts the shards that are new (existing ids keep their state) and links all of them to the
  // sweep. Returns how many were new.
  int64_t AddShards(const std::string& sweep_id, std::span<const ShardRow> shards);
  void SetShardState(const std::string& shard_id, ShardState state, int64_t attempts,
                     std::string_view last_error, std::string_view worker);
  void SetSweepEnded(const std::string& sweep_id, const std::string& ended_at);
  // Write-once insert of item results (see the header comment); updates the shards'
  // n_items_done. All rows in one transaction.
  InsertResult InsertItems(std::span<const ItemRow> items);
  // Appends to the event log (state changes, refusals, alarms); `at` is filled in when empty.
  void LogEvent(std::string_view kind, std::string_view shard_id, std::string_view worker,
                std::string_view detail_json);
  // The `meta` key/value table (e.g. the coordinator's lease counter): insert or replace.
  void SetMeta(std::string_view key, std::string_view value);

  // --- reads ---
  std::vector<SweepRow> Sweeps() const;  // by priority desc, then started_at
  std::optional<SweepRow> Sweep(const std::string& id) const;
  std::vector<ModelRow> Models() const;
  std::vector<ConfigurationRow> Configurations() const;
  std::vector<SuiteRow> Suites() const;
  // All shards, or those linked to one sweep; ordered by sweep link order.
  std::vector<ShardRow> Shards(const std::optional<std::string>& sweep_id = std::nullopt) const;
  std::optional<ShardRow> Shard(const std::string& id) const;
  // Item rows of one shard (by item_index, sample), or of every shard of a sweep, or all.
  std::vector<ItemRow> ShardItems(const std::string& shard_id) const;
  std::vector<ItemRow> Items(const std::optional<std::string>& sweep_id = std::nullopt) const;
  // (item_index, sample) pairs already stored for a shard: a resumed shard skips them.
  std::vector<std::pair<int64_t, int64_t>> DoneItems(const std::string& shard_id) const;
  // The event log by id (oldest first), all kinds or one.
  std::vector<EventRow> Events(const std::optional<std::string>& kind = std::nullopt) const;
  std::optional<std::string> GetMeta(std::string_view key) const;

  // For the coordinator's own statements; not owned. A transaction opened on it groups the
  // store's calls: they join it as savepoints and are durable only at its COMMIT.
  sqlite3* handle() const { return db_; }

 private:
  ResultsStore(std::string path, sqlite3* db);
  void Close();
  std::string path_;
  sqlite3* db_ = nullptr;
  bool created_ = false;
  // OpenExclusive's flock'ed descriptor of the database file; closed only after db_, because
  // closing any descriptor of the file drops the process's POSIX (SQLite) locks on it.
  int lock_fd_ = -1;
};

}  // namespace gapbench::reports
