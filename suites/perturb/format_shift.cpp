// format-shift: the same question in another presentation -- other option labels ("(a)", "1."),
// another layout of the options, other question and answer cues, another final-answer phrasing
// -- chosen once per suite by the seed, so an item and its few-shot examples share one format.
//
// The prompt templates (prompt.h) are fixed per style, so the shift is written into the items:
//   multiple choice (letters) becomes a cloze item whose question holds the formatted options and
//     ends in the answer cue, and whose choices are the answer labels: the model scores " (a)",
//     " (b)", ... after "The answer is"; the gold index is unchanged. LME's subject header goes
//     (cloze has none); the subject is named on the item's first line instead.
//   generation (qa) becomes raw: "{Q label} {question}\n{A label}", the worked solution (the
//     few-shot target) ends in "The answer is N." instead of "#### N", and the stop sequence is
//     the new question label. The numeric scorer reads the last number, so the reference is
//     unchanged and a generation in either phrasing still scores.
//
// Numbered labels ("1.", "(1)") are not used for an item whose choices are bare numbers (the
// answer "2" would read as option or value): such an item gets "(a)" labels (tag format says so).
//
// Preserves: the question text, every choice's text and order, the gold index, the reference
// answer, the worked solution's steps, the subject tag (shots stay within the subject).
// Changes: labels, separators, cues, answer phrasing, prompt style (tag format says which).
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "suites/perturb/perturb_internal.h"
#include "suites/prompt.h"
#include "suites/scoring.h"

namespace gapbench::suites::perturb {
namespace {

constexpr size_t kLabelStyles = 5;
constexpr std::string_view kQuestionLabels[] = {"Question: ", "Q: ", ""};
constexpr std::string_view kSubjectLines[] = {"Subject: ", "Topic: ", "["};
constexpr std::string_view kAnswerPhrases[] = {"The answer is",
                                               "Correct option:", "Response:", "Your answer:"};
constexpr std::string_view kLayouts[] = {"one per line", "after 'Options:'", "inline"};
struct QaLabels {
  std::string_view question, answer;
};
constexpr QaLabels kQaLabels[] = {{"Problem:", "Solution:"},
                                  {"Q:", "A:"},
                                  {"Task:", "Worked answer:"},
                                  {"Exercise:", "Reasoning:"}};
constexpr std::string_view kFinalBefore[] = {"The answer is ",
                                             "Final answer: ", "So the answer is ", "Answer: "};
constexpr std::string_view kFinalAfter[] = {".", "", ".", ""};

template <typename T, size_t N>
constexpr size_t Count(const T (&)[N]) {
  return N;
}

// The label shown before option i, and the one the model answers with.
std::pair<std::string, std::string> Label(size_t style, size_t i, size_t n) {
  if (n > 26 && (style == 0 || style == 1 || style == 4)) style = 2;  // letters run out
  const std::string lower(1, static_cast<char>('a' + i));
  const std::string upper(1, static_cast<char>('A' + i));
  const std::string number = std::to_string(i + 1);
  switch (style) {
    case 0:
      return {"(" + lower + ")", "(" + lower + ")"};
    case 1:
      return {lower + ")", lower};
    case 2:
      return {number + ".", number};
    case 3:
      return {"(" + number + ")", "(" + number + ")"};
    default:
      return {"(" + upper + ")", "(" + upper + ")"};
  }
}

// Whether some choice is a bare number ("4", "-2.5", "1,000"): an answer "2" after numbered
// options would then read as either the option or the value.
bool HasNumericChoice(const Item& item) {
  for (const std::string& c : item.choices) {
    if (ParseNumber(PyStrip(c))) return true;
  }
  return false;
}

void ShiftMultipleChoice(Item& item, FormatShift f) {
  if ((f.label_style == 2 || f.label_style == 3) && HasNumericChoice(item)) f.label_style = 0;
  item.tags.extra["format"] = DescribeFormatShift(f, item.kind);
  std::string q;
  if (!item.tags.subject.empty()) {
    std::string subject = item.tags.subject;
    for (char& c : subject) c = c == '_' ? ' ' : c;
    const std::string_view line = kSubjectLines[f.subject_line];
    q += line == "[" ? StrCat("[", subject, "]\n") : StrCat(line, subject, "\n");
  }
  q += kQuestionLabels[f.question_label];
  q += PyStrip(item.question);
  if (f.option_layout == 1) q += "\nOptions:";
  std::vector<std::string> answers;
  for (size_t i = 0; i < item.choices.size(); ++i) {
    const auto [shown, answer] = Label(f.label_style, i, item.choices.size());
    const char* sep = f.option_layout == 2 ? (i == 0 ? "\n" : "   ") : "\n";
    q += StrCat(sep, shown, " ", item.choices[i]);
    answers.push_back(answer);
  }
  q += StrCat("\n", kAnswerPhrases[f.answer_phrase]);
  item.question = std::move(q);
  item.choices = std::move(answers);
  item.style = PromptStyle::kCloze;
}

void ShiftQuestionAnswer(Item& item, const FormatShift& f) {
  const QaLabels& labels = kQaLabels[f.qa_labels];
  const size_t mark = item.solution.rfind("#### ");
  std::string body = item.solution.substr(0, mark);
  if (!body.empty() && body.back() != '\n') body += '\n';
  item.prompt = StrCat(labels.question, " ", item.prompt, "\n", labels.answer);
  item.solution =
      StrCat(" ", body, kFinalBefore[f.final_style], item.reference, kFinalAfter[f.final_style]);
  item.stop = {std::string(labels.question), "</s>", "<|im_end|>"};
  item.style = PromptStyle::kRaw;
}

}  // namespace

FormatShift PickFormatShift(uint64_t seed) {
  PerturbRng rng(seed, "format-shift", "");
  FormatShift f;
  f.label_style = rng.Below(kLabelStyles);
  f.option_layout = rng.Below(Count(kLayouts));
  f.question_label = rng.Below(Count(kQuestionLabels));
  f.subject_line = rng.Below(Count(kSubjectLines));
  f.answer_phrase = rng.Below(Count(kAnswerPhrases));
  f.qa_labels = rng.Below(Count(kQaLabels));
  f.final_style = rng.Below(Count(kFinalBefore));
  return f;
}

std::string DescribeFormatShift(const FormatShift& f, ItemKind kind) {
  if (kind == ItemKind::kMultipleChoice) {
    const auto [shown, answer] = Label(f.label_style, 0, 4);
    return StrCat("labels ", shown, " answered ", answer, "; options ", kLayouts[f.option_layout],
                  "; question cue '", kQuestionLabels[f.question_label], "'; subject line '",
                  kSubjectLines[f.subject_line], "'; answer cue '", kAnswerPhrases[f.answer_phrase],
                  "'");
  }
  const QaLabels& labels = kQaLabels[f.qa_labels];
  return StrCat("labels '", labels.question, "' / '", labels.answer, "'; final '",
                kFinalBefore[f.final_style], "N", kFinalAfter[f.final_style], "'");
}

void ApplyFormatShift(Item& item, const FormatShift& f) {
  if (item.kind == ItemKind::kMultipleChoice) {
    ShiftMultipleChoice(item, f);
  } else {
    item.tags.extra["format"] = DescribeFormatShift(f, item.kind);
    ShiftQuestionAnswer(item, f);
  }
}

}  // namespace gapbench::suites::perturb
