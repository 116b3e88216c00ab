// Scorers for what a LanguageModel returns: multiple-choice argmax (acc, and LME's acc_norm by
// character length), generation matching (exact / numeric / regex), the Python program a code
// item runs, and the unbiased pass@k estimator.
//
// Not here: running the program (sandbox.h), turning responses into an item record (prompt.h's
// ScoreItem), aggregation and confidence intervals (reports/).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "suites/suite.h"

namespace gapbench::suites {

// Index of the largest log-likelihood (first on ties, as numpy's argmax); -1 when empty.
int ArgmaxAcc(std::span<const double> logprobs);
// LME's acc_norm: argmax of logprob / len(continuation) with len in characters (Unicode code
// points, as Python's len counts). Not llama.cpp's per-token normalisation.
int ArgmaxAccNorm(std::span<const double> logprobs, std::span<const std::string> continuations);
size_t Utf8Length(std::string_view s);  // code points (bytes that are not continuation bytes)
// LME's TruthfulQA MC2: sum(exp(ll) of the true choices) / sum(exp(ll) of all choices), with
// labels 1 = true. Computed relative to the largest log-likelihood, so very negative values do not
// underflow to 0/0. Error unless there is one label per log-likelihood.
double Mc2Score(std::span<const double> logprobs, std::span<const int> labels);

// A number as people write it: optional sign, digits with thousands commas, optional decimals,
// a leading '$' and a trailing '.' allowed ("$1,234.50", "-3", "18."). nullopt otherwise.
std::optional<double> ParseNumber(std::string_view s);
// The last number in `text` with its commas removed ("... is $1,234." -> "1234"), or nullopt.
// A '-' is a sign only when it does not follow a letter or digit ("3-4" -> "3", "4").
std::optional<std::string> LastNumber(std::string_view text);

struct MatchResult {
  bool correct = false;
  std::string extracted;  // what was compared: the trimmed text, the last number, the regex match,
                          // the normalised generation
  std::string matched;    // normalized: the answer (reference or alias) it matched, else ""
};
// Compares a generation with item.reference under item.match:
//   exact    both sides trimmed of surrounding whitespace, then equal
//   numeric  LastNumber(generation) and the reference equal as numbers (relative 1e-9)
//   regex    the reference is a regular expression (RE2 syntax: ECMAScript-like without
//            backreferences or lookaround, see docs/SUITES.md) found anywhere in the
//            generation, in time linear in its length
//   normalized  llm-foundry's InContextLearningGenerationExactMatchAccuracy
//            (llmfoundry/eval/metrics/nlp.py): the generation is cut at the first occurrence of
//            any of item.stop (its early-stopping criteria), then correct when
//            NormalizeAnswer(generation) starts with NormalizeAnswer of the reference or of one
//            of item.aliases (a prefix, as llm-foundry's startswith)
// A regex that does not compile is an Error naming item.source (the loaders reject such items
// first, with RegexError).
MatchResult MatchGeneration(const Item& item, std::string_view generation);
// lm-eval's GSM8K "strict-match" (gsm8k.yaml, the Open LLM Leaderboard's GSM8K score): the
// extracted answer is the first "#### (-?[0-9.,]+)" of the generation, stripped ("[invalid]"
// when there is none); correct when it equals `answer` (the dataset's whole answer text) after
// both drop every "," and "$", everything up to the last "#### " and a final "." (Python's
// re.sub with "\.$": also before a final newline), then ASCII-lowercase. Unlike the numeric rule,
// "#### 1200.00" does not match 1200 and an answer without "#### " never matches.
MatchResult Gsm8kStrictMatch(std::string_view generation, std::string_view answer);

// llm-foundry's normalize_answer (from TriviaQA's evaluation script): '_' -> ' ', lowercase,
// punctuation (Python's string.punctuation and ‘ ’ ´ `) -> ' ', the words "a", "an", "the"
// removed, whitespace runs collapsed to one space and the ends trimmed. Lowercasing is
// utf8proc's per-code-point simple mapping (Python's str.lower differs only for the few code
// points whose lowercase is longer, such as U+0130); invalid UTF-8 bytes read as U+FFFD.
std::string NormalizeAnswer(std::string_view s);
// Why `pattern` is not a valid regex reference, or nullopt when it is.
std::optional<std::string> RegexError(const std::string& pattern);

// The HumanEval program: prompt + completion + "\n" + test + "\n" + "check(" + entry_point + ")".
std::string AssembleProgram(const Item& item, std::string_view completion);

// Chen et al. 2021 unbiased pass@k from n samples with c correct: 1 - C(n-c, k) / C(n, k),
// computed as 1 - prod_{i=n-c+1}^{n} (1 - k / i) (no huge binomials). Error unless
// 0 <= c <= n and 1 <= k <= n.
double PassAtK(int64_t n, int64_t c, int64_t k);

}  // namespace gapbench::suites
