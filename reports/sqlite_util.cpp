// RAII statement and transaction helpers over the SQLite C API (see sqlite_util.h).
#include "reports/sqlite_util.h"

#include <sqlite3.h>

#include "common/error.h"

namespace gapbench::reports::sql {

namespace {

// What a user can do about the codes that reach them from the file system or other processes.
const char* Hint(int rc) {
  switch (rc & 0xff) {  // the primary code of an extended one
    case SQLITE_NOTADB:
      return "; the file is not a SQLite database, or it is corrupt";
    case SQLITE_CORRUPT:
      return "; the database is corrupt (restore it or start a new file)";
    case SQLITE_BUSY:
      return "; another connection held the database longer than the busy timeout";
    case SQLITE_FULL:
      return "; the disk is full";
    case SQLITE_READONLY:
      return "; opened read-only, or the file or its directory is not writable";
    default:
      return "";
  }
}

[[noreturn]] void FailWith(std::string_view context, std::string_view message, int rc) {
  Fail(context, ": ", message, " (SQLite code ", rc, ")", Hint(rc));
}

}  // namespace

void FailSqlite(sqlite3* db, int rc, std::string_view context) {
  // sqlite3_errmsg describes the most recent failure on the connection; without a connection,
  // fall back to the generic text of the code.
  FailWith(context, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
}

void Exec(sqlite3* db, const char* sql, std::string_view context) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    const std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    FailWith(context, message, rc);
  }
}

Statement::Statement(sqlite3* db, std::string_view sql, std::string context)
    : db_(db), context_(std::move(context)) {
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    FailSqlite(db_, rc, context_);
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) FailSqlite(db_, rc, context_);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  // A null data pointer would bind SQL NULL; an empty view must stay the empty string.
  const char* data = value.data() != nullptr ? value.data() : "";
  const int rc =
      sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) FailSqlite(db_, rc, context_);
  return *this;
}

Statement& Statement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) FailSqlite(db_, rc, context_);
  return *this;
}

bool Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Reset so the statement is reusable and the connection's error state is the step's.
  sqlite3_reset(stmt_);
  FailSqlite(db_, rc, context_);
}

void Statement::Run() {
  while (Step()) {
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Transaction::Transaction(sqlite3* db, std::string context) : db_(db), context_(std::move(context)) {
  nested_ = sqlite3_get_autocommit(db_) == 0;
  Exec(db_, nested_ ? "SAVEPOINT gb_tx" : "BEGIN IMMEDIATE", context_);
}

Transaction::~Transaction() {
  if (done_) return;
  // Errors are ignored: after a failed statement SQLite may already have rolled back, and a
  // destructor cannot report anything better than the exception already in flight.
  if (nested_) {
    sqlite3_exec(db_, "ROLLBACK TO gb_tx; RELEASE gb_tx", nullptr, nullptr, nullptr);
  } else if (sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::Commit() {
  Exec(db_, nested_ ? "RELEASE gb_tx" : "COMMIT", context_);
  done_ = true;
}

}  // namespace gapbench::reports::sql
