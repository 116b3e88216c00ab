// Sweep -> store rows (registration.h).
//
// Not here: reading or validating the sweep file (the caller passes a checked Sweep and its text).
#include "coordinator/registration.h"

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <set>

#include "common/error.h"
#include "common/hash.h"
#include "common/json.h"
#include "reports/sqlite_util.h"
#include "suites/presets.h"

namespace gapbench::coordinator {
namespace {

std::string Absolute(const std::string& path) {
  return std::filesystem::absolute(path).lexically_normal().string();
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return buf;
}

std::string ModelMetadataJson(const ModelSpec& model) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("identity_scheme");
  WriteJsonString(w, kModelIdentityScheme);
  w.Key("sampled");
  w.Bool(model.identity.sampled);
  // The tokenizer's pre-tokenizer, and the fallback an unknown one runs with (the sweep only
  // validates when the engines allow it): token ids, and so results, depend on it.
  w.Key("pre_tokenizer");
  WriteJsonString(w, model.pre_tokenizer);
  if (!model.pre_tokenizer_known) {
    w.Key("pre_tokenizer_fallback");
    WriteJsonString(w, "default");
  }
  // Shape and size for the reports' cost figures (reports/cost_metrics.cpp reads these keys).
  if (model.hparams) {
    const engine::HParams& hp = *model.hparams;
    w.Key("architecture");
    WriteJsonString(w, hp.arch);
    w.Key("parameters");
    w.Int64(model.parameters);
    w.Key("weight_bytes");
    w.Uint64(model.tensor_bytes);
    w.Key("n_layer");
    w.Int64(hp.n_layer);
    w.Key("n_embd");
    w.Int64(hp.n_embd);
    w.Key("n_head");
    w.Int64(hp.n_head);
    w.Key("n_head_kv");
    w.Int64(hp.n_head_kv);
    w.Key("head_dim");
    w.Int64(hp.head_dim);
    w.Key("n_vocab");
    w.Int64(hp.n_vocab);
    w.Key("n_ctx_train");
    w.Int64(hp.n_ctx_train);
  }
  w.EndObject();
  return buffer.GetString();
}

std::string SuiteManifestJson(const SuiteSpec& suite) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("split");
  WriteJsonString(w, suite.split);
  w.Key("fewshot");
  w.Int64(suite.fewshot);
  w.Key("n_loaded");
  w.Uint64(suite.n_loaded);
  w.Key("n_items");
  w.Uint64(suite.n_items);
  w.Key("samples");
  w.Int64(suite.samples);
  w.Key("max_tokens");
  w.Int64(suite.max_tokens);
  w.Key("temperature");
  WriteJsonFloat(w, suite.temperature);
  // A preset's task: what the report needs to average the entry's tasks as the leaderboard does
  // (reports/preset_metrics.h), stored so a database is read without the preset table.
  if (const suites::Preset* preset = suites::FindPreset(suite.preset)) {
    for (const suites::PresetTask& task : preset->tasks) {
      if (task.task != suite.preset_task) continue;
      w.Key("preset");
      w.StartObject();
      w.Key("name");
      WriteJsonString(w, preset->name);
      w.Key("entry");
      WriteJsonString(w, suite.preset_entry);
      w.Key("task");
      WriteJsonString(w, task.task);
      w.Key("tasks");
      w.Int64(static_cast<int64_t>(preset->tasks.size()));
      w.Key("metric");
      WriteJsonString(w, task.metric);
      w.Key("macro_by_subject");
      w.Bool(task.macro_by_subject);
      w.EndObject();
    }
  }
  if (suite.chat) {
    w.Key("chat");
    w.Bool(true);
    w.Key("fewshot_as_multiturn");
    w.Bool(suite.fewshot_as_multiturn);
    w.Key("system_prompt");
    WriteJsonString(w, suite.system_prompt);
  }
  w.EndObject();
  return buffer.GetString();
}

}  // namespace

std::string NowIso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

ShardTask MakeShardTask(const Sweep& sweep, const Shard& shard) {
  const ModelSpec& model = sweep.models.at(shard.combination.model);
  const EngineSpec& engine = sweep.engines.at(shard.combination.engine);
  const StrategySpec& strategy = sweep.strategies.at(shard.combination.strategy);
  const SuiteSpec& suite = sweep.suites.at(shard.combination.suite);
  ShardTask task;
  task.model_path = Absolute(model.path);
  task.model_id = model.identity.hash;
  task.model_alias = model.alias;
  task.config_json = engine.config.Canonical();
  task.config_hash = engine.config.Hash();
  task.strategy_json = strategy.canonical;
  if (!strategy.members.empty()) {
    // The members' identities join the entry (see ShardTask::strategy_json).
    rapidjson::Document doc = ParseJson(strategy.canonical, "strategy");
    auto& a = doc.GetAllocator();
    const char* roles[] = {strategy.config.kind == StrategyKind::kGuard ? "guard" : "small",
                           "large"};
    for (size_t i = 0; i < strategy.members.size() && i < 2; ++i) {
      const ModelSpec& m = sweep.models.at(strategy.members[i].model);
      const EngineSpec& e = sweep.engines.at(strategy.members[i].engine);
      ShardMember member{roles[i], Absolute(m.path),     m.identity.hash,
                         m.alias,  e.config.Canonical(), e.config.Hash()};
      doc.AddMember(rapidjson::Value(StrCat(roles[i], "_id").c_str(), a),
                    rapidjson::Value(member.model_id.c_str(), a), a);
      doc.AddMember(rapidjson::Value(StrCat(roles[i], "_config").c_str(), a),
                    rapidjson::Value(member.config_hash.c_str(), a), a);
      task.members.push_back(std::move(member));
    }
    task.strategy_json = CanonicalJson(doc);
  }
  task.suite_path = Absolute(suite.path);
  task.suite_format = suite.format;
  task.suite_split = suite.split;
  task.suite_name = suite.name;
  task.suite_hash = suite.content_hash;
  task.fewshot = suite.fewshot;
  task.samples = shard.samples;
  task.max_tokens = suite.max_tokens;
  task.temperature = suite.temperature;
  task.seed = shard.seed;
  task.begin = static_cast<int64_t>(shard.begin);
  task.end = static_cast<int64_t>(shard.end);
  task.chat = suite.chat;
  task.fewshot_as_multiturn = suite.fewshot_as_multiturn;
  task.system_prompt = suite.system_prompt;
  return task;
}

Registration BuildRegistration(const Sweep& sweep, const Expansion& expansion,
                               const std::string& spec_json, const RegistrationContext& context) {
  Registration r;
  // The id covers the name and the work: renaming a sweep or changing its work is a new sweep;
  // changing only its priority is the same one (priority is updated in place).
  std::string id_source = "sweep\n" + sweep.name + "\n";
  for (const Shard& shard : expansion.shards) id_source += shard.id + "\n";
  r.sweep.id = HashHex(id_source);
  r.sweep.name = sweep.name;
  r.sweep.file = sweep.file;
  r.sweep.spec_json = spec_json;
  r.sweep.priority = sweep.priority;
  r.sweep.git_commit = context.git_commit;
  r.sweep.gapbench_version = context.gapbench_version;
  r.sweep.machine = context.machine.empty() ? HostName() : context.machine;
  r.sweep.started_at = context.now_iso.empty() ? NowIso8601() : context.now_iso;

  std::set<std::string> seen;
  for (const ModelSpec& model : sweep.models) {
    if (!seen.insert("m:" + model.identity.hash).second) continue;
    reports::ModelRow row;
    row.id = model.identity.hash;
    row.alias = model.alias;
    row.path = Absolute(model.path);
    row.size_bytes = static_cast<int64_t>(model.identity.size);
    row.file_hash = model.identity.hash;
    row.metadata_json = ModelMetadataJson(model);
    r.models.push_back(std::move(row));
  }
  for (const EngineSpec& engine : sweep.engines) {
    const std::string hash = engine.config.Hash();
    if (!seen.insert("c:" + hash).second) continue;
    r.configurations.push_back({hash, engine.name, engine.config.Canonical()});
  }
  // One row per content hash: a preset's task first, so a file also listed as a plain suite
  // keeps the preset facts the report's average needs.
  std::vector<const SuiteSpec*> suites_in_order;
  for (const SuiteSpec& suite : sweep.suites) {
    if (!suite.preset.empty()) suites_in_order.push_back(&suite);
  }
  for (const SuiteSpec& suite : sweep.suites) {
    if (suite.preset.empty()) suites_in_order.push_back(&suite);
  }
  for (const SuiteSpec* suite_ptr : suites_in_order) {
    const SuiteSpec& suite = *suite_ptr;
    if (!seen.insert("s:" + suite.content_hash).second) continue;
    reports::SuiteRow row;
    row.content_hash = suite.content_hash;
    row.name = suite.name;
    row.format = suite.format;
    row.version = "1";
    row.path = Absolute(suite.path);
    row.manifest_json = SuiteManifestJson(suite);
    row.n_items = static_cast<int64_t>(suite.n_loaded);
    r.suites.push_back(std::move(row));
  }
  for (const Shard& shard : expansion.shards) {
    const ShardTask task = MakeShardTask(sweep, shard);
    reports::ShardRow row;
    row.id = shard.id;
    row.key = shard.key;
    row.model_id = task.model_id;
    row.config_hash = task.config_hash;
    row.strategy = task.strategy_json;
    row.suite_hash = task.suite_hash;
    row.begin = task.begin;
    row.end = task.end;
    row.seed = shard.seed;
    row.samples = shard.samples;
    row.task_json = ShardTaskToJson(task);
    r.shards.push_back(std::move(row));
  }
  return r;
}

RegisterResult RegisterSweep(reports::ResultsStore& store, const Registration& registration) {
  RegisterResult result;
  result.sweep_id = registration.sweep.id;
  reports::sql::Transaction tx(store.handle(),
                               "results store '" + store.path() + "': RegisterSweep");
  const std::optional<reports::SweepRow> existing = store.Sweep(registration.sweep.id);
  result.already_queued = existing.has_value();
  if (existing) {
    if (existing->priority != registration.sweep.priority) {
      reports::SweepRow updated = *existing;
      updated.priority = registration.sweep.priority;
      store.UpsertSweep(updated);
    }
  } else {
    store.UpsertSweep(registration.sweep);
  }
  for (const auto& model : registration.models) store.UpsertModel(model);
  for (const auto& config : registration.configurations) store.UpsertConfiguration(config);
  for (const auto& suite : registration.suites) store.UpsertSuite(suite);
  result.new_shards = store.AddShards(registration.sweep.id, registration.shards);
  if (!existing) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("sweep");
    WriteJsonString(w, registration.sweep.name);
    w.Key("shards");
    w.Uint64(registration.shards.size());
    w.Key("new_shards");
    w.Int64(result.new_shards);
    w.EndObject();
    store.LogEvent("sweep_queued", "", "", buffer.GetString());
  }
  tx.Commit();
  return result;
}

}  // namespace gapbench::coordinator
