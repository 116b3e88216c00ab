// Implementation of the distributed-runtime test helpers (cluster_fixture.h).
#include "tests/distributed/cluster_fixture.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <stdexcept>

#include "common/error.h"
#include "common/json.h"
#include "reports/results_store.h"

namespace gapbench::testing {

namespace fs = std::filesystem;

Child::Child(const std::vector<std::string>& argv, const fs::path& log) : log_(log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open log " + log.string());
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s failed: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fd);
}

Child::~Child() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(10));
  }
}

void Child::Signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

bool Child::running() {
  if (status_) return false;
  return !Wait(std::chrono::milliseconds(0)).has_value();
}

std::optional<int> Child::Wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= end) return std::nullopt;
    ::usleep(10000);
  }
}

int FreePort() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(s);
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

namespace {

// One random tiny-preset Q8_0 model per test process: an item takes about a millisecond, so the
// workloads have hundreds of items and shards to be killed in the middle of.
const fs::path& RandomModel() {
  static TempDir dir;
  static std::once_flag once;
  static fs::path model = dir / "m.gguf";
  std::call_once(once, [] {
    const auto r = RunProcess({GapbenchBin(), "model", "random", "--preset", "tiny", "--wtype",
                               "q8_0", "--seed", "7", "--out", model.string()});
    if (r.exit_code != 0) throw std::runtime_error("model random failed: " + r.err);
  });
  return model;
}

}  // namespace

Workload MakeWorkload(const fs::path& dir, size_t n_mc, size_t shard_size) {
  Workload w;
  w.dir = dir;
  fs::create_directories(dir / "models");
  fs::create_directories(dir / "suites");
  fs::copy_file(RandomModel(), dir / "models" / "m.gguf", fs::copy_options::overwrite_existing);
  std::string lines;
  const char* subjects[] = {"algebra", "biology", "chemistry", "history"};
  for (size_t i = 0; i < n_mc; ++i) {
    lines += StrCat(R"({"kind":"multiple_choice","id":"q)", i, R"(","question":"Question number )",
                    i, R"( asks which of these is right?","choices":["one )", i,
                    R"(","two","three )", i % 7, R"(","four"],"gold":)", i % 4,
                    R"(,"tags":{"subject":")", subjects[i % 4], "\"}}\n");
  }
  WriteFile(dir / "suites" / "mc.jsonl", lines);
  w.sweep = dir / "sweep.json";
  WriteFile(w.sweep, StrCat(R"({"name": "faults",
 "models": [{"alias": "m", "path": "models/m.gguf"}],
 "engines": [{"name": "base", "config": {}}, {"name": "kv32", "config": {"kv_cache": "f32"}}],
 "suites": [{"name": "mc", "path": "suites/mc.jsonl", "format": "gapbench", "fewshot": 2}],
 "grid": {"model": ["m"], "engine": ["base", "kv32"], "suite": ["mc"]},
 "seed": 3, "shard_size": )",
                            shard_size, "}\n"));
  w.n_items = 2 * n_mc;
  return w;
}

std::map<std::string, std::string> StoredItems(const fs::path& db) {
  std::map<std::string, std::string> out;
  if (!fs::exists(db)) return out;
  auto store = reports::ResultsStore::OpenReadOnly(db.string());
  for (const auto& row : store.Items()) {
    const std::string key = StrCat(row.shard_id, "/", row.item_index, "/", row.sample);
    if (!out.emplace(key, row.record_json).second) {
      throw std::runtime_error("item stored twice: " + key);
    }
  }
  return out;
}

size_t CountStoredItems(const fs::path& db) {
  try {
    return StoredItems(db).size();
  } catch (const std::exception&) {
    return 0;  // not created yet, or mid-migration
  }
}

std::vector<std::string> ItemsWithoutTiming(const fs::path& items_jsonl) {
  std::vector<std::string> out;
  const std::string text = ReadFile(items_jsonl);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    rapidjson::Document d = ParseJson(line, items_jsonl.string());
    if (d.IsObject()) d.RemoveMember("timing");
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    d.Accept(w);
    out.emplace_back(buf.GetString());
  }
  return out;
}

std::vector<std::string> CoordinatorArgs(const Workload& w, const fs::path& db, int port,
                                         int64_t lease_ms) {
  return {GapbenchBin(),
          "coordinator",
          "--sweep",
          w.sweep.string(),
          "--db",
          db.string(),
          "--bind",
          StrCat("tcp://127.0.0.1:", port),
          "--exit-when-done",
          "--heartbeat-ms",
          "200",
          "--lease-ms",
          std::to_string(lease_ms)};
}

std::vector<std::string> WorkerArgs(int port, const std::string& name) {
  return {GapbenchBin(),    "worker", "--connect", StrCat("tcp://127.0.0.1:", port),
          "--threads",      "1",      "--name",    name,
          "--heartbeat-ms", "200"};
}

}  // namespace gapbench::testing
