// CURVE key files and the ZAP handler (curve_keys.h).
//
// Not here: CURVE itself (libzmq/libsodium), key rotation or revocation lists.
#include "coordinator/curve_keys.h"

#include <sys/stat.h>
#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>
#include <zmq_addon.hpp>

#include "common/error.h"

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

void WriteKey(const fs::path& path, const std::string& key, bool secret) {
  {
    std::ofstream out(path, std::ios::trunc);
    if (!out) Fail("cannot write key file '", path.string(), "'");
    out << "# gapbench CURVE " << (secret ? "secret" : "public") << " key (Z85)\n" << key << "\n";
    if (!out) Fail("cannot write key file '", path.string(), "'");
  }
  if (secret) fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
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
  std::error_code ec;
  fs::create_directories(root / kAuthorizedKeysDir, ec);
  if (ec)
    Fail("cannot create keys folder '", (root / kAuthorizedKeysDir).string(), "': ", ec.message());
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
          std::fprintf(stderr, "coordinator: authorized keys: %s\n", e.what());
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
