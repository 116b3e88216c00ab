// Few-shot selection, the prompt templates (prompt.h), requests, and scoring into records.
#include "suites/prompt.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <numeric>
#include <string>
#include <utility>

#include "common/error.h"
#include "common/hash.h"
#include "suites/scoring.h"

namespace gapbench::suites {
namespace {

// splitmix64: a tiny, well-mixed generator; the same sequence on every platform.
uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Decodes the code point starting at s[i] (len set); invalid bytes decode as themselves.
uint32_t DecodeAt(std::string_view s, size_t i, size_t& len) {
  const auto c = static_cast<unsigned char>(s[i]);
  len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + len > s.size()) len = 1;
  if (len == 1) return c;
  uint32_t cp = c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  return cp;
}

// Python's str.isspace() set.
bool IsPySpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

std::string Letter(size_t i) { return std::string(1, static_cast<char>('A' + i)); }

}  // namespace

std::string PyStrip(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    size_t len = 0;
    if (!IsPySpace(DecodeAt(s, b, len))) break;
    b += len;
  }
  size_t e = s.size();
  while (e > b) {
    // Step back to the start of the last code point.
    size_t start = e - 1;
    while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t len = 0;
    const uint32_t cp = DecodeAt(s, start, len);
    if (start + len != e || !IsPySpace(cp)) break;
    e = start;
  }
  return std::string(s.substr(b, e - b));
}

std::string FormatHeader(const Item& item) {
  if (item.style != PromptStyle::kLetters || item.tags.subject.empty()) return "";
  std::string subject = item.tags.subject;
  std::replace(subject.begin(), subject.end(), '_', ' ');
  return StrCat("The following are multiple choice questions (with answers) about ", subject,
                ".\n\n");
}

std::string FormatQuery(const Item& item) {
  switch (item.style) {
    case PromptStyle::kLetters: {
      std::string out = PyStrip(item.question);
      for (size_t i = 0; i < item.choices.size(); ++i) {
        out += StrCat("\n", Letter(i), ". ", item.choices[i]);
      }
      out += "\nAnswer:";
      return out;
    }
    case PromptStyle::kCloze:
      return item.question;
    case PromptStyle::kQuestionAnswer:
      return StrCat("Question: ", item.prompt, "\nAnswer:");
    case PromptStyle::kRaw:
    case PromptStyle::kIcl:
      return item.prompt;
    case PromptStyle::kPartial:
      // The context depends on the choice (ItemPrompt::contexts); the gold one stands for the item
      // where one text is needed (a shot's query).
      return item.gold >= 0 && static_cast<size_t>(item.gold) < item.choices.size()
                 ? item.choices[static_cast<size_t>(item.gold)]
                 : "";
  }
  return "";
}

std::vector<std::string> Continuations(const Item& item) {
  std::vector<std::string> out;
  for (size_t i = 0; i < item.choices.size(); ++i) {
    out.push_back(item.style == PromptStyle::kLetters   ? " " + Letter(i)
                  : item.style == PromptStyle::kPartial ? " " + item.question
                                                        : " " + item.choices[i]);
  }
  return out;
}

std::string FormatShot(const Item& shot) {
  std::string target;
  switch (shot.kind) {
    case ItemKind::kMultipleChoice:
      target = Continuations(shot).at(static_cast<size_t>(shot.gold));
      break;
    case ItemKind::kGeneration:
    case ItemKind::kCode:
      target = shot.style == PromptStyle::kQuestionAnswer || shot.style == PromptStyle::kIcl
                   ? " " + shot.solution
                   : shot.solution;
      break;
  }
  // llm-foundry puts its example delimiter "\n" before every example after the first; with its
  // default empty prompt_string that is the same as after every shot.
  if (shot.style == PromptStyle::kIcl) return StrCat(FormatQuery(shot), target, "\n");
  // lm-eval (api/samplers.py get_context) adds the target delimiter, the target and the few-shot
  // delimiter only when the target is a non-empty string: a WinoGrande sentence ending in its
  // blank gives the shot's query alone, glued to what follows. Multiple-choice targets other
  // than the partial suffix are choice indices there, never empty.
  const bool empty_target = shot.kind == ItemKind::kMultipleChoice
                                ? shot.style == PromptStyle::kPartial && shot.question.empty()
                                : shot.solution.empty();
  if (empty_target) return FormatQuery(shot);
  return StrCat(FormatQuery(shot), target, "\n\n");
}

std::vector<const Item*> SelectShots(const Suite& suite, size_t item_index,
                                     const FewShotOptions& options) {
  GB_CHECK(item_index < suite.items.size(), "item index out of range");
  std::vector<const Item*> shots;
  if (options.k <= 0) return shots;
  const Item& item = suite.items[item_index];
  const bool from_pool = options.source == ShotSource::kPool ||
                         (options.source == ShotSource::kAuto && !suite.fewshot.empty());
  if (from_pool && suite.fewshot.empty()) {
    Fail(suite.manifest.name, ": few-shot from the pool requested but the suite has no pool");
  }
  const std::vector<Item>& pool = from_pool ? suite.fewshot : suite.items;
  std::vector<const Item*> candidates;
  for (size_t i = 0; i < pool.size(); ++i) {
    const Item& c = pool[i];
    if (!from_pool && i == item_index) continue;  // never the item itself
    if (c.kind != item.kind || c.style != item.style) continue;
    if (!item.tags.subject.empty() && c.tags.subject != item.tags.subject) continue;
    candidates.push_back(&c);
  }
  const size_t k = static_cast<size_t>(options.k);
  if (candidates.size() < k) {
    Fail(item.source.empty() ? item.id : item.source, ": ", k, "-shot needs ", k,
         " examples of the same kind", item.tags.subject.empty() ? "" : " and subject '",
         item.tags.subject, item.tags.subject.empty() ? "" : "'", " in the ",
         from_pool ? "few-shot pool" : "suite", ", found ", candidates.size());
  }
  if (from_pool && !options.shuffle_pool) {
    shots.assign(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k));
    return shots;
  }
  // Partial Fisher-Yates seeded by (seed, item id): shard-independent and reproducible.
  Fnv1a64 h;
  h.Update(&options.seed, sizeof(options.seed));
  h.Update(item.id);
  uint64_t state = h.Digest();
  for (size_t i = 0; i < k; ++i) {
    const size_t j = i + static_cast<size_t>(SplitMix(state) % (candidates.size() - i));
    std::swap(candidates[i], candidates[j]);
  }
  shots.assign(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k));
  return shots;
}

// ARC draws its shots from the sibling Train (else Dev) file, as lm-eval from the train split
// (arc.cpp). Without one, the automatic source would be the scored test items themselves: an
// error that says which files were looked for, instead of doing that silently.
std::string ArcWithoutPool(const Suite& suite) {
  const std::string name = std::filesystem::path(suite.manifest.path).filename().string();
  std::string train = "ARC-*-Train.jsonl", dev = "ARC-*-Dev.jsonl";
  for (const std::string split : {"-Test", "-Dev"}) {
    const size_t at = name.rfind(split);
    if (at == std::string::npos) continue;
    train = name.substr(0, at) + "-Train" + name.substr(at + split.size());
    dev = name.substr(0, at) + "-Dev" + name.substr(at + split.size());
    break;
  }
  return StrCat(suite.manifest.path, ": ARC draws few-shot examples from its train split, but ",
                "neither ", train, " nor ", dev,
                " is next to it; add one, or run 0-shot (the scored items are not used as "
                "their own examples)");
}

std::string CheckFewShot(const Suite& suite, size_t n_items, const FewShotOptions& options) {
  if (options.k <= 0) return "";
  if (options.source == ShotSource::kAuto && suite.fewshot.empty() &&
      suite.manifest.format == "arc") {
    return ArcWithoutPool(suite);
  }
  n_items = std::min(n_items, suite.items.size());
  const bool from_pool = options.source == ShotSource::kPool ||
                         (options.source == ShotSource::kAuto && !suite.fewshot.empty());
  const std::vector<Item>& pool = from_pool ? suite.fewshot : suite.items;
  // Candidates as SelectShots filters them: same kind and style, and the same subject when the
  // item has one.
  using KindStyle = std::pair<int, int>;
  std::map<KindStyle, size_t> by_kind;
  std::map<std::pair<KindStyle, std::string>, size_t> by_subject;
  for (const Item& c : pool) {
    const KindStyle ks{static_cast<int>(c.kind), static_cast<int>(c.style)};
    ++by_kind[ks];
    ++by_subject[{ks, c.tags.subject}];
  }
  for (size_t i = 0; i < n_items; ++i) {
    const Item& item = suite.items[i];
    const KindStyle ks{static_cast<int>(item.kind), static_cast<int>(item.style)};
    size_t n = item.tags.subject.empty() ? by_kind[ks] : by_subject[{ks, item.tags.subject}];
    if (!from_pool && n > 0) --n;  // never the item itself
    if (n < static_cast<size_t>(options.k)) {
      try {
        SelectShots(suite, i, options);
      } catch (const Error& e) {
        return e.what();
      }
    }
  }
  return "";
}

std::vector<ChatMessage> BuildChat(const Suite& suite, size_t item_index,
                                   const FewShotOptions& options, const ChatOptions& chat) {
  const Item& item = suite.items.at(item_index);
  if (item.kind != ItemKind::kGeneration) {
    Fail(item.source.empty() ? item.id : item.source, ": item '", item.id,
         "': chat templates apply to generation items only");
  }
  // lm-eval: system_instruction + fewshot_delimiter + description, either alone, or nothing.
  const std::string description = FormatHeader(item);
  const std::string system = !chat.system_prompt.empty() && !description.empty()
                                 ? StrCat(chat.system_prompt, "\n\n", description)
                                 : chat.system_prompt + description;
  std::vector<ChatMessage> messages;
  if (!system.empty()) messages.push_back({"system", system});
  const std::vector<const Item*> shots = SelectShots(suite, item_index, options);
  if (chat.fewshot_as_multiturn) {
    for (const Item* shot : shots) {
      messages.push_back({"user", FormatQuery(*shot)});
      messages.push_back({"assistant", shot->solution});
    }
  } else if (!shots.empty()) {
    std::string block;
    for (const Item* shot : shots) block += FormatShot(*shot);
    messages.push_back({"user", block});
  }
  // append_target_question: a new user turn, or appended to the few-shot user turn.
  if (!chat.fewshot_as_multiturn && !messages.empty() && messages.back().role == "user") {
    messages.back().content += FormatQuery(item);
  } else {
    messages.push_back({"user", FormatQuery(item)});
  }
  return messages;
}

std::string CheckChat(const Suite& suite, size_t n_items) {
  n_items = std::min(n_items, suite.items.size());
  for (size_t i = 0; i < n_items; ++i) {
    const Item& item = suite.items[i];
    if (item.kind == ItemKind::kGeneration) continue;
    return StrCat(suite.manifest.name, ": item '", item.id, "' is ",
                  item.kind == ItemKind::kCode ? "code" : "multiple choice",
                  "; chat templates apply to generation items only (GSM8K-style suites)");
  }
  return "";
}

ItemPrompt BuildPrompt(const Suite& suite, size_t item_index, const FewShotOptions& options,
                       const ChatOptions& chat) {
  const Item& item = suite.items.at(item_index);
  ItemPrompt p;
  if (chat.chat_template != nullptr) {
    for (const Item* shot : SelectShots(suite, item_index, options)) p.shot_ids.push_back(shot->id);
    p.context = chat.chat_template->Render(BuildChat(suite, item_index, options, chat), true);
    p.prompt_hash = HashHex(p.context);
    return p;
  }
  p.context = FormatHeader(item);
  for (const Item* shot : SelectShots(suite, item_index, options)) {
    p.context += FormatShot(*shot);
    p.shot_ids.push_back(shot->id);
  }
  if (item.style == PromptStyle::kPartial) {
    // LME's multiple-input requests: (shots + choice, " " + shared continuation) per choice.
    std::string all;
    for (const auto& c : item.choices) {
      p.contexts.push_back(p.context + c);
      all += p.contexts.back();
      all += '\0';
    }
    p.continuations = Continuations(item);
    p.prompt_hash = HashHex(all);
    return p;
  }
  p.context += FormatQuery(item);
  if (item.kind == ItemKind::kMultipleChoice) p.continuations = Continuations(item);
  p.prompt_hash = HashHex(p.context);
  return p;
}

ItemRequests BuildRequests(const Suite& suite, size_t item_index, const FewShotOptions& options,
                           const GenRequest& gen_defaults, const ChatOptions& chat) {
  ItemRequests r;
  r.prompt = BuildPrompt(suite, item_index, options, chat);
  const Item& item = suite.items[item_index];
  if (item.kind == ItemKind::kMultipleChoice) {
    for (size_t i = 0; i < r.prompt.continuations.size(); ++i) {
      const std::string& ctx = r.prompt.contexts.empty() ? r.prompt.context : r.prompt.contexts[i];
      r.loglik.push_back({ctx, r.prompt.continuations[i]});
    }
  } else {
    GenRequest g = gen_defaults;
    g.prompt = r.prompt.context;
    g.parse_special = chat.chat_template != nullptr;
    g.stop = item.stop;
    r.gen.push_back(std::move(g));
  }
  return r;
}

ItemRecord ScoreItem(const Suite& suite, size_t item_index, const ItemRequests& requests,
                     std::span<const LoglikResponse> loglik, std::span<const Generation> gen) {
  const Item& item = suite.items.at(item_index);
  ItemRecord rec;
  rec.item_id = item.id;
  rec.suite = suite.manifest.name;
  rec.suite_hash = suite.manifest.content_hash;
  rec.prompt_hash = requests.prompt.prompt_hash;
  rec.kind = item.kind;
  rec.tags = item.tags;
  rec.shot_ids = requests.prompt.shot_ids;
  auto label = [&](int i) {
    return item.style == PromptStyle::kLetters ? Letter(static_cast<size_t>(i)) : std::to_string(i);
  };
  if (item.kind == ItemKind::kMultipleChoice) {
    if (loglik.size() != item.choices.size()) {
      Fail(item.id, ": ", loglik.size(), " log-likelihoods for ", item.choices.size(), " choices");
    }
    for (size_t i = 0; i < loglik.size(); ++i) {
      if (loglik[i].n_tokens <= 0) {
        Fail(item.id, ": continuation '", requests.prompt.continuations[i],
             "' scored with zero tokens (tokenisation boundary problem)");
      }
      rec.choice_logprobs.push_back(loglik[i].logprob);
      rec.choice_tokens.push_back(loglik[i].n_tokens);
      rec.tokens_in += loglik[i].n_tokens;
    }
    rec.tokens_in += loglik.empty() ? 0 : loglik[0].context_tokens;
    for (const auto& l : loglik)
      rec.truncated_tokens = std::max(rec.truncated_tokens, l.truncated_tokens);
    rec.pred = ArgmaxAcc(rec.choice_logprobs);
    // LME divides by len(choice) as doc_to_choice gives it: without the target delimiter, and
    // for letters style the letter itself.
    std::vector<std::string> norm_text;
    for (size_t i = 0; i < item.choices.size(); ++i) {
      norm_text.push_back(item.style == PromptStyle::kLetters ? Letter(i) : item.choices[i]);
    }
    rec.pred_norm = ArgmaxAccNorm(rec.choice_logprobs, norm_text);
    rec.gold = item.gold;
    rec.prediction = label(rec.pred);
    rec.reference = label(item.gold);
    switch (item.metric) {
      case McMetric::kAcc:
        rec.correct = rec.pred == item.gold;
        rec.correct_norm = rec.pred_norm == item.gold;
        break;
      case McMetric::kMc2:
        rec.score = Mc2Score(rec.choice_logprobs, item.labels);
        rec.correct = item.labels.at(static_cast<size_t>(rec.pred)) == 1;
        break;
      case McMetric::kGreedy:
        rec.correct = loglik[0].greedy;
        break;
    }
    return rec;
  }
  if (gen.size() != 1) Fail(item.id, ": expected one generation, got ", gen.size());
  rec.generation = gen[0].text;
  rec.finish_reason = gen[0].finish_reason;
  rec.tokens_in = gen[0].prompt_tokens;
  rec.tokens_out = gen[0].completion_tokens;
  rec.truncated_tokens = gen[0].truncated_tokens;
  if (item.kind == ItemKind::kGeneration) {
    const MatchResult m = MatchGeneration(item, gen[0].text);
    rec.prediction = m.extracted;
    // match normalized: the accepted answer (reference or alias) the generation matched.
    rec.reference = m.matched.empty() ? item.reference : m.matched;
    rec.correct = m.correct;
    if (suite.manifest.format == "gsm8k") {
      rec.correct_strict = Gsm8kStrictMatch(gen[0].text, item.solution).correct;
    }
  } else {
    rec.prediction = gen[0].text;
    rec.reference = item.entry_point;
  }
  return rec;
}

}  // namespace gapbench::suites
