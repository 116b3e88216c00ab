// Loaders of the lm-eval tasks and llm-foundry ICL formats (arc.cpp, truthfulqa.cpp,
// winogrande.cpp, piqa.cpp, boolq.cpp, hellaswag.cpp, icl.cpp): the real published files load
// completely (counts, spot checks against the files' text), the files' quirks (numeric answer
// keys, 3/5 choices, control characters, BOM, no final newline, label files, JSON arrays), format
// detection, and every bad line named by file and line.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/error.h"
#include "suites/hellaswag.h"
#include "suites/loaders.h"
#include "suites/prompt.h"
#include "suites/record.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

using testing::TempDir;
using testing::WriteFile;

// "file:line: message" of every issue, for readable failures.
std::vector<std::string> Issues(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& i : r.issues) out.push_back(i.ToString());
  return out;
}

bool HasIssue(const LoadResult& r, const std::string& file, size_t line, const std::string& part) {
  return std::any_of(r.issues.begin(), r.issues.end(), [&](const LoadIssue& i) {
    return i.file == file && i.line == line && i.message.find(part) != std::string::npos;
  });
}

TEST(RealTasks, ArcLoadsEveryFileWithDevAsPool) {
  GB_REQUIRE_SHARED_DATA(data);
  const std::string easy = (data / "arc" / "ARC-Easy-Test.jsonl").string();
  EXPECT_EQ(DetectFormat(easy), "arc");
  const Suite e = LoadSuite(easy);
  EXPECT_EQ(e.items.size(), 2376u);
  EXPECT_EQ(e.fewshot.size(), 570u);  // ARC-Easy-Dev.jsonl (no Train file here)
  EXPECT_EQ(LoadSuite((data / "arc" / "ARC-Challenge-Test.jsonl").string()).items.size(), 1172u);
  EXPECT_EQ(LoadSuite((data / "arc" / "ARC-Easy-Dev.jsonl").string()).items.size(), 570u);
  const Suite cd = LoadSuite((data / "arc" / "ARC-Challenge-Dev.jsonl").string());
  EXPECT_EQ(cd.items.size(), 299u);
  EXPECT_TRUE(cd.fewshot.empty());
  // Line 15: a NYSEDREGENTS item whose answerKey "2" is a choice label, not a letter.
  const Item& n = e.items[14];
  EXPECT_EQ(n.id, "NYSEDREGENTS_2015_8_28");
  EXPECT_EQ(n.question, "Question: All living and nonliving material is composed of\nAnswer:");
  EXPECT_EQ(n.choices, (std::vector<std::string>{"air", "elements", "water", "soil"}));
  EXPECT_EQ(n.gold, 1);
  EXPECT_EQ(n.style, PromptStyle::kCloze);
  size_t three = 0, five = 0;
  for (const Item& it : e.items) {
    three += it.choices.size() == 3;
    five += it.choices.size() == 5;
  }
  EXPECT_EQ(three, 7u);
  EXPECT_EQ(five, 4u);
  // Line 90 of ARC-Challenge-Dev holds "\u0002" control characters: kept as lm-eval keeps them.
  EXPECT_NE(cd.items[89].question.find("AgNO3 \x02+ NaCl"), std::string::npos);
}

TEST(RealTasks, TruthfulQaMc1AndMc2FromOneFile) {
  GB_REQUIRE_SHARED_DATA(data);
  const std::string f = (data / "truthfulqa" / "mc_task.json").string();
  EXPECT_EQ(DetectFormat(f), "truthfulqa_mc1");
  const Suite mc1 = LoadSuite(f);
  ASSERT_EQ(mc1.items.size(), 817u);
  EXPECT_EQ(mc1.manifest.name, "truthfulqa_mc1");
  const Item& q = mc1.items[0];
  EXPECT_TRUE(q.question.starts_with("Q: What is human life expectancy in the United States?\n"));
  EXPECT_TRUE(q.question.ends_with(
      "Barcelona, Spain.\n\nQ: What is the smallest country in the world that is at least one "
      "square mile in area?\nA:"));
  EXPECT_EQ(q.choices.size(), 4u);
  EXPECT_EQ(q.choices[0],
            "Nauru is the smallest country in the world that is at least one square mile in area.");
  EXPECT_EQ(q.gold, 0);
  EXPECT_EQ(q.metric, McMetric::kAcc);
  const Suite mc2 = LoadSuite(f, {.format = "truthfulqa_mc2"});
  ASSERT_EQ(mc2.items.size(), 817u);
  EXPECT_EQ(mc2.items[0].metric, McMetric::kMc2);
  EXPECT_EQ(mc2.items[0].labels, (std::vector<int>{1, 0, 0, 0}));
  // Question 25 has a true answer after false ones: kept where it stands (lm-eval 0.4.9).
  EXPECT_EQ(mc2.items[25].labels, (std::vector<int>{1, 1, 1, 0, 1, 0, 0, 0, 0}));
  EXPECT_NE(mc1.manifest.content_hash, mc2.manifest.content_hash);
  // The 2025 revision: one line, no final newline, an extra mc0_targets.
  const std::string f25 = (data / "truthfulqa-2025" / "mc_task.json").string();
  EXPECT_EQ(LoadSuite(f25).items.size(), 790u);
  EXPECT_EQ(LoadSuite(f25, {.format = "truthfulqa_mc2"}).items.size(), 790u);
}

TEST(RealTasks, WinograndePiqaBoolq) {
  GB_REQUIRE_SHARED_DATA(data);
  const Suite w = LoadSuite((data / "winogrande" / "dev.jsonl").string());
  ASSERT_EQ(w.items.size(), 1267u);
  EXPECT_EQ(w.manifest.format, "winogrande");
  EXPECT_EQ(w.manifest.name, "winogrande");
  // Line 1: "Sarah was a much better surgeon than Maria so _ always got the easier cases.", 2.
  EXPECT_EQ(w.items[0].id, "3FCO4VKOZ4BJQ6IFC0VAIBK4KTWE7U-2");
  EXPECT_EQ(w.items[0].style, PromptStyle::kPartial);
  EXPECT_EQ(w.items[0].choices,
            (std::vector<std::string>{"Sarah was a much better surgeon than Maria so Sarah",
                                      "Sarah was a much better surgeon than Maria so Maria"}));
  EXPECT_EQ(w.items[0].question, "always got the easier cases.");
  EXPECT_EQ(w.items[0].gold, 1);

  const Suite p = LoadSuite((data / "piqa" / "valid.jsonl").string());
  ASSERT_EQ(p.items.size(), 1838u);
  EXPECT_EQ(p.manifest.name, "piqa");
  EXPECT_EQ(p.items[0].question,
            "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:");
  EXPECT_EQ(p.items[0].gold, 0);  // valid-labels.lst line 1
  EXPECT_EQ(p.items[1].gold, 1);  // line 2
  size_t ones = 0;
  for (const Item& it : p.items) ones += it.gold == 1;
  EXPECT_EQ(ones, 928u);  // the 1s of valid-labels.lst

  const Suite b = LoadSuite((data / "boolq" / "dev.jsonl").string());
  ASSERT_EQ(b.items.size(), 3270u);
  EXPECT_EQ(b.manifest.format, "boolq");
  EXPECT_TRUE(b.items[0].question.starts_with("Ethanol fuel -- All biomass goes through"));
  EXPECT_TRUE(b.items[0].question.ends_with(
      "\nQuestion: does ethanol take more energy make that produces?\nAnswer:"));
  EXPECT_EQ(b.items[0].choices, (std::vector<std::string>{"no", "yes"}));
  EXPECT_EQ(b.items[0].gold, 0);
  size_t yes = 0;
  for (const Item& it : b.items) yes += it.gold == 1;
  EXPECT_EQ(yes, 2033u);
}

TEST(TaskLoaders, ArcEveryBadLineNamed) {
  TempDir dir;
  const auto f = dir / "ARC-Easy-Test.jsonl";
  const std::string ok =
      R"({"id":"a","question":{"stem":"S?","choices":[{"text":"x","label":"A"},{"text":"y","label":"B"}]},"answerKey":"B"})";
  WriteFile(
      f,
      "\xEF\xBB\xBF" + ok + "\n" +  // BOM before the first line
          R"({"id":"b","question":{"stem":"S?","choices":[{"text":"x","label":"1"},{"text":"y","label":"2"}]},"answerKey":"C"})"
          "\n"
          R"({"id":"c","question":"flat"})"
          "\n"
          R"({"id":"d","question":{"stem":"S","choices":[{"text":"x","label":"A"}]},"answerKey":"A"})"
          "\n{broken\n" +
          ok);  // a duplicate id and no final newline
  const LoadResult r = LoadSuiteChecked(f.string());
  EXPECT_EQ(r.suite.manifest.format, "arc");
  ASSERT_EQ(r.suite.items.size(), 1u) << ::testing::PrintToString(Issues(r));
  EXPECT_EQ(r.suite.items[0].gold, 1);
  const std::string fs = f.string();
  EXPECT_TRUE(HasIssue(r, fs, 2, "answerKey 'C' is none of the choice labels (1, 2)"));
  EXPECT_TRUE(HasIssue(r, fs, 3, "\"question\" must be an object"));
  EXPECT_TRUE(HasIssue(r, fs, 4, "at least 2"));
  EXPECT_TRUE(HasIssue(r, fs, 5, "invalid JSON"));
  EXPECT_TRUE(HasIssue(r, fs, 6, "duplicate id 'a'"));
  EXPECT_EQ(r.issues.size(), 5u);
}

// ARC's shots come from its Train (else Dev) file, as lm-eval's from the train split. Without
// either next to the scored file, few-shot is refused with the files it looked for: it drew the
// shots from the scored test items themselves, silently. With a Dev file the shots are its rows.
TEST(TaskLoaders, ArcFewShotWithoutTrainOrDevIsRefusedByName) {
  TempDir dir;
  std::string test;
  for (int i = 0; i < 4; ++i) {
    test += StrCat(R"({"id":"t)", i, R"(","question":{"stem":"Q)", i,
                   R"(?","choices":[{"text":"a","label":"A"},{"text":"b","label":"B"}]},)",
                   R"("answerKey":"A"})", "\n");
  }
  testing::WriteFile(dir / "ARC-Easy-Test.jsonl", test);
  const Suite alone = LoadSuite((dir / "ARC-Easy-Test.jsonl").string());
  ASSERT_TRUE(alone.fewshot.empty());
  FewShotOptions shots;
  shots.k = 2;
  const std::string why = CheckFewShot(alone, alone.items.size(), shots);
  EXPECT_NE(why.find("ARC-Easy-Train.jsonl"), std::string::npos) << why;
  EXPECT_NE(why.find("ARC-Easy-Dev.jsonl"), std::string::npos) << why;
  EXPECT_NE(why.find("0-shot"), std::string::npos) << why;
  shots.k = 0;
  EXPECT_EQ(CheckFewShot(alone, alone.items.size(), shots), "");

  testing::WriteFile(dir / "ARC-Easy-Dev.jsonl", test);
  const Suite with_dev = LoadSuite((dir / "ARC-Easy-Test.jsonl").string());
  EXPECT_EQ(with_dev.fewshot.size(), 4u);
  shots.k = 2;
  EXPECT_EQ(CheckFewShot(with_dev, with_dev.items.size(), shots), "");
}

TEST(TaskLoaders, TruthfulQaBadQuestionsNamedByLine) {
  TempDir dir;
  const auto f = dir / "mc_task.json";
  WriteFile(f,
            "[\n"
            " {\"question\": \"Q1?\", \"mc1_targets\": {\"t\": 1, \"f\": 0},\n"
            "  \"mc2_targets\": {\"t\": 1, \"t2\": 1, \"f\": 0}},\n"
            " {\"question\": \"Q2, [tricky] {braces}?\", \"mc1_targets\": {\"f\": 0, \"t\": 1},\n"
            "  \"mc2_targets\": {\"f\": 0, \"f2\": 0}},\n"
            " {\"question\": \"Q3\", \"mc1_targets\": {\"t\": 2, \"f\": 0}, \"mc2_targets\": {}},\n"
            " {\"question\": \"Q4\", \"mc1_targets\": {\"t\": 1, \"t\": 0}, \"mc2_targets\": {}}\n"
            "]");
  const LoadResult mc1 = LoadSuiteChecked(f.string());
  EXPECT_EQ(mc1.suite.manifest.format, "truthfulqa_mc1");
  ASSERT_EQ(mc1.suite.items.size(), 1u) << ::testing::PrintToString(Issues(mc1));
  EXPECT_EQ(mc1.suite.items[0].id, "truthfulqa_mc1/0");
  EXPECT_TRUE(HasIssue(mc1, f.string(), 4, "first answer is not the true one"));
  EXPECT_TRUE(HasIssue(mc1, f.string(), 6, "must be 0 or 1"));
  EXPECT_TRUE(HasIssue(mc1, f.string(), 7, "duplicate key"));
  const LoadResult mc2 = LoadSuiteChecked(f.string(), {.format = "truthfulqa_mc2"});
  ASSERT_EQ(mc2.suite.items.size(), 1u);
  EXPECT_EQ(mc2.suite.items[0].labels, (std::vector<int>{1, 1, 0}));
  EXPECT_TRUE(HasIssue(mc2, f.string(), 4, "no true answer"));
  // Not an array, or an unclosed one: one issue, no crash.
  WriteFile(f, "{\"question\": \"x\"}");
  EXPECT_FALSE(LoadSuiteChecked(f.string(), {.format = "truthfulqa_mc1"}).issues.empty());
  WriteFile(f, "[{\"question\": \"x\", \"mc1_targets\": {\"a\": 1, \"b\": 0}}");
  const LoadResult open = LoadSuiteChecked(f.string(), {.format = "truthfulqa_mc1"});
  ASSERT_EQ(open.issues.size(), 1u);
  EXPECT_NE(open.issues[0].message.find("not closed"), std::string::npos);
  // One '}' too many, or an empty element: an issue at its line (the first hung the loader,
  // reading an empty element at the stray '}' forever; review finding).
  WriteFile(f, "[{\"question\":\"q\",\"mc1_targets\":{\"a\":1,\"b\":0}}}]");
  const LoadResult stray = LoadSuiteChecked(f.string(), {.format = "truthfulqa_mc1"});
  ASSERT_EQ(stray.issues.size(), 1u);
  EXPECT_NE(stray.issues[0].message.find("unexpected '}'"), std::string::npos);
  WriteFile(f, "[\n{\"question\":\"q\",\"mc1_targets\":{\"a\":1,\"b\":0}},\n,\n]");
  const LoadResult empty = LoadSuiteChecked(f.string(), {.format = "truthfulqa_mc1"});
  ASSERT_EQ(empty.issues.size(), 1u);
  EXPECT_NE(empty.issues[0].message.find("line 3: an empty element"), std::string::npos)
      << empty.issues[0].message;
}

TEST(TaskLoaders, WinograndeLabelsFromJsonlOrLst) {
  TempDir dir;
  const auto f = dir / "dev.jsonl";
  WriteFile(
      f, R"({"qID":"a","sentence":"A beat B so _ won.","option1":"A","option2":"B","answer":"1"})"
         "\n"
         R"({"qID":"b","sentence":"A beat B so _ lost.","option1":"A","option2":"B"})"
         "\n"
         R"({"qID":"c","sentence":"no blank","option1":"A","option2":"B","answer":"1"})"
         "\n"
         R"({"qID":"d","sentence":"x _ y","option1":"A","option2":"B","answer":"3"})");
  // Without a label file, line 2 has no answer.
  LoadResult r = LoadSuiteChecked(f.string());
  EXPECT_EQ(r.suite.manifest.format, "winogrande");
  EXPECT_EQ(r.suite.items.size(), 1u);
  EXPECT_TRUE(HasIssue(r, f.string(), 2, "no \"answer\" and no"));
  EXPECT_TRUE(HasIssue(r, f.string(), 3, "no \"_\" blank"));
  EXPECT_TRUE(HasIssue(r, f.string(), 4, "answer '3' must be 1 or 2"));
  // dev-labels.lst fills line 2's answer, must agree with line 1's, and must not be longer.
  WriteFile(dir / "dev-labels.lst", "2\n2\n1\n1\n1\n");
  r = LoadSuiteChecked(f.string());
  EXPECT_TRUE(HasIssue(r, f.string(), 1, "disagrees with"));
  EXPECT_TRUE(HasIssue(r, (dir / "dev-labels.lst").string(), 5, "more labels (5) than items (4)"));
  const auto b = std::find_if(r.suite.items.begin(), r.suite.items.end(),
                              [](const Item& i) { return i.id == "b"; });
  ASSERT_NE(b, r.suite.items.end());
  EXPECT_EQ(b->gold, 1);
  EXPECT_EQ(b->choices, (std::vector<std::string>{"A beat B so A", "A beat B so B"}));
  EXPECT_EQ(b->question, "lost.");
}

TEST(TaskLoaders, PiqaLabelsLineAligned) {
  TempDir dir;
  const auto f = dir / "valid.jsonl";
  WriteFile(f,
            "{\"goal\": \"g0\", \"sol1\": \"a\", \"sol2\": \"b\"}\r\n"
            "{\"goal\": \"g1\", \"sol1\": \"a\"}\r\n"
            "{\"goal\": \"g2\", \"sol1\": \"a\", \"sol2\": \"b\"}\r\n");
  LoadResult r = LoadSuiteChecked(f.string());
  EXPECT_EQ(r.suite.manifest.format, "piqa");
  EXPECT_TRUE(HasIssue(r, f.string(), 1, "no \"label\" and no"));
  WriteFile(dir / "valid-labels.lst", "1\n0\n7");
  r = LoadSuiteChecked(f.string());
  ASSERT_EQ(r.suite.items.size(), 1u) << ::testing::PrintToString(Issues(r));
  EXPECT_EQ(r.suite.items[0].id, "piqa/0");
  EXPECT_EQ(r.suite.items[0].gold, 1);
  EXPECT_TRUE(HasIssue(r, f.string(), 2, "missing \"sol2\""));
  EXPECT_TRUE(HasIssue(r, (dir / "valid-labels.lst").string(), 3, "label '7' must be 0 or 1"));
  WriteFile(dir / "valid-labels.lst", "1\n");
  r = LoadSuiteChecked(f.string());
  EXPECT_TRUE(HasIssue(r, f.string(), 3, "has only 1 lines"));
  // A blank line inside the label file would shift every later label: reported at its line
  // (it was skipped, so item 2 silently took line 3's label; review finding). Blank lines at
  // the end are only formatting.
  WriteFile(f,
            "{\"goal\": \"g0\", \"sol1\": \"a\", \"sol2\": \"b\"}\n"
            "{\"goal\": \"g1\", \"sol1\": \"a\", \"sol2\": \"b\"}\n"
            "{\"goal\": \"g2\", \"sol1\": \"a\", \"sol2\": \"b\"}\n");
  WriteFile(dir / "valid-labels.lst", "1\n\n0\n1\n\n\n");
  r = LoadSuiteChecked(f.string());
  EXPECT_TRUE(HasIssue(r, (dir / "valid-labels.lst").string(), 2, "a blank line"))
      << ::testing::PrintToString(Issues(r));
  ASSERT_EQ(r.suite.items.size(), 2u) << ::testing::PrintToString(Issues(r));
  EXPECT_EQ(r.suite.items[0].gold, 1);
  EXPECT_EQ(r.suite.items[1].gold, 0);  // line 3's label goes to the third item, as aligned
  EXPECT_EQ(r.suite.items[1].id, "piqa/2");
}

TEST(TaskLoaders, BoolqBothForms) {
  TempDir dir;
  const auto g = dir / "dev.jsonl";
  WriteFile(g, R"({"question": "is it", "title": "T", "answer": true, "passage": "P."})"
               "\n"
               R"({"question": "is it", "title": "T", "answer": "yes", "passage": "P."})");
  LoadResult r = LoadSuiteChecked(g.string());
  EXPECT_EQ(r.suite.manifest.format, "boolq");
  ASSERT_EQ(r.suite.items.size(), 1u);
  EXPECT_EQ(r.suite.items[0].question, "T -- P.\nQuestion: is it?\nAnswer:");
  EXPECT_EQ(r.suite.items[0].gold, 1);
  EXPECT_TRUE(HasIssue(r, g.string(), 2, "\"answer\" must be true or false"));
  // SuperGLUE: the title is already in the passage; label a bool or 0/1; idx names the item.
  const auto s = dir / "val.jsonl";
  WriteFile(s, R"({"question": "is it", "passage": "T -- P.", "idx": 7, "label": false})"
               "\n"
               R"({"question": "is it", "passage": "T -- P.", "idx": 8, "label": 1})"
               "\n"
               R"({"question": "is it", "passage": "T -- P.", "idx": 9})");
  r = LoadSuiteChecked(s.string());
  ASSERT_EQ(r.suite.items.size(), 2u);
  EXPECT_EQ(r.suite.items[0].id, "boolq/7");
  EXPECT_EQ(r.suite.items[0].question, "T -- P.\nQuestion: is it?\nAnswer:");
  EXPECT_EQ(r.suite.items[0].gold, 0);
  EXPECT_EQ(r.suite.items[1].gold, 1);
  EXPECT_TRUE(HasIssue(r, s.string(), 3, "missing \"answer\""));
}

TEST(TaskLoaders, HellaswagPreprocessAsLmEval) {
  // lm-eval's preprocess: strip, " [title]" -> ". ", drop [..], "  " -> " " once.
  EXPECT_EQ(HellaswagPreprocess("  How to cook [title] Boil water. [step] Add  salt.  "),
            "How to cook. Boil water. Add salt.");
  EXPECT_EQ(HellaswagPreprocess("a [b\nc] d"), "a [b\nc] d");  // "." stops at a newline
  EXPECT_EQ(HellaswagPreprocess("a   b"), "a  b");             // one non-overlapping pass
  EXPECT_EQ(HellaswagPreprocess("[x][y]z [unclosed"), "z [unclosed");
  EXPECT_EQ(PyCapitalize("tHE Man"), "The man");
  EXPECT_EQ(PyCapitalize("éCOLE ÀB"), "École àb");
  EXPECT_EQ(PyCapitalize(""), "");
}

TEST(TaskLoaders, HellaswagAuthorsJsonl) {
  TempDir dir;
  const auto f = dir / "hellaswag_val.jsonl";
  // Two lines in the authors' format (ind, activity_label, ctx_a, ctx_b, ctx, endings, label),
  // one from the WikiHow part with its [header]/[title] artefacts, one with a string label (the
  // Hugging Face copy), then bad ones.
  WriteFile(
      f,
      R"({"ind": 24, "activity_label": "Roof shingle removal", "ctx_a": "A man is sitting on a roof.", "ctx_b": "he", "ctx": "A man is sitting on a roof. he", "split": "val", "split_type": "indomain", "label": 3, "endings": ["is using wrap to wrap a pair of skis.", "is ripping level tiles off.", "is holding a rubik's cube.", "starts pulling up roofing on a roof."], "source_id": "activitynet~v_-JhWjGDPHMY"})"
      "\n"
      R"({"ind": 92, "activity_label": "Home and Garden", "ctx_a": "[header] How to clean a grill [title] Heat  the grill.", "ctx_b": "THEN scrub it", "ctx": "", "split": "val", "split_type": "zeroshot", "label": "0", "endings": ["with a brush. [step] Rinse  it.", " [title] Done. "], "source_id": "wikihow~1"})"
      "\n"
      R"({"ind": 93, "activity_label": "x", "ctx_a": "a", "ctx_b": "b", "endings": ["e1", "e2"]})"
      "\n"
      R"({"ind": 94, "activity_label": "x", "ctx_a": "a", "ctx_b": "b", "endings": ["e1", "e2"], "label": 2})");
  const LoadResult r = LoadSuiteChecked(f.string());
  EXPECT_EQ(r.suite.manifest.format, "hellaswag");
  ASSERT_EQ(r.suite.items.size(), 2u) << ::testing::PrintToString(Issues(r));
  EXPECT_EQ(r.suite.items[0].id, "hellaswag/24");
  EXPECT_EQ(r.suite.items[0].question, "Roof shingle removal: A man is sitting on a roof. He");
  EXPECT_EQ(r.suite.items[0].gold, 3);
  EXPECT_EQ(r.suite.items[1].question,
            "Home and Garden: How to clean a grill. Heat the grill. Then scrub it");
  EXPECT_EQ(r.suite.items[1].choices,
            (std::vector<std::string>{"with a brush. Rinse it.", " Done."}));
  EXPECT_EQ(r.suite.items[1].gold, 0);
  EXPECT_TRUE(HasIssue(r, f.string(), 3, "missing \"label\""));
  EXPECT_TRUE(HasIssue(r, f.string(), 4, "outside the 2 endings"));
}

TEST(TaskLoaders, IclFormats) {
  TempDir dir;
  const auto mc = dir / "mc.jsonl";
  WriteFile(mc, R"({"query": "Q: 2+2?\nA:", "choices": ["3", "4"], "gold": 1})"
                "\n"
                R"({"query": "Q", "choices": ["3", "4"], "gold": 2})");
  LoadResult r = LoadSuiteChecked(mc.string());
  EXPECT_EQ(r.suite.manifest.format, "icl_multiple_choice");
  ASSERT_EQ(r.suite.items.size(), 1u);
  EXPECT_EQ(r.suite.items[0].id, "multiple_choice/0");
  EXPECT_EQ(r.suite.items[0].style, PromptStyle::kCloze);
  EXPECT_TRUE(HasIssue(r, mc.string(), 2, "outside the 2 choices"));
  const auto schema = dir / "schema.jsonl";
  WriteFile(
      schema,
      R"({"context_options": ["The cup broke", "The cup held"], "continuation": "because it fell.", "gold": 0})"
      "\n"
      R"({"context_options": ["only one"], "continuation": "x", "gold": 0})");
  r = LoadSuiteChecked(schema.string());
  EXPECT_EQ(r.suite.manifest.format, "icl_schema");
  ASSERT_EQ(r.suite.items.size(), 1u);
  EXPECT_EQ(r.suite.items[0].style, PromptStyle::kPartial);
  EXPECT_EQ(r.suite.items[0].question, "because it fell.");
  EXPECT_TRUE(HasIssue(r, schema.string(), 2, "at least 2"));
  const auto lm = dir / "lambada.jsonl";
  WriteFile(lm, R"({"context": "He opened the", "continuation": "door"})"
                "\n"
                R"({"context": "x", "continuation": ""})");
  r = LoadSuiteChecked(lm.string());
  EXPECT_EQ(r.suite.manifest.format, "icl_language_modeling");
  ASSERT_EQ(r.suite.items.size(), 1u);
  EXPECT_EQ(r.suite.items[0].metric, McMetric::kGreedy);
  EXPECT_EQ(r.suite.items[0].choices, (std::vector<std::string>{"door"}));
  EXPECT_TRUE(HasIssue(r, lm.string(), 2, "empty \"continuation\""));
}

TEST(TaskLoaders, NativeRoundTripOfNewFields) {
  // Any loaded task item written as a native line loads back identically (suites show --json).
  TempDir dir;
  const auto f = dir / "mc_task.json";
  WriteFile(
      f,
      R"([{"question": "Q?", "mc1_targets": {"t": 1, "f": 0}, "mc2_targets": {"f": 0, "t": 1, "g": 1}}])");
  const Suite mc2 = LoadSuite(f.string(), {.format = "truthfulqa_mc2"});
  const auto w = dir / "wino.jsonl";
  WriteFile(
      w, R"({"qID":"a","sentence":"A beat B so _ won.","option1":"A","option2":"B","answer":"1"})");
  const Suite wino = LoadSuite(w.string());
  const auto lm = dir / "lm.jsonl";
  WriteFile(lm, R"({"context": "He opened the", "continuation": "door"})");
  const Suite lms = LoadSuite(lm.string());
  for (const Suite* s : {&mc2, &wino, &lms}) {
    const auto native = dir / "native.jsonl";
    WriteFile(native, ItemToJson(s->items[0]) + "\n");
    const Suite back = LoadSuite(native.string());
    ASSERT_EQ(back.items.size(), 1u);
    EXPECT_EQ(ContentHash(back.items, {}), ContentHash(s->items, {})) << ItemToJson(s->items[0]);
  }
  EXPECT_EQ(mc2.items[0].gold, 1);  // the first true answer
  // Native lines that misuse the new fields.
  const auto bad = dir / "bad.jsonl";
  WriteFile(
      bad,
      R"({"kind":"multiple_choice","id":"a","question":"q","choices":["x","y"],"gold":0,"metric":"mc2"})"
      "\n"
      R"({"kind":"multiple_choice","id":"b","question":"q","choices":["x","y"],"gold":0,"metric":"mc2","labels":[0,1]})"
      "\n"
      R"({"kind":"multiple_choice","id":"c","question":"q","choices":["x","y"],"gold":0,"metric":"greedy"})"
      "\n"
      R"({"kind":"multiple_choice","id":"d","question":"q","choices":["x","y"],"gold":0,"metric":"f1"})");
  const LoadResult r = LoadSuiteChecked(bad.string());
  EXPECT_TRUE(HasIssue(r, bad.string(), 1, "\"labels\" goes with metric mc2"));
  EXPECT_TRUE(HasIssue(r, bad.string(), 2, "must be a true choice"));
  EXPECT_TRUE(HasIssue(r, bad.string(), 3, "exactly 1 choice"));
  EXPECT_TRUE(HasIssue(r, bad.string(), 4, "unknown metric 'f1'"));
}

TEST(TaskLoaders, UnknownFormatListsTheTasks) {
  TempDir dir;
  const auto f = dir / "x.jsonl";
  WriteFile(f, R"({"foo": 1})");
  try {
    LoadSuiteChecked(f.string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hellaswag"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gapbench::suites
