// Status snapshot: JSON round trip and refusal of garbage (StatusFromJson), and /metrics checked
// by an independent parser of the Prometheus text format (prometheus_parser.h) plus the values a
// scraper would read back, computed here from the snapshot rather than from the renderer.
#include "coordinator/status.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "common/error.h"
#include "tests/coordinator/prometheus_parser.h"

namespace gapbench::coordinator {
namespace {

using testing::ParsePrometheus;

StatusSnapshot RichSnapshot() {
  StatusSnapshot s;
  s.version = "0.1.0";
  s.uptime_s = 12.5;
  SweepStatus a;
  a.id = "sw-1";
  a.name = "quote\" back\\slash\nnewline";  // every label escape at once
  a.priority = 5;
  a.shards_by_state = {{"pending", 3}, {"running", 2}, {"done", 10}, {"poison", 1}};
  a.shards_total = 16;
  a.items_done = 100;
  a.items_total = 160;
  SweepStatus b;
  b.id = "sw-2";
  b.name = "mmlu-\xc3\xa9t\xc3\xa9";  // UTF-8
  b.shards_by_state = {{"done", 4}};
  b.shards_total = 4;
  b.items_done = 40;
  b.items_total = 40;
  b.complete = true;
  s.sweeps = {a, b};
  WorkerStatus w1;
  w1.name = "w1";
  w1.host = "node-1";
  w1.version = "0.1.0";
  w1.threads = 8;
  w1.state = "busy";
  w1.shard = "abc123";
  w1.items_done = 7;
  w1.seconds_since_seen = 0.25;
  w1.shards_completed = 3;
  w1.models = {"small", "q8"};
  WorkerStatus w2 = w1;
  w2.name = "w2";
  w2.state = "idle";
  w2.shard = "";
  w2.models = {};
  WorkerStatus w3 = w2;
  w3.name = "w3";
  w3.state = "lost";
  WorkerStatus w4 = w1;
  w4.name = "w4";
  s.workers = {w1, w2, w3, w4};
  s.items_done = 140;
  s.items_total = 200;
  s.items_failed = 10;
  s.items_per_s = 3.75;
  s.eta_s = 16;
  s.messages_received = 1000;
  s.messages_dropped = 2;
  s.workers_refused = 1;
  s.leases_granted = 21;
  s.leases_expired = 3;
  s.shard_retries = 4;
  s.shards_poisoned = 1;
  s.results_conflicts = 0;
  s.latency_counts = {1, 5, 9, 9, 12, 12, 13, 13};  // cumulative over the default 8 buckets
  s.latency_count = 14;                             // one observation above 1 s
  s.latency_sum = 3.5;
  return s;
}

void ExpectSameSweep(const SweepStatus& x, const SweepStatus& y) {
  EXPECT_EQ(x.id, y.id);
  EXPECT_EQ(x.name, y.name);
  EXPECT_EQ(x.priority, y.priority);
  EXPECT_EQ(x.shards_by_state, y.shards_by_state);
  EXPECT_EQ(x.shards_total, y.shards_total);
  EXPECT_EQ(x.items_done, y.items_done);
  EXPECT_EQ(x.items_total, y.items_total);
  EXPECT_EQ(x.complete, y.complete);
}

TEST(StatusJson, RoundTripsEveryField) {
  const StatusSnapshot s = RichSnapshot();
  const StatusSnapshot r = StatusFromJson(StatusToJson(s), "test");
  EXPECT_EQ(r.version, s.version);
  EXPECT_EQ(r.uptime_s, s.uptime_s);
  ASSERT_EQ(r.sweeps.size(), 2u);
  ExpectSameSweep(r.sweeps[0], s.sweeps[0]);
  ExpectSameSweep(r.sweeps[1], s.sweeps[1]);
  ASSERT_EQ(r.workers.size(), 4u);
  for (size_t i = 0; i < s.workers.size(); ++i) {
    const auto& x = r.workers[i];
    const auto& y = s.workers[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.host, y.host);
    EXPECT_EQ(x.version, y.version);
    EXPECT_EQ(x.threads, y.threads);
    EXPECT_EQ(x.state, y.state);
    EXPECT_EQ(x.shard, y.shard);
    EXPECT_EQ(x.items_done, y.items_done);
    EXPECT_EQ(x.seconds_since_seen, y.seconds_since_seen);
    EXPECT_EQ(x.shards_completed, y.shards_completed);
    EXPECT_EQ(x.models, y.models);
  }
  EXPECT_EQ(r.items_done, 140);
  EXPECT_EQ(r.items_total, 200);
  EXPECT_EQ(r.items_failed, 10);
  EXPECT_EQ(r.items_per_s, 3.75);
  EXPECT_EQ(r.eta_s, 16);
  EXPECT_EQ(r.all_complete, false);
  EXPECT_EQ(r.messages_received, 1000);
  EXPECT_EQ(r.messages_dropped, 2);
  EXPECT_EQ(r.workers_refused, 1);
  EXPECT_EQ(r.leases_granted, 21);
  EXPECT_EQ(r.leases_expired, 3);
  EXPECT_EQ(r.shard_retries, 4);
  EXPECT_EQ(r.shards_poisoned, 1);
  EXPECT_EQ(r.results_conflicts, 0);
  EXPECT_EQ(r.latency_buckets, s.latency_buckets);
  EXPECT_EQ(r.latency_counts, s.latency_counts);
  EXPECT_EQ(r.latency_count, 14);
  EXPECT_EQ(r.latency_sum, 3.5);
}

TEST(StatusJson, UsesSnakeCaseKeysAndUnknownEtaStaysUnknown) {
  StatusSnapshot s;
  s.items_per_s = NAN;  // written as null, read back as NaN
  const std::string json = StatusToJson(s);
  for (const char* key : {"\"items_per_s\":null", "\"eta_s\":-1", "\"all_complete\":false",
                          "\"shards_poisoned\":0", "\"latency_buckets\":[0.0005,"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << "\n" << json;
  }
  const auto r = StatusFromJson(json, "test");
  EXPECT_TRUE(std::isnan(r.items_per_s));
  EXPECT_EQ(r.eta_s, -1);
  EXPECT_TRUE(r.sweeps.empty());
}

void ExpectRejected(const std::string& json, const std::string& want) {
  try {
    StatusFromJson(json, "http://h:1/status");
    ADD_FAILURE() << "accepted: " << json.substr(0, 80);
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("http://h:1/status"), std::string::npos) << msg;
    EXPECT_NE(msg.find(want), std::string::npos) << "want '" << want << "' in: " << msg;
  }
}

TEST(StatusJson, RejectsGarbageNamingTheSourceAndPath) {
  ExpectRejected("<html>hello</html>", "invalid JSON");
  ExpectRejected("", "invalid JSON");
  ExpectRejected("[1,2]", "not a gapbench status document");
  ExpectRejected(R"({"ok": true})", "not a gapbench status document");
  ExpectRejected(R"({"sweeps": {}, "workers": [], "items_done": 0})",
                 "$.sweeps: expected an array");
  ExpectRejected(R"({"sweeps": [], "workers": [], "items_done": "many"})",
                 "$.items_done: expected an integer");
  ExpectRejected(R"({"sweeps": [{"name": 3}], "workers": [], "items_done": 0})",
                 "$.sweeps[0].name: expected a string");
  ExpectRejected(R"({"sweeps": [{"shards_by_state": {"done": 1.5}}], "workers": [],
                     "items_done": 0})",
                 "$.sweeps[0].shards_by_state.done: expected an integer");
  ExpectRejected(R"({"sweeps": [], "workers": [{"models": [1]}], "items_done": 0})",
                 "$.workers[0].models.[0]: expected a string");
  ExpectRejected(R"({"sweeps": [], "workers": [], "items_done": 0,
                     "latency_buckets": [1, 2], "latency_counts": [1]})",
                 "1 counts for 2 latency buckets");
  // Deep nesting is refused before the (recursive) parser sees it.
  ExpectRejected(std::string(100000, '['), "nested deeper than");
}

TEST(Metrics, ParsesUnderTheFormatGrammarAndCarriesTheSnapshot) {
  const StatusSnapshot s = RichSnapshot();
  const std::string text = RenderMetrics(s);
  testing::PromExposition m;
  ASSERT_NO_THROW(m = ParsePrometheus(text)) << text;

  // Every family documented and typed.
  for (const auto& f : m.families) {
    EXPECT_FALSE(f.help.empty()) << f.name;
    EXPECT_NE(f.type, "untyped") << f.name;
    EXPECT_EQ(f.name.rfind("gapbench_", 0), 0u) << f.name;
  }
  EXPECT_EQ(m.Value("gapbench_info", {{"version", "0.1.0"}}), 1);
  EXPECT_EQ(m.Value("gapbench_items_done"), 140);
  EXPECT_EQ(m.Value("gapbench_items_planned"), 200);
  EXPECT_EQ(m.Value("gapbench_items_failed"), 10);
  EXPECT_EQ(m.Value("gapbench_items_per_second"), 3.75);
  EXPECT_EQ(m.Value("gapbench_eta_seconds"), 16);
  EXPECT_EQ(m.Value("gapbench_all_complete"), 0);

  // Workers by state, counted here from the worker list.
  std::map<std::string, double> by_state;
  for (const auto& w : s.workers) by_state[w.state] += 1;
  for (const char* state : {"idle", "busy", "lost"}) {
    EXPECT_EQ(m.Value("gapbench_workers", {{"state", state}}), by_state[state]) << state;
  }
  EXPECT_EQ(m.Family("gapbench_workers")->type, "gauge");

  // Per-sweep shards: the label value survives escaping, unknown states show as 0.
  for (const auto& sw : s.sweeps) {
    for (const char* state : {"pending", "running", "done", "poison"}) {
      const auto it = sw.shards_by_state.find(state);
      const double want = it == sw.shards_by_state.end() ? 0 : static_cast<double>(it->second);
      EXPECT_EQ(m.Value("gapbench_sweep_shards",
                        {{"sweep", sw.name}, {"sweep_id", sw.id}, {"state", state}}),
                want)
          << sw.id << " " << state;
    }
    EXPECT_EQ(m.Value("gapbench_sweep_items_done", {{"sweep", sw.name}, {"sweep_id", sw.id}}),
              static_cast<double>(sw.items_done));
    EXPECT_EQ(m.Value("gapbench_sweep_items_planned", {{"sweep", sw.name}, {"sweep_id", sw.id}}),
              static_cast<double>(sw.items_total));
    EXPECT_EQ(m.Value("gapbench_sweep_complete", {{"sweep", sw.name}, {"sweep_id", sw.id}}),
              sw.complete ? 1 : 0);
  }
  // The raw text carries the escapes themselves.
  EXPECT_NE(text.find(R"(sweep="quote\" back\\slash\nnewline")"), std::string::npos) << text;

  const std::pair<const char*, int64_t> counters[] = {
      {"gapbench_messages_received_total", s.messages_received},
      {"gapbench_messages_dropped_total", s.messages_dropped},
      {"gapbench_workers_refused_total", s.workers_refused},
      {"gapbench_leases_granted_total", s.leases_granted},
      {"gapbench_leases_expired_total", s.leases_expired},
      {"gapbench_shard_retries_total", s.shard_retries},
      {"gapbench_shards_poisoned_total", s.shards_poisoned},
      {"gapbench_results_conflicts_total", s.results_conflicts},
  };
  for (const auto& [name, value] : counters) {
    ASSERT_NE(m.Family(name), nullptr) << name;
    EXPECT_EQ(m.Family(name)->type, "counter") << name;
    EXPECT_EQ(m.Value(name), static_cast<double>(value)) << name;
  }

  const auto* h = m.Family("gapbench_scheduling_latency_seconds");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->type, "histogram");
  EXPECT_EQ(h->samples.size(), s.latency_buckets.size() + 3);  // + "+Inf", _sum, _count
  EXPECT_EQ(m.Value("gapbench_scheduling_latency_seconds_bucket", {{"le", "0.0005"}}), 1);
  EXPECT_EQ(m.Value("gapbench_scheduling_latency_seconds_bucket", {{"le", "0.05"}}), 12);
  EXPECT_EQ(m.Value("gapbench_scheduling_latency_seconds_bucket", {{"le", "1"}}), 13);
  EXPECT_EQ(m.Value("gapbench_scheduling_latency_seconds_bucket", {{"le", "+Inf"}}), 14);
  EXPECT_EQ(m.Value("gapbench_scheduling_latency_seconds_count"), 14);
  EXPECT_EQ(m.Value("gapbench_scheduling_latency_seconds_sum"), 3.5);
}

TEST(Metrics, EmptySnapshotIsValidAndUnknownEtaHasNoSample) {
  StatusSnapshot s;  // no sweeps, no workers, no latency observations, eta -1
  const std::string text = RenderMetrics(s);
  testing::PromExposition m;
  ASSERT_NO_THROW(m = ParsePrometheus(text)) << text;
  EXPECT_NE(m.Family("gapbench_eta_seconds"), nullptr);
  EXPECT_FALSE(m.Has("gapbench_eta_seconds"));
  EXPECT_EQ(m.Value("gapbench_workers", {{"state", "idle"}}), 0);
  EXPECT_EQ(m.Value("gapbench_scheduling_latency_seconds_bucket", {{"le", "0.1"}}), 0);
  EXPECT_EQ(m.Value("gapbench_scheduling_latency_seconds_count"), 0);
  EXPECT_TRUE(m.Family("gapbench_sweep_shards")->samples.empty());
}

// The parser must be able to fail, or the tests above prove nothing.
TEST(PrometheusParser, RejectsWhatTheFormatForbids) {
  const char* kBad[] = {
      "# TYPE a gauge\na 1",                                       // no trailing newline
      "a 1\n",                                                     // sample before TYPE
      "# TYPE a gauge\na{x=\"1\"} 1\n# TYPE b gauge\nb 1\na 2\n",  // not contiguous
      "# TYPE a gauge\na{x=\"\\t\"} 1\n",                          // bad escape
      "# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n",                    // duplicate label
      "# TYPE a gauge\na 1\na 2\n",                                // duplicate series
      "# TYPE a gauge\na one\n",                                   // bad value
      "# TYPE 1a gauge\n",                                         // bad name
      "# TYPE a gauge\n# TYPE a gauge\n",                          // second TYPE
      "# TYPE a counter\na 1\n",                                   // counter not *_total
      "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  // no +Inf
  };
  for (const char* bad : kBad) {
    EXPECT_THROW(ParsePrometheus(bad), std::runtime_error) << bad;
  }
  EXPECT_NO_THROW(ParsePrometheus(
      "# HELP h lat\\\\ency\n# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\n"
      "h_bucket{le=\"+Inf\"} 2\nh_sum 1.5e0\nh_count 2\n# TYPE x_total counter\nx_total 3 1700\n"));
}

}  // namespace
}  // namespace gapbench::coordinator
