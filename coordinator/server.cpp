// The coordinator's ROUTER loop (server.h): decode every multipart defensively, drive the
// scheduler, commit its transitions and the results to the store, then answer.
//
// Loop shape: poll the ROUTER with a short timeout, drain what is readable (bounded per round so
// heartbeats are never starved), and every heartbeat_ms send HEARTBEAT to each known worker and
// let the scheduler find silent workers and leases without progress.
//
// Group commit: a round of messages is handled inside one SQLite transaction (the store's and
// Commit()'s own transactions join it as savepoints) and every reply of the round waits in an
// outbox until its COMMIT. One fsync per round instead of ~3 per shard, and still nothing is
// sent that a crash could un-commit (bench/coordinator_bench.cpp, docs/PERFORMANCE.md).
//
// Not here: scheduling rules (scheduler.cpp), message syntax checks (protocol.cpp), key files and
// ZAP (curve_keys.cpp), HTTP (http_server.cpp).
#include "coordinator/server.h"

#include <sys/resource.h>
#include <zmq.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "coordinator/curve_keys.h"
#include "coordinator/endpoint.h"
#include "coordinator/http_server.h"
#include "coordinator/protocol.h"
#include "coordinator/scheduler.h"
#include "reports/sqlite_util.h"

namespace gapbench::coordinator {
namespace {

using reports::ShardState;
using Clock = SchedClock;

constexpr const char* kLeaseMetaKey = "coordinator.next_lease";
constexpr int kMaxMessagesPerRound = 512;
constexpr int kMaxDropLogsPerSecond = 20;

// A malformed body or a field of the wrong type: the message is dropped, never fatal.
struct BadMessage : Error {
  using Error::Error;
};

[[noreturn]] void Bad(const std::string& what) { throw BadMessage(what); }

const rapidjson::Value* Find(const rapidjson::Value& obj, const char* key) {
  const auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}
std::string Str(const rapidjson::Value& obj, const char* key, const std::string& fallback = "") {
  const rapidjson::Value* v = Find(obj, key);
  if (v == nullptr) return fallback;
  if (!v->IsString()) Bad(StrCat("field \"", key, "\" must be a string"));
  return std::string(v->GetString(), v->GetStringLength());
}
int64_t Int(const rapidjson::Value& obj, const char* key, std::optional<int64_t> fallback = {}) {
  const rapidjson::Value* v = Find(obj, key);
  if (v == nullptr) {
    if (!fallback) Bad(StrCat("missing field \"", key, "\""));
    return *fallback;
  }
  if (!v->IsInt64()) Bad(StrCat("field \"", key, "\" must be an integer"));
  return v->GetInt64();
}
constexpr rapidjson::SizeType kMaxListedModels = 256;

std::vector<std::string> Strings(const rapidjson::Value& obj, const char* key) {
  std::vector<std::string> out;
  const rapidjson::Value* v = Find(obj, key);
  if (v == nullptr) return out;
  if (!v->IsArray()) Bad(StrCat("field \"", key, "\" must be an array of strings"));
  // A worker has a handful of models loaded; a huge list is hostile (memory, and a lookup per
  // entry on every assignment).
  if (v->Size() > kMaxListedModels) {
    Bad(StrCat("field \"", key, "\" lists ", v->Size(), " entries (at most ", kMaxListedModels,
               ")"));
  }
  for (const auto& e : v->GetArray()) {
    if (!e.IsString()) Bad(StrCat("field \"", key, "\" must be an array of strings"));
    out.emplace_back(e.GetString(), e.GetStringLength());
  }
  return out;
}
std::string Serialize(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  v.Accept(w);
  return buffer.GetString();
}

std::string PeerHex(const std::string& peer) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "peer-";
  for (unsigned char c : peer) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// A body built with the JSON writer.
template <typename Fn>
std::string Body(Fn&& fill) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  fill(w);
  w.EndObject();
  return buffer.GetString();
}

void RaiseDescriptorLimit();

// Checked before anything touches the database: a refused start leaves no file behind.
CoordinatorOptions Checked(CoordinatorOptions o) {
  CheckCoordinatorBind(o.bind, !o.curve_keys_dir.empty(), o.insecure);
  if (!o.http.empty()) ParseHostPort(o.http, "--http");
  if (o.handshake_ms < 1) Fail("coordinator handshake timeout must be positive");
  RaiseDescriptorLimit();
  return o;
}

// Each connection costs a descriptor before it can authenticate: lift the soft limit (often
// 1024) to the hard one so a burst of idle connections cannot exhaust it (they are closed after
// handshake_ms). Best effort: a failure leaves the limit as it was.
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

struct SweepInfo {
  std::string id;
  std::string name;
  int64_t priority = 0;
  std::vector<size_t> shards;  // scheduler indices
  int64_t unfinished = 0;
  bool ended = false;
};

// Server-side facts about a shard, parallel to Scheduler::shards().
struct ShardFacts {
  std::string task_json;
  int64_t begin = 0;
  int64_t end = 0;
  int64_t samples = 1;
  int64_t n_results = 0;
  int64_t stored = 0;  // results in the store
  bool finished = false;
  std::vector<size_t> sweeps;
};

}  // namespace

struct Coordinator::Impl {
  explicit Impl(CoordinatorOptions o);
  ~Impl();
  void Start();  // the constructor's work after the store is open

  // --- setup ---
  void LoadSweep(const std::string& sweep_id);
  std::map<std::string, int64_t> StoredCounts();

  // --- loop ---
  void ShutdownGrace(const std::function<bool()>& stopped);
  bool Loop(const std::function<bool()>& stopped);
  void Handle(std::vector<zmq::message_t>& parts);
  void HandleHello(const std::string& peer, const Message& m);
  void HandleReady(const std::string& peer, const rapidjson::Document& body,
                   Clock::time_point received);
  void HandleHeartbeat(const std::string& peer, const rapidjson::Document& body);
  void HandleResults(const std::string& peer, const rapidjson::Document& body);
  void HandleDone(const std::string& peer, const rapidjson::Document& body);
  void HandleFailed(const std::string& peer, const rapidjson::Document& body);
  void SendHeartbeats();
  void SendShutdown(const std::string& reason);
  bool AllComplete() const;

  // Commits transitions (and the lease counter when `next_lease` is set), then acts on them.
  void Commit(const std::vector<Transition>& ts, std::optional<int64_t> next_lease = {});
  // Sends now, or after the round's COMMIT while a round is open. `ready_received` (ASSIGN only)
  // feeds the READY -> ASSIGN histogram when the ASSIGN really leaves.
  void Send(const std::string& peer, std::string_view type, const std::string& body,
            std::optional<Clock::time_point> ready_received = {});
  void SendNow(const std::string& peer, std::string_view type, const std::string& body,
               std::optional<Clock::time_point> ready_received);
  // Handles what the ROUTER has queued (up to kMaxMessagesPerRound) in one transaction.
  void HandleRound();
  void Cancel(const std::string& peer, const std::string& shard, int64_t lease,
              const std::string& reason);
  void Drop(const std::string& peer, const std::string& why);
  // RESULTS or DONE not from the holder of the shard's current lease, or for items outside its
  // range: nothing is stored; counted, logged (rate-limited) and recorded as an event.
  void Reject(const std::string& peer, const std::string& shard, int64_t lease,
              const std::string& why);
  // A store this coordinator created and never queued a sweep in is removed (failed start).
  void RemoveIfCreatedAndUnused() noexcept;
  std::string PeerName(const std::string& peer) const;
  StatusSnapshot Snapshot() const;

  CoordinatorOptions options;
  reports::ResultsStore store;
  Scheduler scheduler;
  std::vector<ShardFacts> facts;
  std::vector<SweepInfo> sweeps;
  int64_t next_lease = 1;

  zmq::context_t context;
  std::unique_ptr<ZapAuthenticator> zap;
  zmq::socket_t socket;
  std::string endpoint;
  std::unique_ptr<HttpServer> http;

  mutable std::mutex mutex;
  Clock::time_point started = Clock::now();
  StatusSnapshot counters;  // only the counter and latency fields are used
  std::deque<std::pair<Clock::time_point, int64_t>> recent;  // stored results, last minute
  Clock::time_point drop_window{};
  int drop_logs = 0;
  int64_t drops_suppressed = 0;
  Clock::time_point reject_window{};
  int reject_logs = 0;
  // Group commit (file comment): replies held until the open round's transaction commits.
  struct Outgoing {
    std::string peer;
    std::string type;
    std::string body;
    std::optional<Clock::time_point> ready_received;
  };
  bool in_round = false;
  std::vector<Outgoing> outbox;
};

Coordinator::Impl::Impl(CoordinatorOptions o)
    : options(Checked(std::move(o))),
      store(reports::ResultsStore::OpenExclusive(options.db_path)),
      scheduler(SchedulerOptions{options.heartbeat_ms, options.liveness, options.lease_ms,
                                 options.max_attempts}),
      context(1) {
  try {
    Start();
  } catch (...) {
    RemoveIfCreatedAndUnused();
    throw;
  }
}

void Coordinator::Impl::Start() {
  if (const auto lease = store.GetMeta(kLeaseMetaKey)) {
    try {
      next_lease = std::stoll(*lease);
    } catch (const std::exception&) {
      Fail("results store '", store.path(), "': meta ", kLeaseMetaKey, " is not a number");
    }
  }
  counters.latency_counts.assign(counters.latency_buckets.size(), 0);
  // Resume every sweep the store has not seen complete: their state is the journal's.
  for (const reports::SweepRow& sweep : store.Sweeps()) {
    if (sweep.ended_at.empty()) LoadSweep(sweep.id);
  }

  socket = zmq::socket_t(context, zmq::socket_type::router);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::router_mandatory, 1);
  socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxBodyBytes + (64 << 10)));
  // Bounded queues: a peer cannot park more than rcvhwm messages (each at most maxmsgsize per
  // frame) in the coordinator's memory. Without CURVE every process that can reach the port is
  // trusted not to send many-frame messages (libzmq bounds frame sizes, not frame counts): keep
  // the default loopback bind or use --curve-keys on shared networks (docs/PROTOCOL.md).
  socket.set(zmq::sockopt::rcvhwm, 1000);
  socket.set(zmq::sockopt::sndhwm, 100000);
  socket.set(zmq::sockopt::handshake_ivl, static_cast<int>(options.handshake_ms));
  if (!options.curve_keys_dir.empty()) {
    const std::string dir = options.curve_keys_dir;
    const std::string secret = ReadKeyFile(dir + "/" + kServerSecretKeyFile);
    ReadKeyFile(dir + "/" + kServerPublicKeyFile);
    if (ReadAuthorizedKeys(dir).empty()) {
      Fail("--curve-keys '", dir, "': no client keys in ", dir, "/", kAuthorizedKeysDir,
           "/*.key, so no worker could join (make some with --make-keys)");
    }
    zap = std::make_unique<ZapAuthenticator>(context, dir);
    socket.set(zmq::sockopt::zap_domain, "gapbench");
    socket.set(zmq::sockopt::curve_server, 1);
    if (zmq_setsockopt(socket.handle(), ZMQ_CURVE_SECRETKEY, secret.c_str(), secret.size() + 1) !=
        0) {
      Fail("--curve-keys '", dir, "': libzmq refused the server key: ", zmq_strerror(zmq_errno()));
    }
  }
  try {
    socket.bind(options.bind);
  } catch (const zmq::error_t& e) {
    Fail("cannot bind the coordinator to '", options.bind, "': ", e.what());
  }
  endpoint = socket.get(zmq::sockopt::last_endpoint);
  if (!options.http.empty()) {
    http = std::make_unique<HttpServer>(options.http, StatusHandler([this] {
                                          std::lock_guard lock(mutex);
                                          return Snapshot();
                                        }));
  }
}

Coordinator::Impl::~Impl() {
  if (http) http->Stop();
  socket.close();
  if (zap) zap->Stop();
  RemoveIfCreatedAndUnused();
}

void Coordinator::Impl::RemoveIfCreatedAndUnused() noexcept {
  try {
    if (store.created() && store.Sweeps().empty()) store.CloseAndRemove();
  } catch (const std::exception& e) {
    LogWarn("coordinator",
            StrCat("could not remove the unused database '", options.db_path, "': ", e.what()),
            {{"db", options.db_path}});
  }
}

std::map<std::string, int64_t> Coordinator::Impl::StoredCounts() {
  std::map<std::string, int64_t> counts;
  reports::sql::Statement st(store.handle(),
                             "SELECT shard_id, COUNT(*) FROM items GROUP BY shard_id",
                             "results store '" + store.path() + "': stored counts");
  while (st.Step()) counts[st.Text(0)] = st.Int(1);
  return counts;
}

void Coordinator::Impl::LoadSweep(const std::string& sweep_id) {
  for (const SweepInfo& s : sweeps) {
    if (s.id == sweep_id) return;  // already queued in this process
  }
  const std::optional<reports::SweepRow> row = store.Sweep(sweep_id);
  GB_CHECK(row.has_value(), "LoadSweep of a sweep the store does not have");
  const std::map<std::string, int64_t> stored = StoredCounts();
  SweepInfo info;
  info.id = row->id;
  info.name = row->name;
  info.priority = row->priority;
  const size_t sweep_idx = sweeps.size();
  std::vector<Transition> completed;
  for (const reports::ShardRow& shard : store.Shards(sweep_id)) {
    ShardEntry entry;
    entry.id = shard.id;
    entry.model_id = shard.model_id;
    entry.priority = row->priority;
    entry.n_results = (shard.end - shard.begin) * shard.samples;
    entry.state = shard.state;
    entry.attempts = shard.attempts;
    entry.last_error = shard.last_error;
    const size_t idx = scheduler.AddShard(entry);
    if (idx == facts.size()) {
      ShardFacts f;
      f.task_json = shard.task_json;
      f.begin = shard.begin;
      f.end = shard.end;
      f.samples = shard.samples;
      f.n_results = entry.n_results;
      const auto it = stored.find(shard.id);
      f.stored = it == stored.end() ? 0 : it->second;
      f.finished = shard.state == ShardState::kDone || shard.state == ShardState::kPoison;
      facts.push_back(std::move(f));
      // Every result stored but the state change was lost (crash between the two commits).
      if (!facts[idx].finished && facts[idx].stored >= facts[idx].n_results) {
        for (Transition& t : scheduler.Complete(shard.id, "")) completed.push_back(std::move(t));
      }
    }
    facts[idx].sweeps.push_back(sweep_idx);
    info.shards.push_back(idx);
    if (!facts[idx].finished) ++info.unfinished;
  }
  sweeps.push_back(std::move(info));
  Commit(completed);
  if (sweeps[sweep_idx].unfinished == 0 && !sweeps[sweep_idx].ended) {
    // Nothing left (e.g. every shard done by another sweep): complete at once.
    sweeps[sweep_idx].ended = true;
    if (row->ended_at.empty()) store.SetSweepEnded(sweep_id, NowIso8601());
  }
}

void Coordinator::Impl::Commit(const std::vector<Transition>& ts, std::optional<int64_t> lease) {
  if (ts.empty() && !lease) return;
  {
    reports::sql::Transaction tx(store.handle(), "results store '" + store.path() + "': journal");
    if (lease) store.SetMeta(kLeaseMetaKey, std::to_string(*lease));
    for (const Transition& t : ts) {
      store.SetShardState(t.shard_id, t.state, t.attempts, t.last_error, t.worker);
      store.LogEvent(TransitionKindName(t.kind), t.shard_id, t.worker, Body([&](JsonWriter& w) {
                       w.Key("lease");
                       w.Int64(t.lease);
                       w.Key("state");
                       w.String(reports::ShardStateName(t.state));
                       w.Key("attempts");
                       w.Int64(t.attempts);
                       w.Key("error");
                       WriteJsonString(w, t.last_error);
                     }));
    }
    tx.Commit();
  }
  // Committed: now count, log and act.
  std::vector<size_t> touched_sweeps;
  for (const Transition& t : ts) {
    switch (t.kind) {
      case TransitionKind::kLeaseGranted:
        ++counters.leases_granted;
        break;
      case TransitionKind::kWorkerLost:
      case TransitionKind::kLeaseExpired:
        ++counters.leases_expired;
        break;
      case TransitionKind::kPoison:
        ++counters.shards_poisoned;
        break;
      default:
        break;
    }
    if (t.state == ShardState::kPending && t.kind != TransitionKind::kReturned) {
      ++counters.shard_retries;
    }
    if (t.kind == TransitionKind::kPoison || t.kind == TransitionKind::kLeaseExpired ||
        t.kind == TransitionKind::kWorkerLost || t.kind == TransitionKind::kFailed) {
      const std::string attempts = StrCat(t.attempts);
      LogWarn("coordinator",
              StrCat("shard ", t.shard_id, " ", TransitionKindName(t.kind), " (worker ", t.worker,
                     ", attempt ", t.attempts, "): ", t.last_error),
              {{"event", TransitionKindName(t.kind)},
               {"shard", t.shard_id},
               {"worker", t.worker},
               {"attempt", attempts},
               {"error", t.last_error}});
    } else if (options.log_events && t.kind != TransitionKind::kLeaseGranted) {
      LogInfo(
          "coordinator",
          StrCat("shard ", t.shard_id, " ", TransitionKindName(t.kind), " (worker ", t.worker, ")"),
          {{"event", TransitionKindName(t.kind)}, {"shard", t.shard_id}, {"worker", t.worker}});
    }
    const auto idx = scheduler.FindShard(t.shard_id);
    if (idx && (t.state == ShardState::kDone || t.state == ShardState::kPoison) &&
        !facts[*idx].finished) {
      facts[*idx].finished = true;
      for (size_t s : facts[*idx].sweeps) {
        --sweeps[s].unfinished;
        touched_sweeps.push_back(s);
      }
    }
    if (!t.cancel_peer.empty()) Cancel(t.cancel_peer, t.shard_id, t.lease, t.cancel_reason);
  }
  for (size_t s : touched_sweeps) {
    SweepInfo& sweep = sweeps[s];
    if (sweep.unfinished == 0 && !sweep.ended) {
      sweep.ended = true;
      store.SetSweepEnded(sweep.id, NowIso8601());
      store.LogEvent("sweep_complete", "", "", Body([&](JsonWriter& w) {
                       w.Key("sweep");
                       WriteJsonString(w, sweep.name);
                     }));
      if (options.log_events) {
        LogInfo("coordinator", StrCat("sweep '", sweep.name, "' complete"),
                {{"event", "sweep_complete"}, {"sweep", sweep.name}});
      }
    }
  }
}

void Coordinator::Impl::Send(const std::string& peer, std::string_view type,
                             const std::string& body,
                             std::optional<Clock::time_point> ready_received) {
  if (in_round) {
    outbox.push_back({peer, std::string(type), body, ready_received});
    return;
  }
  SendNow(peer, type, body, ready_received);
}

void Coordinator::Impl::SendNow(const std::string& peer, std::string_view type,
                                const std::string& body,
                                std::optional<Clock::time_point> ready_received) {
  if (ready_received) {
    const double latency = std::chrono::duration<double>(Clock::now() - *ready_received).count();
    ++counters.latency_count;
    counters.latency_sum += latency;
    for (size_t b = 0; b < counters.latency_buckets.size(); ++b) {
      if (latency <= counters.latency_buckets[b]) ++counters.latency_counts[b];
    }
  }
  const std::string tag = ProtocolTag();
  std::array<zmq::const_buffer, 4> frames = {zmq::buffer(peer), zmq::buffer(tag), zmq::buffer(type),
                                             zmq::buffer(body)};
  try {
    if (!zmq::send_multipart(socket, frames, zmq::send_flags::dontwait)) {
      LogWarn("coordinator", StrCat(type, " to ", PeerName(peer), " dropped: send queue full"),
              {{"event", "send_dropped"}, {"type", type}, {"worker", PeerName(peer)}});
    }
  } catch (const zmq::error_t& e) {
    // EHOSTUNREACH (ROUTER_MANDATORY): the peer disconnected; the scheduler finds out by silence.
    LogWarn("coordinator", StrCat(type, " to ", PeerName(peer), " not sent: ", e.what()),
            {{"event", "send_failed"}, {"type", type}, {"worker", PeerName(peer)}});
  }
}

void Coordinator::Impl::Cancel(const std::string& peer, const std::string& shard, int64_t lease,
                               const std::string& reason) {
  Send(peer, kTypeCancel, Body([&](JsonWriter& w) {
         w.Key("shard");
         WriteJsonString(w, shard);
         w.Key("lease");
         w.Int64(lease);
         w.Key("reason");
         WriteJsonString(w, reason);
       }));
}

std::string Coordinator::Impl::PeerName(const std::string& peer) const {
  const WorkerInfo* w = scheduler.Worker(peer);
  return w != nullptr ? "'" + w->name + "'" : PeerHex(peer);
}

void Coordinator::Impl::Drop(const std::string& peer, const std::string& why) {
  ++counters.messages_dropped;
  const auto now = Clock::now();
  if (now - drop_window > std::chrono::seconds(1)) {
    drop_window = now;
    drop_logs = 0;
  }
  if (drop_logs++ < kMaxDropLogsPerSecond) {
    LogWarn(
        "coordinator",
        StrCat("dropped a message from ", PeerName(peer), ": ", why,
               drops_suppressed > 0 ? StrCat(" (", drops_suppressed, " more drops were not logged)")
                                    : ""),
        {{"event", "message_dropped"}, {"worker", PeerName(peer)}, {"reason", why}});
    drops_suppressed = 0;
  } else {
    ++drops_suppressed;
  }
}

void Coordinator::Impl::Reject(const std::string& peer, const std::string& shard, int64_t lease,
                               const std::string& why) {
  ++counters.results_rejected;
  const auto now = Clock::now();
  if (now - reject_window > std::chrono::seconds(1)) {
    reject_window = now;
    reject_logs = 0;
  }
  if (reject_logs++ >= kMaxDropLogsPerSecond) return;  // the counter still counts them
  LogWarn("coordinator",
          StrCat("refused results from ", PeerName(peer), " for shard ", shard, " (lease ", lease,
                 "): ", why),
          {{"event", "results_rejected"},
           {"worker", PeerName(peer)},
           {"shard", shard},
           {"reason", why}});
  store.LogEvent("results_rejected", scheduler.FindShard(shard) ? shard : "", PeerName(peer),
                 Body([&](JsonWriter& w) {
                   w.Key("shard");
                   WriteJsonString(w, shard);
                   w.Key("lease");
                   w.Int64(lease);
                   w.Key("reason");
                   WriteJsonString(w, why);
                 }));
}

void Coordinator::Impl::Handle(std::vector<zmq::message_t>& parts) {
  const auto received = Clock::now();
  ++counters.messages_received;
  if (parts.empty()) return;
  const std::string peer = parts[0].to_string();
  std::vector<std::string> frames;
  frames.reserve(parts.size() - 1);
  for (size_t i = 1; i < parts.size(); ++i) frames.push_back(parts[i].to_string());
  std::string why;
  const std::optional<Message> m = DecodeMessage(frames, &why);
  if (!m) return Drop(peer, why);
  if (m->type == kTypeHello) return HandleHello(peer, *m);
  if (m->version != kProtocolVersion) {
    return Drop(peer, StrCat("protocol version ", m->version, " ", m->type));
  }
  if (!scheduler.HasWorker(peer)) {
    // Not REFUSE: a worker whose coordinator restarted must re-HELLO, not exit (PROTOCOL.md).
    return Drop(peer, StrCat(m->type, " from a peer that has not said HELLO"));
  }
  scheduler.Touch(peer, received);
  const std::string source = StrCat(m->type, " from ", PeerName(peer));
  try {
    const rapidjson::Document body = ParseJson(m->body, source);
    if (m->type == kTypeReady) {
      HandleReady(peer, body, received);
    } else if (m->type == kTypeHeartbeat) {
      HandleHeartbeat(peer, body);
    } else if (m->type == kTypeResults) {
      HandleResults(peer, body);
    } else if (m->type == kTypeDone) {
      HandleDone(peer, body);
    } else if (m->type == kTypeFailed) {
      HandleFailed(peer, body);
    } else if (m->type == kTypeBye) {
      if (options.log_events) {
        LogInfo("coordinator", StrCat("worker ", PeerName(peer), " left: ", Str(body, "reason")),
                {{"event", "worker_left"}, {"worker", PeerName(peer)}});
      }
      Commit(scheduler.RemoveWorker(peer, "worker left: " + Str(body, "reason")));
    } else {
      Drop(peer, StrCat(m->type, " is not a worker message"));
    }
  } catch (const BadMessage& e) {
    Drop(peer, StrCat(source, ": ", e.what()));
  }
}

void Coordinator::Impl::HandleHello(const std::string& peer, const Message& m) {
  if (m.version != kProtocolVersion) {
    ++counters.workers_refused;
    const std::string reason =
        StrCat("protocol version ", m.version, " is not supported by this coordinator (it speaks ",
               kProtocolVersion, "); run a gapbench worker of the coordinator's version");
    LogWarn("coordinator", StrCat("refused ", PeerHex(peer), ": ", reason),
            {{"event", "refused"}, {"peer", PeerHex(peer)}, {"reason", reason}});
    store.LogEvent("refused", "", PeerHex(peer), Body([&](JsonWriter& w) {
                     w.Key("reason");
                     WriteJsonString(w, reason);
                   }));
    Send(peer, kTypeRefuse, Body([&](JsonWriter& w) {
           w.Key("reason");
           WriteJsonString(w, reason);
         }));
    return;
  }
  WorkerInfo info;
  try {
    const rapidjson::Document body = ParseJson(m.body, "HELLO from " + PeerHex(peer));
    info.peer = peer;
    info.name = Str(body, "worker", PeerHex(peer));
    info.host = Str(body, "host");
    info.version = Str(body, "version");
    info.threads = Int(body, "threads", 0);
    info.models = Strings(body, "models");
    const int64_t protocol = Int(body, "protocol", kProtocolVersion);
    if (protocol != kProtocolVersion) {
      Bad(StrCat("HELLO body says protocol ", protocol, " under tag ", ProtocolTag()));
    }
  } catch (const Error& e) {
    return Drop(peer, e.what());
  }
  if (options.log_events) {
    LogInfo("coordinator",
            StrCat("worker '", info.name, "' joined (host ", info.host, ", ", info.threads,
                   " threads, version ", info.version, ")"),
            {{"event", "worker_joined"}, {"worker", info.name}, {"host", info.host}});
  }
  Commit(scheduler.AddWorker(std::move(info), Clock::now()));
  Send(peer, kTypeWelcome, Body([&](JsonWriter& w) {
         w.Key("heartbeat_ms");
         w.Int64(options.heartbeat_ms);
         w.Key("liveness");
         w.Int64(options.liveness);
         w.Key("max_batch");
         w.Int64(options.max_batch);
       }));
}

void Coordinator::Impl::HandleReady(const std::string& peer, const rapidjson::Document& body,
                                    Clock::time_point received) {
  const std::vector<std::string> models = Strings(body, "models");
  for (;;) {
    std::vector<Transition> returned;
    std::optional<Assignment> a =
        scheduler.Assign(peer, models, next_lease, Clock::now(), &returned);
    if (!a) {
      Commit(returned);
      Send(peer, kTypeNoWork, Body([&](JsonWriter& w) {
             w.Key("retry_ms");
             w.Int64(options.nowork_retry_ms);
           }));
      return;
    }
    returned.push_back(a->transition);
    Commit(returned, next_lease + 1);
    ++next_lease;
    const ShardFacts& f = facts[a->shard];
    const std::vector<std::pair<int64_t, int64_t>> skip = store.DoneItems(a->transition.shard_id);
    if (static_cast<int64_t>(skip.size()) >= f.n_results) {
      Commit(scheduler.Complete(a->transition.shard_id, peer));
      continue;  // nothing left to compute in it: look for another
    }
    const std::string body_json = Body([&](JsonWriter& w) {
      w.Key("shard");
      WriteJsonString(w, a->transition.shard_id);
      w.Key("lease");
      w.Int64(a->transition.lease);
      w.Key("lease_ms");
      w.Int64(options.lease_ms);
      w.Key("task");
      w.RawValue(f.task_json.data(), f.task_json.size(), rapidjson::kObjectType);
      w.Key("skip");
      w.StartArray();
      for (const auto& [item, sample] : skip) {
        w.StartArray();
        w.Int64(item);
        w.Int64(sample);
        w.EndArray();
      }
      w.EndArray();
    });
    Send(peer, kTypeAssign, body_json, received);
    if (options.log_events) {
      const std::string attempt = StrCat(a->transition.attempts);
      LogInfo("coordinator",
              StrCat("shard ", a->transition.shard_id, " -> ", PeerName(peer), " (lease ",
                     a->transition.lease, ", attempt ", a->transition.attempts, ")"),
              {{"event", "assigned"},
               {"shard", a->transition.shard_id},
               {"worker", PeerName(peer)},
               {"attempt", attempt}});
    }
    return;
  }
}

void Coordinator::Impl::HandleHeartbeat(const std::string& peer, const rapidjson::Document& body) {
  const std::string shard = Str(body, "shard");
  if (shard.empty()) return;
  const int64_t lease = Int(body, "lease", 0);
  const int64_t items_done = Int(body, "items_done", 0);
  if (scheduler.IsCurrentLease(peer, shard, lease)) {
    scheduler.Progress(peer, lease, items_done, Clock::now());
  } else {
    Cancel(peer, shard, lease, StrCat("lease ", lease, " is not current"));
  }
}

void Coordinator::Impl::HandleResults(const std::string& peer, const rapidjson::Document& body) {
  const std::string shard = Str(body, "shard");
  const int64_t lease = Int(body, "lease");
  const int64_t seq = Int(body, "seq");
  const auto idx = scheduler.FindShard(shard);
  if (!idx) Bad(StrCat("unknown shard '", shard, "'"));
  const ShardFacts& f = facts[*idx];
  const rapidjson::Value* items = Find(body, "items");
  if (items == nullptr || !items->IsArray()) Bad("field \"items\" must be an array");
  // Only the worker holding the shard's current lease may store results for it: anyone else
  // (a late worker whose lease expired, a peer that was never assigned the shard) is refused and
  // told its lease is void, so it drops those batches instead of resending them.
  if (!scheduler.IsCurrentLease(peer, shard, lease)) {
    Reject(peer, shard, lease, "the sender does not hold the shard's current lease");
    return Cancel(peer, shard, lease,
                  StrCat("lease ", lease, " is not current (results were not stored)"));
  }
  const std::string worker = scheduler.Worker(peer)->name;
  std::vector<reports::ItemRow> rows;
  rows.reserve(items->Size());
  for (const auto& item : items->GetArray()) {
    if (!item.IsObject()) Bad("items[] must be objects");
    reports::ItemRow row;
    row.shard_id = shard;
    row.item_index = Int(item, "item_index");
    row.sample = Int(item, "sample", 0);
    if (row.item_index < f.begin || row.item_index >= f.end || row.sample < 0 ||
        row.sample >= f.samples) {
      // From the lease holder itself: nothing of the batch is stored (no ACK); it keeps its
      // lease, and a DONE without every result stored fails the attempt.
      const std::string why =
          StrCat("item ", row.item_index, " sample ", row.sample, " is outside shard ", shard,
                 " (items [", f.begin, ", ", f.end, "), ", f.samples, " samples)");
      Reject(peer, shard, lease, why);
      Bad(why);  // also counted as a dropped message
    }
    row.item_id = Str(item, "item_id");
    const rapidjson::Value* record = Find(item, "record");
    if (record == nullptr || !record->IsObject()) Bad("item \"record\" must be an object");
    row.record_json = Serialize(*record);
    const rapidjson::Value* timing = Find(item, "timing");
    if (timing != nullptr && !timing->IsObject()) Bad("item \"timing\" must be an object");
    row.timing_json = timing != nullptr ? Serialize(*timing) : "{}";
    row.worker = worker;
    rows.push_back(std::move(row));
  }
  // Titanic: committed before the ACK.
  const reports::InsertResult r = store.InsertItems(rows);
  facts[*idx].stored += r.inserted;
  counters.results_conflicts += r.conflicts;
  if (r.conflicts > 0) {
    LogError("coordinator",
             StrCat("NON-DETERMINISM: ", r.conflicts, " result(s) of shard ", shard, " from ",
                    PeerName(peer),
                    " differ from the stored ones (kept the stored ones; see the events table)"),
             {{"event", "non_determinism"}, {"shard", shard}, {"worker", PeerName(peer)}});
  }
  const auto now = Clock::now();
  if (r.inserted > 0) recent.emplace_back(now, r.inserted);
  while (!recent.empty() && now - recent.front().first > std::chrono::minutes(1)) {
    recent.pop_front();
  }
  scheduler.Advance(peer, lease, now);
  Send(peer, kTypeAck, Body([&](JsonWriter& w) {
         w.Key("shard");
         WriteJsonString(w, shard);
         w.Key("lease");
         w.Int64(lease);
         w.Key("seq");
         w.Int64(seq);
       }));
  if (facts[*idx].stored >= f.n_results) Commit(scheduler.Complete(shard, peer));
}

void Coordinator::Impl::HandleDone(const std::string& peer, const rapidjson::Document& body) {
  const std::string shard = Str(body, "shard");
  const int64_t lease = Int(body, "lease");
  const auto idx = scheduler.FindShard(shard);
  if (!idx) Bad(StrCat("unknown shard '", shard, "'"));
  if (scheduler.shards()[*idx].entry.state == ShardState::kDone) return;  // RESULTS completed it
  if (!scheduler.IsCurrentLease(peer, shard, lease)) {
    Reject(peer, shard, lease, "DONE from a peer that does not hold the shard's current lease");
    return Cancel(peer, shard, lease, StrCat("lease ", lease, " is not current"));
  }
  const ShardFacts& f = facts[*idx];
  if (f.stored >= f.n_results) return Commit(scheduler.Complete(shard, peer));
  Commit(scheduler.Fail(
      peer, lease,
      StrCat("worker said DONE with ", f.stored, " of ", f.n_results, " results stored"), true));
}

void Coordinator::Impl::HandleFailed(const std::string& peer, const rapidjson::Document& body) {
  const std::string shard = Str(body, "shard");
  const int64_t lease = Int(body, "lease");
  const std::string error = Str(body, "error", "unspecified error");
  const rapidjson::Value* retryable = Find(body, "retryable");
  if (retryable != nullptr && !retryable->IsBool()) Bad("field \"retryable\" must be a boolean");
  if (!scheduler.IsCurrentLease(peer, shard, lease)) return;  // a void lease's failure
  Commit(scheduler.Fail(peer, lease, error, retryable == nullptr || retryable->GetBool()));
}

void Coordinator::Impl::SendHeartbeats() {
  for (const auto& [peer, worker] : scheduler.workers()) Send(peer, kTypeHeartbeat, "{}");
}

void Coordinator::Impl::SendShutdown(const std::string& reason) {
  const std::string body = Body([&](JsonWriter& w) {
    w.Key("reason");
    WriteJsonString(w, reason);
  });
  for (const auto& [peer, worker] : scheduler.workers()) Send(peer, kTypeShutdown, body);
}

bool Coordinator::Impl::AllComplete() const {
  for (const SweepInfo& s : sweeps) {
    if (s.unfinished > 0) return false;
  }
  return true;
}

// After the last sweep completed (--exit-when-done): for one worker liveness period (at least
// 2 s), any peer that speaks -- a worker that joined late, or whose SHUTDOWN was lost -- is
// answered SHUTDOWN at once instead of finding no coordinator and retrying forever. Nothing is
// stored in this phase: every shard is already done or poison.
void Coordinator::Impl::ShutdownGrace(const std::function<bool()>& stopped) {
  const auto grace = std::max<int64_t>(2000, options.heartbeat_ms * options.liveness);
  const auto until = Clock::now() + std::chrono::milliseconds(grace);
  const std::string body = Body([&](JsonWriter& w) {
    w.Key("reason");
    WriteJsonString(w, "every queued sweep is complete");
  });
  while (!stopped() && Clock::now() < until) {
    zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 1, std::chrono::milliseconds(50));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
      continue;
    }
    while (true) {
      std::vector<zmq::message_t> parts;
      std::optional<size_t> got;
      try {
        got = zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait);
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw;
      }
      if (!got || parts.empty()) break;
      SendNow(parts.front().to_string(), kTypeShutdown, body, std::nullopt);
    }
  }
}

bool Coordinator::Impl::Loop(const std::function<bool()>& stopped) {
  const auto heartbeat = std::chrono::milliseconds(options.heartbeat_ms);
  auto next_beat = Clock::now() + heartbeat;
  while (!stopped()) {
    {
      std::lock_guard lock(mutex);
      if (options.exit_when_done && AllComplete()) {
        SendShutdown("every queued sweep is complete");
        ShutdownGrace(stopped);
        // Give SHUTDOWN a moment to leave: linger bounds the close, it never blocks forever.
        socket.set(zmq::sockopt::linger, 1000);
        return true;
      }
    }
    const auto now = Clock::now();
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_beat - now);
    wait = std::clamp(wait, std::chrono::milliseconds(0), std::chrono::milliseconds(100));
    zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 1, wait);
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
      continue;  // a signal: check `stopped` again
    }
    if (items[0].revents & ZMQ_POLLIN) {
      std::lock_guard lock(mutex);
      HandleRound();
    }
    if (Clock::now() >= next_beat) {
      std::lock_guard lock(mutex);
      SendHeartbeats();
      Commit(scheduler.Tick(Clock::now()));
      next_beat = Clock::now() + heartbeat;
    }
  }
  return false;
}

void Coordinator::Impl::HandleRound() {
  outbox.clear();
  {
    reports::sql::Transaction tx(store.handle(),
                                 "results store '" + store.path() + "': message round");
    in_round = true;
    try {
      for (int n = 0; n < kMaxMessagesPerRound; ++n) {
        std::vector<zmq::message_t> parts;
        std::optional<size_t> got;
        try {
          got = zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait);
        } catch (const zmq::error_t& e) {
          if (e.num() != EINTR) LogError("coordinator", StrCat("receive failed: ", e.what()));
          break;
        }
        if (!got) break;
        Handle(parts);
      }
    } catch (...) {
      // A store failure: the round rolls back and none of its replies leave (Run throws it).
      in_round = false;
      outbox.clear();
      throw;
    }
    in_round = false;
    tx.Commit();
  }
  // Committed: now the replies may act on it.
  std::vector<Outgoing> out;
  out.swap(outbox);
  for (const Outgoing& o : out) SendNow(o.peer, o.type, o.body, o.ready_received);
}

StatusSnapshot Coordinator::Impl::Snapshot() const {
  StatusSnapshot s = counters;
  const auto now = Clock::now();
  s.version = options.version;
  if (zap) s.workers_refused += zap->rejected();  // CURVE keys not authorized
  s.uptime_s = std::chrono::duration<double>(now - started).count();
  const auto& slots = scheduler.shards();
  for (const SweepInfo& sweep : sweeps) {
    SweepStatus st;
    st.id = sweep.id;
    st.name = sweep.name;
    st.priority = sweep.priority;
    for (const char* state : {"pending", "running", "done", "poison"})
      st.shards_by_state[state] = 0;
    for (size_t idx : sweep.shards) {
      ++st.shards_by_state[reports::ShardStateName(slots[idx].entry.state)];
      st.items_done += facts[idx].stored;
      st.items_total += facts[idx].n_results;
    }
    st.shards_total = static_cast<int64_t>(sweep.shards.size());
    st.complete = sweep.unfinished == 0;
    s.sweeps.push_back(std::move(st));
  }
  std::stable_sort(
      s.sweeps.begin(), s.sweeps.end(),
      [](const SweepStatus& a, const SweepStatus& b) { return a.priority > b.priority; });
  for (size_t idx = 0; idx < slots.size(); ++idx) {
    s.items_done += facts[idx].stored;
    s.items_total += facts[idx].n_results;
    if (slots[idx].entry.state == ShardState::kPoison) {
      s.items_failed += std::max<int64_t>(0, facts[idx].n_results - facts[idx].stored);
    }
  }
  for (const auto& [peer, w] : scheduler.workers()) {
    WorkerStatus ws;
    ws.name = w.name;
    ws.host = w.host;
    ws.version = w.version;
    ws.threads = w.threads;
    ws.state = w.shard ? "busy" : "idle";
    ws.shard = w.shard ? slots[*w.shard].entry.id : "";
    ws.items_done = w.items_done;
    ws.seconds_since_seen = std::chrono::duration<double>(now - w.last_seen).count();
    ws.shards_completed = w.shards_completed;
    ws.models = w.models;
    s.workers.push_back(std::move(ws));
  }
  std::sort(s.workers.begin(), s.workers.end(),
            [](const WorkerStatus& a, const WorkerStatus& b) { return a.name < b.name; });
  int64_t recent_items = 0;
  for (const auto& [t, n] : recent) {
    if (now - t <= std::chrono::minutes(1)) recent_items += n;
  }
  const double window = std::clamp(s.uptime_s, 1.0, 60.0);
  s.items_per_s = static_cast<double>(recent_items) / window;
  const int64_t remaining = s.items_total - s.items_done - s.items_failed;
  s.eta_s = remaining <= 0 ? 0 : (s.items_per_s > 0 ? remaining / s.items_per_s : -1);
  s.all_complete = AllComplete();
  return s;
}

// --- public face ---

Coordinator::Coordinator(CoordinatorOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
Coordinator::~Coordinator() = default;

RegisterResult Coordinator::AddSweep(const std::string& path) {
  const SweepCheck check = CheckSweepFile(path);
  if (!check.ok()) {
    std::string message = StrCat("sweep '", path, "' is not valid (", check.errors.size(),
                                 " problem", check.errors.size() == 1 ? "" : "s", "):");
    for (const std::string& e : check.errors) message += "\n  " + e;
    Fail(message);
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const Expansion expansion = ExpandSweep(check.sweep);
  RegistrationContext context;
  context.gapbench_version = impl_->options.version;
  context.git_commit = impl_->options.git_commit;
  const Registration registration = BuildRegistration(check.sweep, expansion, text.str(), context);
  std::lock_guard lock(impl_->mutex);
  const RegisterResult result = RegisterSweep(impl_->store, registration);
  impl_->LoadSweep(result.sweep_id);
  return result;
}

bool Coordinator::Run(const std::atomic<bool>& stop) {
  return impl_->Loop([&stop] { return stop.load(); });
}

bool Coordinator::Run(std::stop_token stop) {
  return impl_->Loop([&stop] { return stop.stop_requested(); });
}

StatusSnapshot Coordinator::Status() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->Snapshot();
}

const std::string& Coordinator::endpoint() const { return impl_->endpoint; }

uint16_t Coordinator::http_port() const { return impl_->http ? impl_->http->port() : 0; }

}  // namespace gapbench::coordinator
