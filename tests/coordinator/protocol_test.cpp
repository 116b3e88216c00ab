// Wire protocol: encode/decode round trips, ShardTask JSON round trip, and hostile frames that
// DecodeMessage must reject (with a reason) without throwing or crashing.
#include "coordinator/protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace gapbench::coordinator {
namespace {

std::optional<Message> Decode(const std::vector<std::string>& frames, std::string* why) {
  return DecodeMessage(frames, why);
}

TEST(Protocol, TagAndEncode) {
  EXPECT_EQ(ProtocolTag(), "GAPBENCH/1");
  EXPECT_EQ(ProtocolTag(7), "GAPBENCH/7");
  const std::vector<std::string> frames = EncodeMessage(kTypeReady, R"({"models":[]})");
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0], "GAPBENCH/1");
  EXPECT_EQ(frames[1], "READY");
  EXPECT_EQ(frames[2], R"({"models":[]})");
}

TEST(Protocol, RoundTripEveryType) {
  for (std::string_view type :
       {kTypeHello, kTypeWelcome, kTypeRefuse, kTypeReady, kTypeAssign, kTypeNoWork, kTypeHeartbeat,
        kTypeResults, kTypeAck, kTypeDone, kTypeFailed, kTypeCancel, kTypeBye, kTypeShutdown}) {
    const std::string body = R"( {"a": [1, {"b": "\u00e9t\u00e9"}], "c": null} )";
    std::string why;
    const auto m = Decode(EncodeMessage(type, body), &why);
    ASSERT_TRUE(m.has_value()) << type << ": " << why;
    EXPECT_EQ(m->version, kProtocolVersion);
    EXPECT_EQ(m->type, type);
    EXPECT_EQ(m->body, body);
  }
}

TEST(Protocol, ShardTaskRoundTrip) {
  ShardTask t;
  t.model_path = "/m/tiny.gguf";
  t.model_id = "abc";
  t.model_alias = "tiny \xc3\xa9";
  t.config_json = R"({"weights":"q8_0"})";
  t.config_hash = "0123";
  t.strategy_json = R"({"name":"single"})";
  t.suite_path = "/s/suite.jsonl";
  t.suite_format = "gapbench";
  t.suite_split = "dev";
  t.suite_name = "s";
  t.suite_hash = "ffff";
  t.fewshot = 5;
  t.samples = 3;
  t.max_tokens = 17;
  t.temperature = 0.8;
  t.seed = 18446744073709551615ull;  // max uint64 survives
  t.begin = 10;
  t.end = 20;
  const ShardTask u = ShardTaskFromJson(ShardTaskToJson(t), "test");
  EXPECT_EQ(u.model_path, t.model_path);
  EXPECT_EQ(u.model_id, t.model_id);
  EXPECT_EQ(u.model_alias, t.model_alias);
  EXPECT_EQ(u.config_json, t.config_json);
  EXPECT_EQ(u.config_hash, t.config_hash);
  EXPECT_EQ(u.strategy_json, t.strategy_json);
  EXPECT_EQ(u.suite_path, t.suite_path);
  EXPECT_EQ(u.suite_format, t.suite_format);
  EXPECT_EQ(u.suite_split, t.suite_split);
  EXPECT_EQ(u.suite_name, t.suite_name);
  EXPECT_EQ(u.suite_hash, t.suite_hash);
  EXPECT_EQ(u.fewshot, 5);
  EXPECT_EQ(u.samples, 3);
  EXPECT_EQ(u.max_tokens, 17);
  EXPECT_DOUBLE_EQ(u.temperature, 0.8);
  EXPECT_EQ(u.seed, t.seed);
  EXPECT_EQ(u.begin, 10);
  EXPECT_EQ(u.end, 20);
}

TEST(Protocol, ShardTaskErrorsNameSourceAndField) {
  ShardTask t;
  t.end = 4;
  std::string json = ShardTaskToJson(t);
  // Remove a required field.
  const size_t pos = json.find("\"suite_hash\"");
  ASSERT_NE(pos, std::string::npos);
  std::string missing = json;
  missing.replace(pos, std::string("\"suite_hash\":\"\",").size(), "");
  try {
    ShardTaskFromJson(missing, "peer w1");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("peer w1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("suite_hash"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ShardTaskFromJson("[1]", "x"), Error);
  EXPECT_THROW(ShardTaskFromJson("{", "x"), Error);
  std::string bad_range = json;
  bad_range.replace(bad_range.find("\"end\":4"), 7, "\"end\":-1");
  EXPECT_THROW(ShardTaskFromJson(bad_range, "x"), Error);
}

// Every hostile input is rejected with a non-empty reason containing `expect`.
void ExpectRejected(const std::vector<std::string>& frames, const std::string& expect) {
  std::string why;
  const auto m = DecodeMessage(frames, &why);
  EXPECT_FALSE(m.has_value()) << "accepted: " << expect;
  EXPECT_NE(why.find(expect), std::string::npos) << "why = " << why;
}

TEST(Protocol, HostileFrames) {
  ExpectRejected({}, "expected 3 frames");
  ExpectRejected({"GAPBENCH/1", "READY"}, "expected 3 frames");
  ExpectRejected({"GAPBENCH/1", "READY", "{}", "{}"}, "expected 3 frames");
  ExpectRejected({"HTTP/1.1", "READY", "{}"}, "bad protocol tag");
  ExpectRejected({"GAPBENCH/", "READY", "{}"}, "bad protocol tag");
  ExpectRejected({"GAPBENCH/x1", "READY", "{}"}, "bad protocol tag");
  ExpectRejected({"GAPBENCH/0", "READY", "{}"}, "bad protocol tag");
  ExpectRejected({"GAPBENCH/99999999999", "READY", "{}"}, "bad protocol tag");
  ExpectRejected({std::string("GAPBENCH/1\0", 11), "READY", "{}"}, "bad protocol tag");
  ExpectRejected({"GAPBENCH/1", "ready", "{}"}, "unknown message type");
  ExpectRejected({"GAPBENCH/1", "EXPLODE", "{}"}, "unknown message type");
  ExpectRejected({"GAPBENCH/1", "", "{}"}, "unknown message type");
  ExpectRejected({"GAPBENCH/1", "READY", ""}, "not valid JSON");
  ExpectRejected({"GAPBENCH/1", "READY", "{"}, "not valid JSON");
  ExpectRejected({"GAPBENCH/1", "READY", "[]"}, "not a JSON object");
  ExpectRejected({"GAPBENCH/1", "READY", "\"s\""}, "not a JSON object");
  ExpectRejected({"GAPBENCH/1", "READY", "42"}, "not a JSON object");
  ExpectRejected({"GAPBENCH/1", "READY", "{} {}"}, "trailing data");
  ExpectRejected({"GAPBENCH/1", "READY", "{}x"}, "trailing data");
  // Invalid UTF-8 inside a string (a lone continuation byte, an overlong form).
  ExpectRejected({"GAPBENCH/1", "READY", "{\"a\":\"\x80\"}"}, "not valid JSON");
  ExpectRejected({"GAPBENCH/1", "READY", "{\"a\":\"\xc0\xaf\"}"}, "not valid JSON");
  // Deep nesting: exactly at the limit passes, one more fails; 1e6 levels neither crash nor pass.
  const auto nested = [](int depth) {
    std::string s = "{\"a\":";
    for (int i = 1; i < depth; ++i) s += "[";
    s += "1";
    for (int i = 1; i < depth; ++i) s += "]";
    return s + "}";
  };
  std::string why;
  EXPECT_TRUE(DecodeMessage({"GAPBENCH/1", "READY", nested(kMaxJsonDepth)}, &why)) << why;
  ExpectRejected({"GAPBENCH/1", "READY", nested(kMaxJsonDepth + 1)}, "nested deeper");
  ExpectRejected({"GAPBENCH/1", "READY", "{\"a\":" + std::string(1000000, '[')}, "nested deeper");
  // Oversized body: rejected on size before any parsing.
  std::string huge(kMaxBodyBytes + 1, ' ');
  huge.front() = '{';
  huge.back() = '}';
  ExpectRejected({"GAPBENCH/1", "RESULTS", huge}, "exceeds the limit");
  // Null `why` is allowed.
  EXPECT_FALSE(DecodeMessage({"x"}, nullptr).has_value());
}

TEST(Protocol, OtherVersionDecodesForRefusal) {
  std::string why;
  const auto m = DecodeMessage({"GAPBENCH/2", "HELLO", "not even json"}, &why);
  ASSERT_TRUE(m.has_value()) << why;
  EXPECT_EQ(m->version, 2);
  EXPECT_EQ(m->type, "HELLO");
  EXPECT_TRUE(m->body.empty());  // not validated, not handed on
  ExpectRejected({"GAPBENCH/2", "he llo", "{}"}, "bad message type");
}

}  // namespace
}  // namespace gapbench::coordinator
