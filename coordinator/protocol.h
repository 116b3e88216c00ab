// The coordinator <-> worker wire protocol (docs/PROTOCOL.md is the prose version).
//
// Transport: ZeroMQ, coordinator ROUTER (bind), workers DEALER (connect). Every message is three
// frames as the DEALER sends them (the ROUTER sees the peer identity frame first):
//   frame 0  "GAPBENCH/<version>"   e.g. "GAPBENCH/1"; anything else is out of protocol
//   frame 1  message type           one of the kType* names below, upper case ASCII
//   frame 2  body                   one JSON object (UTF-8), at most kMaxBodyBytes
// A peer that sends a different major version gets REFUSE with a message naming both versions.
//
// Reliability pattern: Paranoid Pirate (ZeroMQ Guide ch. 4) -- heartbeats both ways every
// heartbeat_ms, a peer is dead after `liveness` silent intervals, workers reconnect with
// exponential backoff (1 s .. 32 s) -- plus *progress* in worker heartbeats (items_done within the
// lease) so a worker whose heartbeat thread lives but whose inference thread hangs is detected,
// plus Titanic-style persistence: the coordinator commits RESULTS to SQLite before it ACKs them,
// and a worker keeps unacknowledged results and resends them after a reconnect.
//
// Messages and bodies (w = worker, c = coordinator):
//   w->c HELLO     {"worker": name, "version": gapbench version, "protocol": 1, "threads": n,
//                   "memory_bytes": n, "pid": n, "host": s, "models": [model ids loaded]}
//   c->w WELCOME   {"heartbeat_ms": n, "liveness": n, "max_batch": n}
//   c->w REFUSE    {"reason": s}                      the worker logs it and exits non-zero
//   w->c READY     {"models": [model ids loaded]}     asks for a shard
//   c->w ASSIGN    {"shard": id, "lease": n, "lease_ms": n, "task": ShardTask,
//                   "skip": [[item_index, sample], ...]}   pairs already stored (resume)
//   c->w NOWORK    {"retry_ms": n}
//   both HEARTBEAT {"shard": id|null, "lease": n, "items_done": n}  (c->w sends {} fields empty)
//   w->c RESULTS   {"shard": id, "lease": n, "seq": n, "items": [ResultItem, ...]}
//   c->w ACK       {"shard": id, "lease": n, "seq": n}   sent after the SQLite commit
//   w->c DONE      {"shard": id, "lease": n, "n_items": n}  after every RESULTS was ACKed
//   w->c FAILED    {"shard": id, "lease": n, "error": s, "retryable": bool}
//   c->w CANCEL    {"shard": id, "lease": n, "reason": s}   the lease is void; drop the shard
//   w->c BYE       {"reason": s}                      leaving (SIGTERM); unfinished shard returns
//   c->w SHUTDOWN  {"reason": s}                      every sweep is done; the worker exits 0
// ResultItem = {"item_index": n, "sample": n, "item_id": s, "record": {ItemRecord without
//               timing}, "timing": {"latency_s": x, ...}}
//
// Leases: `lease` numbers are unique per coordinator database (monotonic); messages that name a
// lease the coordinator no longer honours get CANCEL (RESULTS from a void lease are still stored
// when they are new, because results are write-once and content-addressed).
//
// Not here: sockets and scheduling (server), the worker loop (worker/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gapbench::coordinator {

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxBodyBytes = size_t{32} << 20;
inline constexpr int kMaxJsonDepth = 64;

inline constexpr std::string_view kTypeHello = "HELLO";
inline constexpr std::string_view kTypeWelcome = "WELCOME";
inline constexpr std::string_view kTypeRefuse = "REFUSE";
inline constexpr std::string_view kTypeReady = "READY";
inline constexpr std::string_view kTypeAssign = "ASSIGN";
inline constexpr std::string_view kTypeNoWork = "NOWORK";
inline constexpr std::string_view kTypeHeartbeat = "HEARTBEAT";
inline constexpr std::string_view kTypeResults = "RESULTS";
inline constexpr std::string_view kTypeAck = "ACK";
inline constexpr std::string_view kTypeDone = "DONE";
inline constexpr std::string_view kTypeFailed = "FAILED";
inline constexpr std::string_view kTypeCancel = "CANCEL";
inline constexpr std::string_view kTypeBye = "BYE";
inline constexpr std::string_view kTypeShutdown = "SHUTDOWN";

// "GAPBENCH/1"
std::string ProtocolTag(int version = kProtocolVersion);

// One model of a system of several (a routed system's small or large member).
struct ShardMember {
  std::string role;        // "small" | "guard" | "large"
  std::string model_path;  // absolute
  std::string model_id;    // ModelIdentity content id; the worker checks it after loading
  std::string model_alias;
  std::string config_json;  // EngineConfig::Canonical()
  std::string config_hash;
  bool operator==(const ShardMember&) const = default;
};

// Everything a worker needs to run one shard; serialised as the ASSIGN "task" object and stored
// in the results store (ShardRow::task_json) so a restarted coordinator can re-issue it.
struct ShardTask {
  std::string model_path;  // absolute
  std::string model_id;    // ModelIdentity content id; the worker checks it after loading
  std::string model_alias;
  std::string config_json;  // EngineConfig::Canonical()
  std::string config_hash;
  // Canonical strategy entry; a route strategy's also names its members' ids and config hashes
  // ("small_id", "small_config", "large_id", "large_config"), so the results store's strategy
  // column tells two systems apart that share a large member.
  std::string strategy_json;
  // A route strategy's members {small, large} (the model_* and config_* fields above are the
  // large member's, the system's place in the results store); empty for a single model.
  // Serialised as "members" only when not empty, so single-model tasks are unchanged.
  std::vector<ShardMember> members;
  std::string suite_path;  // absolute
  std::string suite_format;
  std::string suite_split = "test";
  std::string suite_name;
  std::string suite_hash;  // the worker checks the loaded suite against it
  int64_t fewshot = 0;
  int64_t samples = 1;
  int64_t max_tokens = 256;
  double temperature = 0.0;
  uint64_t seed = 0;
  int64_t begin = 0;  // item range [begin, end) in suite order
  int64_t end = 0;
  bool chat = false;  // the model's chat template for generation prompts (SuiteSpec::chat)
  bool fewshot_as_multiturn = false;
  std::string system_prompt;
};
std::string ShardTaskToJson(const ShardTask& task);
// Error naming `source` and the field on a malformed task.
ShardTask ShardTaskFromJson(std::string_view json, std::string_view source);

// A decoded message. `body` is the raw JSON text (already checked to be one object within the
// size and depth limits).
struct Message {
  int version = kProtocolVersion;
  std::string type;
  std::string body;
};

// Frames for a DEALER to send (3 frames) -- the ROUTER prepends the identity itself.
std::vector<std::string> EncodeMessage(std::string_view type, std::string_view body_json);

// Decodes frames as received (without the ROUTER identity frame). Returns nullopt and sets
// `why` for anything out of protocol: wrong frame count, bad tag, unknown type, oversized or
// non-object or too deeply nested body, invalid UTF-8. Never throws on bad input. A well-formed
// message from another protocol version decodes with that version (so it can be REFUSEd).
std::optional<Message> DecodeMessage(const std::vector<std::string>& frames, std::string* why);

}  // namespace gapbench::coordinator
