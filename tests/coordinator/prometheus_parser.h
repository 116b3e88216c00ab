// A strict parser for the Prometheus text exposition format 0.0.4, written for tests from the
// format's grammar (prometheus.io/docs/instrumenting/exposition_formats), independent of
// coordinator/status.cpp: it shares no code with the renderer and checks what a scraper relies on.
//
// Checked: every line ends with '\n' (including the last); comment lines are "# HELP name text",
// "# TYPE name counter|gauge|histogram|summary|untyped" or free comments; HELP and TYPE at most
// once per family and TYPE before the family's first sample; a family's samples are contiguous;
// sample lines are `name{label="value",...} value [timestamp]` with the name and label-name
// character sets, only \\ \" \n escapes in label values, no duplicate label names, values that
// are Go-style floats (NaN, +Inf, -Inf included); no duplicate series; counters named *_total;
// histograms have _bucket series with ascending `le` ending at +Inf, cumulative counts,
// +Inf bucket == _count, and a _sum.
// Not checked: summaries' quantiles (we render none), timestamps' ranges.
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gapbench::testing {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

struct PromFamily {
  std::string name;
  std::string type;  // "untyped" when no TYPE line
  std::string help;
  std::vector<PromSample> samples;
};

struct PromExposition {
  std::vector<PromFamily> families;  // in order of appearance

  const PromFamily* Family(const std::string& name) const {
    for (const auto& f : families) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  // The value of the one sample with this name and exactly these labels; throws if absent.
  double Value(const std::string& name,
               const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& f : families) {
      for (const auto& s : f.samples) {
        if (s.name == name && s.labels == labels) return s.value;
      }
    }
    throw std::runtime_error("no sample " + name);
  }
  bool Has(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    try {
      Value(name, labels);
      return true;
    } catch (const std::runtime_error&) {
      return false;
    }
  }
};

namespace prom_detail {

[[noreturn]] inline void Bad(size_t line_no, const std::string& why, std::string_view line) {
  throw std::runtime_error("exposition line " + std::to_string(line_no) + ": " + why + ": '" +
                           std::string(line) + "'");
}

inline bool IsNameStart(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}
inline bool IsNameChar(char c, bool colon) {
  return IsNameStart(c, colon) || (c >= '0' && c <= '9');
}

// Reads [a-zA-Z_:][a-zA-Z0-9_:]* (metric) or [a-zA-Z_][a-zA-Z0-9_]* (label) at `pos`.
inline std::string ReadName(std::string_view s, size_t& pos, bool colon) {
  const size_t start = pos;
  if (pos >= s.size() || !IsNameStart(s[pos], colon)) return "";
  while (pos < s.size() && IsNameChar(s[pos], colon)) ++pos;
  return std::string(s.substr(start, pos - start));
}

// Go strconv.ParseFloat as Prometheus accepts it: decimal or exponent forms, NaN, +Inf, -Inf.
inline bool ParseValue(std::string_view text, double& out) {
  if (text == "NaN") {
    out = std::nan("");
    return true;
  }
  if (text == "+Inf" || text == "Inf") {
    out = INFINITY;
    return true;
  }
  if (text == "-Inf") {
    out = -INFINITY;
    return true;
  }
  if (text.empty()) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
      return false;
    }
  }
  const std::string copy(text);
  char* end = nullptr;
  out = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
}

// The family a sample belongs to: histograms own name_bucket, name_sum and name_count.
inline std::string FamilyOf(const std::string& sample,
                            const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string_view sv(suffix);
    if (sample.size() > sv.size() &&
        sample.compare(sample.size() - sv.size(), sv.size(), sv) == 0) {
      const std::string base = sample.substr(0, sample.size() - sv.size());
      auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return sample;
}

inline void CheckHistogram(const PromFamily& f) {
  std::vector<std::pair<double, double>> buckets;  // (le, count)
  const PromSample* count = nullptr;
  const PromSample* sum = nullptr;
  for (const auto& s : f.samples) {
    if (s.name == f.name + "_bucket") {
      auto it = s.labels.find("le");
      if (it == s.labels.end()) throw std::runtime_error(f.name + ": bucket without le");
      double le = 0;
      if (!ParseValue(it->second, le) || std::isnan(le)) {
        throw std::runtime_error(f.name + ": bad le '" + it->second + "'");
      }
      buckets.emplace_back(le, s.value);
    } else if (s.name == f.name + "_count") {
      count = &s;
    } else if (s.name == f.name + "_sum") {
      sum = &s;
    } else {
      throw std::runtime_error(f.name + ": unexpected sample " + s.name);
    }
  }
  if (buckets.empty() || count == nullptr || sum == nullptr) {
    throw std::runtime_error(f.name + ": histogram needs _bucket, _sum and _count");
  }
  for (size_t i = 1; i < buckets.size(); ++i) {
    if (!(buckets[i].first > buckets[i - 1].first)) {
      throw std::runtime_error(f.name + ": le not strictly ascending");
    }
    if (buckets[i].second < buckets[i - 1].second) {
      throw std::runtime_error(f.name + ": bucket counts not cumulative");
    }
  }
  if (!std::isinf(buckets.back().first)) throw std::runtime_error(f.name + ": no +Inf bucket");
  if (buckets.back().second != count->value) {
    throw std::runtime_error(f.name + ": +Inf bucket != _count");
  }
}

}  // namespace prom_detail

// Throws std::runtime_error naming the line on any violation.
inline PromExposition ParsePrometheus(std::string_view text) {
  using namespace prom_detail;
  if (text.empty() || text.back() != '\n') throw std::runtime_error("exposition must end with \\n");
  PromExposition out;
  std::map<std::string, std::string> types;  // family -> type
  std::map<std::string, std::string> helps;
  std::set<std::string> closed;  // families whose samples have ended
  std::set<std::string> series;  // name + labels, for duplicates
  std::string current;           // family of the previous sample
  auto family_slot = [&](const std::string& name) -> PromFamily& {
    for (auto& f : out.families) {
      if (f.name == name) return f;
    }
    out.families.push_back(PromFamily{name, "untyped", "", {}});
    return out.families.back();
  };
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.empty()) continue;
    if (line[0] == '#') {
      const bool help = line.rfind("# HELP ", 0) == 0;
      const bool type = line.rfind("# TYPE ", 0) == 0;
      if (!help && !type) continue;  // free comment
      size_t pos = 7;
      const std::string name = ReadName(line, pos, true);
      if (name.empty()) Bad(line_no, "bad metric name", line);
      if (closed.count(name) || (current == name)) Bad(line_no, "HELP/TYPE after samples", line);
      if (help) {
        if (helps.count(name)) Bad(line_no, "second HELP", line);
        std::string h;
        if (pos < line.size()) {
          if (line[pos] != ' ') Bad(line_no, "no space after name", line);
          for (size_t i = pos + 1; i < line.size(); ++i) {
            if (line[i] == '\\') {
              if (i + 1 >= line.size() || (line[i + 1] != '\\' && line[i + 1] != 'n')) {
                Bad(line_no, "bad escape in HELP", line);
              }
              h += line[i + 1] == 'n' ? '\n' : '\\';
              ++i;
            } else {
              h += line[i];
            }
          }
        }
        helps[name] = h;
        family_slot(name).help = h;
      } else {
        if (types.count(name)) Bad(line_no, "second TYPE", line);
        if (pos >= line.size() || line[pos] != ' ') Bad(line_no, "TYPE without a type", line);
        const std::string t(line.substr(pos + 1));
        if (t != "counter" && t != "gauge" && t != "histogram" && t != "summary" &&
            t != "untyped") {
          Bad(line_no, "unknown type", line);
        }
        types[name] = t;
        family_slot(name).type = t;
      }
      continue;
    }
    PromSample sample;
    size_t pos = 0;
    sample.name = ReadName(line, pos, true);
    if (sample.name.empty()) Bad(line_no, "bad metric name", line);
    if (pos < line.size() && line[pos] == '{') {
      ++pos;
      while (true) {
        if (pos < line.size() && line[pos] == '}') {
          ++pos;
          break;
        }
        const std::string label = ReadName(line, pos, false);
        if (label.empty()) Bad(line_no, "bad label name", line);
        if (pos + 1 >= line.size() || line[pos] != '=' || line[pos + 1] != '"') {
          Bad(line_no, "expected =\"", line);
        }
        pos += 2;
        std::string value;
        while (true) {
          if (pos >= line.size()) Bad(line_no, "unterminated label value", line);
          const char c = line[pos++];
          if (c == '"') break;
          if (c == '\\') {
            if (pos >= line.size()) Bad(line_no, "bad escape", line);
            const char e = line[pos++];
            if (e == '\\') {
              value += '\\';
            } else if (e == '"') {
              value += '"';
            } else if (e == 'n') {
              value += '\n';
            } else {
              Bad(line_no, "bad escape", line);
            }
          } else {
            value += c;
          }
        }
        if (!sample.labels.emplace(label, value).second) Bad(line_no, "duplicate label", line);
        if (pos < line.size() && line[pos] == ',') {
          ++pos;
        } else if (pos >= line.size() || line[pos] != '}') {
          Bad(line_no, "expected , or }", line);
        }
      }
    }
    if (pos >= line.size() || line[pos] != ' ')
      Bad(line_no, "expected a space before the value", line);
    ++pos;
    std::string_view rest = line.substr(pos);
    const size_t space = rest.find(' ');
    const std::string_view value_text = rest.substr(0, space);
    if (!ParseValue(value_text, sample.value)) Bad(line_no, "bad value", line);
    if (space != std::string_view::npos) {
      const std::string_view ts = rest.substr(space + 1);
      if (ts.empty() || ts.find_first_not_of("-0123456789") != std::string_view::npos) {
        Bad(line_no, "bad timestamp", line);
      }
    }
    const std::string family = FamilyOf(sample.name, types);
    if (!types.count(family)) Bad(line_no, "sample before its TYPE line", line);
    if (family != current) {
      if (closed.count(family)) Bad(line_no, "samples of a family not contiguous", line);
      if (!current.empty()) closed.insert(current);
      current = family;
    }
    std::string key = sample.name;
    for (const auto& [k, v] : sample.labels) key += "\x01" + k + "\x02" + v;
    if (!series.insert(key).second) Bad(line_no, "duplicate series", line);
    family_slot(family).samples.push_back(std::move(sample));
  }
  for (const auto& f : out.families) {
    if (f.type == "counter") {
      if (f.name.size() < 6 || f.name.compare(f.name.size() - 6, 6, "_total") != 0) {
        throw std::runtime_error("counter " + f.name + " is not named *_total");
      }
    }
    if (f.type == "histogram") CheckHistogram(f);
  }
  return out;
}

}  // namespace gapbench::testing
