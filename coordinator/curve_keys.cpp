// CURVE key files and the ZAP handler (curve_keys.h).
//
// Not here: CURVE itself (libzmq/libsodium), key rotation or revocation lists.
#include "coordinator/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>
#include <zmq_addon.hpp>

#include "common/error.h"
#include "common/log.h"

namespace gapbench::coordinator {
namespace fs = std::filesystem;
namespace {

constexpr size_t kZ85KeyChars = 40;
constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

bool IsZ85Key(const std::string& text) {
  if (text.size() != kZ85KeyChars) return false;
  std::array<uint8_t, 32> bytes{};
  return zmq_z85_decode(bytes.data(), text.c_str()) != nullptr;
}

// Secret keys must never be readable by others, not even for a moment: the file is created with
// its final mode (0600; public keys 0644) under a temporary name with O_EXCL (never someone
// else's file or link) and renamed into place, so a key file is complete when it appears.
void WriteKey(const fs::path& path, const std::string& key, bool secret) {
  const std::string text =
      StrCat("# gapbench CURVE ", secret ? "secret" : "public", " key (Z85)\n", key, "\n");
  const std::string tmp = StrCat(path.string(), ".tmp.", ::getpid());
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        secret ? 0600 : 0644);
  if (fd < 0) Fail("cannot write key file '", path.string(), "': ", std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == text.size() && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = ok ? errno : saved;
    ::unlink(tmp.c_str());
    Fail("cannot write key file '", path.string(), "': ", std::strerror(err));
  }
}

// The keys folder and its authorized_keys are created 0700 (parents as usual); an existing
// folder keeps its mode (the secret files in it are 0600 whatever it is).
void MakeOwnerOnlyDir(fs::path dir) {
  if (!dir.has_filename()) dir = dir.parent_path();  // "keys/"
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    Fail("cannot create keys folder '", dir.string(), "': ", std::strerror(errno));
  }
}

std::pair<std::string, std::string> NewKeyPair() {
  std::array<char, 41> pub{};
  std::array<char, 41> sec{};
  if (zmq_curve_keypair(pub.data(), sec.data()) != 0) {
    Fail("cannot make CURVE keys: ", zmq_strerror(zmq_errno()),
         " (libzmq built without CURVE support?)");
  }
  return {pub.data(), sec.data()};
}

}  // namespace

std::string ReadKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) Fail("cannot read CURVE key file '", path, "'");
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.pop_back();
    }
    if (line.empty() || line[0] == '#') continue;
    if (!IsZ85Key(line)) {
      Fail("CURVE key file '", path, "': expected a 40-character Z85 key, got ", line.size(),
           " characters (make keys with `gapbench coordinator --make-keys DIR`)");
    }
    return line;
  }
  Fail("CURVE key file '", path, "' holds no key");
}

std::set<std::string> ReadAuthorizedKeys(const std::string& keys_dir) {
  std::set<std::string> keys;
  const fs::path dir = fs::path(keys_dir) / kAuthorizedKeysDir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return keys;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".key") continue;
    keys.insert(ReadKeyFile(entry.path().string()));
  }
  return keys;
}

MadeKeys MakeKeys(const std::string& dir) {
  MadeKeys made;
  const fs::path root(dir);
  MakeOwnerOnlyDir(root);
  MakeOwnerOnlyDir(root / kAuthorizedKeysDir);
  const fs::path server_pub = root / kServerPublicKeyFile;
  const fs::path server_sec = root / kServerSecretKeyFile;
  if (fs::exists(server_pub) && fs::exists(server_sec)) {
    made.server_public = ReadKeyFile(server_pub.string());
    ReadKeyFile(server_sec.string());
  } else {
    const auto [pub, sec] = NewKeyPair();
    WriteKey(server_sec, sec, true);
    WriteKey(server_pub, pub, false);
    made.server_public = pub;
    made.server_created = true;
  }
  const auto [pub, sec] = NewKeyPair();
  WriteKey(root / kClientSecretKeyFile, sec, true);
  WriteKey(root / kClientPublicKeyFile, pub, false);
  WriteKey(root / kAuthorizedKeysDir / kClientPublicKeyFile, pub, false);
  made.client_public = pub;
  return made;
}

ZapAuthenticator::ZapAuthenticator(zmq::context_t& context, std::string keys_dir)
    : socket_(context, zmq::socket_type::rep), keys_dir_(std::move(keys_dir)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind(kZapEndpoint);
  ReadAuthorizedKeys(keys_dir_);  // fail early on a malformed authorized key
  thread_ = std::thread([this] { Loop(); });
}

ZapAuthenticator::~ZapAuthenticator() { Stop(); }

void ZapAuthenticator::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  socket_.close();
}

void ZapAuthenticator::Loop() {
  while (!stop_) {
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 1, std::chrono::milliseconds(100));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
      continue;
    }
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> request;
    if (!zmq::recv_multipart(socket_, std::back_inserter(request), zmq::recv_flags::dontwait)) {
      continue;
    }
    // RFC 27: version, request id, domain, address, identity, mechanism, credentials...
    std::string status = "400";
    std::string text = "malformed ZAP request";
    std::string user;
    if (request.size() >= 6 && request[0].to_string() == "1.0") {
      const std::string mechanism = request[5].to_string();
      if (mechanism == "CURVE" && request.size() >= 7 && request[6].size() == 32) {
        std::array<char, 41> z85{};
        zmq_z85_encode(z85.data(), static_cast<const uint8_t*>(request[6].data()), 32);
        const std::string key = z85.data();
        std::set<std::string> allowed;
        try {
          allowed = ReadAuthorizedKeys(keys_dir_);
        } catch (const Error& e) {
          LogWarn("coordinator", StrCat("authorized keys: ", e.what()),
                  {{"event", "authorized_keys"}});
        }
        if (allowed.count(key) != 0) {
          status = "200";
          text = "OK";
          user = key;
        } else {
          text = "key not authorized";
          ++rejected_;
          if (logged_.insert(key).second) {
            std::fprintf(
                stderr, "coordinator: refused CURVE client key %s from %s (not in %s/%s)\n",
                key.c_str(), request[3].to_string().c_str(), keys_dir_.c_str(), kAuthorizedKeysDir);
          }
        }
      } else {
        text = "only CURVE clients are accepted";
        ++rejected_;
      }
    }
    const std::string request_id = request.size() >= 2 ? request[1].to_string() : "";
    std::array<zmq::const_buffer, 6> reply = {
        zmq::str_buffer("1.0"), zmq::buffer(request_id), zmq::buffer(status),
        zmq::buffer(text),      zmq::buffer(user),       zmq::const_buffer(nullptr, 0)};
    zmq::send_multipart(socket_, reply);
  }
}

}  // namespace gapbench::coordinator
