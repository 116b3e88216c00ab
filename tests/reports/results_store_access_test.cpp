// Who may open a results database and what opening leaves behind (issues 10 and 17): files
// created owner-only (0600, -wal and -shm included), one exclusive writer (released when its
// process dies, kill -9 included), a failed open removes the file it created, and a read-only
// open leaves no -wal/-shm beside a finished database.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "common/error.h"
#include "reports/results_store.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

mode_t ModeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

std::set<std::string> Listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

// umask 022 is what most shells give: without care, files come out 0644.
struct Umask022 {
  Umask022() : old(::umask(022)) {}
  ~Umask022() { ::umask(old); }
  mode_t old;
};

TEST(ResultsStoreAccess, NewDatabaseAndItsWalAndShmAreOwnerOnly) {
  Umask022 umask;
  TempDir dir;
  const std::string path = (dir / "results.sqlite").string();
  ResultsStore store = ResultsStore::Open(path);
  store.SetMeta("k", "v");  // the -wal and -shm exist while the connection is open
  EXPECT_TRUE(store.created());
  ASSERT_TRUE(fs::exists(path + "-wal"));
  ASSERT_TRUE(fs::exists(path + "-shm"));
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(path + "-wal"), 0600u);
  EXPECT_EQ(ModeOf(path + "-shm"), 0600u);
  ResultsStore exclusive = ResultsStore::OpenExclusive((dir / "other.sqlite").string());
  EXPECT_EQ(ModeOf(dir / "other.sqlite"), 0600u);
}

TEST(ResultsStoreAccess, ExclusiveOpenIsRefusedWhileHeldAndFreedWhenItsProcessIsKilled) {
  TempDir dir;
  const std::string path = (dir / "results.sqlite").string();
  {
    ResultsStore first = ResultsStore::OpenExclusive(path);
    try {
      ResultsStore second = ResultsStore::OpenExclusive(path);
      FAIL() << "two exclusive stores on one database";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
    }
    // Readers are not writers: reports still open it.
    EXPECT_NO_THROW(ResultsStore::OpenReadOnly(path));
  }
  EXPECT_NO_THROW(ResultsStore::OpenExclusive(path));
  // A process holding it is killed with SIGKILL: the kernel releases the lock.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      ResultsStore held = ResultsStore::OpenExclusive(path);
      (void)!::write(ready[1], "1", 1);
      ::pause();
    } catch (...) {
    }
    ::_exit(1);
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the child could not open the store";
  ::close(ready[0]);
  EXPECT_THROW(ResultsStore::OpenExclusive(path), Error);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_NO_THROW(ResultsStore::OpenExclusive(path));
}

TEST(ResultsStoreAccess, CloseAndRemoveLeavesNothingAndAForeignFileIsNeverRemoved) {
  TempDir dir;
  const std::string path = (dir / "results.sqlite").string();
  {
    ResultsStore store = ResultsStore::OpenExclusive(path);
    store.SetMeta("k", "v");
    store.CloseAndRemove();
  }
  EXPECT_TRUE(Listing(dir.path()).empty());
  // A file that is not SQLite is refused and stays untouched (it was not created here).
  testing::WriteFile(dir / "notes.sqlite", std::string(4096, 'x'));
  EXPECT_THROW(ResultsStore::OpenExclusive((dir / "notes.sqlite").string()), Error);
  EXPECT_EQ(fs::file_size(dir / "notes.sqlite"), 4096u);
  EXPECT_EQ(Listing(dir.path()), std::set<std::string>{"notes.sqlite"});
}

TEST(ResultsStoreAccess, ReadOnlyOpenLeavesNoWalOrShmBesideAFinishedDatabase) {
  TempDir dir;
  const std::string path = (dir / "results.sqlite").string();
  {
    ResultsStore store = ResultsStore::Open(path);
    store.SetMeta("k", "v");
  }
  ASSERT_EQ(Listing(dir.path()), std::set<std::string>{"results.sqlite"});
  {
    const ResultsStore reader = ResultsStore::OpenReadOnly(path);
    EXPECT_EQ(reader.GetMeta("k").value_or(""), "v");
    // query_only: no SQL write gets through.
    EXPECT_THROW(const_cast<ResultsStore&>(reader).SetMeta("k", "w"), Error);
  }
  EXPECT_EQ(Listing(dir.path()), std::set<std::string>{"results.sqlite"});
  // A database that cannot be written (a read-only artefact) is still readable.
  ::chmod(path.c_str(), 0400);
  if (::access(path.c_str(), W_OK) != 0) {  // (root may write anyway)
    EXPECT_EQ(ResultsStore::OpenReadOnly(path).GetMeta("k").value_or(""), "v");
  }
  ::chmod(path.c_str(), 0600);
}

}  // namespace
}  // namespace gapbench::reports
