// JSON helpers: UTF-8 sanitising keeps valid text byte-for-byte and replaces each invalid
// sequence, so generated text always round-trips through a strict JSON parser.
#include "common/json.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace gapbench
