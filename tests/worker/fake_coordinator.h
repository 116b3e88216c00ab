// A scripted coordinator for worker tests: a real ZeroMQ ROUTER on loopback that the test drives
// message by message, with the frames of coordinator/protocol.h. Not a scheduler: the test
// decides every reply.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/json.h"
#include "coordinator/protocol.h"

namespace gapbench::testing {

struct Received {
  std::string peer;  // ROUTER identity frame
  std::string type;
  std::string body;
  rapidjson::Document json;
};

class FakeCoordinator {
 public:
  // Binds `endpoint` ("tcp://127.0.0.1:0" picks a free port).
  explicit FakeCoordinator(zmq::context_t& ctx, const std::string& endpoint = "tcp://127.0.0.1:0")
      : sock_(ctx, zmq::socket_type::router) {
    sock_.set(zmq::sockopt::linger, 0);
    sock_.bind(endpoint);
    endpoint_ = sock_.get(zmq::sockopt::last_endpoint);
  }
  const std::string& endpoint() const { return endpoint_; }
  void Close() { sock_.close(); }

  // Next message within `timeout`, any type (every message is also appended to `log`).
  std::optional<Received> Next(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      BeatIfDue();
      zmq::pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::min(left, std::chrono::milliseconds(20)));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> parts;
      if (!zmq::recv_multipart(sock_, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
        continue;
      }
      std::vector<std::string> frames;
      for (auto& p : parts) frames.push_back(p.to_string());
      EXPECT_EQ(frames.size(), 4u);
      if (frames.size() != 4) continue;
      std::string why;
      const auto m = coordinator::DecodeMessage({frames.begin() + 1, frames.end()}, &why);
      EXPECT_TRUE(m.has_value()) << why;
      if (!m) continue;
      Received r;
      r.peer = frames[0];
      r.type = m->type;
      r.body = m->body;
      r.json = ParseJson(m->body, "worker " + m->type);
      log.push_back(r.type);
      return r;
    }
  }

  // Next message of `type` within `timeout`; HEARTBEATs in between are skipped (and counted),
  // anything else in between is a test failure.
  std::optional<Received> Expect(std::string_view type, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto r = Next(left);
      if (!r) {
        ADD_FAILURE() << "no " << type << " within " << timeout.count() << " ms";
        return std::nullopt;
      }
      if (r->type == type) return r;
      if (r->type == coordinator::kTypeHeartbeat) {
        heartbeats.push_back(r->body);
        continue;
      }
      ADD_FAILURE() << "expected " << type << ", got " << r->type << " " << r->body;
      return std::nullopt;
    }
  }

  void Send(const std::string& peer, std::string_view type, const std::string& body) {
    const auto frames = coordinator::EncodeMessage(type, body);
    sock_.send(zmq::buffer(peer), zmq::send_flags::sndmore);
    for (size_t i = 0; i < frames.size(); ++i) {
      sock_.send(zmq::buffer(frames[i]),
                 i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  // From now on, heartbeat `peer` every 100 ms while waiting in Next/Expect ("" stops), as a
  // live coordinator does; without them the worker presumes the coordinator gone.
  void KeepAlive(const std::string& peer) { keepalive_peer_ = peer; }

  std::vector<std::string> log;         // every message type received, in order
  std::vector<std::string> heartbeats;  // bodies of HEARTBEATs skipped by Expect

 private:
  void BeatIfDue() {
    const auto now = std::chrono::steady_clock::now();
    if (keepalive_peer_.empty() || now - last_beat_ < std::chrono::milliseconds(100)) return;
    last_beat_ = now;
    Send(keepalive_peer_, coordinator::kTypeHeartbeat, "{}");
  }

  zmq::socket_t sock_;
  std::string endpoint_;
  std::string keepalive_peer_;
  std::chrono::steady_clock::time_point last_beat_{};
};

}  // namespace gapbench::testing
