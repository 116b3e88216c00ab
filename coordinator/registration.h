// Turning a validated sweep and its expansion into results-store rows, and queueing them: the
// sweep, its models, engine configurations, suites, and every shard with the ShardTask a worker
// runs (ShardRow::task_json). Queueing is idempotent: the same sweep file twice is a no-op (its
// id is the hash of its name and shard ids), and shards are content-addressed, so a shard that
// is already in the store -- done, poison or pending, from this or another sweep -- keeps its
// state and is never run again because of this call.
//
// Model ids: the model's content id is ModelIdentity::hash (16 hex digits), the same hash the
// shard keys carry; a worker recomputes it (IdentifyModelFile) after loading to check the file.
//
// Not here: validation (sweep.h), expansion (expand.h), scheduling (scheduler.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coordinator/expand.h"
#include "coordinator/protocol.h"
#include "coordinator/sweep.h"
#include "reports/results_store.h"

namespace gapbench::coordinator {

struct RegistrationContext {
  std::string gapbench_version;
  std::string git_commit;  // "" when unknown
  std::string machine;     // host name etc.; "" fills in the host name
  std::string now_iso;     // started_at for a newly queued sweep; "" = now (UTC)
};

struct Registration {
  reports::SweepRow sweep;
  std::vector<reports::ModelRow> models;
  std::vector<reports::ConfigurationRow> configurations;
  std::vector<reports::SuiteRow> suites;
  std::vector<reports::ShardRow> shards;  // expansion order, state pending
};

// `spec_json` is the sweep file's text (provenance). Pure: reads nothing from disk.
Registration BuildRegistration(const Sweep& sweep, const Expansion& expansion,
                               const std::string& spec_json, const RegistrationContext& context);

struct RegisterResult {
  std::string sweep_id;
  bool already_queued = false;  // the sweep was in the store before
  int64_t new_shards = 0;       // shards the store did not know
};

// Writes a Registration in one transaction (rows upserted, shards added, an event logged).
RegisterResult RegisterSweep(reports::ResultsStore& store, const Registration& registration);

// The task a worker needs for one shard of `sweep`.
ShardTask MakeShardTask(const Sweep& sweep, const Shard& shard);

// ISO-8601 UTC with seconds, e.g. "2026-11-29T10:16:19Z".
std::string NowIso8601();

}  // namespace gapbench::coordinator
