// The worker's socket loop and shard threads (see worker.h for the contract).
#include "worker/worker.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strategy.h"
#include "coordinator/endpoint.h"
#include "coordinator/protocol.h"
#include "kernels/parallel.h"
#include "worker/model_cache.h"
#include "worker/model_factory.h"
#include "worker/runner.h"

namespace gapbench::worker {
namespace {

namespace proto = coordinator;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

constexpr Ms kPollSlice{20};                        // the loop's tick: batching, timers, stop flag
constexpr size_t kMaxBatchBytes = size_t{8} << 20;  // well under kMaxBodyBytes
constexpr auto kProgressEvery = std::chrono::seconds(10);
// ZMQ_RECONNECT_STOP and ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED (libzmq >= 4.3.5, draft API: not
// declared without ZMQ_BUILD_DRAFT_API, so the values are spelled out; refused with EINVAL by a
// libzmq that lacks them).
constexpr int kZmqReconnectStop = 109;
constexpr int kZmqReconnectStopHandshakeFailed = 0x2;

// One Z85 key from a key file (docs/PROTOCOL.md "CURVE"): the first line that is not empty and
// does not start with '#'.
std::string ReadKeyFile(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) Fail(path.string(), ": cannot read the CURVE key file");
  std::string text;
  char buf[512];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && text.size() < 65536) text.append(buf, n);
  std::fclose(f);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    size_t start = 0;
    while (start < line.size() && std::isspace(static_cast<unsigned char>(line[start]))) ++start;
    line.erase(0, start);
    if (line.empty() || line[0] == '#') continue;
    if (line.size() != 40) {
      Fail(path.string(), ": expected a 40-character Z85 key, got ", line.size(), " characters");
    }
    return line;
  }
  Fail(path.string(), ": holds no key");
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string JsonText(const std::function<void(JsonWriter&)>& fill) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  fill(w);
  w.EndObject();
  return buf.GetString();
}

void WriteStringList(JsonWriter& w, const char* key, const std::vector<std::string>& v) {
  w.Key(key);
  w.StartArray();
  for (const auto& s : v) WriteJsonString(w, s);
  w.EndArray();
}

// Body field readers that never throw: protocol input is untrusted.
std::string StrField(const rapidjson::Value& v, const char* key) {
  const auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsString()) return "";
  return {it->value.GetString(), it->value.GetStringLength()};
}
int64_t IntField(const rapidjson::Value& v, const char* key, int64_t def) {
  const auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsInt64()) return def;
  return it->value.GetInt64();
}

// One RESULTS message kept until its ACK.
struct Batch {
  std::string shard;
  int64_t lease = 0;
  int64_t seq = 0;
  std::string body;
};

// A shard in progress, shared by the socket thread and the shard's thread.
struct ShardRun {
  std::string shard_id;
  int64_t lease = 0;
  proto::ShardTask task;
  SkipSet skip;
  Clock::time_point started = Clock::now();
  std::atomic<bool> cancel{false};
  std::atomic<int64_t> items_done{0};  // items finished in this lease (heartbeat progress)
  std::thread thread;

  std::mutex mu;                   // guards the fields below until `finished`
  std::vector<std::string> ready;  // ResultItem objects not yet batched
  Clock::time_point first_ready;
  bool finished = false;   // the thread has returned
  bool completed = false;  // ... after running the whole range
  bool failed = false;
  bool retryable = true;
  std::string error;

  // Socket thread only.
  int64_t next_seq = 0;
  int64_t n_sent = 0;    // ResultItems sent in this lease
  bool dropped = false;  // CANCELled: no DONE, results discarded
  Clock::time_point last_progress_log = Clock::now();
};

}  // namespace

class Worker::Impl {
 public:
  Impl(WorkerOptions options, std::atomic<bool>& stop);
  ~Impl();
  int Run();

 private:
  enum class Link { kDown, kHelloSent, kUp };

  void Log(const std::string& line) const { opt_.log(line); }
  void Connect();
  // Drains mon_; true when a connection ended before its handshake (the caller backs off).
  bool HandshakeFailed();
  void Disconnect(int linger_ms);
  void Send(std::string_view type, const std::string& body);
  void Handle(const proto::Message& m);
  void StartShard(const rapidjson::Document& body);
  void ShardMain(ShardRun& run);
  void Pump(Clock::time_point now);
  void FinishShard(Clock::time_point now);
  void EndShardThread();
  bool ShardThreadDone() {
    if (!shard_) return true;
    std::lock_guard<std::mutex> lock(shard_->mu);
    return shard_->finished;
  }

  WorkerOptions opt_;
  std::atomic<bool>& stop_;
  std::string host_;
  std::string client_public_, client_secret_, server_public_;
  zmq::context_t ctx_;
  std::unique_ptr<zmq::socket_t> sock_;
  // Where libzmq lacks ZMQ_RECONNECT_STOP: a PAIR socket reading sock_'s monitor events, so a
  // connection that ends before any ZMTP handshake succeeded (something else listens there) is
  // paced by the worker's backoff while refused connections keep libzmq's quick retries.
  std::unique_ptr<zmq::socket_t> mon_;
  int mon_serial_ = 0;
  bool handshake_ok_ = false;  // a handshake succeeded since the last TCP connection
  Link link_ = Link::kDown;
  Clock::time_point last_heard_{}, last_beat_{}, reconnect_at_{}, ready_at_{};
  bool ready_due_ = true;  // READY is to be sent at ready_at_ once the link is up
  int heartbeat_ms_;
  int liveness_;
  int max_batch_;
  int backoff_ms_;
  bool stopping_ = false;
  Clock::time_point stop_deadline_{};
  std::optional<int> exit_code_;
  std::deque<Batch> outbox_;
  std::unique_ptr<ShardRun> shard_;
  ModelCache models_;
  SuiteCache suites_;    // shard threads only (one at a time)
  LazySandbox sandbox_;  // shard threads only
};

Worker::Impl::Impl(WorkerOptions options, std::atomic<bool>& stop)
    : opt_(std::move(options)),
      stop_(stop),
      host_(HostName()),
      heartbeat_ms_(opt_.heartbeat_ms),
      liveness_(opt_.liveness),
      max_batch_(opt_.batch_items),
      backoff_ms_(opt_.initial_backoff_ms),
      models_(opt_.memory_budget > 0 ? opt_.memory_budget : DefaultMemoryBudget()),
      sandbox_([this](const std::string& w) { Log(StrCat("warning: ", w)); }) {
  if (!opt_.log) {
    opt_.log = [](const std::string& line) {
      // The worker's own warnings (the sandbox's) keep their level in JSON and under a filter.
      constexpr std::string_view kWarning = "warning: ";
      if (std::string_view(line).starts_with(kWarning)) {
        LogWarn("gapbench worker", std::string_view(line).substr(kWarning.size()));
      } else {
        LogInfo("gapbench worker", line);
      }
    };
  }
  if (opt_.connect.empty()) Fail("the worker needs an endpoint to connect to (--connect)");
  // A port libzmq would wrap, or a host that does not exist, would otherwise be retried forever.
  proto::CheckResolvable(proto::ParseEndpoint(opt_.connect, "--connect", /*for_bind=*/false),
                         "--connect");
  if (opt_.name.empty()) opt_.name = StrCat(host_, ':', ::getpid());
  if (opt_.heartbeat_ms < 1 || opt_.liveness < 1 || opt_.initial_backoff_ms < 1 ||
      opt_.max_backoff_ms < opt_.initial_backoff_ms || opt_.batch_items < 1) {
    Fail("worker options: heartbeat, liveness, batch and backoff must be positive (max backoff ",
         ">= initial)");
  }
  if (!opt_.curve_keys_dir.empty()) {
    if (!zmq_has("curve")) Fail("--curve-keys: this libzmq was built without CURVE support");
    const std::filesystem::path dir(opt_.curve_keys_dir);
    client_public_ = ReadKeyFile(dir / "client.key");
    client_secret_ = ReadKeyFile(dir / "client.key_secret");
    server_public_ = ReadKeyFile(dir / "server.key");
  }
  kernels::SetNumThreads(opt_.threads);
}

Worker::Impl::~Impl() { EndShardThread(); }

void Worker::Impl::EndShardThread() {
  if (shard_ && shard_->thread.joinable()) {
    shard_->cancel = true;
    shard_->thread.join();
  }
}

void Worker::Impl::Connect() {
  sock_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::dealer);
  sock_->set(zmq::sockopt::linger, 0);
  sock_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(proto::kMaxBodyBytes + 4096));
  // libzmq reconnects on its own, every 100 ms by default: quick retries are right while nothing
  // listens yet (a coordinator that is starting), but after a failed handshake something that is
  // not a coordinator listens there and would be hit ten times a second. So libzmq stops after
  // a failed handshake (ZMQ_RECONNECT_STOP) and the worker's backoff paces the next attempt (a
  // new socket after the silence). Without that option (libzmq < 4.3.5, e.g. Debian 12's 4.3.4)
  // the socket's monitor tells a refused connection (retried by libzmq every 100 ms) from one
  // that ended before its handshake (closed by the worker, which retries after its backoff).
  int stop = kZmqReconnectStopHandshakeFailed;
  handshake_ok_ = false;
  if (zmq_setsockopt(sock_->handle(), kZmqReconnectStop, &stop, sizeof stop) == 0) {
    sock_->set(zmq::sockopt::reconnect_ivl_max, opt_.max_backoff_ms);
  } else {
    const std::string ep = StrCat("inproc://gapbench-worker-monitor-", ++mon_serial_);
    if (zmq_socket_monitor(
            sock_->handle(), ep.c_str(),
            ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0) {
      mon_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::pair);
      mon_->set(zmq::sockopt::linger, 0);
      mon_->connect(ep);
    } else {
      sock_->set(zmq::sockopt::reconnect_ivl, backoff_ms_);  // no monitor: pace every retry
    }
  }
  if (!server_public_.empty()) {
    sock_->set(zmq::sockopt::curve_serverkey, server_public_);
    sock_->set(zmq::sockopt::curve_publickey, client_public_);
    sock_->set(zmq::sockopt::curve_secretkey, client_secret_);
  }
  try {
    sock_->connect(opt_.connect);
  } catch (const zmq::error_t& e) {
    Fail("--connect ", opt_.connect, ": ", e.what());
  }
  link_ = Link::kHelloSent;
  last_heard_ = Clock::now();
  const auto models = models_.LoadedIds();
  Send(proto::kTypeHello, JsonText([&](JsonWriter& w) {
         w.Key("worker");
         WriteJsonString(w, opt_.name);
         w.Key("version");
         WriteJsonString(w, opt_.version);
         w.Key("protocol");
         w.Int(proto::kProtocolVersion);
         w.Key("threads");
         w.Int(opt_.threads > 0 ? opt_.threads : kernels::NumThreads());
         w.Key("memory_bytes");
         w.Int64(models_.budget());
         w.Key("pid");
         w.Int64(::getpid());
         w.Key("host");
         WriteJsonString(w, host_);
         WriteStringList(w, "models", models);
       }));
}

bool Worker::Impl::HandshakeFailed() {
  bool failed = false;
  while (mon_) {
    zmq::message_t event, endpoint;
    if (!mon_->recv(event, zmq::recv_flags::dontwait)) break;
    if (event.more()) (void)mon_->recv(endpoint, zmq::recv_flags::dontwait);
    if (event.size() < 2) continue;
    uint16_t id = 0;
    std::memcpy(&id, event.data(), sizeof id);
    if (id == ZMQ_EVENT_CONNECTED) {
      handshake_ok_ = false;
    } else if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      handshake_ok_ = true;
    } else if (!handshake_ok_) {  // disconnected or handshake failed before any success
      failed = true;
    }
  }
  return failed;
}

void Worker::Impl::Disconnect(int linger_ms) {
  mon_.reset();  // closing the PAIR end; the monitor stops with the socket below
  if (sock_) {
    sock_->set(zmq::sockopt::linger, linger_ms);
    sock_->close();
    sock_.reset();
  }
  link_ = Link::kDown;
}

void Worker::Impl::Send(std::string_view type, const std::string& body) {
  if (!sock_) return;
  const auto frames = proto::EncodeMessage(type, body);
  // A DEALER queues for a connecting peer; a full queue (EAGAIN) loses the message, which the
  // outbox (RESULTS) and the next interval (HEARTBEAT, READY after reconnect) make good.
  for (size_t i = 0; i < frames.size(); ++i) {
    const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                             : zmq::send_flags::dontwait;
    if (!sock_->send(zmq::buffer(frames[i]), flags)) return;
  }
}

int Worker::Impl::Run() {
  Connect();
  Log(StrCat("connecting to ", opt_.connect, " as ", opt_.name));
  while (true) {
    auto now = Clock::now();
    if (stop_.load() && !stopping_) {
      stopping_ = true;
      stop_deadline_ = now + Ms(opt_.drain_ms);
      if (shard_) shard_->cancel = true;
      Log(shard_ ? StrCat("stopping: finishing the current item of shard ", shard_->shard_id)
                 : std::string("stopping"));
    }
    // Link upkeep: a silent coordinator is presumed gone (Paranoid Pirate).
    if (link_ == Link::kDown) {
      if (now >= reconnect_at_) Connect();
    } else if (link_ == Link::kHelloSent && HandshakeFailed()) {
      Log(StrCat("no ZeroMQ handshake with ", opt_.connect, "; reconnecting in ", backoff_ms_,
                 " ms"));
      Disconnect(0);
      reconnect_at_ = now + Ms(backoff_ms_);
      backoff_ms_ = std::min(backoff_ms_ * 2, opt_.max_backoff_ms);
    } else if (now - last_heard_ > Ms(int64_t{heartbeat_ms_} * liveness_)) {
      Log(StrCat("coordinator silent for ", heartbeat_ms_ * liveness_, " ms; reconnecting in ",
                 backoff_ms_, " ms"));
      Disconnect(0);
      reconnect_at_ = now + Ms(backoff_ms_);
      backoff_ms_ = std::min(backoff_ms_ * 2, opt_.max_backoff_ms);
    }
    if (sock_) {
      zmq::pollitem_t item{sock_->handle(), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(&item, 1, kPollSlice);
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw;
      }
      while (sock_) {
        std::vector<zmq::message_t> parts;
        std::optional<size_t> got;
        try {
          got = zmq::recv_multipart(*sock_, std::back_inserter(parts), zmq::recv_flags::dontwait);
        } catch (const zmq::error_t& e) {
          if (e.num() != EINTR) throw;
        }
        if (!got) break;
        std::vector<std::string> frames;
        for (auto& p : parts) frames.emplace_back(p.to_string());
        std::string why;
        const auto m = proto::DecodeMessage(frames, &why);
        if (!m) {
          Log(StrCat("dropped a message from the coordinator: ", why));
          continue;
        }
        Handle(*m);
        if (exit_code_) break;
      }
    } else {
      std::this_thread::sleep_for(kPollSlice);
    }
    if (exit_code_) {
      EndShardThread();
      Disconnect(0);
      return *exit_code_;
    }
    now = Clock::now();
    Pump(now);
    if (link_ == Link::kUp && now - last_beat_ >= Ms(heartbeat_ms_)) {
      last_beat_ = now;
      Send(proto::kTypeHeartbeat, JsonText([&](JsonWriter& w) {
             w.Key("shard");
             if (shard_) {
               WriteJsonString(w, shard_->shard_id);
             } else {
               w.Null();
             }
             w.Key("lease");
             w.Int64(shard_ ? shard_->lease : 0);
             w.Key("items_done");
             w.Int64(shard_ ? shard_->items_done.load() : 0);
           }));
    }
    if (link_ == Link::kUp && !shard_ && !stopping_ && ready_due_ && now >= ready_at_) {
      // Asked again if neither ASSIGN nor NOWORK arrives within a liveness period: a READY or
      // its answer dropped on a full queue must not leave the worker idle for good.
      ready_at_ = now + Ms(static_cast<int64_t>(heartbeat_ms_) * liveness_);
      const auto models = models_.LoadedIds();
      Send(proto::kTypeReady,
           JsonText([&](JsonWriter& w) { WriteStringList(w, "models", models); }));
    }
    if (stopping_ && ShardThreadDone() && ((!shard_ && outbox_.empty()) || now >= stop_deadline_)) {
      if (!outbox_.empty()) {
        Log(StrCat(outbox_.size(),
                   " RESULTS batches were not acknowledged before the drain "
                   "deadline; the coordinator will run those items again"));
      }
      if (link_ == Link::kUp) {
        Send(proto::kTypeBye, JsonText([&](JsonWriter& w) {
               w.Key("reason");
               WriteJsonString(w, "stopped by a signal");
             }));
      }
      EndShardThread();
      Disconnect(1000);  // linger so BYE leaves
      Log("stopped");
      return 0;
    }
  }
}

void Worker::Impl::Handle(const proto::Message& m) {
  if (m.version != proto::kProtocolVersion) {
    Log(StrCat("ignored a ", m.type, " of protocol version ", m.version));
    return;
  }
  rapidjson::Document body;
  try {
    body = ParseJson(m.body, StrCat("coordinator ", m.type));
  } catch (const Error& e) {
    Log(StrCat("dropped a message: ", e.what()));
    return;
  }
  const auto now = Clock::now();
  last_heard_ = now;
  if (m.type == proto::kTypeWelcome) {
    heartbeat_ms_ = static_cast<int>(
        std::clamp<int64_t>(IntField(body, "heartbeat_ms", opt_.heartbeat_ms), 10, 600000));
    liveness_ =
        static_cast<int>(std::clamp<int64_t>(IntField(body, "liveness", opt_.liveness), 1, 100));
    max_batch_ = static_cast<int>(std::clamp<int64_t>(
        std::min<int64_t>(IntField(body, "max_batch", opt_.batch_items), opt_.batch_items), 1,
        100000));
    link_ = Link::kUp;
    backoff_ms_ = opt_.initial_backoff_ms;
    Log(StrCat("connected to ", opt_.connect, " (heartbeat ", heartbeat_ms_, " ms x ", liveness_,
               ")",
               outbox_.empty()
                   ? ""
                   : StrCat("; resending ", outbox_.size(), " unacknowledged RESULTS batches")));
    for (const auto& b : outbox_) Send(proto::kTypeResults, b.body);
    if (!shard_) {
      ready_due_ = true;
      ready_at_ = now;
    }
  } else if (m.type == proto::kTypeRefuse) {
    Log(StrCat("refused by the coordinator: ", StrField(body, "reason")));
    exit_code_ = kExitRefused;
  } else if (m.type == proto::kTypeNoWork) {
    ready_due_ = true;
    ready_at_ = now + Ms(std::clamp<int64_t>(IntField(body, "retry_ms", 1000), 10, 60000));
  } else if (m.type == proto::kTypeAssign) {
    StartShard(body);
  } else if (m.type == proto::kTypeAck) {
    const std::string shard = StrField(body, "shard");
    const int64_t lease = IntField(body, "lease", -1), seq = IntField(body, "seq", -1);
    std::erase_if(outbox_, [&](const Batch& b) {
      return b.shard == shard && b.lease == lease && b.seq == seq;
    });
  } else if (m.type == proto::kTypeCancel) {
    const std::string shard = StrField(body, "shard");
    const int64_t lease = IntField(body, "lease", -1);
    if (shard_ && shard_->shard_id == shard && shard_->lease == lease && !shard_->dropped) {
      Log(StrCat("shard ", shard, " cancelled by the coordinator: ", StrField(body, "reason")));
      shard_->cancel = true;
      shard_->dropped = true;
      std::lock_guard<std::mutex> lock(shard_->mu);
      shard_->ready.clear();
    }
    // The lease is void: its unacknowledged batches are not worth resending.
    std::erase_if(outbox_, [&](const Batch& b) { return b.shard == shard && b.lease == lease; });
  } else if (m.type == proto::kTypeShutdown) {
    Log(StrCat("shutdown by the coordinator: ", StrField(body, "reason")));
    exit_code_ = 0;
  } else if (m.type != proto::kTypeHeartbeat) {
    Log(StrCat("ignored an unexpected ", m.type));
  }
}

void Worker::Impl::StartShard(const rapidjson::Document& body) {
  const std::string shard_id = StrField(body, "shard");
  const int64_t lease = IntField(body, "lease", -1);
  auto refuse = [&](const std::string& why, bool retryable) {
    Send(proto::kTypeFailed, JsonText([&](JsonWriter& w) {
           w.Key("shard");
           WriteJsonString(w, shard_id);
           w.Key("lease");
           w.Int64(lease);
           w.Key("error");
           WriteJsonString(w, why);
           w.Key("retryable");
           w.Bool(retryable);
         }));
  };
  if (shard_) {
    refuse(StrCat("worker ", opt_.name, " is busy with shard ", shard_->shard_id), true);
    return;
  }
  if (stopping_) {
    refuse(StrCat("worker ", opt_.name, " is stopping"), true);
    return;
  }
  auto run = std::make_unique<ShardRun>();
  run->shard_id = shard_id;
  run->lease = lease;
  try {
    const auto task = body.FindMember("task");
    if (shard_id.empty() || lease < 0 || task == body.MemberEnd() || !task->value.IsObject()) {
      Fail("ASSIGN needs \"shard\", \"lease\" and a \"task\" object");
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    task->value.Accept(w);
    run->task = proto::ShardTaskFromJson(buf.GetString(), StrCat("ASSIGN ", shard_id));
    if (const auto skip = body.FindMember("skip"); skip != body.MemberEnd()) {
      if (!skip->value.IsArray()) Fail("ASSIGN \"skip\" must be an array of [item, sample]");
      for (const auto& p : skip->value.GetArray()) {
        if (!p.IsArray() || p.Size() != 2 || !p[0].IsInt64() || !p[1].IsInt64()) {
          Fail("ASSIGN \"skip\" entries must be [item_index, sample]");
        }
        run->skip.emplace(p[0].GetInt64(), p[1].GetInt64());
      }
    }
  } catch (const Error& e) {
    Log(StrCat("rejected ASSIGN: ", e.what()));
    refuse(StrCat(ErrorKindName(e.kind()), " error: ", e.what()), e.retryable());
    ready_due_ = true;
    ready_at_ = Clock::now();
    return;
  }
  Log(StrCat("shard ", shard_id, " (lease ", lease, ") started: ",
             run->task.model_alias.empty() ? run->task.model_path : run->task.model_alias, " on ",
             run->task.suite_name, " items [", run->task.begin, ", ", run->task.end, ")",
             run->skip.empty() ? "" : StrCat(", ", run->skip.size(), " samples already stored")));
  shard_ = std::move(run);
  ShardRun& r = *shard_;
  r.thread = std::thread([this, &r] { ShardMain(r); });
}

void Worker::Impl::ShardMain(ShardRun& run) {
  const proto::ShardTask& task = run.task;
  try {
    StrategyConfig strategy;
    if (!task.strategy_json.empty() && task.strategy_json != "{}" && task.strategy_json != "null") {
      strategy = ParseStrategyConfigJson(task.strategy_json, "shard task strategy");
    }
    // The models to load: the task's own, or a routed system's members {small, large}.
    std::vector<proto::ShardMember> members = task.members;
    if (strategy.kind == StrategyKind::kSingle) {
      if (!members.empty()) Fail("a single-model shard task must not list members");
      members.push_back({"", task.model_path, task.model_id, task.model_alias, task.config_json,
                         task.config_hash});
    } else if (members.size() != 2) {
      Fail("a ", StrategyKindName(strategy.kind), " shard task needs 2 members (",
           strategy.kind == StrategyKind::kGuard ? "guard" : "small", ", large), got ",
           members.size());
    }
    auto suite = suites_.Get(task.suite_path, task.suite_format, task.suite_split);
    if (!task.suite_hash.empty() && suite->manifest.content_hash != task.suite_hash) {
      suite = suites_.Get(task.suite_path, task.suite_format, task.suite_split, /*reload=*/true);
      if (suite->manifest.content_hash != task.suite_hash) {
        Fail(task.suite_path, ": the suite's content hash is ", suite->manifest.content_hash,
             " but the shard expects ", task.suite_hash,
             " (the file changed after the sweep was queued?)");
      }
    }
    if (task.begin < 0 || task.end < task.begin ||
        task.end > static_cast<int64_t>(suite->items.size())) {
      Fail(task.suite_path, ": the shard's items [", task.begin, ", ", task.end,
           ") are outside the suite's ", suite->items.size(), " items");
    }
    // Every member stays in the cache (bounded by memory) and in `loaded` while the shard runs.
    std::vector<CachedModel> loaded;
    std::vector<MemberModel> lm_members;
    for (const proto::ShardMember& m : members) {
      bool over_budget = false;
      loaded.push_back(models_.Get(m.model_path, m.config_json, &over_budget));
      const CachedModel& model = loaded.back();
      if (!m.model_id.empty() && model.model_id != m.model_id) {
        Fail(m.model_path, ": the model's content id is ", model.model_id,
             " but the shard expects ", m.model_id,
             " (the file changed after the sweep was queued?)");
      }
      if (!m.config_hash.empty() && model.config_hash != m.config_hash) {
        Fail("engine config hash ", model.config_hash, " differs from the shard's ", m.config_hash);
      }
      if (over_budget) {
        Log(StrCat("warning: ", m.model_path, " needs ", model.bytes,
                   " bytes of weights, more than the memory budget (", models_.budget(), ")"));
      }
      // The context is engine::ContextFor's, as in `gapbench eval`: prompts that do not fit are
      // left-truncated and counted in the records.
      lm_members.push_back({model.model.get(), {}});
    }
    int64_t weight_bytes = 0;
    for (const auto& m : loaded) weight_bytes += m.bytes;
    const std::unique_ptr<LanguageModel> lm = MakeLanguageModel(strategy, lm_members);
    RunOptions ro;
    ro.shots.k = static_cast<int>(task.fewshot);
    ro.shots.seed = task.seed;
    ro.samples = task.samples;
    ro.gen_defaults.max_tokens = task.max_tokens;
    ro.gen_defaults.temperature = task.temperature;
    ro.gen_defaults.seed = task.seed;
    ro.sandbox_timeout_s = opt_.sandbox_timeout_s;
    ro.sandbox_parallel = opt_.sandbox_parallel;
    std::optional<suites::ChatTemplate> chat_template;
    if (task.chat) {
      std::vector<const engine::Model*> system;
      for (const auto& m : loaded) system.push_back(m.model.get());
      // A guard reads the request in its own template: the protected model renders the prompt.
      if (strategy.kind == StrategyKind::kGuard) system.erase(system.begin());
      chat_template = SystemChatTemplate(system);
      ro.chat = {&*chat_template, task.fewshot_as_multiturn, task.system_prompt};
    }
    const RunSummary summary =
        RunItems(*suite, task.begin, task.end, ro, *lm, sandbox_, run.skip, &run.cancel,
                 [&](ItemResult& item) {
                   std::vector<std::string> objs;
                   for (const auto& sr : item.samples) {
                     objs.push_back(JsonText([&](JsonWriter& w) {
                       w.Key("item_index");
                       w.Int64(sr.item_index);
                       w.Key("sample");
                       w.Int64(sr.sample);
                       w.Key("item_id");
                       WriteJsonString(w, sr.record.item_id);
                       const std::string rec =
                           suites::ItemRecordToJson(sr.record, suites::RecordTiming::kOmit);
                       w.Key("record");
                       w.RawValue(rec.data(), rec.size(), rapidjson::kObjectType);
                       // Timing, plus what the loaded configuration costs in memory (the
                       // reports' cost table reads weight_bytes here for converted weights).
                       w.Key("timing");
                       w.StartObject();
                       w.Key("latency_s");
                       WriteJsonFloat(w, sr.record.latency_s);
                       w.Key("weight_bytes");
                       w.Int64(weight_bytes);
                       if (sr.record.route) {
                         w.Key("route_small_s");
                         WriteJsonFloat(w, sr.record.route->small.seconds);
                         w.Key("route_large_s");
                         WriteJsonFloat(w, sr.record.route->large.seconds);
                       }
                       if (sr.record.guard) {
                         w.Key("guard_s");
                         WriteJsonFloat(w, sr.record.guard->seconds);
                       }
                       w.EndObject();
                     }));
                   }
                   std::lock_guard<std::mutex> lock(run.mu);
                   if (run.ready.empty()) run.first_ready = Clock::now();
                   for (auto& o : objs) run.ready.push_back(std::move(o));
                   run.items_done.fetch_add(1);
                 });
    std::lock_guard<std::mutex> lock(run.mu);
    run.completed = !summary.cancelled;
    run.finished = true;
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(run.mu);
    run.failed = true;
    // The error's kind decides (common/error.h): an input error fails the same way on every
    // attempt and every worker, so the coordinator poisons the shard at once with this reason.
    const ErrorKind kind = KindOf(e);
    run.retryable = Retryable(kind);
    run.error = StrCat(ErrorKindName(kind), " error: ", e.what());
    run.finished = true;
  }
}

void Worker::Impl::Pump(Clock::time_point now) {
  if (!shard_) return;
  ShardRun& run = *shard_;
  bool finished = false;
  {
    std::lock_guard<std::mutex> lock(run.mu);
    finished = run.finished;
    if (run.dropped) run.ready.clear();
    // Batches: every max_batch items, or what finished within batch_ms, or the rest at the end.
    while (link_ == Link::kUp && !run.ready.empty() &&
           (run.ready.size() >= static_cast<size_t>(max_batch_) || finished ||
            now - run.first_ready >= Ms(opt_.batch_ms))) {
      size_t n = 0, bytes = 0;
      while (n < run.ready.size() && n < static_cast<size_t>(max_batch_) &&
             (n == 0 || bytes + run.ready[n].size() < kMaxBatchBytes)) {
        bytes += run.ready[n].size();
        ++n;
      }
      Batch b{run.shard_id, run.lease, run.next_seq++, ""};
      b.body = JsonText([&](JsonWriter& w) {
        w.Key("shard");
        WriteJsonString(w, run.shard_id);
        w.Key("lease");
        w.Int64(run.lease);
        w.Key("seq");
        w.Int64(b.seq);
        w.Key("items");
        w.StartArray();
        for (size_t i = 0; i < n; ++i) {
          w.RawValue(run.ready[i].data(), run.ready[i].size(), rapidjson::kObjectType);
        }
        w.EndArray();
      });
      run.ready.erase(run.ready.begin(), run.ready.begin() + static_cast<ptrdiff_t>(n));
      run.first_ready = now;
      run.n_sent += static_cast<int64_t>(n);
      Send(proto::kTypeResults, b.body);
      outbox_.push_back(std::move(b));
    }
  }
  if (finished) {
    FinishShard(now);
  } else if (now - run.last_progress_log >= kProgressEvery) {
    run.last_progress_log = now;
    const double secs = std::chrono::duration<double>(now - run.started).count();
    const auto done = run.items_done.load();
    Log(StrCat("shard ", run.shard_id, ": ", done, "/", run.task.end - run.task.begin, " items, ",
               secs > 0 ? static_cast<double>(done) / secs : 0.0, " items/s"));
  }
}

// The shard's thread has returned: report it once everything it produced is sent (and, for
// DONE, acknowledged), then ask for more work.
void Worker::Impl::FinishShard(Clock::time_point now) {
  ShardRun& run = *shard_;
  if (run.thread.joinable()) run.thread.join();
  const double secs = std::chrono::duration<double>(now - run.started).count();
  const auto done = run.items_done.load();
  auto clear = [&] {
    shard_.reset();
    ready_due_ = true;
    ready_at_ = now;
  };
  if (run.dropped) {
    clear();
    return;
  }
  if (!run.ready.empty()) return;  // not sent yet (link down)
  const bool unacked = std::any_of(outbox_.begin(), outbox_.end(), [&](const Batch& b) {
    return b.shard == run.shard_id && b.lease == run.lease;
  });
  if (run.failed) {
    if (link_ != Link::kUp) return;
    Log(StrCat("shard ", run.shard_id, " failed (", run.retryable ? "retryable" : "not retryable",
               "): ", run.error));
    Send(proto::kTypeFailed, JsonText([&](JsonWriter& w) {
           w.Key("shard");
           WriteJsonString(w, run.shard_id);
           w.Key("lease");
           w.Int64(run.lease);
           w.Key("error");
           WriteJsonString(w, run.error);
           w.Key("retryable");
           w.Bool(run.retryable);
         }));
    clear();
    return;
  }
  if (!run.completed) {
    // Stopped by RequestStop before the end: BYE returns the shard; wait only for the ACKs.
    if (!unacked) {
      Log(StrCat("shard ", run.shard_id, " returned after ", done, " items"));
      clear();
    }
    return;
  }
  if (unacked || link_ != Link::kUp) return;
  Send(proto::kTypeDone, JsonText([&](JsonWriter& w) {
         w.Key("shard");
         WriteJsonString(w, run.shard_id);
         w.Key("lease");
         w.Int64(run.lease);
         w.Key("n_items");
         w.Int64(run.n_sent);
       }));
  Log(StrCat("shard ", run.shard_id, " finished: ", done, " items in ", secs, " s (",
             secs > 0 ? static_cast<double>(done) / secs : 0.0, " items/s)"));
  clear();
}

Worker::Worker(WorkerOptions options) : impl_(std::make_unique<Impl>(std::move(options), stop_)) {}
Worker::~Worker() = default;
int Worker::Run() { return impl_->Run(); }

}  // namespace gapbench::worker
