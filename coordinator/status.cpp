// The coordinator's status snapshot as JSON (/status, `gapbench status --json`) and back, and as
// Prometheus text exposition format 0.0.4 (/metrics).
//
// Metric families (all prefixed gapbench_): gauges for progress, ETA, workers by state and, per
// sweep, shards by state and items; counters (*_total) for the coordinator's event counts; one
// histogram for scheduling latency (READY -> ASSIGN). Per-worker series are deliberately left
// out: with 1,000 workers they would be 1,000 series per family, and /status lists workers.
// Not here: gathering the numbers (the server) and serving them (http_server.h).
#include "coordinator/status.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "common/error.h"
#include "common/json.h"

namespace gapbench::coordinator {
namespace {

// ----- JSON out -------------------------------------------------------------------------------

void Key(JsonWriter& w, const char* key) { w.Key(key); }

void WriteStringList(JsonWriter& w, const std::vector<std::string>& v) {
  w.StartArray();
  for (const auto& s : v) WriteJsonString(w, s);
  w.EndArray();
}

void WriteSweep(JsonWriter& w, const SweepStatus& s) {
  w.StartObject();
  Key(w, "id");
  WriteJsonString(w, s.id);
  Key(w, "name");
  WriteJsonString(w, s.name);
  Key(w, "priority");
  w.Int64(s.priority);
  Key(w, "shards_by_state");
  w.StartObject();
  for (const auto& [state, n] : s.shards_by_state) {
    WriteJsonString(w, state);
    w.Int64(n);
  }
  w.EndObject();
  Key(w, "shards_total");
  w.Int64(s.shards_total);
  Key(w, "items_done");
  w.Int64(s.items_done);
  Key(w, "items_total");
  w.Int64(s.items_total);
  Key(w, "complete");
  w.Bool(s.complete);
  w.EndObject();
}

void WriteWorker(JsonWriter& w, const WorkerStatus& s) {
  w.StartObject();
  Key(w, "name");
  WriteJsonString(w, s.name);
  Key(w, "host");
  WriteJsonString(w, s.host);
  Key(w, "version");
  WriteJsonString(w, s.version);
  Key(w, "threads");
  w.Int64(s.threads);
  Key(w, "state");
  WriteJsonString(w, s.state);
  Key(w, "shard");
  WriteJsonString(w, s.shard);
  Key(w, "items_done");
  w.Int64(s.items_done);
  Key(w, "seconds_since_seen");
  WriteJsonFloat(w, s.seconds_since_seen);
  Key(w, "shards_completed");
  w.Int64(s.shards_completed);
  Key(w, "models");
  WriteStringList(w, s.models);
  w.EndObject();
}

// ----- JSON in --------------------------------------------------------------------------------
// Every field is optional (a newer or older coordinator may add or lack some) but, when present,
// must have the type StatusToJson writes; the top level must look like a status document.

// RapidJSON's default parser recurses: refuse deep nesting before parsing a peer's answer.
constexpr int kMaxJsonDepth = 32;

void CheckDepth(const std::string& json, const std::string& source) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        Fail(source, ": JSON nested deeper than ", kMaxJsonDepth, " levels at byte ", i,
             " (not a gapbench status document)");
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

class Reader {
 public:
  explicit Reader(const std::string& source) : source_(source) {}

  const rapidjson::Value* Find(const rapidjson::Value& obj, const char* key) const {
    auto it = obj.FindMember(key);
    return it == obj.MemberEnd() ? nullptr : &it->value;
  }
  void Int(const rapidjson::Value& obj, const char* key, const std::string& path,
           int64_t& out) const {
    const auto* v = Find(obj, key);
    if (v == nullptr) return;
    if (!v->IsInt64()) Bad(path, key, "an integer");
    out = v->GetInt64();
  }
  void Double(const rapidjson::Value& obj, const char* key, const std::string& path,
              double& out) const {
    const auto* v = Find(obj, key);
    if (v == nullptr) return;
    if (v->IsNull()) {  // WriteJsonFloat writes NaN/Inf as null
      out = std::nan("");
      return;
    }
    if (!v->IsNumber()) Bad(path, key, "a number");
    out = v->GetDouble();
  }
  void Bool(const rapidjson::Value& obj, const char* key, const std::string& path,
            bool& out) const {
    const auto* v = Find(obj, key);
    if (v == nullptr) return;
    if (!v->IsBool()) Bad(path, key, "true or false");
    out = v->GetBool();
  }
  void String(const rapidjson::Value& obj, const char* key, const std::string& path,
              std::string& out) const {
    const auto* v = Find(obj, key);
    if (v == nullptr) return;
    if (!v->IsString()) Bad(path, key, "a string");
    out.assign(v->GetString(), v->GetStringLength());
  }
  const rapidjson::Value* Array(const rapidjson::Value& obj, const char* key,
                                const std::string& path) const {
    const auto* v = Find(obj, key);
    if (v != nullptr && !v->IsArray()) Bad(path, key, "an array");
    return v;
  }
  const rapidjson::Value* Object(const rapidjson::Value& obj, const char* key,
                                 const std::string& path) const {
    const auto* v = Find(obj, key);
    if (v != nullptr && !v->IsObject()) Bad(path, key, "an object");
    return v;
  }
  [[noreturn]] void Bad(const std::string& path, const std::string& key,
                        const char* expected) const {
    Fail(source_, ": ", path, ".", key, ": expected ", expected);
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

SweepStatus ReadSweep(const Reader& r, const rapidjson::Value& v, const std::string& path) {
  if (!v.IsObject()) Fail(r.source(), ": ", path, ": expected an object");
  SweepStatus s;
  r.String(v, "id", path, s.id);
  r.String(v, "name", path, s.name);
  r.Int(v, "priority", path, s.priority);
  if (const auto* states = r.Object(v, "shards_by_state", path)) {
    for (const auto& m : states->GetObject()) {
      const std::string state(m.name.GetString(), m.name.GetStringLength());
      if (!m.value.IsInt64()) r.Bad(path + ".shards_by_state", state, "an integer");
      s.shards_by_state[state] = m.value.GetInt64();
    }
  }
  r.Int(v, "shards_total", path, s.shards_total);
  r.Int(v, "items_done", path, s.items_done);
  r.Int(v, "items_total", path, s.items_total);
  r.Bool(v, "complete", path, s.complete);
  return s;
}

WorkerStatus ReadWorker(const Reader& r, const rapidjson::Value& v, const std::string& path) {
  if (!v.IsObject()) Fail(r.source(), ": ", path, ": expected an object");
  WorkerStatus s;
  r.String(v, "name", path, s.name);
  r.String(v, "host", path, s.host);
  r.String(v, "version", path, s.version);
  r.Int(v, "threads", path, s.threads);
  r.String(v, "state", path, s.state);
  r.String(v, "shard", path, s.shard);
  r.Int(v, "items_done", path, s.items_done);
  r.Double(v, "seconds_since_seen", path, s.seconds_since_seen);
  r.Int(v, "shards_completed", path, s.shards_completed);
  if (const auto* models = r.Array(v, "models", path)) {
    for (rapidjson::SizeType i = 0; i < models->Size(); ++i) {
      const auto& m = (*models)[i];
      if (!m.IsString()) r.Bad(path + ".models", StrCat("[", i, "]"), "a string");
      s.models.emplace_back(m.GetString(), m.GetStringLength());
    }
  }
  return s;
}

// ----- Prometheus text format -----------------------------------------------------------------

// Sample values: Go-style floats; integers print without a fraction, non-finite as the format's
// NaN / +Inf / -Inf.
std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip digits; plain decimals in the everyday range ("0.0005", not "5e-04"),
  // so `le` label values read like other exporters' and stay stable across scrapes.
  char buf[64];
  const double mag = std::fabs(v);
  const auto format = (mag == 0 || (mag >= 1e-6 && mag < 1e15)) ? std::chars_format::fixed
                                                                : std::chars_format::general;
  const auto res = std::to_chars(buf, buf + sizeof buf, v, format);
  return std::string(buf, res.ptr);
}

std::string Number(int64_t v) { return std::to_string(v); }

// Label values escape backslash, double quote and line feed (exposition format 0.0.4).
std::string EscapeLabel(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Exposition {
 public:
  // HELP text escapes only backslash and line feed.
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    for (const char c : help) {
      if (c == '\\') {
        out_ += "\\\\";
      } else if (c == '\n') {
        out_ += "\\n";
      } else {
        out_ += c;
      }
    }
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // `labels` are name/value pairs; values are escaped here.
  void Sample(std::string_view name,
              const std::vector<std::pair<std::string_view, std::string_view>>& labels,
              const std::string& value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) out_ += ',';
        out_ += labels[i].first;
        out_ += "=\"";
        out_ += EscapeLabel(labels[i].second);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void Gauge(std::string_view name, std::string_view help, const std::string& value) {
    Family(name, "gauge", help);
    Sample(name, {}, value);
  }
  void Counter(std::string_view name, std::string_view help, int64_t value) {
    Family(name, "counter", help);
    Sample(name, {}, Number(value));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string StatusToJson(const StatusSnapshot& s) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Key(w, "version");
  WriteJsonString(w, s.version);
  Key(w, "uptime_s");
  WriteJsonFloat(w, s.uptime_s);
  Key(w, "sweeps");
  w.StartArray();
  for (const auto& sw : s.sweeps) WriteSweep(w, sw);
  w.EndArray();
  Key(w, "workers");
  w.StartArray();
  for (const auto& wk : s.workers) WriteWorker(w, wk);
  w.EndArray();
  const std::pair<const char*, int64_t> ints[] = {
      {"items_done", s.items_done},
      {"items_total", s.items_total},
      {"items_failed", s.items_failed},
  };
  for (const auto& [k, v] : ints) {
    Key(w, k);
    w.Int64(v);
  }
  Key(w, "items_per_s");
  WriteJsonFloat(w, s.items_per_s);
  Key(w, "eta_s");
  WriteJsonFloat(w, s.eta_s);
  Key(w, "all_complete");
  w.Bool(s.all_complete);
  const std::pair<const char*, int64_t> counters[] = {
      {"messages_received", s.messages_received}, {"messages_dropped", s.messages_dropped},
      {"workers_refused", s.workers_refused},     {"leases_granted", s.leases_granted},
      {"leases_expired", s.leases_expired},       {"shard_retries", s.shard_retries},
      {"shards_poisoned", s.shards_poisoned},     {"results_conflicts", s.results_conflicts},
      {"results_rejected", s.results_rejected},
  };
  for (const auto& [k, v] : counters) {
    Key(w, k);
    w.Int64(v);
  }
  Key(w, "latency_buckets");
  w.StartArray();
  for (const double b : s.latency_buckets) WriteJsonFloat(w, b);
  w.EndArray();
  Key(w, "latency_counts");
  w.StartArray();
  for (const int64_t c : s.latency_counts) w.Int64(c);
  w.EndArray();
  Key(w, "latency_count");
  w.Int64(s.latency_count);
  Key(w, "latency_sum");
  WriteJsonFloat(w, s.latency_sum);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

StatusSnapshot StatusFromJson(const std::string& json, const std::string& source) {
  CheckDepth(json, source);
  const auto doc = ParseJson(json, source);
  if (!doc.IsObject() || !doc.HasMember("sweeps") || !doc.HasMember("workers") ||
      !doc.HasMember("items_done")) {
    Fail(source,
         ": not a gapbench status document (expected an object with 'sweeps', "
         "'workers' and 'items_done')");
  }
  const Reader r(source);
  const std::string path = "$";
  StatusSnapshot s;
  r.String(doc, "version", path, s.version);
  r.Double(doc, "uptime_s", path, s.uptime_s);
  if (const auto* sweeps = r.Array(doc, "sweeps", path)) {
    for (rapidjson::SizeType i = 0; i < sweeps->Size(); ++i) {
      s.sweeps.push_back(ReadSweep(r, (*sweeps)[i], StrCat("$.sweeps[", i, "]")));
    }
  }
  if (const auto* workers = r.Array(doc, "workers", path)) {
    for (rapidjson::SizeType i = 0; i < workers->Size(); ++i) {
      s.workers.push_back(ReadWorker(r, (*workers)[i], StrCat("$.workers[", i, "]")));
    }
  }
  r.Int(doc, "items_done", path, s.items_done);
  r.Int(doc, "items_total", path, s.items_total);
  r.Int(doc, "items_failed", path, s.items_failed);
  r.Double(doc, "items_per_s", path, s.items_per_s);
  r.Double(doc, "eta_s", path, s.eta_s);
  if (std::isnan(s.eta_s)) s.eta_s = -1;
  r.Bool(doc, "all_complete", path, s.all_complete);
  r.Int(doc, "messages_received", path, s.messages_received);
  r.Int(doc, "messages_dropped", path, s.messages_dropped);
  r.Int(doc, "workers_refused", path, s.workers_refused);
  r.Int(doc, "leases_granted", path, s.leases_granted);
  r.Int(doc, "leases_expired", path, s.leases_expired);
  r.Int(doc, "shard_retries", path, s.shard_retries);
  r.Int(doc, "results_rejected", path, s.results_rejected);
  r.Int(doc, "shards_poisoned", path, s.shards_poisoned);
  r.Int(doc, "results_conflicts", path, s.results_conflicts);
  if (const auto* buckets = r.Array(doc, "latency_buckets", path)) {
    s.latency_buckets.clear();
    for (rapidjson::SizeType i = 0; i < buckets->Size(); ++i) {
      const auto& b = (*buckets)[i];
      if (!b.IsNumber()) r.Bad("$.latency_buckets", StrCat("[", i, "]"), "a number");
      s.latency_buckets.push_back(b.GetDouble());
    }
  }
  if (const auto* counts = r.Array(doc, "latency_counts", path)) {
    for (rapidjson::SizeType i = 0; i < counts->Size(); ++i) {
      const auto& c = (*counts)[i];
      if (!c.IsInt64()) r.Bad("$.latency_counts", StrCat("[", i, "]"), "an integer");
      s.latency_counts.push_back(c.GetInt64());
    }
  }
  if (!s.latency_counts.empty() && s.latency_counts.size() != s.latency_buckets.size()) {
    Fail(source, ": $.latency_counts: ", s.latency_counts.size(), " counts for ",
         s.latency_buckets.size(), " latency buckets");
  }
  r.Int(doc, "latency_count", path, s.latency_count);
  r.Double(doc, "latency_sum", path, s.latency_sum);
  return s;
}

std::string RenderMetrics(const StatusSnapshot& s) {
  // Empty counts mean "no observation yet"; any other size mismatch is a coordinator bug.
  GB_CHECK(s.latency_counts.empty() || s.latency_counts.size() == s.latency_buckets.size(),
           "latency_counts has ", s.latency_counts.size(), " entries for ",
           s.latency_buckets.size(), " buckets");
  Exposition m;
  m.Family("gapbench_info", "gauge", "Build of the coordinator (value is always 1).");
  m.Sample("gapbench_info", {{"version", s.version}}, "1");
  m.Gauge("gapbench_uptime_seconds", "Seconds since the coordinator started.", Number(s.uptime_s));
  m.Gauge("gapbench_items_done", "Item results stored, over all queued sweeps.",
          Number(s.items_done));
  m.Gauge("gapbench_items_planned", "Items in all queued sweeps.", Number(s.items_total));
  m.Gauge("gapbench_items_failed", "Items in poison shards.", Number(s.items_failed));
  m.Gauge("gapbench_items_per_second", "Item results stored per second over the last minute.",
          Number(s.items_per_s));
  // ETA: no sample while unknown (a -1 would read as "already late" on a dashboard).
  m.Family("gapbench_eta_seconds", "gauge", "Estimated seconds until every sweep is complete.");
  if (s.eta_s >= 0) m.Sample("gapbench_eta_seconds", {}, Number(s.eta_s));
  m.Gauge("gapbench_all_complete", "1 when every queued sweep is complete.",
          s.all_complete ? "1" : "0");

  // Workers by state: the three states always present so a dashboard sees zeros, not gaps.
  std::map<std::string, int64_t> workers_by_state = {{"idle", 0}, {"busy", 0}, {"lost", 0}};
  for (const auto& w : s.workers) ++workers_by_state[w.state];
  m.Family("gapbench_workers", "gauge", "Workers known to the coordinator, by state.");
  for (const auto& [state, n] : workers_by_state) {
    m.Sample("gapbench_workers", {{"state", state}}, Number(n));
  }

  m.Family("gapbench_sweep_shards", "gauge", "Shards of a sweep, by state.");
  for (const auto& sw : s.sweeps) {
    std::map<std::string, int64_t> by_state = {
        {"pending", 0}, {"running", 0}, {"done", 0}, {"poison", 0}};
    for (const auto& [state, n] : sw.shards_by_state) by_state[state] = n;
    for (const auto& [state, n] : by_state) {
      m.Sample("gapbench_sweep_shards", {{"sweep", sw.name}, {"sweep_id", sw.id}, {"state", state}},
               Number(n));
    }
  }
  m.Family("gapbench_sweep_items_done", "gauge", "Item results stored for a sweep.");
  for (const auto& sw : s.sweeps) {
    m.Sample("gapbench_sweep_items_done", {{"sweep", sw.name}, {"sweep_id", sw.id}},
             Number(sw.items_done));
  }
  m.Family("gapbench_sweep_items_planned", "gauge", "Items in a sweep.");
  for (const auto& sw : s.sweeps) {
    m.Sample("gapbench_sweep_items_planned", {{"sweep", sw.name}, {"sweep_id", sw.id}},
             Number(sw.items_total));
  }
  m.Family("gapbench_sweep_complete", "gauge",
           "1 when every shard of the sweep is done or poison.");
  for (const auto& sw : s.sweeps) {
    m.Sample("gapbench_sweep_complete", {{"sweep", sw.name}, {"sweep_id", sw.id}},
             sw.complete ? "1" : "0");
  }

  m.Counter("gapbench_messages_received_total", "Messages received from workers.",
            s.messages_received);
  m.Counter("gapbench_messages_dropped_total",
            "Messages dropped: malformed, oversized or out of protocol.", s.messages_dropped);
  m.Counter("gapbench_workers_refused_total", "Workers refused (incompatible protocol version).",
            s.workers_refused);
  m.Counter("gapbench_leases_granted_total", "Shard leases granted.", s.leases_granted);
  m.Counter("gapbench_leases_expired_total", "Shard leases expired (silent worker or no progress).",
            s.leases_expired);
  m.Counter("gapbench_shard_retries_total", "Shards handed out again after a failed attempt.",
            s.shard_retries);
  m.Counter("gapbench_shards_poisoned_total",
            "Shards given up after their last attempt (reported, not retried).", s.shards_poisoned);
  m.Counter("gapbench_results_conflicts_total",
            "Item results that differed from a stored result (non-determinism alarms).",
            s.results_conflicts);
  m.Counter("gapbench_results_rejected_total",
            "RESULTS/DONE refused: not from the holder of the shard's current lease, or items "
            "outside its range.",
            s.results_rejected);

  constexpr std::string_view kLatency = "gapbench_scheduling_latency_seconds";
  m.Family(kLatency, "histogram", "Seconds from a worker's READY to the ASSIGN of a shard.");
  const std::string bucket = StrCat(kLatency, "_bucket");
  for (size_t i = 0; i < s.latency_buckets.size(); ++i) {
    const int64_t n = s.latency_counts.empty() ? 0 : s.latency_counts[i];
    m.Sample(bucket, {{"le", Number(s.latency_buckets[i])}}, Number(n));
  }
  m.Sample(bucket, {{"le", "+Inf"}}, Number(s.latency_count));
  m.Sample(StrCat(kLatency, "_sum"), {}, Number(s.latency_sum));
  m.Sample(StrCat(kLatency, "_count"), {}, Number(s.latency_count));
  return m.Take();
}

}  // namespace gapbench::coordinator
