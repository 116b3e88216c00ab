// Loaders: the real published data sets load completely (counts, spot checks against the files'
// text), MMLU CSV edge cases, every broken JSONL line reported, gzip, manifest sidecars, and the
// content hash (stable, format-independent, sensitive to one character).
#include "suites/loaders.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "common/error.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST(RealData, MmluLoadsEveryTestItem) {
  GB_REQUIRE_SHARED_DATA(data);
  const Suite s = LoadSuite((data / "mmlu").string());
  EXPECT_EQ(s.items.size(), 14042u);
  EXPECT_EQ(s.manifest.subjects.size(), 57u);
  EXPECT_EQ(s.fewshot.size(), 57u * 5u);  // dev/: 5 per subject
  EXPECT_EQ(s.manifest.format, "mmlu");
  EXPECT_EQ(s.manifest.name, "mmlu");
  // First line of test/abstract_algebra_test.csv:
  // "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.",0,4,2,6,B
  const Item& first = s.items[0];
  EXPECT_EQ(first.id, "abstract_algebra/0");
  EXPECT_EQ(first.question,
            "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.");
  EXPECT_EQ(first.choices, (std::vector<std::string>{"0", "4", "2", "6"}));
  EXPECT_EQ(first.gold, 1);
  EXPECT_EQ(first.tags.subject, "abstract_algebra");
  EXPECT_EQ(first.tags.split, "id");
  // A row with quoted commas (line 4 of the same file).
  EXPECT_EQ(s.items[3].choices[0], "True, True");
  EXPECT_EQ(s.items[3].gold, 1);
  for (const Item& item : s.items) {
    ASSERT_EQ(item.choices.size(), 4u) << item.source;
    ASSERT_GE(item.gold, 0) << item.source;
  }
}

TEST(RealData, MmluSingleFileFindsItsDevShots) {
  GB_REQUIRE_SHARED_DATA(data);
  const Suite s = LoadSuite((data / "mmlu" / "test" / "abstract_algebra_test.csv").string());
  EXPECT_EQ(s.items.size(), 100u);
  ASSERT_EQ(s.fewshot.size(), 5u);
  EXPECT_EQ(s.fewshot[0].question, "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.");
  EXPECT_EQ(s.manifest.name, "abstract_algebra_test");
}

TEST(RealData, HumanEvalGz) {
  GB_REQUIRE_SHARED_DATA(data);
  const Suite s = LoadSuite((data / "humaneval" / "HumanEval.jsonl.gz").string());
  ASSERT_EQ(s.items.size(), 164u);
  EXPECT_EQ(s.manifest.format, "humaneval");
  EXPECT_EQ(s.items[0].id, "HumanEval/0");
  EXPECT_EQ(s.items[0].entry_point, "has_close_elements");
  EXPECT_EQ(s.items[0].kind, ItemKind::kCode);
  EXPECT_EQ(s.items[0].prompt.rfind("from typing import List\n\n\ndef has_close_elements(", 0), 0u);
  EXPECT_NE(s.items[0].test.find("def check(candidate):"), std::string::npos);
  EXPECT_EQ(s.items[0].stop,
            (std::vector<std::string>{"\nclass", "\ndef", "\n#", "\nif", "\nprint"}));
  EXPECT_EQ(s.items[163].id, "HumanEval/163");
}

TEST(RealData, Gsm8k) {
  GB_REQUIRE_SHARED_DATA(data);
  const Suite s = LoadSuite((data / "gsm8k" / "test.jsonl").string());
  ASSERT_EQ(s.items.size(), 1319u);
  EXPECT_EQ(s.manifest.name, "gsm8k");
  const Item& first = s.items[0];
  EXPECT_EQ(first.reference, "18");
  EXPECT_EQ(first.match, MatchRule::kNumeric);
  EXPECT_EQ(first.prompt.rfind("Janet\u2019s ducks lay 16 eggs per day.", 0), 0u);
  // "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = ...\n#### 18"
  EXPECT_EQ(first.tags.steps, 2);
  for (const Item& item : s.items) ASSERT_TRUE(item.tags.steps && *item.tags.steps >= 1) << item.id;
}

TEST(RealData, DetectFormat) {
  GB_REQUIRE_SHARED_DATA(data);
  EXPECT_EQ(DetectFormat((data / "mmlu").string()), "mmlu");
  EXPECT_EQ(DetectFormat((data / "humaneval" / "HumanEval.jsonl.gz").string()), "humaneval");
  EXPECT_EQ(DetectFormat((data / "gsm8k" / "test.jsonl").string()), "gsm8k");
}

// A small MMLU folder written by hand.
void WriteMmlu(const TempDir& dir, const std::string& test_csv) {
  std::filesystem::create_directories(dir / "test");
  std::filesystem::create_directories(dir / "dev");
  WriteFile(dir / "test" / "high_school_physics_test.csv", test_csv);
  WriteFile(dir / "dev" / "high_school_physics_dev.csv", "Dev q?,w,x,y,z,D\n");
}

TEST(Mmlu, HeaderRowNumericAnswersQuotingAndNewlines) {
  TempDir dir;
  WriteMmlu(dir,
            "question,A,B,C,D,answer\n"
            "\"Two\nlines, and \"\"quotes\"\"\",a,\"b, c\",d,e,2\n"
            "Plain?,1,2,3,4,A\n");
  const Suite s = LoadSuite(dir.path().string());
  ASSERT_EQ(s.items.size(), 2u);
  EXPECT_EQ(s.items[0].question, "Two\nlines, and \"quotes\"");
  EXPECT_EQ(s.items[0].choices, (std::vector<std::string>{"a", "b, c", "d", "e"}));
  EXPECT_EQ(s.items[0].gold, 2);  // numeric answer, 0-based
  EXPECT_EQ(s.items[1].gold, 0);
  EXPECT_EQ(s.items[1].source, (dir / "test" / "high_school_physics_test.csv").string() + ":4");
  EXPECT_EQ(s.items[0].tags.subject, "high_school_physics");
  ASSERT_EQ(s.fewshot.size(), 1u);
  EXPECT_EQ(s.fewshot[0].gold, 3);
}

TEST(Mmlu, EveryBrokenLineIsReportedWithItsLineNumber) {
  TempDir dir;
  WriteMmlu(dir,
            "Good?,a,b,c,d,A\n"
            "Too few,a,b,c,D\n"            // line 2: 5 fields
            "Bad answer,a,b,c,d,E\n"       // line 3
            "\"multi\nline\",a,b,c,d,B\n"  // lines 4-5, fine
            "Extra,a,b,c,d,e,A\n"          // line 6: 7 fields
            "Fine,a,b,c,d,3\n");
  const LoadResult r = LoadSuiteChecked(dir.path().string());
  ASSERT_EQ(r.issues.size(), 3u);
  const std::string file = (dir / "test" / "high_school_physics_test.csv").string();
  EXPECT_EQ(r.issues[0].file, file);
  EXPECT_EQ(r.issues[0].line, 2u);
  EXPECT_NE(r.issues[0].message.find("expected 6 fields"), std::string::npos);
  EXPECT_EQ(r.issues[1].line, 3u);
  EXPECT_NE(r.issues[1].message.find("'E'"), std::string::npos);
  EXPECT_EQ(r.issues[2].line, 6u);
  EXPECT_EQ(r.suite.items.size(), 3u);
  EXPECT_EQ(r.suite.items[2].id, "high_school_physics/5");  // ids keep their row
  try {
    LoadSuite(dir.path().string());
    FAIL() << "LoadSuite accepted a broken suite";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file + ":6:"), std::string::npos) << e.what();
  }
}

TEST(Jsonl, EveryBadNativeLineIsReported) {
  TempDir dir;
  const auto path = dir / "mine.jsonl";
  // One entry per line; the comments give the 1-based line number of the bad ones.
  const std::vector<std::string> lines_in = {
      R"({"kind":"multiple_choice","id":"a","question":"Q?","choices":["x","y"],"gold":1})",
      "{not json",  // 2
      R"({"kind":"generation","id":"b","prompt":"2+2=","reference":"four","match":"numeric"})",  // 3
      "",
      R"({"kind":"code","id":"c","prompt":"def f():\n","test":"assert f() == 1","entry_point":"f"})",
      R"({"kind":"multiple_choice","id":"a","question":"Q?","choices":["x","y"],"gold":0})",  // 6
      R"({"kind":"multiple_choice","id":"d","question":"Q?","choices":["x","y"],"gold":2})",  // 7
      R"({"kind":"generation","id":"e","prompt":"p","reference":"r","colour":"red"})",        // 8
      R"({"kind":"generation","id":"f","prompt":"p","reference":"(","match":"regex"})",       // 9
      R"({"kind":"multiple_choice","id":"g","question":"Q","choices":["x","y"],"gold":0,)"
      R"("tags":{"split":"test"}})",  // 10
      "[1,2]",                        // 11
      R"({"kind":"generation","id":"h","prompt":"p","reference":"42","match":"numeric",)"
      R"("tags":{"split":"ood","steps":3,"fact_frequency":12.5,"family":"gsm8k",)"
      R"("difficulty":"hard"}})"};
  std::string text;
  for (const auto& l : lines_in) text += l + "\n";
  WriteFile(path, text);
  const LoadResult r = LoadSuiteChecked(path.string());
  std::vector<size_t> lines;
  for (const auto& is : r.issues) lines.push_back(is.line);
  EXPECT_EQ(lines, (std::vector<size_t>{2, 3, 6, 7, 8, 9, 10, 11}));
  for (const auto& is : r.issues) EXPECT_EQ(is.file, path.string());
  ASSERT_EQ(r.suite.items.size(), 3u);
  EXPECT_EQ(r.suite.manifest.format, "gapbench");
  EXPECT_EQ(r.suite.manifest.name, "mine");
  const Item& h = r.suite.items[2];
  EXPECT_EQ(h.tags.split, "ood");
  EXPECT_EQ(h.tags.steps, 3);
  EXPECT_EQ(h.tags.fact_frequency, 12.5);
  EXPECT_EQ(h.tags.family, "gsm8k");
  EXPECT_EQ(h.tags.extra.at("difficulty"), "hard");
  EXPECT_NE(r.issues[2].message.find("duplicate id 'a'"), std::string::npos);
  EXPECT_NE(r.issues[4].message.find("unknown field 'colour'"), std::string::npos);
}

TEST(Jsonl, DuplicateKeysAndInvalidUtf8LinesAreReported) {
  TempDir dir;
  const auto path = dir / "dup.jsonl";
  WriteFile(path,
            R"({"kind":"multiple_choice","id":"a","question":"Q?","choices":["x","y"],"gold":1})"
            "\n"
            R"({"kind":"multiple_choice","id":"b","question":"Q?","choices":["x","y"],"gold":0,)"
            R"("gold":1})"
            "\n"
            "{\"kind\":\"multiple_choice\",\"id\":\"c\",\"question\":\"Q\xff?\",\"choices\":[\"x\","
            "\"y\"],\"gold\":0}\n");
  const LoadResult r = LoadSuiteChecked(path.string());
  ASSERT_EQ(r.issues.size(), 2u);
  EXPECT_EQ(r.issues[0].line, 2u);
  EXPECT_NE(r.issues[0].message.find("duplicate key at $.gold"), std::string::npos)
      << r.issues[0].message;
  EXPECT_EQ(r.issues[1].line, 3u);
  EXPECT_NE(r.issues[1].message.find("encoding"), std::string::npos) << r.issues[1].message;
  EXPECT_EQ(r.suite.items.size(), 1u);
}

TEST(Jsonl, BrokenGsm8kAndHumanEvalLines) {
  TempDir dir;
  WriteFile(dir / "g.jsonl", R"({"question":"q1","answer":"a\nb\n#### 1,200"})"
                             "\n"
                             R"({"question":"q2","answer":"no final answer"})"
                             "\n"
                             R"({"question":"q3"})"
                             "\n");
  LoadResult r = LoadSuiteChecked((dir / "g.jsonl").string(), {.format = "gsm8k"});
  ASSERT_EQ(r.issues.size(), 2u);
  EXPECT_EQ(r.issues[0].line, 2u);
  EXPECT_EQ(r.issues[1].line, 3u);
  ASSERT_EQ(r.suite.items.size(), 1u);
  EXPECT_EQ(r.suite.items[0].reference, "1,200");
  WriteFile(dir / "h.jsonl",
            R"({"task_id":"T/0","prompt":"def f():\n","test":"x","entry_point":"f"})"
            "\n"
            R"({"task_id":"T/1","prompt":"def g():\n","test":"x"})"
            "\n");
  r = LoadSuiteChecked((dir / "h.jsonl").string());
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0].line, 2u);
  EXPECT_NE(r.issues[0].message.find("entry_point"), std::string::npos);
}

TEST(Jsonl, GzipAndPlainLoadTheSameItems) {
  TempDir dir;
  const std::string text =
      R"({"kind":"generation","id":"x","prompt":"1+1=","reference":"2","match":"numeric"})"
      "\n";
  WriteFile(dir / "s.jsonl", text);
  gzFile gz = gzopen((dir / "s.jsonl.gz").c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  const Suite a = LoadSuite((dir / "s.jsonl").string());
  const Suite b = LoadSuite((dir / "s.jsonl.gz").string());
  EXPECT_EQ(a.manifest.content_hash, b.manifest.content_hash);
  EXPECT_EQ(b.manifest.name, "s");
  WriteFile(dir / "t.jsonl.gz", "\x1f\x8b truncated");
  EXPECT_THROW(LoadSuite((dir / "t.jsonl.gz").string()), Error);
}

TEST(Manifest, SidecarNamesVersionsTagsAndChecksTheHash) {
  TempDir dir;
  const auto path = dir / "probe.jsonl";
  WriteFile(path,
            R"({"kind":"multiple_choice","id":"a","question":"Q","choices":["x","y"],"gold":0})"
            "\n");
  WriteFile(dir / "probe.jsonl.manifest.json",
            R"({"name":"probe-ood","version":"2","tags":{"split":"ood","family":"probe"}})");
  Suite s = LoadSuite(path.string());
  EXPECT_EQ(s.manifest.name, "probe-ood");
  EXPECT_EQ(s.manifest.version, "2");
  EXPECT_EQ(s.items[0].tags.split, "ood");
  EXPECT_EQ(s.items[0].tags.family, "probe");
  const std::string hash = s.manifest.content_hash;
  // The tags are part of the items, so the hash holds only with the same default tags.
  const std::string tags = R"("tags":{"split":"ood","family":"probe"})";
  WriteFile(dir / "probe.jsonl.manifest.json",
            R"({"name":"p",)" + tags + R"(,"content_hash":")" + hash + R"("})");
  EXPECT_NO_THROW(LoadSuite(path.string()));
  WriteFile(dir / "probe.jsonl.manifest.json",
            R"({"name":"p",)" + tags + R"(,"content_hash":"0000000000000000"})");
  EXPECT_THROW(LoadSuite(path.string()), Error);
  WriteFile(dir / "probe.jsonl.manifest.json", R"({"nmae":"p"})");
  EXPECT_THROW(LoadSuite(path.string()), Error);
}

TEST(ContentHash, StableFormatIndependentAndSensitive) {
  TempDir dir;
  WriteMmlu(dir, "What is 1+1?,1,2,3,4,B\nWhat is 2+2?,2,3,4,5,C\n");
  const Suite a = LoadSuite(dir.path().string());
  const Suite b = LoadSuite(dir.path().string());
  EXPECT_EQ(a.manifest.content_hash, b.manifest.content_hash);
  EXPECT_EQ(a.manifest.content_hash.size(), 16u);
  // Same items, different bytes (CRLF, quoting, numeric answers): same hash.
  WriteMmlu(dir, "\"What is 1+1?\",1,2,3,4,1\r\nWhat is 2+2?,\"2\",3,4,5,2\r\n");
  EXPECT_EQ(LoadSuite(dir.path().string()).manifest.content_hash, a.manifest.content_hash);
  // One changed character anywhere changes it: question, choice, answer, dev shot.
  for (const char* changed : {"What is 1+1!,1,2,3,4,B\nWhat is 2+2?,2,3,4,5,C\n",
                              "What is 1+1?,1,2,3,4,B\nWhat is 2+2?,2,3,4,6,C\n",
                              "What is 1+1?,1,2,3,4,B\nWhat is 2+2?,2,3,4,5,D\n"}) {
    WriteMmlu(dir, changed);
    EXPECT_NE(LoadSuite(dir.path().string()).manifest.content_hash, a.manifest.content_hash)
        << changed;
  }
  WriteMmlu(dir, "What is 1+1?,1,2,3,4,B\nWhat is 2+2?,2,3,4,5,C\n");
  WriteFile(dir / "dev" / "high_school_physics_dev.csv", "Dev q!,w,x,y,z,D\n");
  EXPECT_NE(LoadSuite(dir.path().string()).manifest.content_hash, a.manifest.content_hash);
}

TEST(Loaders, ErrorsNameThePath) {
  try {
    LoadSuite("/nonexistent/suite.jsonl");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/suite.jsonl"), std::string::npos);
  }
  TempDir dir;
  WriteFile(dir / "x.jsonl", R"({"foo":1})"
                             "\n");
  EXPECT_THROW(LoadSuite((dir / "x.jsonl").string()), Error);
  WriteFile(dir / "empty.jsonl", "\n\n");
  EXPECT_THROW(LoadSuite((dir / "empty.jsonl").string(), {.format = "gapbench"}), Error);
}

}  // namespace
}  // namespace gapbench::suites
