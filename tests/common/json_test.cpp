// JSON helpers: UTF-8 sanitising keeps valid text byte-for-byte and replaces each invalid
// sequence, so generated text always round-trips through a strict JSON parser.
#include "common/json.h"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

#include "common/error.h"

namespace gapbench {
namespace {

TEST(Json, SanitizeKeepsValidUtf8) {
  const std::string s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";  // a é € 😀 z
  EXPECT_EQ(SanitizeUtf8(s), s);
}

TEST(Json, SanitizeReplacesInvalidSequences) {
  EXPECT_EQ(SanitizeUtf8("a\xff"
                         "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(SanitizeUtf8("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");                  // truncated
  EXPECT_EQ(SanitizeUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");                  // overlong '/'
  EXPECT_EQ(SanitizeUtf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
}

TEST(Json, WrittenStringParsesBack) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("t");
  WriteJsonString(w, "x\x80y\"");
  w.EndObject();
  auto doc = ParseJson(buf.GetString(), "test");
  EXPECT_STREQ(doc["t"].GetString(), "x\xef\xbf\xbdy\"");
}

TEST(Json, ParseErrorNamesSourceAndOffset) {
  try {
    ParseJson("{\"a\": ]", "sweep.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sweep.json: invalid JSON at byte 6"), std::string::npos)
        << e.what();
  }
}

// A key twice in one object, or a string that is not UTF-8: refused with the place, never "the
// last one wins" or raw bytes passed on.
TEST(Json, DuplicateKeysAndInvalidUtf8AreErrors) {
  auto message = [](const std::string& text) {
    try {
      ParseJson(text, "cfg.json");
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInput);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(R"({"a": 1, "b": {"c": [1, {"d": 2, "d": 3}]}})")
                .find("cfg.json: duplicate key at $.b.c[1].d"),
            std::string::npos);
  EXPECT_NE(message(R"({"a": 1, "a": 1})").find("duplicate key at $.a"), std::string::npos);
  EXPECT_NE(message("{\"a\": \"x\xff\"}").find("cfg.json: invalid JSON at byte"),
            std::string::npos);
  EXPECT_EQ(FindDuplicateKey(ParseJson(R"({"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]})", "t")), "");
}

// Every error has a kind (input, resource, internal) that decides exit codes and retries.
TEST(Json, ErrorKindsDecideRetryAndExitCode) {
  EXPECT_EQ(ExitCodeFor(ErrorKind::kInput), 2);
  EXPECT_EQ(ExitCodeFor(ErrorKind::kResource), 1);
  EXPECT_FALSE(Retryable(ErrorKind::kInput));
  EXPECT_TRUE(Retryable(ErrorKind::kResource));
  EXPECT_TRUE(Retryable(ErrorKind::kInternal));
  try {
    FailResource("disk full");
  } catch (const std::exception& e) {
    EXPECT_EQ(KindOf(e), ErrorKind::kResource);
  }
  EXPECT_EQ(KindOf(std::bad_alloc()), ErrorKind::kResource);
  EXPECT_EQ(KindOf(std::logic_error("x")), ErrorKind::kInternal);
  EXPECT_EQ(ErrorKindName(ErrorKind::kInput), "input");
}

}  // namespace
}  // namespace gapbench
