// The SQLite results store (see results_store.h and docs/RESULTS_DB.md): connection setup and
// its checks (WAL really on, synchronous=FULL, foreign keys), the numbered migrations, and every
// read and write as prepared statements with bound parameters.
//
// Not here: what the rows mean for scheduling (coordinator/) or for statistics (reports/).
// One ResultsStore per thread: the object holds one connection and its methods are not
// synchronised; SQLite itself serialises writers across connections and processes.
#include "reports/results_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <thread>
#include <utility>

#include "common/error.h"
#include "common/hash.h"
#include "common/json.h"
#include "reports/sqlite_util.h"

namespace gapbench::reports {
namespace {

using sql::Statement;
using sql::Transaction;

constexpr int kBusyTimeoutMs = 5000;

// Migration N brings a database from version N-1 to N. Append only: a released script is never
// edited (databases in the field already ran it); a change is a new script.
struct Migration {
  int version;
  const char* sql;
};

constexpr const char* kMigration1 = R"sql(
CREATE TABLE sweeps (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  file TEXT NOT NULL DEFAULT '',
  spec_json TEXT NOT NULL DEFAULT '{}',
  priority INTEGER NOT NULL DEFAULT 0,
  git_commit TEXT NOT NULL DEFAULT '',
  gapbench_version TEXT NOT NULL DEFAULT '',
  machine TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL DEFAULT '',
  ended_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE models (
  id TEXT PRIMARY KEY,
  alias TEXT NOT NULL DEFAULT '',
  path TEXT NOT NULL DEFAULT '',
  size_bytes INTEGER NOT NULL DEFAULT 0,
  file_hash TEXT NOT NULL DEFAULT '',
  metadata_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE configurations (
  hash TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  canonical TEXT NOT NULL DEFAULT ''
);
CREATE TABLE suites (
  content_hash TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  format TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL DEFAULT '',
  path TEXT NOT NULL DEFAULT '',
  manifest_json TEXT NOT NULL DEFAULT '{}',
  n_items INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE shards (
  id TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  model_id TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  strategy TEXT NOT NULL,
  suite_hash TEXT NOT NULL,
  item_begin INTEGER NOT NULL,
  item_end INTEGER NOT NULL,
  seed INTEGER NOT NULL,
  samples INTEGER NOT NULL,
  task_json TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'running', 'done', 'poison')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  worker TEXT NOT NULL DEFAULT '',
  n_items_done INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CHECK (item_begin >= 0 AND item_end >= item_begin AND samples >= 1)
);
CREATE INDEX shards_state ON shards(state);
CREATE TABLE sweep_shards (
  sweep_id TEXT NOT NULL REFERENCES sweeps(id),
  shard_id TEXT NOT NULL REFERENCES shards(id),
  position INTEGER NOT NULL,
  PRIMARY KEY (sweep_id, shard_id),
  UNIQUE (sweep_id, position)
);
CREATE INDEX sweep_shards_shard ON sweep_shards(shard_id);
CREATE TABLE items (
  shard_id TEXT NOT NULL REFERENCES shards(id),
  item_index INTEGER NOT NULL,
  sample INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  record_json TEXT NOT NULL,
  timing_json TEXT NOT NULL DEFAULT '{}',
  digest TEXT NOT NULL,
  worker TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  PRIMARY KEY (shard_id, item_index, sample)
);
CREATE INDEX items_item_id ON items(item_id);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  shard_id TEXT NOT NULL DEFAULT '',
  worker TEXT NOT NULL DEFAULT '',
  detail_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_kind ON events(kind);
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

constexpr std::array<Migration, 1> kMigrations = {{{1, kMigration1}}};
static_assert(kMigrations.back().version == kSchemaVersion,
              "the last migration must bring the schema to kSchemaVersion");

// ISO-8601 UTC with milliseconds: sorts as text in time order.
std::string NowIso() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buffer, static_cast<int>(ms % 1000));
  return out;
}

std::string Where(const std::string& path, std::string_view operation) {
  return StrCat("results store '", path, "': ", operation);
}

bool TableExists(sqlite3* db, const std::string& path, const char* table) {
  Statement st(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
               Where(path, "reading the schema"));
  st.BindAll(table);
  return st.Step();
}

// 0 when the database has no schema_migrations table yet. Refuses a newer schema and a SQLite
// file that holds someone else's tables.
int CheckedSchemaVersion(sqlite3* db, const std::string& path) {
  if (!TableExists(db, path, "schema_migrations")) {
    Statement any(db, "SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 1",
                  Where(path, "reading the schema"));
    if (any.Step()) {
      Fail("results store '", path, "': a SQLite database but not a gapbench results store (it ",
           "has a table '", any.Text(0), "' but no schema_migrations); choose another file");
    }
    return 0;
  }
  Statement st(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
               Where(path, "reading the schema version"));
  st.Step();
  const int64_t version = st.Int(0);
  if (version > kSchemaVersion) {
    Fail("results store '", path, "': written by a newer gapbench: schema ", version, " > ",
         kSchemaVersion, "; use that gapbench (or a newer one) to read it");
  }
  return static_cast<int>(version);
}

// Switching to WAL takes an exclusive lock, and SQLite does not run the busy handler for it when
// other connections are opening the same fresh file (it answers SQLITE_BUSY at once). Retry for
// as long as busy_timeout would have waited. Returns the journal mode now in effect.
std::string SwitchToWal(sqlite3* db, const std::string& path) {
  const std::string where = Where(path, "PRAGMA journal_mode=WAL");
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    try {
      Statement st(db, "PRAGMA journal_mode=WAL", where);
      return st.Step() ? st.Text(0) : std::string();
    } catch (const Error&) {
      const int rc = sqlite3_errcode(db) & 0xff;
      if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) ||
          std::chrono::steady_clock::now() >= deadline) {
        throw;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The pre-migration checks read a consistent snapshot: another process may be migrating the
// same fresh file right now (its tables appear all at once, with its commit).
int CheckedSchemaVersionSnapshot(sqlite3* db, const std::string& path) {
  const std::string where = Where(path, "reading the schema");
  sql::Exec(db, "BEGIN", where);
  try {
    const int version = CheckedSchemaVersion(db, path);
    sql::Exec(db, "COMMIT", where);
    return version;
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void Migrate(sqlite3* db, const std::string& path) {
  for (const Migration& migration : kMigrations) {
    const std::string where = Where(path, StrCat("migration ", migration.version));
    // Each step re-reads the version inside its own write transaction, so two processes opening
    // a fresh file at once cannot both apply a script.
    Transaction tx(db, where);
    sql::Exec(db,
              "CREATE TABLE IF NOT EXISTS schema_migrations ("
              "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
              where);
    const int current = CheckedSchemaVersion(db, path);
    if (current >= migration.version) {
      tx.Commit();
      continue;
    }
    GB_CHECK(current == migration.version - 1, "migrations must be numbered without gaps");
    sql::Exec(db, migration.sql, where);
    Statement record(db, "INSERT INTO schema_migrations(version, applied_at) VALUES (?1, ?2)",
                     where);
    record.BindAll(migration.version, NowIso()).Run();
    tx.Commit();
  }
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

DbPtr OpenConnection(const std::string& path, int flags, std::string_view operation) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);  // sqlite3_open_v2 hands out a handle even on failure; it must be closed
  if (rc != SQLITE_OK) sql::FailSqlite(db.get(), rc, Where(path, operation));
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  sqlite3_extended_result_codes(db.get(), 1);
  // A results file may come from elsewhere (a CI artefact, a colleague's run): no schema
  // objects that run application-defined functions, no writes to the schema by SQL.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  return db;
}

// Every table the store reads must be a real table: a view (or anything else) under one of
// these names in a hostile file could run arbitrary, unbounded queries.
void CheckRealTables(sqlite3* db, const std::string& path) {
  for (const char* name : {"schema_migrations", "sweeps", "models", "configurations", "suites",
                           "shards", "sweep_shards", "items", "events", "meta"}) {
    Statement st(db, "SELECT type FROM sqlite_master WHERE name = ?1", Where(path, "schema check"));
    st.BindAll(std::string(name));
    if (!st.Step()) {
      Fail("results store '", path, "': table '", name, "' is missing (not a gapbench results ",
           "database, or a damaged one)");
    }
    if (st.Text(0) != "table") {
      Fail("results store '", path, "': '", name, "' is a ", st.Text(0), ", not a table (not a ",
           "gapbench results database)");
    }
  }
}

// Column lists and readers shared by the several queries of each table.
constexpr const char* kSweepColumns =
    "id, name, file, spec_json, priority, git_commit, gapbench_version, machine, started_at, "
    "ended_at";
SweepRow ReadSweep(const Statement& st) {
  SweepRow r;
  r.id = st.Text(0);
  r.name = st.Text(1);
  r.file = st.Text(2);
  r.spec_json = st.Text(3);
  r.priority = st.Int(4);
  r.git_commit = st.Text(5);
  r.gapbench_version = st.Text(6);
  r.machine = st.Text(7);
  r.started_at = st.Text(8);
  r.ended_at = st.Text(9);
  return r;
}

// Prefixed with "s." so the list also works in joins.
constexpr const char* kShardColumns =
    "s.id, s.key, s.model_id, s.config_hash, s.strategy, s.suite_hash, s.item_begin, "
    "s.item_end, s.seed, s.samples, s.task_json, s.state, s.attempts, s.last_error, s.worker, "
    "s.n_items_done";
ShardRow ReadShard(const Statement& st) {
  ShardRow r;
  r.id = st.Text(0);
  r.key = st.Text(1);
  r.model_id = st.Text(2);
  r.config_hash = st.Text(3);
  r.strategy = st.Text(4);
  r.suite_hash = st.Text(5);
  r.begin = st.Int(6);
  r.end = st.Int(7);
  // SQLite integers are signed 64-bit: the seed is stored as the same 64 bits.
  r.seed = static_cast<uint64_t>(st.Int(8));
  r.samples = st.Int(9);
  r.task_json = st.Text(10);
  r.state = ParseShardState(st.Text(11));
  r.attempts = st.Int(12);
  r.last_error = st.Text(13);
  r.worker = st.Text(14);
  r.n_items_done = st.Int(15);
  return r;
}

constexpr const char* kItemColumns =
    "i.shard_id, i.item_index, i.sample, i.item_id, i.record_json, i.timing_json, i.digest, "
    "i.worker";
ItemRow ReadItem(const Statement& st) {
  ItemRow r;
  r.shard_id = st.Text(0);
  r.item_index = st.Int(1);
  r.sample = st.Int(2);
  r.item_id = st.Text(3);
  r.record_json = st.Text(4);
  r.timing_json = st.Text(5);
  r.digest = st.Text(6);
  r.worker = st.Text(7);
  return r;
}

std::string ConflictDetail(const ItemRow& item, const std::string& stored_digest,
                           const std::string& stored_worker, const std::string& new_digest) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("item_index");
  w.Int64(item.item_index);
  w.Key("sample");
  w.Int64(item.sample);
  w.Key("item_id");
  WriteJsonString(w, item.item_id);
  w.Key("stored_digest");
  WriteJsonString(w, stored_digest);
  w.Key("stored_worker");
  WriteJsonString(w, stored_worker);
  w.Key("new_digest");
  WriteJsonString(w, new_digest);
  w.Key("new_worker");
  WriteJsonString(w, item.worker);
  w.EndObject();
  return buffer.GetString();
}

}  // namespace

const char* ShardStateName(ShardState s) {
  switch (s) {
    case ShardState::kPending:
      return "pending";
    case ShardState::kRunning:
      return "running";
    case ShardState::kDone:
      return "done";
    case ShardState::kPoison:
      return "poison";
  }
  return "pending";
}

ShardState ParseShardState(std::string_view s) {
  if (s == "pending") return ShardState::kPending;
  if (s == "running") return ShardState::kRunning;
  if (s == "done") return ShardState::kDone;
  if (s == "poison") return ShardState::kPoison;
  Fail("unknown shard state '", s, "' (expected pending, running, done or poison)");
}

ResultsStore::ResultsStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

ResultsStore::ResultsStore(ResultsStore&& other) noexcept
    : path_(std::move(other.path_)),
      db_(std::exchange(other.db_, nullptr)),
      created_(other.created_),
      lock_fd_(std::exchange(other.lock_fd_, -1)) {}

ResultsStore& ResultsStore::operator=(ResultsStore&& other) noexcept {
  if (this != &other) {
    Close();
    path_ = std::move(other.path_);
    db_ = std::exchange(other.db_, nullptr);
    created_ = other.created_;
    lock_fd_ = std::exchange(other.lock_fd_, -1);
  }
  return *this;
}

ResultsStore::~ResultsStore() { Close(); }

namespace {

// Creates a missing database file owner-only (0600) from its first byte; SQLite then gives the
// -wal and -shm files the same mode. O_EXCL: never takes over a file that appeared meanwhile.
// Returns the open descriptor (-1 when the file already existed) and sets `created`.
int CreateOwnerOnly(const std::string& path, bool* created) {
  *created = false;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    *created = true;
    return fd;
  }
  if (errno == EEXIST) return -1;
  Fail("results store '", path, "': cannot create the file: ", std::strerror(errno));
}

void RemoveDatabaseFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    ::unlink((path + suffix).c_str());
  }
}

// Checks, WAL, pragmas and migrations of a writable connection.
void InitializeWritable(sqlite3* db, const std::string& path) {
  // SQLite silently falls back to read-only when the file is not writable.
  if (sqlite3_db_readonly(db, "main") == 1) {
    Fail("results store '", path, "': cannot be opened for writing (check the file's ",
         "permissions and its directory's)");
  }
  // Refuse a newer or foreign database before changing anything in it (journal mode included).
  // This first read is also where a file that is not SQLite at all is reported.
  CheckedSchemaVersionSnapshot(db, path);
  const std::string mode = SwitchToWal(db, path);
  if (mode != "wal") {
    Fail("results store '", path, "': could not switch to WAL journal mode (SQLite reports '", mode,
         "'); the store needs a local file system with shared-memory support (not NFS ",
         "or a read-only mount)");
  }
  sql::Exec(db, "PRAGMA synchronous=FULL", Where(path, "PRAGMA synchronous=FULL"));
  sql::Exec(db, "PRAGMA foreign_keys=ON", Where(path, "PRAGMA foreign_keys=ON"));
  Migrate(db, path);
}

}  // namespace

ResultsStore ResultsStore::Open(const std::string& path) {
  bool created = false;
  const int fd = CreateOwnerOnly(path, &created);
  if (fd >= 0) ::close(fd);  // nothing of SQLite's has the new file open yet
  try {
    ResultsStore store(path, nullptr);
    store.db_ = OpenConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "open").release();
    store.created_ = created;
    InitializeWritable(store.db_, path);
    return store;
  } catch (...) {
    if (created) RemoveDatabaseFiles(path);
    throw;
  }
}

ResultsStore ResultsStore::OpenExclusive(const std::string& path) {
  bool created = false;
  int fd = CreateOwnerOnly(path, &created);
  if (fd < 0) fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    Fail("results store '", path, "': cannot open the file: ", std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);  // (a file created here and locked by another process meanwhile stays)
    if (err == EWOULDBLOCK) {
      FailResource(
          "results store '", path, "' is in use by another coordinator (`gapbench coordinator` ",
          "or `gapbench run` on the same database); only one may schedule on a database: stop ",
          "the other one, or use another --db / --out");
    }
    FailResource("results store '", path, "': cannot lock the file: ", std::strerror(err));
  }
  ResultsStore store(path, nullptr);
  store.lock_fd_ = fd;  // released by ~ResultsStore after the connection (also on the throw)
  try {
    store.db_ = OpenConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "open").release();
    store.created_ = created;
    InitializeWritable(store.db_, path);
  } catch (...) {
    if (created) store.CloseAndRemove();
    throw;
  }
  return store;
}

ResultsStore ResultsStore::OpenReadOnly(const std::string& path) {
  // Read-write at the file level where permitted (see the header): query_only keeps SQL out.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const bool writable = ::access(path.c_str(), W_OK) == 0 &&
                        ::access(parent.empty() ? "." : parent.c_str(), W_OK) == 0;
  DbPtr db = OpenConnection(path, writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY,
                            "open read-only");
  sql::Exec(db.get(), "PRAGMA query_only=ON", Where(path, "PRAGMA query_only=ON"));
  const int version = CheckedSchemaVersionSnapshot(db.get(), path);
  if (version == 0) {
    Fail("results store '", path, "': no gapbench schema in it (an empty database, or a run ",
         "that never started)");
  }
  if (version < kSchemaVersion) {
    Fail("results store '", path, "': schema ", version, " is older than this gapbench's ",
         kSchemaVersion, "; open it once read-write (e.g. with the coordinator) to migrate it");
  }
  CheckRealTables(db.get(), path);
  return ResultsStore(path, db.release());
}

void ResultsStore::Close() {
  sqlite3_close_v2(db_);
  db_ = nullptr;
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
}

void ResultsStore::CloseAndRemove() {
  sqlite3_close_v2(db_);
  db_ = nullptr;
  RemoveDatabaseFiles(path_);  // still under the lock, when there is one
  Close();
}

int ResultsStore::schema_version() const {
  Statement st(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
               Where(path_, "schema_version"));
  st.Step();
  return static_cast<int>(st.Int(0));
}

// ---------------------------------------------------------------------------------------------
// Writes

void ResultsStore::UpsertSweep(const SweepRow& sweep) {
  const std::string where = Where(path_, StrCat("UpsertSweep '", sweep.id, "'"));
  Transaction tx(db_, where);
  // started_at is set once ("when first queued"): an update keeps the stored value.
  Statement st(db_,
               "INSERT INTO sweeps(id, name, file, spec_json, priority, git_commit, "
               "gapbench_version, machine, started_at, ended_at) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
               "ON CONFLICT(id) DO UPDATE SET name = excluded.name, file = excluded.file, "
               "spec_json = excluded.spec_json, priority = excluded.priority, "
               "git_commit = excluded.git_commit, gapbench_version = excluded.gapbench_version, "
               "machine = excluded.machine, "
               "started_at = CASE WHEN sweeps.started_at = '' THEN excluded.started_at "
               "ELSE sweeps.started_at END, "
               "ended_at = excluded.ended_at",
               where);
  st.BindAll(sweep.id, sweep.name, sweep.file, sweep.spec_json, sweep.priority, sweep.git_commit,
             sweep.gapbench_version, sweep.machine,
             sweep.started_at.empty() ? NowIso() : sweep.started_at, sweep.ended_at)
      .Run();
  tx.Commit();
}

void ResultsStore::UpsertModel(const ModelRow& model) {
  const std::string where = Where(path_, StrCat("UpsertModel '", model.id, "'"));
  Transaction tx(db_, where);
  Statement st(db_,
               "INSERT INTO models(id, alias, path, size_bytes, file_hash, metadata_json) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
               "ON CONFLICT(id) DO UPDATE SET alias = excluded.alias, path = excluded.path, "
               "size_bytes = excluded.size_bytes, file_hash = excluded.file_hash, "
               "metadata_json = excluded.metadata_json",
               where);
  st.BindAll(model.id, model.alias, model.path, model.size_bytes, model.file_hash,
             model.metadata_json.empty() ? std::string("{}") : model.metadata_json)
      .Run();
  tx.Commit();
}

void ResultsStore::UpsertConfiguration(const ConfigurationRow& config) {
  const std::string where = Where(path_, StrCat("UpsertConfiguration '", config.hash, "'"));
  Transaction tx(db_, where);
  Statement st(db_,
               "INSERT INTO configurations(hash, name, canonical) VALUES (?1, ?2, ?3) "
               "ON CONFLICT(hash) DO UPDATE SET name = excluded.name, "
               "canonical = excluded.canonical",
               where);
  st.BindAll(config.hash, config.name, config.canonical).Run();
  tx.Commit();
}

void ResultsStore::UpsertSuite(const SuiteRow& suite) {
  const std::string where = Where(path_, StrCat("UpsertSuite '", suite.content_hash, "'"));
  Transaction tx(db_, where);
  Statement st(db_,
               "INSERT INTO suites(content_hash, name, format, version, path, manifest_json, "
               "n_items) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
               "ON CONFLICT(content_hash) DO UPDATE SET name = excluded.name, "
               "format = excluded.format, version = excluded.version, path = excluded.path, "
               "manifest_json = excluded.manifest_json, n_items = excluded.n_items",
               where);
  st.BindAll(suite.content_hash, suite.name, suite.format, suite.version, suite.path,
             suite.manifest_json.empty() ? std::string("{}") : suite.manifest_json, suite.n_items)
      .Run();
  tx.Commit();
}

int64_t ResultsStore::AddShards(const std::string& sweep_id, std::span<const ShardRow> shards) {
  const std::string where = Where(path_, StrCat("AddShards to sweep '", sweep_id, "'"));
  Transaction tx(db_, where);
  {
    Statement exists(db_, "SELECT 1 FROM sweeps WHERE id = ?1", where);
    if (!exists.BindAll(sweep_id).Step()) {
      Fail(where, ": the sweep is not in the store (UpsertSweep it first)");
    }
  }
  // New links continue after the sweep's last position, so calling AddShards again (a restart,
  // or shards added in chunks) keeps earlier positions and appends the rest in span order.
  int64_t next_position = 0;
  {
    Statement last(
        db_, "SELECT COALESCE(MAX(position) + 1, 0) FROM sweep_shards WHERE sweep_id = ?1", where);
    last.BindAll(sweep_id).Step();
    next_position = last.Int(0);
  }
  Statement insert(db_,
                   "INSERT INTO shards(id, key, model_id, config_hash, strategy, suite_hash, "
                   "item_begin, item_end, seed, samples, task_json, state, attempts, last_error, "
                   "worker, n_items_done, created_at, updated_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                   "0, ?16, ?16) ON CONFLICT(id) DO NOTHING",
                   where);
  Statement link(db_,
                 "INSERT INTO sweep_shards(sweep_id, shard_id, position) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT(sweep_id, shard_id) DO NOTHING",
                 where);
  const std::string now = NowIso();
  int64_t n_new = 0;
  for (const ShardRow& s : shards) {
    insert.BindAll(s.id, s.key, s.model_id, s.config_hash, s.strategy, s.suite_hash, s.begin, s.end,
                   static_cast<int64_t>(s.seed), s.samples,
                   s.task_json.empty() ? std::string("{}") : s.task_json, ShardStateName(s.state),
                   s.attempts, s.last_error, s.worker, now);
    insert.Run();
    n_new += sqlite3_changes(db_);
    insert.Reset();
    link.BindAll(sweep_id, s.id, next_position);
    link.Run();
    next_position += sqlite3_changes(db_);
    link.Reset();
  }
  tx.Commit();
  return n_new;
}

void ResultsStore::SetShardState(const std::string& shard_id, ShardState state, int64_t attempts,
                                 std::string_view last_error, std::string_view worker) {
  const std::string where = Where(path_, StrCat("SetShardState '", shard_id, "'"));
  Transaction tx(db_, where);
  Statement st(db_,
               "UPDATE shards SET state = ?2, attempts = ?3, last_error = ?4, worker = ?5, "
               "updated_at = ?6 WHERE id = ?1",
               where);
  st.BindAll(shard_id, ShardStateName(state), attempts, last_error, worker, NowIso()).Run();
  if (sqlite3_changes(db_) == 0) Fail(where, ": no such shard");
  tx.Commit();
}

void ResultsStore::SetSweepEnded(const std::string& sweep_id, const std::string& ended_at) {
  const std::string where = Where(path_, StrCat("SetSweepEnded '", sweep_id, "'"));
  Transaction tx(db_, where);
  Statement st(db_, "UPDATE sweeps SET ended_at = ?2 WHERE id = ?1", where);
  st.BindAll(sweep_id, ended_at).Run();
  if (sqlite3_changes(db_) == 0) Fail(where, ": no such sweep");
  tx.Commit();
}

InsertResult ResultsStore::InsertItems(std::span<const ItemRow> items) {
  const std::string where = Where(path_, "InsertItems");
  Transaction tx(db_, where);
  Statement shard_q(db_, "SELECT item_begin, item_end, samples FROM shards WHERE id = ?1", where);
  Statement insert(db_,
                   "INSERT INTO items(shard_id, item_index, sample, item_id, record_json, "
                   "timing_json, digest, worker, created_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                   "ON CONFLICT(shard_id, item_index, sample) DO NOTHING",
                   where);
  Statement stored(db_,
                   "SELECT digest, worker FROM items "
                   "WHERE shard_id = ?1 AND item_index = ?2 AND sample = ?3",
                   where);
  struct Range {
    int64_t begin, end, samples;
  };
  std::map<std::string, Range> touched;  // the shards of this batch, checked once each
  const std::string now = NowIso();
  InsertResult result;
  for (const ItemRow& item : items) {
    auto it = touched.find(item.shard_id);
    if (it == touched.end()) {
      shard_q.BindAll(item.shard_id);
      if (!shard_q.Step()) {
        Fail(where, ": result for unknown shard '", item.shard_id, "' (item ", item.item_index,
             "); nothing of this batch was stored");
      }
      it = touched.emplace(item.shard_id, Range{shard_q.Int(0), shard_q.Int(1), shard_q.Int(2)})
               .first;
      shard_q.Reset();
    }
    const Range& range = it->second;
    if (item.item_index < range.begin || item.item_index >= range.end || item.sample < 0 ||
        item.sample >= range.samples) {
      Fail(where, ": shard '", item.shard_id, "' covers items [", range.begin, ", ", range.end,
           ") with ", range.samples, " sample(s); got item ", item.item_index, " sample ",
           item.sample, "; nothing of this batch was stored");
    }
    const std::string digest = HashHex(item.record_json);
    if (!item.digest.empty() && item.digest != digest) {
      Fail(where, ": shard '", item.shard_id, "' item ", item.item_index, " sample ", item.sample,
           ": digest ", item.digest, " does not match its record (", digest,
           "); nothing of this batch was stored");
    }
    insert.BindAll(item.shard_id, item.item_index, item.sample, item.item_id, item.record_json,
                   item.timing_json.empty() ? std::string("{}") : item.timing_json, digest,
                   item.worker, now);
    insert.Run();
    const bool inserted = sqlite3_changes(db_) == 1;
    insert.Reset();
    if (inserted) {
      ++result.inserted;
      continue;
    }
    stored.BindAll(item.shard_id, item.item_index, item.sample);
    GB_CHECK(stored.Step(), "an item the insert collided with must exist");
    const std::string stored_digest = stored.Text(0);
    const std::string stored_worker = stored.Text(1);
    stored.Reset();
    if (stored_digest == digest) {
      ++result.duplicates;
    } else {
      // Non-determinism alarm: the stored record stays, the new one is only described.
      ++result.conflicts;
      LogEvent("conflict", item.shard_id, item.worker,
               ConflictDetail(item, stored_digest, stored_worker, digest));
    }
  }
  // Recomputed from the rows, never incremented, so it cannot drift from what is stored.
  Statement count(db_,
                  "UPDATE shards SET n_items_done = (SELECT COUNT(DISTINCT item_index) FROM items "
                  "WHERE items.shard_id = shards.id), updated_at = ?2 WHERE id = ?1",
                  where);
  for (const auto& [shard_id, range] : touched) {
    count.BindAll(shard_id, now).Run();
    count.Reset();
  }
  tx.Commit();
  return result;
}

void ResultsStore::LogEvent(std::string_view kind, std::string_view shard_id,
                            std::string_view worker, std::string_view detail_json) {
  const std::string where = Where(path_, StrCat("LogEvent '", kind, "'"));
  Transaction tx(db_, where);
  Statement st(db_,
               "INSERT INTO events(at, kind, shard_id, worker, detail_json) "
               "VALUES (?1, ?2, ?3, ?4, ?5)",
               where);
  st.BindAll(NowIso(), kind, shard_id, worker,
             detail_json.empty() ? std::string_view("{}") : detail_json)
      .Run();
  tx.Commit();
}

void ResultsStore::SetMeta(std::string_view key, std::string_view value) {
  const std::string where = Where(path_, StrCat("SetMeta '", key, "'"));
  Transaction tx(db_, where);
  Statement st(db_,
               "INSERT INTO meta(key, value) VALUES (?1, ?2) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
               where);
  st.BindAll(key, value).Run();
  tx.Commit();
}

// ---------------------------------------------------------------------------------------------
// Reads

std::vector<SweepRow> ResultsStore::Sweeps() const {
  Statement st(
      db_, StrCat("SELECT ", kSweepColumns, " FROM sweeps ORDER BY priority DESC, started_at, id"),
      Where(path_, "Sweeps"));
  std::vector<SweepRow> out;
  while (st.Step()) out.push_back(ReadSweep(st));
  return out;
}

std::optional<SweepRow> ResultsStore::Sweep(const std::string& id) const {
  Statement st(db_, StrCat("SELECT ", kSweepColumns, " FROM sweeps WHERE id = ?1"),
               Where(path_, "Sweep"));
  if (!st.BindAll(id).Step()) return std::nullopt;
  return ReadSweep(st);
}

std::vector<ModelRow> ResultsStore::Models() const {
  Statement st(db_,
               "SELECT id, alias, path, size_bytes, file_hash, metadata_json FROM models "
               "ORDER BY id",
               Where(path_, "Models"));
  std::vector<ModelRow> out;
  while (st.Step()) {
    out.push_back(ModelRow{st.Text(0), st.Text(1), st.Text(2), st.Int(3), st.Text(4), st.Text(5)});
  }
  return out;
}

std::vector<ConfigurationRow> ResultsStore::Configurations() const {
  Statement st(db_, "SELECT hash, name, canonical FROM configurations ORDER BY hash",
               Where(path_, "Configurations"));
  std::vector<ConfigurationRow> out;
  while (st.Step()) out.push_back(ConfigurationRow{st.Text(0), st.Text(1), st.Text(2)});
  return out;
}

std::vector<SuiteRow> ResultsStore::Suites() const {
  Statement st(db_,
               "SELECT content_hash, name, format, version, path, manifest_json, n_items "
               "FROM suites ORDER BY content_hash",
               Where(path_, "Suites"));
  std::vector<SuiteRow> out;
  while (st.Step()) {
    out.push_back(SuiteRow{st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Text(5),
                           st.Int(6)});
  }
  return out;
}

std::vector<ShardRow> ResultsStore::Shards(const std::optional<std::string>& sweep_id) const {
  // One sweep: its link order. All: the order shards were first added (rowid only grows here).
  std::vector<ShardRow> out;
  if (sweep_id) {
    Statement st(db_,
                 StrCat("SELECT ", kShardColumns,
                        " FROM sweep_shards l JOIN shards s ON s.id = l.shard_id "
                        "WHERE l.sweep_id = ?1 ORDER BY l.position"),
                 Where(path_, "Shards"));
    st.BindAll(*sweep_id);
    while (st.Step()) out.push_back(ReadShard(st));
  } else {
    Statement st(db_, StrCat("SELECT ", kShardColumns, " FROM shards s ORDER BY s.rowid"),
                 Where(path_, "Shards"));
    while (st.Step()) out.push_back(ReadShard(st));
  }
  return out;
}

std::optional<ShardRow> ResultsStore::Shard(const std::string& id) const {
  Statement st(db_, StrCat("SELECT ", kShardColumns, " FROM shards s WHERE s.id = ?1"),
               Where(path_, "Shard"));
  if (!st.BindAll(id).Step()) return std::nullopt;
  return ReadShard(st);
}

std::vector<ItemRow> ResultsStore::ShardItems(const std::string& shard_id) const {
  Statement st(db_,
               StrCat("SELECT ", kItemColumns,
                      " FROM items i WHERE i.shard_id = ?1 ORDER BY i.item_index, i.sample"),
               Where(path_, "ShardItems"));
  st.BindAll(shard_id);
  std::vector<ItemRow> out;
  while (st.Step()) out.push_back(ReadItem(st));
  return out;
}

std::vector<ItemRow> ResultsStore::Items(const std::optional<std::string>& sweep_id) const {
  std::vector<ItemRow> out;
  if (sweep_id) {
    Statement st(db_,
                 StrCat("SELECT ", kItemColumns,
                        " FROM sweep_shards l JOIN items i ON i.shard_id = l.shard_id "
                        "WHERE l.sweep_id = ?1 ORDER BY l.position, i.item_index, i.sample"),
                 Where(path_, "Items"));
    st.BindAll(*sweep_id);
    while (st.Step()) out.push_back(ReadItem(st));
  } else {
    Statement st(db_,
                 StrCat("SELECT ", kItemColumns,
                        " FROM shards s JOIN items i ON i.shard_id = s.id "
                        "ORDER BY s.rowid, i.item_index, i.sample"),
                 Where(path_, "Items"));
    while (st.Step()) out.push_back(ReadItem(st));
  }
  return out;
}

std::vector<std::pair<int64_t, int64_t>> ResultsStore::DoneItems(
    const std::string& shard_id) const {
  Statement st(db_,
               "SELECT item_index, sample FROM items WHERE shard_id = ?1 "
               "ORDER BY item_index, sample",
               Where(path_, "DoneItems"));
  st.BindAll(shard_id);
  std::vector<std::pair<int64_t, int64_t>> out;
  while (st.Step()) out.emplace_back(st.Int(0), st.Int(1));
  return out;
}

std::vector<EventRow> ResultsStore::Events(const std::optional<std::string>& kind) const {
  Statement st(db_,
               "SELECT id, at, kind, shard_id, worker, detail_json FROM events "
               "WHERE ?1 IS NULL OR kind = ?1 ORDER BY id",
               Where(path_, "Events"));
  if (kind) {
    st.BindAll(*kind);
  } else {
    st.BindNull(1);
  }
  std::vector<EventRow> out;
  while (st.Step()) {
    out.push_back(EventRow{st.Int(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Text(5)});
  }
  return out;
}

std::optional<std::string> ResultsStore::GetMeta(std::string_view key) const {
  Statement st(db_, "SELECT value FROM meta WHERE key = ?1", Where(path_, "GetMeta"));
  if (!st.BindAll(key).Step()) return std::nullopt;
  return st.Text(0);
}

}  // namespace gapbench::reports
