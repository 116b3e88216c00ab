#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "coordinator/protocol.h"
#include "fuzz/targets.h"

namespace gapbench::fuzz {

void FuzzProtocol(const uint8_t* data, size_t size) {
  std::vector<std::string> frames(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0xff) {
      frames.emplace_back();
    } else {
      frames.back().push_back(static_cast<char>(data[i]));
    }
  }
  std::string why;
  std::optional<coordinator::Message> m;
  try {
    m = coordinator::DecodeMessage(frames, &why);
  } catch (const Error& e) {
    GB_CHECK(false, "DecodeMessage threw on bad input (it must return nullopt): ", e.what());
  }
  if (!m) {
    GB_CHECK(!why.empty(), "DecodeMessage refused a message without saying why");
    return;
  }
  // Another protocol version is decoded only far enough to REFUSE it (its body is not judged).
  if (m->version != coordinator::kProtocolVersion) return;
  rapidjson::Document d;
  d.Parse(m->body.data(), m->body.size());
  GB_CHECK(!d.HasParseError() && d.IsObject(),
           "DecodeMessage accepted a body that is not one JSON object: ", m->body.substr(0, 200));
  GB_CHECK(!m->type.empty(), "DecodeMessage accepted an empty type");
}

}  // namespace gapbench::fuzz
