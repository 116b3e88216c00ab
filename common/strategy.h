// Strategy entries (docs/STRATEGIES.md): how one system answers from one model or several. The
// sweep's "strategies" entries and `gapbench eval --small` both come down to a StrategyConfig; the
// model factory (worker/model_factory.h) builds the LanguageModel from it. Validation collects
// every problem with its JSON path ("$.strategies[1].signal"), as the sweep's validation does.
//
// Members (which model file and engine configuration is "small" and "large") are the caller's:
// the sweep resolves aliases, eval takes paths.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

namespace gapbench {

enum class StrategyKind { kSingle, kRoute };

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

struct StrategyConfig {
  StrategyKind kind = StrategyKind::kSingle;
  RouteConfig route;  // kind == kRoute
};

std::string_view StrategyKindName(StrategyKind kind);
std::string_view RouteSignalName(RouteSignal signal);

// The keys of a strategy entry this file reads ("kind", "signal", "threshold", "gen_signal",
// "gen_threshold"); a sweep entry adds "name" and the members' keys.
inline constexpr std::string_view kStrategyConfigKeys[] = {"kind", "signal", "threshold",
                                                           "gen_signal", "gen_threshold"};

// Reads the configuration keys of the strategy object `v` at JSON path `path`; other keys are
// left to the caller. Appends "PATH.key: message" to `errors` for every problem. "kind" defaults
// to "single" (so the legacy {"name": "single"} stays what it was); route parameters on a single
// strategy are an error. Thresholds: [0, 1] for the probability signals, <= 0 for the
// log-probability ones.
StrategyConfig ParseStrategyConfig(const rapidjson::Value& v, const std::string& path,
                                   std::vector<std::string>& errors);

// The same on JSON text (a shard's strategy_json): Error naming `source` and every problem.
StrategyConfig ParseStrategyConfigJson(std::string_view json, std::string_view source);

}  // namespace gapbench
