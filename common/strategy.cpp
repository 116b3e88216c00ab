// Strategy entries (see strategy.h).
#include "common/strategy.h"

#include <cmath>
#include <optional>

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

// A guard's string key: `non_empty` for the label continuations; the template must hold
// "{prompt}".
void ReadGuardString(const rapidjson::Value& v, const std::string& path, const char* key,
                     bool non_empty, std::string& out, std::vector<std::string>& errors) {
  const auto it = v.FindMember(key);
  if (it == v.MemberEnd()) return;
  const bool is_template = std::string_view(key) == "template";
  std::string text;
  bool ok = it->value.IsString();
  if (ok) text.assign(it->value.GetString(), it->value.GetStringLength());
  if (ok && non_empty) ok = !text.empty();
  if (ok && is_template) ok = text.find("{prompt}") != std::string::npos;
  if (!ok) {
    errors.push_back(StrCat(path, ".", key, ": expected ",
                            is_template ? "a string holding \"{prompt}\" (the request)"
                            : non_empty ? "a non-empty string (a label continuation)"
                                        : "a string"));
    return;
  }
  out = std::move(text);
}

constexpr const char* kRouteOnlyKeys[] = {"signal", "gen_signal", "gen_threshold"};
constexpr const char* kGuardOnlyKeys[] = {"template", "allow", "refuse", "refusal"};

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
  // Another kind's parameters are an error, named with the kind that takes them.
  for (const char* key : kRouteOnlyKeys) {
    if (c.kind != StrategyKind::kRoute && v.HasMember(key)) {
      errors.push_back(StrCat(path, ".", key, ": only a \"route\" strategy takes it"));
    }
  }
  for (const char* key : kGuardOnlyKeys) {
    if (c.kind != StrategyKind::kGuard && v.HasMember(key)) {
      errors.push_back(StrCat(path, ".", key, ": only a \"guard\" strategy takes it"));
    }
  }
  if (c.kind == StrategyKind::kSingle) {
    if (v.HasMember("threshold")) {
      errors.push_back(StrCat(path, ".threshold: only a \"route\" or \"guard\" strategy takes it"));
    }
    return c;
  }
  if (c.kind == StrategyKind::kGuard) {
    GuardConfig& g = c.guard;
    ReadGuardString(v, path, "template", false, g.prompt_template, errors);
    ReadGuardString(v, path, "allow", true, g.allow, errors);
    ReadGuardString(v, path, "refuse", true, g.refuse, errors);
    ReadGuardString(v, path, "refusal", false, g.refusal, errors);
    ReadThreshold(v, path, "threshold", true, g.threshold, errors);
    if (g.allow == g.refuse) {
      errors.push_back(
          StrCat(path, ".refuse: must differ from \"allow\" (both are \"", g.refuse, "\")"));
    }
    return c;
  }
  RouteConfig& r = c.route;
  ReadSignal(v, path, "signal", true, r.signal, errors);
  ReadSignal(v, path, "gen_signal", false, r.gen_signal, errors);
  ReadThreshold(v, path, "threshold", true, r.threshold, errors);
  ReadThreshold(v, path, "gen_threshold", false, r.gen_threshold, errors);
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
