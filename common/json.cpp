#include "common/json.h"

#include <rapidjson/error/en.h>

#include <cmath>

#include "common/error.h"

namespace gapbench {

rapidjson::Document ParseJson(std::string_view text, std::string_view source) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    Fail(source, ": invalid JSON at byte ", doc.GetErrorOffset(), ": ",
         rapidjson::GetParseError_En(doc.GetParseError()));
  }
  return doc;
}

void WriteJsonFloat(JsonWriter& w, double v) {
  if (!std::isfinite(v)) {
    w.Null();
  } else {
    w.Double(v);
  }
}

}  // namespace gapbench
