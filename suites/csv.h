// A CSV reader for published data sets (MMLU): RFC 4180 quoting (quoted fields with commas,
// doubled quotes, embedded newlines), LF or CRLF records, a UTF-8 BOM, blank lines skipped.
// Lenient where Python's csv module is (a quote inside an unquoted field is literal; text after a
// closing quote is appended), so files that load in Python load here.
//
// Not here: header detection or column meaning (the MMLU loader decides those).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gapbench::suites {

struct CsvRecord {
  std::vector<std::string> fields;
  size_t line = 0;  // 1-based line where the record starts
};

struct CsvIssue {
  size_t line = 0;
  std::string message;
};

// Parses every record of `text`. A quoted field left open at the end of the text is reported in
// `issues` (with the line where its record starts) and the partial record is dropped.
std::vector<CsvRecord> ParseCsv(std::string_view text, std::vector<CsvIssue>& issues);

}  // namespace gapbench::suites
