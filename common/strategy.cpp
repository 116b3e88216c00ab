// Strategy entries (see strategy.h).
#include "common/strategy.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <type_traits>
#include <utility>

#include "common/error.h"
#include "common/json.h"

namespace gapbench {
namespace {

struct SignalName {
  RouteSignal signal;
  std::string_view name;
  bool choice;  // a multiple-choice signal (else a generation signal)
};
constexpr SignalName kSignals[] = {{RouteSignal::kTopProb, "top_prob", true},
                                   {RouteSignal::kMargin, "margin", true},
                                   {RouteSignal::kMeanLogprob, "mean_logprob", false},
                                   {RouteSignal::kMinLogprob, "min_logprob", false}};

void ReadSignal(const rapidjson::Value& v, const std::string& path, const char* key, bool choice,
                RouteSignal& out, std::vector<std::string>& errors) {
  const auto it = v.FindMember(key);
  if (it == v.MemberEnd()) return;
  const std::string names = choice ? "\"top_prob\" or \"margin\""
                                   : "\"mean_logprob\" or "
                                     "\"min_logprob\"";
  if (it->value.IsString()) {
    const std::string_view name(it->value.GetString(), it->value.GetStringLength());
    for (const auto& s : kSignals) {
      if (s.name == name && s.choice == choice) {
        out = s.signal;
        return;
      }
    }
  }
  errors.push_back(StrCat(path, ".", key, ": expected ", names,
                          choice ? " (the multiple-choice signal)" : " (the generation signal)"));
}

void ReadThreshold(const rapidjson::Value& v, const std::string& path, const char* key,
                   bool probability, double& out, std::vector<std::string>& errors) {
  const auto it = v.FindMember(key);
  if (it == v.MemberEnd()) return;
  const bool ok = it->value.IsNumber() && std::isfinite(it->value.GetDouble()) &&
                  (probability ? it->value.GetDouble() >= 0 && it->value.GetDouble() <= 1
                               : it->value.GetDouble() <= 0);
  if (!ok) {
    errors.push_back(
        StrCat(path, ".", key, ": expected a number ",
               probability ? "in [0, 1] (a probability)" : "<= 0 (a log-probability)"));
    return;
  }
  out = it->value.GetDouble();
}

// A string parameter, checked by its rule (a label continuation non-empty, the template holding
// "{prompt}").
void ReadString(const rapidjson::Value& v, const std::string& path, const char* key, FieldRule rule,
                std::string& out, std::vector<std::string>& errors) {
  const auto it = v.FindMember(key);
  if (it == v.MemberEnd()) return;
  std::string text;
  bool ok = it->value.IsString();
  if (ok) text.assign(it->value.GetString(), it->value.GetStringLength());
  if (ok && rule == FieldRule::kLabel) ok = !text.empty();
  if (ok && rule == FieldRule::kTemplate) ok = text.find("{prompt}") != std::string::npos;
  if (!ok) {
    errors.push_back(
        StrCat(path, ".", key, ": expected ",
               rule == FieldRule::kTemplate ? "a string holding \"{prompt}\" (the request)"
               : rule == FieldRule::kLabel  ? "a non-empty string (a label continuation)"
                                            : "a string"));
    return;
  }
  out = std::move(text);
}

constexpr StrategyKind kKinds[] = {StrategyKind::kSingle, StrategyKind::kRoute,
                                   StrategyKind::kGuard};

// The parameter keys of `kind` (VisitFields' order).
std::vector<std::string> KeysOf(StrategyKind kind) {
  StrategyConfig c;
  c.kind = kind;
  std::vector<std::string> keys;
  VisitFields(std::as_const(c), [&](const char* key, const auto&, const auto&, FieldRule) {
    keys.emplace_back(key);
  });
  return keys;
}

bool Contains(const std::vector<std::string>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace

std::string_view StrategyKindName(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kRoute:
      return "route";
    case StrategyKind::kGuard:
      return "guard";
    case StrategyKind::kSingle:
      break;
  }
  return "single";
}

std::string_view RouteSignalName(RouteSignal signal) {
  for (const auto& s : kSignals) {
    if (s.signal == signal) return s.name;
  }
  return "?";
}

std::vector<std::string> StrategyConfigKeys() {
  std::vector<std::string> keys = {"kind"};
  for (StrategyKind kind : kKinds) {
    for (auto& key : KeysOf(kind)) {
      if (!Contains(keys, key)) keys.push_back(std::move(key));
    }
  }
  return keys;
}

void WriteStrategyFieldsJson(JsonWriter& w, const StrategyConfig& c) {
  VisitFields(c, [&](const char* key, const auto& value, const auto&, FieldRule) {
    using T = std::remove_cvref_t<decltype(value)>;
    w.Key(key);
    if constexpr (std::is_same_v<T, std::string>) {
      WriteJsonString(w, value);
    } else if constexpr (std::is_same_v<T, double>) {
      WriteJsonFloat(w, value);
    } else {
      static_assert(std::is_same_v<T, RouteSignal>);
      WriteJsonString(w, RouteSignalName(value));
    }
  });
}

StrategyConfig ParseStrategyConfig(const rapidjson::Value& v, const std::string& path,
                                   std::vector<std::string>& errors) {
  StrategyConfig c;
  if (!v.IsObject()) {
    errors.push_back(StrCat(path, ": expected a strategy object"));
    return c;
  }
  if (const auto it = v.FindMember("kind"); it != v.MemberEnd()) {
    const std::string kind = it->value.IsString() ? it->value.GetString() : "";
    if (kind == "route") {
      c.kind = StrategyKind::kRoute;
    } else if (kind == "guard") {
      c.kind = StrategyKind::kGuard;
    } else if (kind != "single") {
      errors.push_back(StrCat(path, ".kind: expected \"single\", \"route\" or \"guard\""));
    }
  }
  // Another kind's parameters are an error, named with the kinds that take them.
  const std::vector<std::string> own = KeysOf(c.kind);
  for (const std::string& key : StrategyConfigKeys()) {
    if (key == "kind" || Contains(own, key) || !v.HasMember(key.c_str())) continue;
    std::string takers;
    for (StrategyKind kind : kKinds) {
      if (Contains(KeysOf(kind), key)) {
        takers += StrCat(takers.empty() ? "" : " or ", "\"", StrategyKindName(kind), "\"");
      }
    }
    errors.push_back(StrCat(path, ".", key, ": only a ", takers, " strategy takes it"));
  }
  // The kind's own parameters; an absent key keeps its default.
  VisitFields(c, [&](const char* key, auto& value, const auto& default_value, FieldRule rule) {
    using T = std::remove_cvref_t<decltype(value)>;
    value = default_value;
    if constexpr (std::is_same_v<T, std::string>) {
      ReadString(v, path, key, rule, value, errors);
    } else if constexpr (std::is_same_v<T, double>) {
      ReadThreshold(v, path, key, rule == FieldRule::kProbability, value, errors);
    } else {
      static_assert(std::is_same_v<T, RouteSignal>);
      ReadSignal(v, path, key, rule == FieldRule::kChoiceSignal, value, errors);
    }
  });
  if (c.kind == StrategyKind::kGuard && c.guard.allow == c.guard.refuse) {
    errors.push_back(
        StrCat(path, ".refuse: must differ from \"allow\" (both are \"", c.guard.refuse, "\")"));
  }
  return c;
}

StrategyConfig ParseStrategyConfigJson(std::string_view json, std::string_view source) {
  const auto doc = ParseJson(json, source);
  std::vector<std::string> errors;
  StrategyConfig c = ParseStrategyConfig(doc, "$", errors);
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += StrCat(all.empty() ? "" : "; ", e);
    Fail(source, ": ", all);
  }
  return c;
}

}  // namespace gapbench
