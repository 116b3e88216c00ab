// CURVE end to end with the real processes: a coordinator started with --curve-keys admits only
// workers whose public key is in its authorized_keys/ folder. A worker with an unlisted key (that
// knows the coordinator's public key) and a worker without keys never get work; a listed worker
// completes the sweep.
#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/distributed/cluster_fixture.h"

namespace gapbench::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

TEST(Curve, OnlyAuthorizedWorkersJoin) {
  TempDir dir;
  const Workload w = MakeWorkload(dir.path(), 20, 5);
  const fs::path keys = dir / "keys", rogue = dir / "rogue";
  for (const auto& d : {keys, rogue}) {
    const auto r = RunProcess({GapbenchBin(), "coordinator", "--make-keys", d.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // The rogue knows the real coordinator's public key, but its own client key is not listed.
  fs::copy_file(keys / "server.key", rogue / "server.key", fs::copy_options::overwrite_existing);

  const int port = FreePort();
  const fs::path db = dir / "results.sqlite";
  auto cargs = CoordinatorArgs(w, db, port);
  cargs.insert(cargs.end(), {"--curve-keys", keys.string()});
  Child coord(cargs, dir / "coord.log");

  auto rargs = WorkerArgs(port, "rogue");
  rargs.insert(rargs.end(), {"--curve-keys", rogue.string()});
  Child rogue_worker(rargs, dir / "rogue.log");
  Child plain_worker(WorkerArgs(port, "plain"), dir / "plain.log");
  ::sleep(3);
  EXPECT_EQ(CountStoredItems(db), 0u) << "an unauthorized worker got work";
  EXPECT_TRUE(rogue_worker.running());
  EXPECT_TRUE(coord.running()) << ReadFile(dir / "coord.log");

  auto gargs = WorkerArgs(port, "good");
  gargs.insert(gargs.end(), {"--curve-keys", keys.string()});
  Child good_worker(gargs, dir / "good.log");
  const auto rc = coord.Wait(seconds(120));
  ASSERT_TRUE(rc.has_value()) << ReadFile(dir / "coord.log");
  EXPECT_EQ(*rc, 0) << ReadFile(dir / "coord.log");
  EXPECT_EQ(StoredItems(db).size(), w.n_items);
  const std::string clog = ReadFile(dir / "coord.log");
  EXPECT_NE(clog.find("'good' joined"), std::string::npos) << clog;
  EXPECT_EQ(clog.find("'rogue' joined"), std::string::npos) << clog;
  EXPECT_EQ(clog.find("'plain' joined"), std::string::npos) << clog;
}

}  // namespace
}  // namespace gapbench::testing
