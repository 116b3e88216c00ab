// Endpoint checks (coordinator/endpoint.h) and the options that use them: a tcp port outside
// 1..65535 is refused in --bind (coordinator, run) and --http before anything is created (libzmq
// would take :99999 modulo 65536 and listen on 34463), and without CURVE a non-loopback bind
// needs --insecure.
#include "coordinator/endpoint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "tests/test_util.h"

namespace gapbench::coordinator {
namespace {

namespace fs = std::filesystem;
using testing::GapbenchBin;
using testing::RunProcess;
using testing::TempDir;

TEST(Endpoint, ParsesPortsAndRefusesOutOfRange) {
  const Endpoint e = ParseEndpoint("tcp://127.0.0.1:5555", "--bind", true);
  EXPECT_EQ(e.transport, "tcp");
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 5555);
  EXPECT_EQ(ParseEndpoint("tcp://[::1]:65535", "--bind", true).host, "::1");
  EXPECT_EQ(ParseEndpoint("tcp://127.0.0.1:0", "--bind", true).port, 0);
  EXPECT_NO_THROW(ParseEndpoint("tcp://127.0.0.1:*", "--bind", true));
  EXPECT_EQ(ParseEndpoint("ipc:///tmp/x", "--connect", false).transport, "ipc");
  for (const char* bad :
       {"tcp://127.0.0.1:99999", "tcp://127.0.0.1:65536", "tcp://h:-1", "tcp://h:12ab",
        "tcp://h:", "tcp://h", "tcp://:5555", "127.0.0.1:5555", "tcp://[::1:5555"}) {
    try {
      ParseEndpoint(bad, "--bind", true);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--bind"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(ParseEndpoint("tcp://127.0.0.1:0", "--connect", false), Error);  // connect: 1..
  EXPECT_THROW(ParseEndpoint("tcp://127.0.0.1:*", "--connect", false), Error);
}

TEST(Endpoint, LoopbackAndTheInsecureBind) {
  EXPECT_TRUE(IsLoopback(ParseEndpoint("tcp://127.0.0.1:1", "b", true)));
  EXPECT_TRUE(IsLoopback(ParseEndpoint("tcp://127.1.2.3:1", "b", true)));
  EXPECT_TRUE(IsLoopback(ParseEndpoint("tcp://localhost:1", "b", true)));
  EXPECT_TRUE(IsLoopback(ParseEndpoint("tcp://[::1]:1", "b", true)));
  EXPECT_FALSE(IsLoopback(ParseEndpoint("tcp://0.0.0.0:1", "b", true)));
  EXPECT_FALSE(IsLoopback(ParseEndpoint("tcp://*:1", "b", true)));
  EXPECT_FALSE(IsLoopback(ParseEndpoint("tcp://10.0.0.1:1", "b", true)));
  EXPECT_THROW(CheckCoordinatorBind("tcp://0.0.0.0:5555", false, false), Error);
  EXPECT_NO_THROW(CheckCoordinatorBind("tcp://0.0.0.0:5555", true, false));
  EXPECT_NO_THROW(CheckCoordinatorBind("tcp://0.0.0.0:5555", false, true));
}

// The CLI: exit 2 with the option named, and nothing created. (Before: the coordinator listened
// on port 34463, so each call is bounded with timeout(1).)
TEST(Endpoint, CommandsRefuseBadPortsBeforeCreatingAnything) {
  TempDir dir;
  testing::WriteFile(dir / "sweep.json", "{}");
  const std::string db = (dir / "r.sqlite").string();
  const std::string out = (dir / "out").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"coordinator", "--db", db, "--bind", "tcp://127.0.0.1:99999"}, "--bind"},
      {{"coordinator", "--db", db, "--http", "127.0.0.1:99999"}, "--http"},
      {{"coordinator", "--db", db, "--bind", "tcp://0.0.0.0:5555"}, "--insecure"},
      {{"run", (dir / "sweep.json").string(), "--out", out, "--bind", "tcp://127.0.0.1:99999"},
       "--bind"},
      {{"run", (dir / "sweep.json").string(), "--out", out, "--http", "127.0.0.1:70000"}, "--http"},
  };
  for (const auto& [args, needle] : cases) {
    std::vector<std::string> argv = {"timeout", "10", GapbenchBin()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = RunProcess(argv);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args.back() << ": " << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(db)) << args.back();
    EXPECT_FALSE(fs::exists(out)) << args.back();
  }
  // --insecure lifts the loopback rule (checked with an address this machine does not have, so
  // nothing listens beyond loopback: the bind itself fails).
  const auto insecure = RunProcess({"timeout", "10", GapbenchBin(), "coordinator", "--db", db,
                                    "--bind", "tcp://192.0.2.1:5555", "--insecure"});
  EXPECT_EQ(insecure.err.find("--insecure"), std::string::npos) << insecure.err;
  EXPECT_NE(insecure.err.find("cannot bind"), std::string::npos) << insecure.err;
  EXPECT_FALSE(fs::exists(db));
}

}  // namespace
}  // namespace gapbench::coordinator
