// JSON helpers over RapidJSON: a compact writer for CLI output and parsing with errors that
// name the source and the offset.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace gapbench {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Parses `text`; throws Error naming `source` and the byte offset on a syntax error or invalid
// UTF-8 inside a string, and naming the JSON path on a key that appears twice in one object (a
// silent "last one wins" would hide a typo or a merge accident).
rapidjson::Document ParseJson(std::string_view text, std::string_view source);

// The JSON path ("$.engines[1].config.kv_cache") of the first object key that appears twice in
// its object, or "" when there is none. Iterative: any nesting depth is safe.
std::string FindDuplicateKey(const rapidjson::Value& root);

// Replaces every invalid UTF-8 sequence with U+FFFD so generated text (which may end inside a
// multi-byte character) is always valid JSON.
std::string SanitizeUtf8(std::string_view s);
// Writes a string value after SanitizeUtf8.
void WriteJsonString(JsonWriter& w, std::string_view s);

// Writes a float so that it round-trips (shortest repr); NaN/Inf become null.
void WriteJsonFloat(JsonWriter& w, double v);

// Canonical JSON of a value: object keys sorted by bytes (recursively), no whitespace, doubles
// in their shortest round-trip form. Shard keys and report group identities hash this text.
std::string CanonicalJson(const rapidjson::Value& v);

}  // namespace gapbench
