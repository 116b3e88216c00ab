// CSV state machine over the whole text; one pass, no copies beyond the field strings.
#include "suites/csv.h"

namespace gapbench::suites {

std::vector<CsvRecord> ParseCsv(std::string_view text, std::vector<CsvIssue>& issues) {
  std::vector<CsvRecord> records;
  size_t pos = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;  // UTF-8 BOM
  size_t line = 1;
  const size_t n = text.size();
  while (pos < n) {
    // Blank line (LF or CRLF): no record.
    if (text[pos] == '\n') {
      ++pos;
      ++line;
      continue;
    }
    if (text[pos] == '\r' && pos + 1 < n && text[pos + 1] == '\n') {
      pos += 2;
      ++line;
      continue;
    }
    CsvRecord rec;
    rec.line = line;
    bool record_done = false;
    bool broken = false;
    while (!record_done) {
      std::string field;
      if (pos < n && text[pos] == '"') {
        ++pos;
        bool closed = false;
        while (pos < n) {
          // Copy the run up to the next quote in one go (the common case: no quotes at all).
          const size_t q = text.find('"', pos);
          const size_t end = q == std::string_view::npos ? n : q;
          for (size_t i = pos; i < end; ++i) line += text[i] == '\n';
          field.append(text.substr(pos, end - pos));
          pos = end;
          if (pos >= n) break;
          if (pos + 1 < n && text[pos + 1] == '"') {  // doubled quote
            field.push_back('"');
            pos += 2;
            continue;
          }
          ++pos;  // closing quote
          closed = true;
          break;
        }
        if (!closed) {
          issues.push_back({rec.line, "quoted field opened on this line is never closed"});
          broken = true;
          break;
        }
      }
      // Unquoted field, or text after a closing quote (kept, as Python's csv does).
      const size_t start = pos;
      while (pos < n && text[pos] != ',' && text[pos] != '\n' &&
             !(text[pos] == '\r' && pos + 1 < n && text[pos + 1] == '\n')) {
        ++pos;
      }
      field.append(text.substr(start, pos - start));
      rec.fields.push_back(std::move(field));
      if (pos >= n) {
        record_done = true;
      } else if (text[pos] == ',') {
        ++pos;
      } else {
        pos += text[pos] == '\r' ? 2 : 1;
        ++line;
        record_done = true;
      }
    }
    if (broken) break;
    records.push_back(std::move(rec));
  }
  return records;
}

}  // namespace gapbench::suites
