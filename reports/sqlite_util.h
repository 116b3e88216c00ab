// Small RAII helpers over the SQLite C API: a prepared statement with bound parameters (values
// never enter SQL text) and a transaction that rolls back unless committed. Every failure becomes
// a gapbench::Error carrying the caller's context ("results store 'x.sqlite': InsertItems") and
// SQLite's own message and code.
//
// Not here: schema, migrations and pragmas (results_store.cpp), connection ownership (the caller
// keeps the sqlite3* alive longer than any Statement or Transaction on it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace gapbench::reports::sql {

// Throws Error "<context>: <sqlite3_errmsg> (<code name>)".
[[noreturn]] void FailSqlite(sqlite3* db, int rc, std::string_view context);

// Runs SQL without parameters (DDL, pragmas, BEGIN/COMMIT). Never pass values in `sql`.
void Exec(sqlite3* db, const char* sql, std::string_view context);

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql, std::string context);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite. Text is copied (SQLITE_TRANSIENT).
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view value);
  Statement& BindNull(int index);
  // Binds `values` to parameters 1, 2, ... in order.
  template <typename... Values>
  Statement& BindAll(const Values&... values) {
    int index = 0;
    (BindOne(++index, values), ...);
    return *this;
  }

  // Steps once: true when a row is ready, false when the statement is done.
  bool Step();
  // Steps to completion (statements that return no rows).
  void Run();
  // Back to the start with bindings cleared, for the next use in a loop.
  void Reset();

  int64_t Int(int column) const;  // 0-based columns
  std::string Text(int column) const;
  bool IsNull(int column) const;

 private:
  void BindOne(int index, int64_t v) { Bind(index, v); }
  void BindOne(int index, int v) { Bind(index, static_cast<int64_t>(v)); }
  void BindOne(int index, std::string_view v) { Bind(index, v); }
  void BindOne(int index, const std::string& v) { Bind(index, std::string_view(v)); }
  void BindOne(int index, const char* v) { Bind(index, std::string_view(v)); }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string context_;
};

// BEGIN IMMEDIATE (take the write lock now, so a busy database waits in busy_timeout instead of
// failing at the first write) when the connection is in autocommit mode; otherwise a SAVEPOINT,
// so a call made inside a caller's own transaction joins it and is durable at the caller's
// COMMIT. The destructor rolls back when Commit() was not reached.
class Transaction {
 public:
  Transaction(sqlite3* db, std::string context);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void Commit();

 private:
  sqlite3* db_;
  std::string context_;
  bool nested_ = false;
  bool done_ = false;
};

}  // namespace gapbench::reports::sql
