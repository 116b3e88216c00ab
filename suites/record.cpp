// JSON for items (native JSONL form), tags and item records.
#include "suites/record.h"

#include <limits>

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
  if (r.route) {
    const RouteRecord& rr = *r.route;
    w.Key("route");
    w.StartObject();
    Str(w, "signal", rr.signal);
    w.Key("value");
    WriteJsonFloat(w, rr.value);
    w.Key("threshold");
    WriteJsonFloat(w, rr.threshold);
    w.Key("escalated");
    w.Bool(rr.escalated);
    for (const auto& [key, m] :
         {std::pair<const char*, const RouteMember*>{"small", &rr.small}, {"large", &rr.large}}) {
      w.Key(key);
      w.StartObject();
      Str(w, "prediction", m->prediction);
      OptBool(w, "correct", m->correct);
      if (m->score) {
        w.Key("score");
        WriteJsonFloat(w, *m->score);
      }
      w.Key("tokens_in");
      w.Int64(m->tokens_in);
      w.Key("tokens_out");
      w.Int64(m->tokens_out);
      if (timing == RecordTiming::kInclude) {
        w.Key("seconds");
        WriteJsonFloat(w, m->seconds);
      }
      w.EndObject();
    }
    w.EndObject();
  }
  if (r.guard) {
    const GuardRecord& g = *r.guard;
    w.Key("guard");
    w.StartObject();
    w.Key("p_refuse");
    WriteJsonFloat(w, g.p_refuse);
    w.Key("threshold");
    WriteJsonFloat(w, g.threshold);
    w.Key("refused");
    w.Bool(g.refused);
    w.Key("tokens");
    w.Int64(g.tokens);
    if (timing == RecordTiming::kInclude) {
      w.Key("seconds");
      WriteJsonFloat(w, g.seconds);
    }
    w.EndObject();
  }
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

RouteRecord ParseRoute(const rapidjson::Value& v, std::string_view source) {
  if (!v.IsObject()) Fail(source, ": \"route\" must be an object");
  RouteRecord r;
  auto num = [&](const rapidjson::Value& o, const char* key, const char* where) -> double {
    const auto it = o.FindMember(key);
    // null: a non-finite value as WriteJsonFloat writes it (a NaN signal from NaN logits); read
    // back as NaN, so the record loads and the metrics leave the item out as unscored.
    if (it != o.MemberEnd() && it->value.IsNull()) return std::numeric_limits<double>::quiet_NaN();
    if (it == o.MemberEnd() || !it->value.IsNumber()) {
      Fail(source, ": \"", where, key, "\" must be a number or null");
    }
    return it->value.GetDouble();
  };
  auto i64 = [&](const rapidjson::Value& o, const char* key, const char* where) -> int64_t {
    const auto it = o.FindMember(key);
    if (it == o.MemberEnd() || it->value.IsNull()) return 0;
    if (!it->value.IsInt64()) Fail(source, ": \"", where, key, "\" must be an integer");
    return it->value.GetInt64();
  };
  if (const auto it = v.FindMember("signal"); it != v.MemberEnd() && it->value.IsString()) {
    r.signal = it->value.GetString();
  }
  r.value = num(v, "value", "route.");
  r.threshold = num(v, "threshold", "route.");
  if (const auto it = v.FindMember("escalated"); it == v.MemberEnd() || !it->value.IsBool()) {
    Fail(source, ": \"route.escalated\" must be true or false");
  } else {
    r.escalated = it->value.GetBool();
  }
  for (const auto& [key, m] :
       {std::pair<const char*, RouteMember*>{"small", &r.small}, {"large", &r.large}}) {
    const auto it = v.FindMember(key);
    if (it == v.MemberEnd() || !it->value.IsObject()) {
      Fail(source, ": \"route.", key, "\" must be an object");
    }
    const rapidjson::Value& o = it->value;
    const std::string where = StrCat("route.", key, ".");
    if (const auto p = o.FindMember("prediction"); p != o.MemberEnd() && p->value.IsString()) {
      m->prediction.assign(p->value.GetString(), p->value.GetStringLength());
    }
    if (const auto c = o.FindMember("correct"); c != o.MemberEnd() && !c->value.IsNull()) {
      if (!c->value.IsBool()) Fail(source, ": \"", where, "correct\" must be true, false or null");
      m->correct = c->value.GetBool();
    }
    if (o.HasMember("score")) m->score = num(o, "score", where.c_str());
    m->tokens_in = i64(o, "tokens_in", where.c_str());
    m->tokens_out = i64(o, "tokens_out", where.c_str());
    if (const auto s = o.FindMember("seconds"); s != o.MemberEnd() && s->value.IsNumber()) {
      m->seconds = s->value.GetDouble();
    }
  }
  return r;
}

GuardRecord ParseGuard(const rapidjson::Value& v, std::string_view source) {
  if (!v.IsObject()) Fail(source, ": \"guard\" must be an object");
  GuardRecord g;
  auto num = [&](const char* key) -> double {
    const auto it = v.FindMember(key);
    // null: a non-finite value as WriteJsonFloat writes it (NaN logits): left out as unscored.
    if (it != v.MemberEnd() && it->value.IsNull()) return std::numeric_limits<double>::quiet_NaN();
    if (it == v.MemberEnd() || !it->value.IsNumber()) {
      Fail(source, ": \"guard.", key, "\" must be a number or null");
    }
    return it->value.GetDouble();
  };
  g.p_refuse = num("p_refuse");
  g.threshold = num("threshold");
  if (const auto it = v.FindMember("refused"); it == v.MemberEnd() || !it->value.IsBool()) {
    Fail(source, ": \"guard.refused\" must be true or false");
  } else {
    g.refused = it->value.GetBool();
  }
  if (const auto it = v.FindMember("tokens"); it != v.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsInt64()) Fail(source, ": \"guard.tokens\" must be an integer");
    g.tokens = it->value.GetInt64();
  }
  if (const auto it = v.FindMember("seconds"); it != v.MemberEnd() && it->value.IsNumber()) {
    g.seconds = it->value.GetDouble();
  }
  return g;
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
    r.route = ParseRoute(it->value, source);
  }
  if (const auto it = doc.FindMember("guard"); it != doc.MemberEnd()) {
    r.guard = ParseGuard(it->value, source);
  }
  return r;
}

}  // namespace gapbench::suites
