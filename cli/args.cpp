#include "cli/args.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "common/error.h"

namespace gapbench::cli {

Args::Args(const std::string& command, const std::vector<std::string>& argv,
           const std::set<std::string>& value_opts, const std::set<std::string>& flag_opts)
    : command_(command) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--help" || a == "-h") {
      help_ = true;
      continue;
    }
    const bool short_opt =
        a.size() == 2 && a[0] == '-' && std::isalpha(static_cast<unsigned char>(a[1]));
    if ((a.size() > 2 && a.rfind("--", 0) == 0) || short_opt) {
      // "-p" is the same option as "--p" (llama-bench style short options).
      std::string name = a.substr(short_opt ? 1 : 2);
      std::optional<std::string> inline_value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (value_opts.count(name)) {
        if (inline_value) {
          values_[name] = *inline_value;
        } else {
          if (i + 1 >= argv.size()) Fail(command_, ": option --", name, " needs a value");
          values_[name] = argv[++i];
        }
      } else if (flag_opts.count(name)) {
        if (inline_value) Fail(command_, ": option --", name, " takes no value");
        flags_.insert(name);
      } else {
        Fail(command_, ": unknown option --", name, " (see '", command_, " --help')");
      }
      continue;
    }
    positionals_.push_back(a);
  }
}

bool Args::Has(const std::string& name) const {
  return flags_.count(name) > 0 || values_.count(name) > 0;
}

std::optional<std::string> Args::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::Require(const std::string& name) const {
  auto v = Get(name);
  if (!v) Fail(command_, ": missing required option --", name, " (see '", command_, " --help')");
  return *v;
}

int64_t Args::GetInt(const std::string& name, int64_t def) const {
  auto v = Get(name);
  if (!v) return def;
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0) {
    Fail(command_, ": option --", name, " expects an integer, got '", *v, "'");
  }
  return x;
}

int64_t Args::GetInt(const std::string& name, int64_t def, int64_t min, int64_t max) const {
  const int64_t x = GetInt(name, def);
  if (x < min || x > max) {
    Fail(command_, ": option --", name, " = ", x, " is out of range (", min, "..", max, ")");
  }
  return x;
}

double Args::GetDouble(const std::string& name, double def) const {
  auto v = Get(name);
  if (!v) return def;
  char* end = nullptr;
  errno = 0;
  const double x = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0' || errno != 0) {
    Fail(command_, ": option --", name, " expects a number, got '", *v, "'");
  }
  return x;
}

std::vector<int32_t> ParseIntList(const std::string& text, const std::string& what) {
  std::vector<int32_t> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(pos, comma - pos);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) {
      if (text.empty()) break;
      Fail(what, ": empty entry in list '", text, "'");
    }
    char* end = nullptr;
    errno = 0;
    const long long x = std::strtoll(item.c_str(), &end, 10);
    if (*end != '\0' || errno != 0 || x < INT32_MIN || x > INT32_MAX) {
      Fail(what, ": '", item, "' is not an integer");
    }
    out.push_back(static_cast<int32_t>(x));
    pos = comma + 1;
  }
  return out;
}

}  // namespace gapbench::cli
