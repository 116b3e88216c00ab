// Schema helpers: enum names, the canonical content hash, manifest counts.
#include "suites/suite.h"

#include <cstring>

#include "common/hash.h"

namespace gapbench::suites {

std::string_view KindName(ItemKind kind) {
  switch (kind) {
    case ItemKind::kMultipleChoice:
      return "multiple_choice";
    case ItemKind::kGeneration:
      return "generation";
    case ItemKind::kCode:
      return "code";
  }
  return "?";
}

std::string_view MatchRuleName(MatchRule rule) {
  switch (rule) {
    case MatchRule::kExact:
      return "exact";
    case MatchRule::kNumeric:
      return "numeric";
    case MatchRule::kRegex:
      return "regex";
    case MatchRule::kNormalized:
      return "normalized";
  }
  return "?";
}

std::string_view StyleName(PromptStyle style) {
  switch (style) {
    case PromptStyle::kLetters:
      return "letters";
    case PromptStyle::kCloze:
      return "cloze";
    case PromptStyle::kQuestionAnswer:
      return "qa";
    case PromptStyle::kRaw:
      return "raw";
    case PromptStyle::kPartial:
      return "partial";
    case PromptStyle::kIcl:
      return "icl";
  }
  return "?";
}

std::string_view McMetricName(McMetric metric) {
  switch (metric) {
    case McMetric::kAcc:
      return "acc";
    case McMetric::kMc2:
      return "mc2";
    case McMetric::kGreedy:
      return "greedy";
  }
  return "?";
}

std::optional<McMetric> ParseMcMetric(std::string_view s) {
  for (McMetric m : {McMetric::kAcc, McMetric::kMc2, McMetric::kGreedy}) {
    if (s == McMetricName(m)) return m;
  }
  return std::nullopt;
}

std::optional<ItemKind> ParseKind(std::string_view s) {
  for (ItemKind k : {ItemKind::kMultipleChoice, ItemKind::kGeneration, ItemKind::kCode}) {
    if (s == KindName(k)) return k;
  }
  return std::nullopt;
}

std::optional<MatchRule> ParseMatchRule(std::string_view s) {
  for (MatchRule r :
       {MatchRule::kExact, MatchRule::kNumeric, MatchRule::kRegex, MatchRule::kNormalized}) {
    if (s == MatchRuleName(r)) return r;
  }
  return std::nullopt;
}

std::optional<PromptStyle> ParseStyle(std::string_view s) {
  for (PromptStyle p : {PromptStyle::kLetters, PromptStyle::kCloze, PromptStyle::kQuestionAnswer,
                        PromptStyle::kRaw, PromptStyle::kPartial, PromptStyle::kIcl}) {
    if (s == StyleName(p)) return p;
  }
  return std::nullopt;
}

namespace {

// Length-prefixed fields: "ab" + "c" and "a" + "bc" hash differently.
void Field(Fnv1a64& h, std::string_view s) {
  const uint64_t n = s.size();
  h.Update(&n, sizeof(n));
  h.Update(s);
}

void Field(Fnv1a64& h, int64_t v) { h.Update(&v, sizeof(v)); }

void HashItem(Fnv1a64& h, const Item& item) {
  Field(h, KindName(item.kind));
  Field(h, StyleName(item.style));
  Field(h, item.id);
  Field(h, item.question);
  Field(h, static_cast<int64_t>(item.choices.size()));
  for (const auto& c : item.choices) Field(h, c);
  Field(h, static_cast<int64_t>(item.gold));
  // Only a non-default metric enters the hash, so suites from before it keep their hashes.
  if (item.metric != McMetric::kAcc) {
    Field(h, McMetricName(item.metric));
    Field(h, static_cast<int64_t>(item.labels.size()));
    for (int l : item.labels) Field(h, static_cast<int64_t>(l));
  }
  Field(h, item.prompt);
  Field(h, static_cast<int64_t>(item.stop.size()));
  for (const auto& s : item.stop) Field(h, s);
  Field(h, item.reference);
  Field(h, MatchRuleName(item.match));
  // Only present aliases enter the hash, so suites from before them keep their hashes.
  if (!item.aliases.empty()) {
    Field(h, static_cast<int64_t>(item.aliases.size()));
    for (const auto& a : item.aliases) Field(h, a);
  }
  Field(h, item.solution);
  Field(h, item.test);
  Field(h, item.entry_point);
  const Tags& t = item.tags;
  Field(h, t.split);
  Field(h, t.steps ? *t.steps : INT64_MIN);
  // Bit pattern of the double: the hash names exact content, not a rounded display.
  int64_t bits = INT64_MIN;
  if (t.fact_frequency) std::memcpy(&bits, &*t.fact_frequency, sizeof(bits));
  Field(h, bits);
  Field(h, t.subject);
  Field(h, t.family);
  Field(h, static_cast<int64_t>(t.extra.size()));
  for (const auto& [k, v] : t.extra) {
    Field(h, k);
    Field(h, v);
  }
  // `source` is deliberately left out: moving a file must not change the suite's identity.
}

}  // namespace

std::string ContentHash(const std::vector<Item>& items, const std::vector<Item>& fewshot) {
  Fnv1a64 h;
  Field(h, std::string_view("gapbench-suite-v1"));
  Field(h, static_cast<int64_t>(items.size()));
  for (const auto& item : items) HashItem(h, item);
  Field(h, static_cast<int64_t>(fewshot.size()));
  for (const auto& item : fewshot) HashItem(h, item);
  return h.HexDigest();
}

void FinishManifest(Suite& suite) {
  Manifest& m = suite.manifest;
  m.n_items = suite.items.size();
  m.n_fewshot = suite.fewshot.size();
  m.kinds.clear();
  m.subjects.clear();
  m.splits.clear();
  for (const auto& item : suite.items) {
    ++m.kinds[std::string(KindName(item.kind))];
    if (!item.tags.subject.empty()) ++m.subjects[item.tags.subject];
    ++m.splits[item.tags.split];
  }
  m.content_hash = ContentHash(suite.items, suite.fewshot);
}

}  // namespace gapbench::suites
