// The coordinator over real loopback sockets with a real SQLite store: a small DEALER written here
// plays the worker (HELLO/READY/ASSIGN/RESULTS/ACK/DONE), sends garbage, speaks another version,
// hangs or goes silent; a second Coordinator on the same database resumes; CURVE keeps out an
// unlisted key.
#include "coordinator/server.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/json.h"
#include "coordinator/curve_keys.h"
#include "coordinator/protocol.h"
#include "coordinator/status.h"
#include "reports/results_store.h"
#include "tests/coordinator/sweep_fixture.h"
#include "tests/time_scale.h"

namespace gapbench::coordinator {
namespace {

using namespace std::chrono_literals;
using testing::kTestTimeScale;
using testing::TempDir;

std::string Serialize(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  v.Accept(w);
  return buffer.GetString();
}

// A 6-item GSM8K suite, the fixture model, shards of 2 items: 3 shards.
std::string WriteSweep(const TempDir& dir, const std::string& name = "t", int priority = 0) {
  testing::CopyModel(dir / "m.gguf");
  testing::WriteGsm8k(dir / "g.jsonl", 8);
  const std::string path = (dir / (name + ".json")).string();
  testing::WriteFile(path, StrCat(R"({"name": ")", name, R"(", "priority": )", priority,
                                  R"(, "models": [{"alias": "m", "path": "m.gguf"}],
      "engines": [{"name": "base", "config": {}}],
      "suites": [{"name": "g", "path": "g.jsonl", "format": "gsm8k", "limit": 6}],
      "grid": {}, "shard_size": 2})"));
  return path;
}

// The test's worker: a DEALER that hides the frames.
class Client {
 public:
  Client(zmq::context_t& ctx, const std::string& endpoint, const std::string& keys_dir = "",
         const std::string& server_key = "")
      : socket_(ctx, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    if (!keys_dir.empty()) {
      const std::string pub = ReadKeyFile(keys_dir + "/client.key");
      const std::string sec = ReadKeyFile(keys_dir + "/client.key_secret");
      zmq_setsockopt(socket_.handle(), ZMQ_CURVE_SERVERKEY, server_key.c_str(), 41);
      zmq_setsockopt(socket_.handle(), ZMQ_CURVE_PUBLICKEY, pub.c_str(), 41);
      zmq_setsockopt(socket_.handle(), ZMQ_CURVE_SECRETKEY, sec.c_str(), 41);
    }
    socket_.connect(endpoint);
  }
  void SendFrames(const std::vector<std::string>& frames) {
    std::vector<zmq::const_buffer> bufs;
    for (const auto& f : frames) bufs.push_back(zmq::buffer(f));
    zmq::send_multipart(socket_, bufs);
  }
  void Send(std::string_view type, const std::string& body) {
    SendFrames(EncodeMessage(type, body));
  }
  void Hello(const std::string& name) {
    Send(kTypeHello, StrCat(R"({"worker":")", name, R"(","protocol":1,"threads":1,"models":[]})"));
  }
  // The next message that is not a HEARTBEAT, or nullopt after `timeout`.
  std::optional<Message> Recv(std::chrono::milliseconds timeout = 3000ms * kTestTimeScale) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return std::nullopt;
      zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, left);
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> parts;
      if (!zmq::recv_multipart(socket_, std::back_inserter(parts))) continue;
      std::vector<std::string> frames;
      for (auto& p : parts) frames.push_back(p.to_string());
      std::string why;
      auto m = DecodeMessage(frames, &why);
      EXPECT_TRUE(m.has_value()) << "coordinator sent something out of protocol: " << why;
      if (m && m->type != kTypeHeartbeat) return m;
    }
  }
  // Expects `type` next.
  rapidjson::Document Expect(std::string_view type,
                             std::chrono::milliseconds t = 3000ms * kTestTimeScale) {
    auto m = Recv(t);
    if (!m) {
      ADD_FAILURE() << "no " << type << " within " << t.count() << " ms";
    } else if (m->type != type) {
      ADD_FAILURE() << "expected " << type << ", got " << m->type;
    }
    return ParseJson(m ? m->body : "{}", "test");
  }
  // RESULTS for items [from, to) of an assigned shard, then the ACK.
  void Results(const rapidjson::Document& assign, int64_t from, int64_t to, int64_t seq) {
    std::string items;
    for (int64_t i = from; i < to; ++i) {
      if (!items.empty()) items += ",";
      items += StrCat(R"({"item_index":)", i, R"(,"sample":0,"item_id":"q)", i,
                      R"(","record":{"correct":true,"answer":")", i, R"("},"timing":{"s":0.1}})");
    }
    Send(kTypeResults,
         StrCat(R"({"shard":")", assign["shard"].GetString(), R"(","lease":)",
                assign["lease"].GetInt64(), R"(,"seq":)", seq, R"(,"items":[)", items, "]}"));
    const auto ack = Expect(kTypeAck);
    if (ack.IsObject() && ack.HasMember("seq")) {
      EXPECT_EQ(ack["seq"].GetInt64(), seq);
    }
  }
  void Done(const rapidjson::Document& assign) {
    Send(kTypeDone, StrCat(R"({"shard":")", assign["shard"].GetString(), R"(","lease":)",
                           assign["lease"].GetInt64(), R"(,"n_items":2})"));
  }

 private:
  zmq::socket_t socket_;
};

CoordinatorOptions Options(const TempDir& dir) {
  CoordinatorOptions o;
  o.bind = "tcp://127.0.0.1:0";
  o.db_path = (dir / "results.sqlite").string();
  o.heartbeat_ms = 50;
  o.liveness = int64_t{4} * kTestTimeScale;  // clients here do not heartbeat
  o.lease_ms = 60000;
  o.log_events = false;
  return o;
}

// Runs a coordinator on a thread for the scope. `done` is declared first: it must exist before
// the thread that writes it starts and until that thread is joined (ThreadSanitizer found the
// reverse order racing when Run() returned at once).
struct Running {
  explicit Running(Coordinator& c) : thread([&c, this](std::stop_token st) { done = c.Run(st); }) {}
  std::atomic<bool> done{false};
  std::jthread thread;
};

TEST(CoordinatorServer, FullSweepCommitsBeforeAckAndShutsDown) {
  TempDir dir;
  CoordinatorOptions o = Options(dir);
  o.exit_when_done = true;
  Coordinator c(o);
  const RegisterResult r = c.AddSweep(WriteSweep(dir));
  EXPECT_EQ(r.new_shards, 3);
  EXPECT_NE(c.endpoint().find("tcp://127.0.0.1:"), std::string::npos);
  EXPECT_EQ(c.endpoint().find(":0"), std::string::npos);
  Running run(c);
  zmq::context_t ctx;
  Client w(ctx, c.endpoint());
  w.Hello("w1");
  const auto welcome = w.Expect(kTypeWelcome);
  EXPECT_EQ(welcome["heartbeat_ms"].GetInt64(), 50);
  std::set<std::string> shards;
  for (int i = 0; i < 3; ++i) {
    w.Send(kTypeReady, R"({"models":[]})");
    const auto a = w.Expect(kTypeAssign);
    ASSERT_TRUE(a.IsObject() && a.HasMember("task"));
    const ShardTask task = ShardTaskFromJson(Serialize(a["task"]), "assign");
    EXPECT_EQ(task.end - task.begin, 2);
    EXPECT_EQ(task.suite_format, "gsm8k");
    EXPECT_EQ(a["skip"].Size(), 0u);
    shards.insert(a["shard"].GetString());
    w.Results(a, task.begin, task.end, 1);
    // Titanic: once ACKed, the items are in the database (read through another connection).
    const auto store = reports::ResultsStore::OpenReadOnly(o.db_path);
    EXPECT_EQ(store.ShardItems(a["shard"].GetString()).size(), 2u);
    w.Done(a);
  }
  EXPECT_EQ(shards.size(), 3u);
  const auto shutdown = w.Expect(kTypeShutdown);
  run.thread.join();
  EXPECT_TRUE(run.done);
  const StatusSnapshot s = c.Status();
  EXPECT_TRUE(s.all_complete);
  EXPECT_EQ(s.items_done, 6);
  EXPECT_EQ(s.items_total, 6);
  EXPECT_EQ(s.leases_granted, 3);
  EXPECT_EQ(s.latency_count, 3);
  EXPECT_EQ(s.messages_dropped, 0);
  const auto store = reports::ResultsStore::OpenReadOnly(o.db_path);
  for (const auto& shard : store.Shards()) EXPECT_EQ(shard.state, reports::ShardState::kDone);
  EXPECT_FALSE(store.Sweeps().at(0).ended_at.empty());
  EXPECT_EQ(store.Items().size(), 6u);
}

TEST(CoordinatorServer, GarbageIsDroppedAndServiceContinues) {
  TempDir dir;
  CoordinatorOptions o = Options(dir);
  o.liveness = 100;  // this worker does not heartbeat while it waits
  Coordinator c(o);
  c.AddSweep(WriteSweep(dir));
  Running run(c);
  zmq::context_t ctx;
  Client w(ctx, c.endpoint());
  const std::vector<std::vector<std::string>> garbage = {
      {"just one frame"},
      {"GAPBENCH/1", "READY"},
      {"HTTP/1.1", "READY", "{}"},
      {"GAPBENCH/1", "EXPLODE", "{}"},
      {"GAPBENCH/1", "HELLO", "[1,2]"},
      {"GAPBENCH/1", "HELLO", "{\"worker\":\"\xff\xfe\"}"},
      {"GAPBENCH/1", "HELLO", "{\"a\":" + std::string(100000, '[')},
      {"GAPBENCH/1", "HELLO", "{\"worker\": 42}"},
      {"GAPBENCH/1", "READY", "{}"},  // no HELLO yet
      {std::string("\0\0\0", 3), std::string(200, '\xff'), ""},
  };
  for (const auto& g : garbage) w.SendFrames(g);
  // A body just over the limit, within ZMQ_MAXMSGSIZE: decoded and rejected on size.
  std::string huge(kMaxBodyBytes + 10, ' ');
  huge.front() = '{';
  huge.back() = '}';
  w.SendFrames({"GAPBENCH/1", "RESULTS", huge});
  // Nothing came back for any of that ...
  EXPECT_FALSE(w.Recv(300ms).has_value());
  // ... and the same connection is still served.
  w.Hello("after-garbage");
  w.Expect(kTypeWelcome);
  w.Send(kTypeReady, R"({"models":[]})");
  const auto a = w.Expect(kTypeAssign);
  // Out-of-protocol bodies from a known worker are dropped too, without losing its lease.
  w.Send(kTypeResults, R"({"shard":"nope","lease":1,"seq":1,"items":[]})");
  w.Send(kTypeResults, StrCat(R"({"shard":")", a["shard"].GetString(),
                              R"(","lease":1,"seq":1,"items":[{"item_index":99}]})"));
  w.Send(kTypeHeartbeat, R"({"shard":5})");
  EXPECT_FALSE(w.Recv(300ms).has_value());
  const StatusSnapshot s = c.Status();
  EXPECT_EQ(s.messages_dropped, static_cast<int64_t>(garbage.size()) + 4);
  EXPECT_EQ(s.workers.size(), 1u);
  EXPECT_EQ(s.workers.at(0).state, "busy");
}

TEST(CoordinatorServer, OtherProtocolVersionIsRefusedNamingBoth) {
  TempDir dir;
  Coordinator c(Options(dir));
  Running run(c);
  zmq::context_t ctx;
  Client w(ctx, c.endpoint());
  w.SendFrames({"GAPBENCH/2", "HELLO", R"({"worker":"future","protocol":2})"});
  const auto refuse = w.Expect(kTypeRefuse);
  const std::string reason = refuse["reason"].GetString();
  EXPECT_NE(reason.find("protocol version 2"), std::string::npos) << reason;
  EXPECT_NE(reason.find("speaks 1"), std::string::npos) << reason;
  EXPECT_EQ(c.Status().workers_refused, 1);
  EXPECT_TRUE(c.Status().workers.empty());
}

TEST(CoordinatorServer, RestartOnSameDbResumesAndSkipsStoredWork) {
  TempDir dir;
  CoordinatorOptions o = Options(dir);
  const std::string sweep = WriteSweep(dir);
  std::string partial_shard;
  int64_t first_lease = 0;
  int64_t partial_begin = 0;
  {
    Coordinator c(o);
    c.AddSweep(sweep);
    Running run(c);
    zmq::context_t ctx;
    Client w(ctx, c.endpoint());
    w.Hello("w1");
    w.Expect(kTypeWelcome);
    // Shard 1: complete. Shard 2: one of its two items, then the coordinator "dies".
    w.Send(kTypeReady, "{}");
    const auto a1 = w.Expect(kTypeAssign);
    first_lease = a1["lease"].GetInt64();
    const ShardTask t1 = ShardTaskFromJson(Serialize(a1["task"]), "a1");
    w.Results(a1, t1.begin, t1.end, 1);
    w.Done(a1);
    w.Send(kTypeReady, "{}");
    const auto a2 = w.Expect(kTypeAssign);
    partial_shard = a2["shard"].GetString();
    partial_begin = ShardTaskFromJson(Serialize(a2["task"]), "a2").begin;
    w.Results(a2, partial_begin, partial_begin + 1, 1);
  }
  {
    const auto store = reports::ResultsStore::OpenReadOnly(o.db_path);
    EXPECT_EQ(store.Shard(partial_shard)->state, reports::ShardState::kRunning);
  }
  o.exit_when_done = true;
  Coordinator c(o);  // resumes the unfinished sweep from the journal alone
  const RegisterResult again = c.AddSweep(sweep);
  EXPECT_TRUE(again.already_queued);
  EXPECT_EQ(again.new_shards, 0);
  EXPECT_EQ(c.Status().sweeps.size(), 1u);
  Running run(c);
  zmq::context_t ctx;
  Client w(ctx, c.endpoint());
  w.Hello("w2");
  w.Expect(kTypeWelcome);
  std::set<std::string> assigned;
  for (int i = 0; i < 2; ++i) {
    w.Send(kTypeReady, "{}");
    const auto a = w.Expect(kTypeAssign);
    EXPECT_GT(a["lease"].GetInt64(), first_lease + 1);  // lease numbers survive restarts
    const std::string shard = a["shard"].GetString();
    assigned.insert(shard);
    const ShardTask t = ShardTaskFromJson(Serialize(a["task"]), "a");
    if (shard == partial_shard) {
      ASSERT_EQ(a["skip"].Size(), 1u);
      EXPECT_EQ(a["skip"][0][0].GetInt64(), partial_begin);
      EXPECT_EQ(a["skip"][0][1].GetInt64(), 0);
      w.Results(a, t.begin + 1, t.end, 1);
    } else {
      EXPECT_EQ(a["skip"].Size(), 0u);
      w.Results(a, t.begin, t.end, 1);
    }
    w.Done(a);
  }
  EXPECT_EQ(assigned.size(), 2u);
  EXPECT_TRUE(assigned.count(partial_shard));
  w.Expect(kTypeShutdown);
  run.thread.join();
  const auto store = reports::ResultsStore::OpenReadOnly(o.db_path);
  EXPECT_EQ(store.Items().size(), 6u);
  for (const auto& shard : store.Shards()) EXPECT_EQ(shard.state, reports::ShardState::kDone);
}

TEST(CoordinatorServer, HungWorkerLeaseExpiresWithCancelAndSilentWorkerIsLost) {
  TempDir dir;
  CoordinatorOptions o = Options(dir);
  o.lease_ms = 300;
  o.liveness = 4;  // the silent worker below is lost within its 400 ms
  Coordinator c(o);
  c.AddSweep(WriteSweep(dir));
  Running run(c);
  zmq::context_t ctx;
  Client hung(ctx, c.endpoint());
  hung.Hello("hung");
  hung.Expect(kTypeWelcome);
  hung.Send(kTypeReady, "{}");
  const auto a = hung.Expect(kTypeAssign);
  const std::string shard = a["shard"].GetString();
  // Heartbeats without progress: CANCEL naming the lease after ~lease_ms.
  const auto start = std::chrono::steady_clock::now();
  std::optional<Message> cancel;
  while (!cancel && std::chrono::steady_clock::now() - start < 3s) {
    hung.Send(kTypeHeartbeat, StrCat(R"({"shard":")", shard, R"(","lease":)", a["lease"].GetInt64(),
                                     R"(,"items_done":0})"));
    cancel = hung.Recv(40ms);
  }
  ASSERT_TRUE(cancel.has_value());
  EXPECT_EQ(cancel->type, kTypeCancel);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  // A second worker gets the same shard (first in queue order), attempt 2.
  Client other(ctx, c.endpoint());
  other.Hello("other");
  other.Expect(kTypeWelcome);
  other.Send(kTypeReady, "{}");
  const auto b = other.Expect(kTypeAssign);
  EXPECT_EQ(std::string(b["shard"].GetString()), shard);
  // Now `other` goes silent: after liveness x heartbeat it is lost and the shard pending again.
  std::this_thread::sleep_for(400ms);
  const StatusSnapshot s = c.Status();
  EXPECT_EQ(s.leases_expired, 2);
  ASSERT_EQ(s.sweeps.size(), 1u);
  EXPECT_EQ(s.sweeps[0].shards_by_state.at("pending"), 3);
  const auto store = reports::ResultsStore::OpenReadOnly(o.db_path);
  EXPECT_EQ(store.Shard(shard)->attempts, 2);
  EXPECT_EQ(store.Shard(shard)->state, reports::ShardState::kPending);
  EXPECT_FALSE(store.Events("lease_expired").empty());
  EXPECT_FALSE(store.Events("worker_lost").empty());
}

TEST(CoordinatorServer, FailuresPoisonAfterMaxAttemptsOrAtOnceWhenFatal) {
  TempDir dir;
  CoordinatorOptions o = Options(dir);
  o.max_attempts = 2;
  Coordinator c(o);
  c.AddSweep(WriteSweep(dir));
  Running run(c);
  zmq::context_t ctx;
  Client w(ctx, c.endpoint());
  w.Hello("w");
  w.Expect(kTypeWelcome);
  const auto fail = [&](bool retryable) {
    w.Send(kTypeReady, "{}");
    const auto a = w.Expect(kTypeAssign);
    w.Send(kTypeFailed,
           StrCat(R"({"shard":")", a["shard"].GetString(), R"(","lease":)", a["lease"].GetInt64(),
                  R"(,"error":"out of memory","retryable":)", retryable ? "true" : "false", "}"));
    return std::string(a["shard"].GetString());
  };
  const std::string first = fail(true);
  EXPECT_EQ(fail(true), first);  // retried
  const std::string second = fail(false);
  EXPECT_NE(second, first);  // first is poison now
  w.Send(kTypeReady, "{}");
  const auto a = w.Expect(kTypeAssign);
  EXPECT_NE(std::string(a["shard"].GetString()), second);
  const StatusSnapshot s = c.Status();
  EXPECT_EQ(s.shards_poisoned, 2);
  EXPECT_EQ(s.items_failed, 4);
  const auto store = reports::ResultsStore::OpenReadOnly(o.db_path);
  EXPECT_EQ(store.Shard(first)->last_error, "out of memory (after 2 attempts)");
  EXPECT_EQ(store.Shard(second)->last_error, "out of memory");
  EXPECT_EQ(store.Shard(second)->attempts, 1);
}

TEST(CoordinatorServer, CurveRejectsUnlistedKey) {
  TempDir dir;
  const std::string keys = (dir / "keys").string();
  const MadeKeys made = MakeKeys(keys);
  const std::string stranger = (dir / "stranger").string();
  MakeKeys(stranger);  // a valid pair the coordinator does not list
  CoordinatorOptions o = Options(dir);
  o.curve_keys_dir = keys;
  Coordinator c(o);
  Running run(c);
  zmq::context_t ctx;
  Client bad(ctx, c.endpoint(), stranger, made.server_public);
  bad.Hello("stranger");
  EXPECT_FALSE(bad.Recv(1000ms).has_value());
  Client plain(ctx, c.endpoint());  // no CURVE at all
  plain.Hello("plain");
  EXPECT_FALSE(plain.Recv(300ms).has_value());
  Client good(ctx, c.endpoint(), keys, made.server_public);
  good.Hello("friend");
  good.Expect(kTypeWelcome);
  EXPECT_EQ(c.Status().workers.size(), 1u);
  EXPECT_GE(c.Status().workers_refused, 1);
}

TEST(CoordinatorServer, ErrorsAreClear) {
  TempDir dir;
  testing::WriteFile(dir / "bad.json", R"({"name": "x", "models": [{"path": "missing.gguf"}],
    "engines": [{"name": "e"}], "suites": [{"name": "s", "path": "nope.jsonl"}]})");
  Coordinator c(Options(dir));
  try {
    c.AddSweep((dir / "bad.json").string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("missing.gguf"), std::string::npos) << what;
    EXPECT_NE(what.find("nope.jsonl"), std::string::npos) << what;  // all errors at once
  }
  CoordinatorOptions taken = Options(dir);
  taken.db_path = (dir / "other.sqlite").string();
  taken.bind = c.endpoint();
  try {
    Coordinator second(taken);
    FAIL() << "expected a bind error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(c.endpoint()), std::string::npos) << e.what();
  }
}

// Attack (issue 17 #8): a peer that holds no lease -- it said HELLO like anyone on the machine
// can -- injects RESULTS and DONE for a shard another worker holds, and for one nobody holds;
// the lease holder itself sends items outside its range. Nothing of it may be stored.
TEST(CoordinatorServer, ResultsWithoutTheLeaseOrOutsideTheRangeAreRefused) {
  TempDir dir;
  CoordinatorOptions o = Options(dir);
  o.liveness = 100;
  Coordinator c(o);
  c.AddSweep(WriteSweep(dir));
  Running run(c);
  zmq::context_t ctx;
  Client holder(ctx, c.endpoint());
  holder.Hello("holder");
  holder.Expect(kTypeWelcome);
  holder.Send(kTypeReady, "{}");
  const auto a = holder.Expect(kTypeAssign);
  const std::string shard = a["shard"].GetString();
  const ShardTask task = ShardTaskFromJson(Serialize(a["task"]), "a");
  const int64_t lease = a["lease"].GetInt64();

  Client thief(ctx, c.endpoint());
  thief.Hello("thief");
  thief.Expect(kTypeWelcome);
  const auto inject = [&](Client& from, const std::string& to_shard, int64_t with_lease,
                          int64_t item) {
    from.Send(kTypeResults,
              StrCat(R"({"shard":")", to_shard, R"(","lease":)", with_lease, R"(,"seq":7,)",
                     R"("items":[{"item_index":)", item, R"(,"sample":0,"item_id":"x",)",
                     R"("record":{"correct":true,"answer":"forged"}}]})"));
  };
  // The holder's shard with the holder's lease number, and with a made-up one.
  inject(thief, shard, lease, task.begin);
  thief.Expect(kTypeCancel);
  inject(thief, shard, lease + 1000, task.begin);
  thief.Expect(kTypeCancel);
  thief.Send(kTypeDone, StrCat(R"({"shard":")", shard, R"(","lease":)", lease, R"(,"n_items":2})"));
  thief.Expect(kTypeCancel);
  // A shard nobody holds (still pending): lease 0 and the next lease number.
  std::string pending;
  {
    const auto store = reports::ResultsStore::OpenReadOnly(o.db_path);
    for (const auto& row : store.Shards()) {
      if (row.state == reports::ShardState::kPending) pending = row.id;
    }
  }
  ASSERT_FALSE(pending.empty());
  int64_t pending_begin = 0;
  {
    const auto store = reports::ResultsStore::OpenReadOnly(o.db_path);
    pending_begin = store.Shard(pending)->begin;
  }
  inject(thief, pending, 0, pending_begin);
  thief.Expect(kTypeCancel);
  inject(thief, pending, lease + 1, pending_begin);
  thief.Expect(kTypeCancel);
  // The holder, for an item outside its range: nothing stored, no ACK; it keeps its lease.
  inject(holder, shard, lease, task.end);
  EXPECT_FALSE(holder.Recv(300ms).has_value());

  const StatusSnapshot s = c.Status();
  EXPECT_EQ(s.results_rejected, 6);
  EXPECT_EQ(s.items_done, 0);
  EXPECT_NE(RenderMetrics(s).find("gapbench_results_rejected_total 6"), std::string::npos);
  {
    const auto store = reports::ResultsStore::OpenReadOnly(o.db_path);
    EXPECT_TRUE(store.Items().empty());
    for (const auto& row : store.Shards()) {
      EXPECT_NE(row.state, reports::ShardState::kDone) << row.id;
    }
    EXPECT_EQ(store.Shard(shard)->state, reports::ShardState::kRunning);
    EXPECT_EQ(store.Events("results_rejected").size(), 6u);
  }
  // The honest holder still completes its shard.
  holder.Results(a, task.begin, task.end, 1);
  holder.Done(a);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(c.Status().items_done, 2);
  const auto store = reports::ResultsStore::OpenReadOnly(o.db_path);
  EXPECT_EQ(store.Shard(shard)->state, reports::ShardState::kDone);
  for (const auto& item : store.ShardItems(shard)) {
    EXPECT_EQ(item.record_json.find("forged"), std::string::npos);
    EXPECT_EQ(item.worker, "holder");
  }
}

// One coordinator per database (issue 10): a second one is refused while the first lives, and
// may start once it is gone.
TEST(CoordinatorServer, SecondCoordinatorOnTheSameDatabaseIsRefused) {
  TempDir dir;
  CoordinatorOptions o = Options(dir);
  auto first = std::make_unique<Coordinator>(o);
  first->AddSweep(WriteSweep(dir));
  try {
    Coordinator second(o);
    FAIL() << "a second coordinator started on a database in use";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(o.db_path), std::string::npos) << e.what();
  }
  first.reset();
  Coordinator third(o);
  EXPECT_EQ(third.Status().sweeps.size(), 1u);
}

// A start that fails (port taken, port out of range, non-loopback without CURVE) leaves no
// database behind; so does a coordinator that never had a sweep.
TEST(CoordinatorServer, FailedStartLeavesNoDatabase) {
  TempDir dir;
  Coordinator c(Options(dir));
  const auto expect_refused = [&](CoordinatorOptions o, const std::string& needle) {
    o.db_path = (dir / "new.sqlite").string();
    try {
      Coordinator bad(o);
      ADD_FAILURE() << "started with --bind " << o.bind;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      EXPECT_FALSE(std::filesystem::exists(o.db_path + suffix)) << o.db_path << suffix;
    }
  };
  CoordinatorOptions o = Options(dir);
  o.bind = c.endpoint();  // taken
  expect_refused(o, c.endpoint());
  o.bind = "tcp://127.0.0.1:99999";  // libzmq would listen on 34463
  expect_refused(o, "1..65535");
  o.bind = "tcp://127.0.0.1:-1";
  expect_refused(o, "1..65535");
  o.bind = "tcp://0.0.0.0:0";  // every interface, no CURVE
  expect_refused(o, "--insecure");
  o.bind = "tcp://127.0.0.1:0";
  o.http = "127.0.0.1:99999";
  expect_refused(o, "65535");
  {
    CoordinatorOptions unused = Options(dir);
    unused.db_path = (dir / "unused.sqlite").string();
    Coordinator idle(unused);
    EXPECT_TRUE(std::filesystem::exists(unused.db_path));
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "unused.sqlite"));
}

}  // namespace
}  // namespace gapbench::coordinator
