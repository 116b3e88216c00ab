// Strategy entries (docs/STRATEGIES.md): how one system answers from one model or several. The
// sweep's "strategies" entries and `gapbench eval --small` both come down to a StrategyConfig; the
// model factory (worker/model_factory.h) builds the LanguageModel from it. Validation collects
// every problem with its JSON path ("$.strategies[1].signal"), as the sweep's validation does.
//
// Members (which model file and engine configuration is "small" and "large") are the caller's:
// the sweep resolves aliases, eval takes paths.
#pragma once

#include <rapidjson/document.h>

#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/json.h"

namespace gapbench {

enum class StrategyKind { kSingle, kRoute, kGuard };

// Signals of a routed system's small model; an item is escalated to the large model when its
// signal is below the threshold of its kind.
enum class RouteSignal {
  kTopProb,      // multiple choice: the top choice's probability (softmax over choice log-liks)
  kMargin,       // multiple choice: top probability minus the runner-up's
  kMeanLogprob,  // generation/code: mean log-probability of the small model's tokens
  kMinLogprob,   // generation/code: the smallest token log-probability
};

struct RouteConfig {
  RouteSignal signal = RouteSignal::kTopProb;  // multiple-choice items
  double threshold = 0.5;
  RouteSignal gen_signal = RouteSignal::kMeanLogprob;  // generation and code items
  double gen_threshold = -1.0;
};

// A guarded system (docs/STRATEGIES.md "Guarded model"): the guard model scores the two label
// continuations after `prompt_template` with "{prompt}" replaced by the request; P(refuse) is the
// softmax of the two log-likelihoods, and a request is refused when P(refuse) >= threshold and
// threshold < 1 (0 refuses every request, 1 none). A refused request gets `refusal` and is
// scored as wrong; the protected model answers the others.
struct GuardConfig {
  std::string prompt_template = "{prompt}\nDecision:";  // "template": holds "{prompt}"
  std::string allow = " allow";                         // "allow": the allow continuation
  std::string refuse = " refuse";                       // "refuse": the refuse continuation
  double threshold = 0.5;                               // on P(refuse), in [0, 1]
  std::string refusal = "I can't help with that.";      // the text a refused request gets
};

struct StrategyConfig {
  StrategyKind kind = StrategyKind::kSingle;
  RouteConfig route;  // kind == kRoute
  GuardConfig guard;  // kind == kGuard
};

std::string_view StrategyKindName(StrategyKind kind);
std::string_view RouteSignalName(RouteSignal signal);

// What a parameter's value may be: how the reader checks it (ParseStrategyConfig names the rule
// in its error) and, for signals, which names it takes.
enum class FieldRule {
  kText,          // any string
  kLabel,         // a non-empty string (a label continuation)
  kTemplate,      // a string holding "{prompt}"
  kChoiceSignal,  // RouteSignal "top_prob" or "margin"
  kGenSignal,     // RouteSignal "mean_logprob" or "min_logprob"
  kProbability,   // a number in [0, 1]
  kLogprob,       // a number <= 0
};

// Each kind's parameters, declared once (as gemma.cpp's IFields::VisitFields): the visitor is
// called as v(key, value, default_value, rule) for every parameter, in the order the eval summary
// writes them; `value` is a reference into `c` (const when `c` is). The readers and writers of a
// strategy -- ParseStrategyConfig, the shard key (coordinator/expand.cpp), the eval summary
// (WriteStrategyFieldsJson) -- all walk these lists, so a new parameter is one line here.
template <class Config, class Visitor>
requires std::same_as<std::remove_const_t<Config>, RouteConfig>
void VisitFields(Config& c, Visitor&& v) {
  static const RouteConfig kDefault;
  v("signal", c.signal, kDefault.signal, FieldRule::kChoiceSignal);
  v("threshold", c.threshold, kDefault.threshold, FieldRule::kProbability);
  v("gen_signal", c.gen_signal, kDefault.gen_signal, FieldRule::kGenSignal);
  v("gen_threshold", c.gen_threshold, kDefault.gen_threshold, FieldRule::kLogprob);
}

template <class Config, class Visitor>
requires std::same_as<std::remove_const_t<Config>, GuardConfig>
void VisitFields(Config& c, Visitor&& v) {
  static const GuardConfig kDefault;
  v("template", c.prompt_template, kDefault.prompt_template, FieldRule::kTemplate);
  v("allow", c.allow, kDefault.allow, FieldRule::kLabel);
  v("refuse", c.refuse, kDefault.refuse, FieldRule::kLabel);
  v("threshold", c.threshold, kDefault.threshold, FieldRule::kProbability);
  v("refusal", c.refusal, kDefault.refusal, FieldRule::kText);
}

// The parameters of `c`'s kind (none for a single model).
template <class Config, class Visitor>
requires std::same_as<std::remove_const_t<Config>, StrategyConfig>
void VisitFields(Config& c, Visitor&& v) {
  if (c.kind == StrategyKind::kRoute) VisitFields(c.route, v);
  if (c.kind == StrategyKind::kGuard) VisitFields(c.guard, v);
}

// The keys of a strategy entry ParseStrategyConfig reads: "kind" and every kind's parameters
// (once each); a sweep entry adds "name" and the members' keys.
std::vector<std::string> StrategyConfigKeys();

// Writes `c`'s parameters as members of the object `w` is in (strings, signal names, thresholds
// as numbers); the eval summary's "route" and "guard_strategy" objects.
void WriteStrategyFieldsJson(JsonWriter& w, const StrategyConfig& c);

// Reads the configuration keys of the strategy object `v` at JSON path `path`; other keys are
// left to the caller. Appends "PATH.key: message" to `errors` for every problem. "kind" defaults
// to "single" (so the legacy {"name": "single"} stays what it was); route or guard parameters on
// another kind are an error. Thresholds: [0, 1] for the probability signals and the guard's
// P(refuse), <= 0 for the log-probability ones. Guard: "template" a string holding "{prompt}",
// "allow" and "refuse" two different non-empty strings, "refusal" a string.
StrategyConfig ParseStrategyConfig(const rapidjson::Value& v, const std::string& path,
                                   std::vector<std::string>& errors);

// The same on JSON text (a shard's strategy_json): Error naming `source` and every problem.
StrategyConfig ParseStrategyConfigJson(std::string_view json, std::string_view source);

}  // namespace gapbench
