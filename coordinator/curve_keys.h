// CURVE key files and the ZAP authenticator (docs/PROTOCOL.md "CURVE keys").
//
// A key file holds one Z85-encoded 32-byte key (40 characters, as zmq_curve_keypair writes it)
// on its first line that is neither empty nor a '#' comment. File names in a keys folder:
//   coordinator: server.key, server.key_secret, authorized_keys/*.key (client public keys)
//   worker:      client.key, client.key_secret, server.key (the coordinator's public key)
// The ZAP handler (ZeroMQ RFC 27) runs on its own thread with a REP socket bound to
// inproc://zeromq.zap.01 in the coordinator's context and admits a CURVE client only when its
// public key is in authorized_keys/ (re-read on every handshake, so adding a key needs no
// restart). Rejected keys are logged once each.
//
// Not here: socket options (the server and worker set curve_server/curve_secretkey/... from the
// keys read here).
#pragma once

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <zmq.hpp>

namespace gapbench::coordinator {

inline constexpr const char* kServerPublicKeyFile = "server.key";
inline constexpr const char* kServerSecretKeyFile = "server.key_secret";
inline constexpr const char* kClientPublicKeyFile = "client.key";
inline constexpr const char* kClientSecretKeyFile = "client.key_secret";
inline constexpr const char* kAuthorizedKeysDir = "authorized_keys";

// Reads one Z85 key (40 chars, validated by decoding). Error naming the file otherwise.
std::string ReadKeyFile(const std::string& path);
// Z85 public keys of every authorized_keys/*.key in `keys_dir` (an absent folder = none).
// Error naming the file for an unreadable or malformed one.
std::set<std::string> ReadAuthorizedKeys(const std::string& keys_dir);

struct MadeKeys {
  bool server_created = false;  // false when server.key* already existed and were kept
  std::string server_public;
  std::string client_public;
};
// `gapbench coordinator --make-keys DIR`: server pair if missing, a fresh client pair, and the
// client's public key authorized (authorized_keys/client.key). Secret files get mode 0600.
MadeKeys MakeKeys(const std::string& dir);

// ZAP handler thread for one context. Start() binds before the server socket binds (libzmq
// requires the handler to exist before CURVE handshakes start).
class ZapAuthenticator {
 public:
  ZapAuthenticator(zmq::context_t& context, std::string keys_dir);
  ~ZapAuthenticator();  // Stop()
  ZapAuthenticator(const ZapAuthenticator&) = delete;
  ZapAuthenticator& operator=(const ZapAuthenticator&) = delete;
  void Stop();
  int64_t rejected() const { return rejected_.load(); }

 private:
  void Loop();
  zmq::socket_t socket_;
  std::string keys_dir_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> rejected_{0};
  std::set<std::string> logged_;  // rejected keys already logged (loop thread only)
  std::thread thread_;
};

}  // namespace gapbench::coordinator
