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

}  // namespace

std::string_view StrategyKindName(StrategyKind kind) {
  return kind == StrategyKind::kRoute ? "route" : "single";
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
    } else if (kind != "single") {
      errors.push_back(StrCat(path, ".kind: expected \"single\" or \"route\""));
    }
  }
  if (c.kind == StrategyKind::kSingle) {
    for (const char* key : {"signal", "threshold", "gen_signal", "gen_threshold"}) {
      if (v.HasMember(key)) {
        errors.push_back(StrCat(path, ".", key, ": only a \"route\" strategy takes it"));
      }
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
