// JSON for items (native JSONL form), tags and item records.
#include "suites/record.h"

#include <concepts>
#include <limits>
#include <type_traits>
#include <utility>

#include "common/error.h"
#include "suites/loaders_internal.h"

namespace gapbench::suites {
namespace {

void Str(JsonWriter& w, const char* key, std::string_view v) {
  w.Key(key);
  WriteJsonString(w, v);
}

void StrList(JsonWriter& w, const char* key, const std::vector<std::string>& v) {
  w.Key(key);
  w.StartArray();
  for (const auto& s : v) WriteJsonString(w, s);
  w.EndArray();
}

void OptBool(JsonWriter& w, const char* key, const std::optional<bool>& v) {
  w.Key(key);
  if (v) {
    w.Bool(*v);
  } else {
    w.Null();
  }
}

// The fields of a routed or guarded item, declared once (as common/strategy.h's VisitFields) in
// the order they are written; FieldWriter writes them, FieldReader reads and checks them. Kinds:
// Text (a string, skipped on read when not one), Number (required, null = a non-finite value as
// WriteJsonFloat writes it, read back as NaN so the metrics leave the item out as unscored),
// OptNumber (written and read only when present), Flag (required bool), OptFlag (null when
// absent), Count (an integer, absent = 0), Timing (written only with timing, read when a number),
// Object (a required nested object of declared fields).
template <class Member, class Visitor>
requires std::same_as<std::remove_const_t<Member>, RouteMember>
void VisitFields(Member& m, Visitor& v) {
  v.Text("prediction", m.prediction);
  v.OptFlag("correct", m.correct);
  v.OptNumber("score", m.score);
  v.Count("tokens_in", m.tokens_in);
  v.Count("tokens_out", m.tokens_out);
  v.Timing("seconds", m.seconds);
}

template <class Route, class Visitor>
requires std::same_as<std::remove_const_t<Route>, RouteRecord>
void VisitFields(Route& r, Visitor& v) {
  v.Text("signal", r.signal);
  v.Number("value", r.value);
  v.Number("threshold", r.threshold);
  v.Flag("escalated", r.escalated);
  v.Object("small", r.small);
  v.Object("large", r.large);
}

template <class Guard, class Visitor>
requires std::same_as<std::remove_const_t<Guard>, GuardRecord>
void VisitFields(Guard& g, Visitor& v) {
  v.Number("p_refuse", g.p_refuse);
  v.Number("threshold", g.threshold);
  v.Flag("refused", g.refused);
  v.Count("tokens", g.tokens);
  v.Timing("seconds", g.seconds);
}

class FieldWriter {
 public:
  FieldWriter(JsonWriter& w, RecordTiming timing) : w_(w), timing_(timing) {}
  void Text(const char* key, const std::string& s) { Str(w_, key, s); }
  void Number(const char* key, double x) {
    w_.Key(key);
    WriteJsonFloat(w_, x);
  }
  void OptNumber(const char* key, const std::optional<double>& x) {
    if (x) Number(key, *x);
  }
  void Flag(const char* key, bool b) {
    w_.Key(key);
    w_.Bool(b);
  }
  void OptFlag(const char* key, const std::optional<bool>& b) { OptBool(w_, key, b); }
  void Count(const char* key, int64_t n) {
    w_.Key(key);
    w_.Int64(n);
  }
  void Timing(const char* key, double seconds) {
    if (timing_ == RecordTiming::kInclude) Number(key, seconds);
  }
  template <class T>
  void Object(const char* key, const T& fields) {
    w_.Key(key);
    w_.StartObject();
    VisitFields(fields, *this);
    w_.EndObject();
  }

 private:
  JsonWriter& w_;
  RecordTiming timing_;
};

// Reads the fields of the object `o` found at `where` ("route.", "route.small.", "guard."): every
// error names `source` and the field's path.
class FieldReader {
 public:
  FieldReader(const rapidjson::Value& o, std::string_view source, std::string where)
      : o_(o), source_(source), where_(std::move(where)) {}
  void Text(const char* key, std::string& s) {
    if (const auto it = o_.FindMember(key); it != o_.MemberEnd() && it->value.IsString()) {
      s.assign(it->value.GetString(), it->value.GetStringLength());
    }
  }
  void Number(const char* key, double& x) {
    const auto it = o_.FindMember(key);
    if (it != o_.MemberEnd() && it->value.IsNull()) {
      x = std::numeric_limits<double>::quiet_NaN();
      return;
    }
    if (it == o_.MemberEnd() || !it->value.IsNumber()) {
      Fail(source_, ": \"", where_, key, "\" must be a number or null");
    }
    x = it->value.GetDouble();
  }
  void OptNumber(const char* key, std::optional<double>& x) {
    if (o_.HasMember(key)) Number(key, x.emplace());
  }
  void Flag(const char* key, bool& b) {
    const auto it = o_.FindMember(key);
    if (it == o_.MemberEnd() || !it->value.IsBool()) {
      Fail(source_, ": \"", where_, key, "\" must be true or false");
    }
    b = it->value.GetBool();
  }
  void OptFlag(const char* key, std::optional<bool>& b) {
    const auto it = o_.FindMember(key);
    if (it == o_.MemberEnd() || it->value.IsNull()) return;
    if (!it->value.IsBool()) Fail(source_, ": \"", where_, key, "\" must be true, false or null");
    b = it->value.GetBool();
  }
  void Count(const char* key, int64_t& n) {
    const auto it = o_.FindMember(key);
    if (it == o_.MemberEnd() || it->value.IsNull()) return;
    if (!it->value.IsInt64()) Fail(source_, ": \"", where_, key, "\" must be an integer");
    n = it->value.GetInt64();
  }
  void Timing(const char* key, double& seconds) {
    if (const auto it = o_.FindMember(key); it != o_.MemberEnd() && it->value.IsNumber()) {
      seconds = it->value.GetDouble();
    }
  }
  template <class T>
  void Object(const char* key, T& fields) {
    const auto it = o_.FindMember(key);
    if (it == o_.MemberEnd() || !it->value.IsObject()) {
      Fail(source_, ": \"", where_, key, "\" must be an object");
    }
    FieldReader nested(it->value, source_, StrCat(where_, key, "."));
    VisitFields(fields, nested);
  }

 private:
  const rapidjson::Value& o_;
  std::string_view source_;
  std::string where_;
};

}  // namespace

void WriteTags(JsonWriter& w, const Tags& tags) {
  w.StartObject();
  Str(w, "split", tags.split);
  if (tags.steps) {
    w.Key("steps");
    w.Int64(*tags.steps);
  }
  if (tags.fact_frequency) {
    w.Key("fact_frequency");
    WriteJsonFloat(w, *tags.fact_frequency);
  }
  if (!tags.subject.empty()) Str(w, "subject", tags.subject);
  if (!tags.family.empty()) Str(w, "family", tags.family);
  for (const auto& [k, v] : tags.extra) Str(w, k.c_str(), v);
  w.EndObject();
}

void WriteItemJson(JsonWriter& w, const Item& item, bool fewshot_pool) {
  w.StartObject();
  Str(w, "kind", KindName(item.kind));
  Str(w, "id", item.id);
  if (fewshot_pool) {
    w.Key("fewshot");
    w.Bool(true);
  }
  Str(w, "style", StyleName(item.style));
  switch (item.kind) {
    case ItemKind::kMultipleChoice:
      Str(w, "question", item.question);
      StrList(w, "choices", item.choices);
      w.Key("gold");
      w.Int(item.gold);
      if (item.metric != McMetric::kAcc) {
        Str(w, "metric", McMetricName(item.metric));
        if (item.metric == McMetric::kMc2) {
          w.Key("labels");
          w.StartArray();
          for (int l : item.labels) w.Int(l);
          w.EndArray();
        }
      }
      break;
    case ItemKind::kGeneration:
      Str(w, "prompt", item.prompt);
      Str(w, "reference", item.reference);
      if (!item.aliases.empty()) StrList(w, "aliases", item.aliases);
      Str(w, "match", MatchRuleName(item.match));
      StrList(w, "stop", item.stop);
      if (!item.solution.empty()) Str(w, "solution", item.solution);
      break;
    case ItemKind::kCode:
      Str(w, "prompt", item.prompt);
      Str(w, "test", item.test);
      Str(w, "entry_point", item.entry_point);
      StrList(w, "stop", item.stop);
      if (!item.solution.empty()) Str(w, "solution", item.solution);
      break;
  }
  w.Key("tags");
  WriteTags(w, item.tags);
  w.EndObject();
}

std::string ItemToJson(const Item& item, bool fewshot_pool) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteItemJson(w, item, fewshot_pool);
  return buf.GetString();
}

void WriteItemRecord(JsonWriter& w, const ItemRecord& r, RecordTiming timing) {
  w.StartObject();
  Str(w, "item_id", r.item_id);
  Str(w, "suite", r.suite);
  Str(w, "suite_hash", r.suite_hash);
  Str(w, "prompt_hash", r.prompt_hash);
  Str(w, "kind", KindName(r.kind));
  w.Key("tags");
  WriteTags(w, r.tags);
  StrList(w, "shot_ids", r.shot_ids);
  Str(w, "prediction", r.prediction);
  Str(w, "reference", r.reference);
  if (r.kind == ItemKind::kMultipleChoice) {
    w.Key("gold");
    w.Int(r.gold);
    w.Key("pred");
    w.Int(r.pred);
    w.Key("pred_norm");
    w.Int(r.pred_norm);
    w.Key("choice_logprobs");
    w.StartArray();
    for (double v : r.choice_logprobs) WriteJsonFloat(w, v);
    w.EndArray();
    w.Key("choice_tokens");
    w.StartArray();
    for (int64_t v : r.choice_tokens) w.Int64(v);
    w.EndArray();
  } else {
    Str(w, "generation", r.generation);
    Str(w, "finish_reason", r.finish_reason);
  }
  OptBool(w, "correct", r.correct);
  if (r.kind == ItemKind::kMultipleChoice) OptBool(w, "correct_norm", r.correct_norm);
  if (r.correct_strict) OptBool(w, "correct_strict", r.correct_strict);
  if (r.score) {
    w.Key("score");
    WriteJsonFloat(w, *r.score);
  }
  w.Key("tokens_in");
  w.Int64(r.tokens_in);
  w.Key("tokens_out");
  w.Int64(r.tokens_out);
  if (r.truncated_tokens > 0) {
    w.Key("truncated_tokens");
    w.Int64(r.truncated_tokens);
  }
  FieldWriter fields(w, timing);
  if (r.route) fields.Object("route", *r.route);
  if (r.guard) fields.Object("guard", *r.guard);
  if (timing == RecordTiming::kInclude) {
    w.Key("latency_s");
    WriteJsonFloat(w, r.latency_s);
  }
  w.EndObject();
}

std::string ItemRecordToJson(const ItemRecord& record, RecordTiming timing) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteItemRecord(w, record, timing);
  return buf.GetString();
}

std::string ItemTimingToJson(const ItemRecord& record) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("latency_s");
  WriteJsonFloat(w, record.latency_s);
  if (record.route) {
    w.Key("route_small_s");
    WriteJsonFloat(w, record.route->small.seconds);
    w.Key("route_large_s");
    WriteJsonFloat(w, record.route->large.seconds);
  }
  if (record.guard) {
    w.Key("guard_s");
    WriteJsonFloat(w, record.guard->seconds);
  }
  w.EndObject();
  return buf.GetString();
}

void ApplyItemTiming(std::string_view json, std::string_view source, ItemRecord& record) {
  const auto doc = ParseJson(json, source);
  if (!doc.IsObject()) Fail(source, ": item timing must be a JSON object");
  auto number = [&](const char* key, double& out) {
    const auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || it->value.IsNull()) return;
    if (!it->value.IsNumber()) Fail(source, ": \"", key, "\" must be a number");
    out = it->value.GetDouble();
  };
  number("latency_s", record.latency_s);
  if (record.route) {
    number("route_small_s", record.route->small.seconds);
    number("route_large_s", record.route->large.seconds);
  }
  if (record.guard) number("guard_s", record.guard->seconds);
}

namespace {

// A record's "route" or "guard" object.
template <class T>
T ParseFields(const rapidjson::Value& v, std::string_view source, const char* key) {
  if (!v.IsObject()) Fail(source, ": \"", key, "\" must be an object");
  T fields;
  FieldReader reader(v, source, StrCat(key, "."));
  VisitFields(fields, reader);
  return fields;
}

}  // namespace

ItemRecord ItemRecordFromJson(std::string_view line, std::string_view source) {
  const auto doc = ParseJson(line, source);
  if (!doc.IsObject()) Fail(source, ": an item record must be a JSON object");
  ItemRecord r;
  auto str = [&](const char* key, std::string& out, bool required) {
    const auto it = doc.FindMember(key);
    if (it == doc.MemberEnd()) {
      if (required) Fail(source, ": item record lacks \"", key, "\"");
      return;
    }
    if (!it->value.IsString()) Fail(source, ": \"", key, "\" must be a string");
    out.assign(it->value.GetString(), it->value.GetStringLength());
  };
  auto i64 = [&](const char* key, int64_t def) -> int64_t {
    const auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || it->value.IsNull()) return def;
    if (!it->value.IsInt64()) Fail(source, ": \"", key, "\" must be an integer");
    return it->value.GetInt64();
  };
  auto opt_bool = [&](const char* key) -> std::optional<bool> {
    const auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || it->value.IsNull()) return std::nullopt;
    if (!it->value.IsBool()) Fail(source, ": \"", key, "\" must be true, false or null");
    return it->value.GetBool();
  };
  str("item_id", r.item_id, true);
  str("suite", r.suite, false);
  str("suite_hash", r.suite_hash, false);
  str("prompt_hash", r.prompt_hash, false);
  std::string kind;
  str("kind", kind, true);
  const auto k = ParseKind(kind);
  if (!k) Fail(source, ": unknown kind '", kind, "'");
  r.kind = *k;
  if (doc.HasMember("tags")) {
    const std::string err = detail::ParseTagsJson(doc["tags"], r.tags);
    if (!err.empty()) Fail(source, ": ", err);
  }
  if (doc.HasMember("shot_ids") && doc["shot_ids"].IsArray()) {
    for (const auto& s : doc["shot_ids"].GetArray()) {
      if (!s.IsString()) Fail(source, ": \"shot_ids\" must hold strings");
      r.shot_ids.emplace_back(s.GetString(), s.GetStringLength());
    }
  }
  str("prediction", r.prediction, false);
  str("reference", r.reference, false);
  str("generation", r.generation, false);
  str("finish_reason", r.finish_reason, false);
  r.gold = static_cast<int>(i64("gold", -1));
  r.pred = static_cast<int>(i64("pred", -1));
  r.pred_norm = static_cast<int>(i64("pred_norm", -1));
  if (doc.HasMember("choice_logprobs") && doc["choice_logprobs"].IsArray()) {
    for (const auto& v : doc["choice_logprobs"].GetArray()) {
      if (!v.IsNumber()) Fail(source, ": \"choice_logprobs\" must hold numbers");
      r.choice_logprobs.push_back(v.GetDouble());
    }
  }
  if (doc.HasMember("choice_tokens") && doc["choice_tokens"].IsArray()) {
    for (const auto& v : doc["choice_tokens"].GetArray()) {
      if (!v.IsInt64()) Fail(source, ": \"choice_tokens\" must hold integers");
      r.choice_tokens.push_back(v.GetInt64());
    }
  }
  r.correct = opt_bool("correct");
  r.correct_norm = opt_bool("correct_norm");
  r.correct_strict = opt_bool("correct_strict");
  if (const auto it = doc.FindMember("score"); it != doc.MemberEnd()) {
    if (!it->value.IsNumber()) Fail(source, ": \"score\" must be a number");
    r.score = it->value.GetDouble();
  }
  r.tokens_in = i64("tokens_in", 0);
  r.tokens_out = i64("tokens_out", 0);
  r.truncated_tokens = i64("truncated_tokens", 0);
  if (doc.HasMember("latency_s") && doc["latency_s"].IsNumber())
    r.latency_s = doc["latency_s"].GetDouble();
  if (const auto it = doc.FindMember("route"); it != doc.MemberEnd()) {
    r.route = ParseFields<RouteRecord>(it->value, source, "route");
  }
  if (const auto it = doc.FindMember("guard"); it != doc.MemberEnd()) {
    r.guard = ParseFields<GuardRecord>(it->value, source, "guard");
  }
  return r;
}

}  // namespace gapbench::suites
