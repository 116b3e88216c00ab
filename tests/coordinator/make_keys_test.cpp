// `gapbench coordinator --make-keys` (issue 17 #7): secret key files must never be readable by
// anyone else, not even between their creation and a later chmod. An inotify watch on the keys
// folder sees every creation and every attribute change: a secret written 0644 and then
// chmod'ed 0600 shows up as IN_ATTRIB; a file created with its final mode does not.
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "coordinator/curve_keys.h"
#include "tests/test_util.h"

namespace gapbench::coordinator {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

mode_t ModeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

struct Umask022 {
  Umask022() : old(::umask(022)) {}
  ~Umask022() { ::umask(old); }
  mode_t old;
};

// Attribute changes (chmod) per file name seen in `dir` while `fn` runs.
template <typename Fn>
std::map<std::string, int> AttributeChanges(const fs::path& dir, Fn&& fn) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_GE(::inotify_add_watch(fd, dir.c_str(), IN_ATTRIB | IN_CREATE), 0);
  fn();
  std::map<std::string, int> changes;
  alignas(inotify_event) char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      if ((ev->mask & IN_ATTRIB) != 0 && ev->len > 0) ++changes[ev->name];
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
  }
  ::close(fd);
  return changes;
}

TEST(MakeKeys, SecretKeysAreOwnerOnlyFromTheirFirstByte) {
  Umask022 umask;
  TempDir dir;
  const fs::path keys = dir / "keys";
  ASSERT_TRUE(fs::create_directory(keys));
  fs::permissions(keys, fs::perms::owner_all);
  const auto changes = AttributeChanges(keys, [&] { MakeKeys(keys.string()); });
  EXPECT_TRUE(changes.empty()) << "a key file had its mode changed after it was created ("
                               << changes.begin()->first << "): it was readable meanwhile";
  EXPECT_EQ(ModeOf(keys / kServerSecretKeyFile), 0600u);
  EXPECT_EQ(ModeOf(keys / kClientSecretKeyFile), 0600u);
  EXPECT_EQ(ModeOf(keys / kServerPublicKeyFile), 0644u);
  // A second run replaces the client pair the same way (the old secret is never reopened).
  const auto again = AttributeChanges(keys, [&] { MakeKeys(keys.string()); });
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(ModeOf(keys / kClientSecretKeyFile), 0600u);
  for (const auto& e : fs::directory_iterator(keys)) {
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
  }
}

TEST(MakeKeys, NewKeysFolderIsOwnerOnly) {
  Umask022 umask;
  TempDir dir;
  const fs::path keys = dir / "a" / "keys";
  MakeKeys(keys.string() + "/");
  EXPECT_EQ(ModeOf(keys), 0700u);
  EXPECT_EQ(ModeOf(keys / kAuthorizedKeysDir), 0700u);
  EXPECT_EQ(ModeOf(keys / kServerSecretKeyFile), 0600u);
  EXPECT_EQ(ReadAuthorizedKeys(keys.string()).size(), 1u);
}

}  // namespace
}  // namespace gapbench::coordinator
