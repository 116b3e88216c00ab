// CSV reader: RFC 4180 quoting cases written out by hand, Python-csv leniency, line numbers.
#include "suites/csv.h"

#include <gtest/gtest.h>

namespace gapbench::suites {
namespace {

std::vector<CsvRecord> Parse(std::string_view text, std::vector<CsvIssue>* issues_out = nullptr) {
  std::vector<CsvIssue> issues;
  auto r = ParseCsv(text, issues);
  if (issues_out)
    *issues_out = issues;
  else
    EXPECT_TRUE(issues.empty());
  return r;
}

TEST(Csv, PlainAndQuotedFields) {
  const auto r = Parse("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"x, y", "say \"hi\"", ""}));
  EXPECT_EQ(r[0].line, 1u);
  EXPECT_EQ(r[1].line, 2u);
}

TEST(Csv, EmbeddedNewlinesKeepLineNumbers) {
  const auto r = Parse("\"one\ntwo\nthree\",x\nnext,y\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].fields[0], "one\ntwo\nthree");
  EXPECT_EQ(r[0].line, 1u);
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"next", "y"}));
  EXPECT_EQ(r[1].line, 4u);  // the record after a 3-line field starts on line 4
}

TEST(Csv, CrlfBomBlankLinesAndNoFinalNewline) {
  const auto r = Parse(
      "\xEF\xBB\xBF"
      "a,b\r\n\r\n\"c\r\nd\",e\r\nf,g");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"c\r\nd", "e"}));  // quoted CRLF is content
  EXPECT_EQ(r[1].line, 3u);
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"f", "g"}));
  EXPECT_EQ(r[2].line, 5u);
}

TEST(Csv, LenientLikePythonCsv) {
  // Python: list(csv.reader(['ab"c,"d"e'])) == [['ab"c', 'de']]
  const auto r = Parse("ab\"c,\"d\"e\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"ab\"c", "de"}));
}

TEST(Csv, UnterminatedQuoteIsReportedAtItsRecord) {
  std::vector<CsvIssue> issues;
  const auto r = Parse("a,b\nc,\"never closed\nmore\n", &issues);
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].line, 2u);
  EXPECT_NE(issues[0].message.find("never closed"), std::string::npos);
}

}  // namespace
}  // namespace gapbench::suites
