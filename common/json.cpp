#include "common/json.h"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/error.h"

namespace gapbench {

rapidjson::Document ParseJson(std::string_view text, std::string_view source) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag>(
      text.data(), text.size());
  if (doc.HasParseError()) {
    Fail(source, ": invalid JSON at byte ", doc.GetErrorOffset(), ": ",
         rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (const std::string dup = FindDuplicateKey(doc); !dup.empty()) {
    Fail(source, ": duplicate key at ", dup, " (each key may appear once per object)");
  }
  return doc;
}

std::string FindDuplicateKey(const rapidjson::Value& root) {
  std::vector<std::pair<const rapidjson::Value*, std::string>> todo = {{&root, "$"}};
  while (!todo.empty()) {
    auto [v, path] = std::move(todo.back());
    todo.pop_back();
    if (v->IsObject()) {
      std::unordered_set<std::string_view> seen;
      for (const auto& m : v->GetObject()) {
        const std::string_view key(m.name.GetString(), m.name.GetStringLength());
        const std::string child = StrCat(path, ".", SanitizeUtf8(key));
        if (!seen.insert(key).second) return child;
        if (m.value.IsObject() || m.value.IsArray()) todo.emplace_back(&m.value, child);
      }
    } else if (v->IsArray()) {
      for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
        const rapidjson::Value& e = (*v)[i];
        if (e.IsObject() || e.IsArray()) todo.emplace_back(&e, StrCat(path, "[", i, "]"));
      }
    }
  }
  return "";
}

std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

void WriteJsonString(JsonWriter& w, std::string_view s) {
  const std::string clean = SanitizeUtf8(s);
  w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

void WriteJsonFloat(JsonWriter& w, double v) {
  if (!std::isfinite(v)) {
    w.Null();
  } else {
    w.Double(v);
  }
}

namespace {

void WriteCanonical(const rapidjson::Value& v, JsonWriter& w) {
  if (v.IsObject()) {
    std::vector<const rapidjson::Value::Member*> members;
    for (const auto& m : v.GetObject()) members.push_back(&m);
    std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
      return std::string_view(a->name.GetString(), a->name.GetStringLength()) <
             std::string_view(b->name.GetString(), b->name.GetStringLength());
    });
    w.StartObject();
    for (const auto* m : members) {
      w.Key(m->name.GetString(), m->name.GetStringLength());
      WriteCanonical(m->value, w);
    }
    w.EndObject();
  } else if (v.IsArray()) {
    w.StartArray();
    for (const auto& e : v.GetArray()) WriteCanonical(e, w);
    w.EndArray();
  } else if (v.IsDouble()) {
    WriteJsonFloat(w, v.GetDouble());
  } else {
    v.Accept(w);  // strings, integers, booleans, null: one canonical spelling each
  }
}

}  // namespace

std::string CanonicalJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteCanonical(v, w);
  return buf.GetString();
}

}  // namespace gapbench
