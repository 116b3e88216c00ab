#include "coordinator/expand.h"

#include <algorithm>
#include <charconv>
#include <type_traits>
#include <unordered_set>

#include "common/error.h"
#include "common/hash.h"
#include "common/json.h"

namespace gapbench::coordinator {
namespace {

// Shortest decimal that round-trips: 0.8 -> "0.8", 0 -> "0".
std::string ShortestDecimal(double x) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), x);
  return std::string(buf, r.ptr);
}

}  // namespace

std::string ShardKey(const Sweep& sweep, const Combination& c, uint64_t seed, size_t begin,
                     size_t end) {
  const ModelSpec& model = sweep.models.at(c.model);
  const EngineSpec& engine = sweep.engines.at(c.engine);
  const StrategySpec& strategy = sweep.strategies.at(c.strategy);
  const SuiteSpec& suite = sweep.suites.at(c.suite);
  GB_CHECK(!model.identity.hash.empty() && !suite.content_hash.empty(),
           "ShardKey on an unvalidated sweep");

  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  auto str = [&](const std::string& s) { return rapidjson::Value(s.c_str(), a); };

  auto identity = [&](const ModelSpec& spec) {
    rapidjson::Value m(rapidjson::kObjectType);
    m.AddMember("bytes", spec.identity.size, a);
    m.AddMember("hash", str(spec.identity.hash), a);
    m.AddMember("scheme", str(std::string(kModelIdentityScheme)), a);
    return m;
  };
  auto config = [&](const EngineSpec& spec) {
    rapidjson::Document engine_doc(&a);
    engine_doc.Parse(spec.config.Canonical().c_str());
    GB_CHECK(!engine_doc.HasParseError(), "EngineConfig::Canonical() is not JSON");
    return rapidjson::Value(engine_doc, a);
  };
  if (strategy.members.empty()) {
    doc.AddMember("model", identity(model), a);
    doc.AddMember("engine", config(engine), a);
    // Every single-model strategy is the same work whatever its name: the key of the legacy
    // {"name": "single"} entry.
    rapidjson::Value st(rapidjson::kObjectType);
    st.AddMember("name", "single", a);
    doc.AddMember("strategy", st, a);
  } else {
    // A routed or guarded system: both members' files and configurations, and the strategy's
    // parameters (thresholds as strings: keys hold no floats).
    GB_CHECK(strategy.members.size() == 2, "a route or guard strategy has two members");
    const bool guard = strategy.config.kind == StrategyKind::kGuard;
    rapidjson::Value m(rapidjson::kObjectType), e(rapidjson::kObjectType);
    const char* roles[] = {guard ? "guard" : "small", "large"};
    for (size_t i = 0; i < 2; ++i) {
      const ModelSpec& ms = sweep.models.at(strategy.members[i].model);
      GB_CHECK(!ms.identity.hash.empty(), "ShardKey on an unvalidated sweep");
      m.AddMember(rapidjson::StringRef(roles[i]), identity(ms), a);
      const EngineSpec& member_engine = sweep.engines.at(strategy.members[i].engine);
      e.AddMember(rapidjson::StringRef(roles[i]), config(member_engine), a);
    }
    doc.AddMember("model", m, a);
    doc.AddMember("engine", e, a);
    // The parameters as common/strategy.h declares them; numbers as their shortest decimal.
    rapidjson::Value st(rapidjson::kObjectType);
    st.AddMember("kind", str(std::string(StrategyKindName(strategy.config.kind))), a);
    VisitFields(strategy.config, [&](const char* key, const auto& value, const auto&, FieldRule) {
      using T = std::remove_cvref_t<decltype(value)>;
      if constexpr (std::is_same_v<T, std::string>) {
        st.AddMember(rapidjson::StringRef(key), str(value), a);
      } else if constexpr (std::is_same_v<T, double>) {
        st.AddMember(rapidjson::StringRef(key), str(ShortestDecimal(value)), a);
      } else {
        static_assert(std::is_same_v<T, RouteSignal>);
        st.AddMember(rapidjson::StringRef(key), str(std::string(RouteSignalName(value))), a);
      }
    });
    doc.AddMember("strategy", st, a);
  }

  doc.AddMember("suite", str(suite.content_hash), a);
  rapidjson::Value items(rapidjson::kArrayType);
  items.PushBack(static_cast<uint64_t>(begin), a).PushBack(static_cast<uint64_t>(end), a);
  doc.AddMember("items", items, a);
  doc.AddMember("seed", seed, a);
  doc.AddMember("samples", suite.samples, a);
  doc.AddMember("fewshot", suite.fewshot, a);
  doc.AddMember("max_tokens", suite.max_tokens, a);
  // A string, not a number: keys hold no floats, whose spelling varies between writers.
  doc.AddMember("temperature", str(ShortestDecimal(suite.temperature)), a);
  if (suite.chat) {  // only then: keys of sweeps without chat stay as they were
    rapidjson::Value chat(rapidjson::kObjectType);
    chat.AddMember("fewshot_as_multiturn", suite.fewshot_as_multiturn, a);
    chat.AddMember("system_prompt", str(suite.system_prompt), a);
    doc.AddMember("chat", chat, a);
  }
  doc.AddMember("result_format", kResultFormatVersion, a);
  return CanonicalJson(doc);
}

Expansion ExpandSweep(const Sweep& sweep) {
  GB_CHECK(sweep.shard_size > 0, "ExpandSweep on an unvalidated sweep");
  Expansion out;
  std::unordered_set<std::string> seen;
  const auto shard_size = static_cast<size_t>(sweep.shard_size);
  for (const Combination& c : sweep.combinations) {
    const SuiteSpec& suite = sweep.suites.at(c.suite);
    for (uint64_t seed : sweep.seeds) {
      for (size_t begin = 0; begin < suite.n_items; begin += shard_size) {
        Shard s;
        s.combination = c;
        s.begin = begin;
        s.end = std::min(suite.n_items, begin + shard_size);
        s.seed = seed;
        s.samples = suite.samples;
        s.key = ShardKey(sweep, c, seed, s.begin, s.end);
        s.id = HashHex(s.key);
        if (!seen.insert(s.id).second) {
          ++out.n_duplicates;
          continue;
        }
        out.n_items += s.end - s.begin;
        out.shards.push_back(std::move(s));
      }
    }
  }
  return out;
}

}  // namespace gapbench::coordinator
