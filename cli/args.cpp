#include "cli/args.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "common/error.h"

namespace gapbench::cli {
namespace {

const OptionSpec* Find(const CommandSpec& spec, const std::string& name) {
  for (const auto& o : spec.options) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

// "--name" for long names, "-p" for llama-bench's one-letter ones.
std::string Dashed(const std::string& name) { return (name.size() == 1 ? "-" : "--") + name; }

std::string JoinDashed(const std::vector<std::string>& names, const char* sep) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? sep : "") + Dashed(names[i]);
  return out;
}

}  // namespace

std::string Usage(const CommandSpec& spec) {
  std::string out = "usage: " + spec.name;
  for (const auto& o : spec.options) {
    if (o.required) out += " " + Dashed(o.name) + (o.value.empty() ? "" : " " + o.value);
  }
  for (const auto& g : spec.one_required) out += " (" + JoinDashed(g, " | ") + " ...)";
  if (spec.options.size() > 0) out += " [options]";
  if (!spec.positionals.empty()) out += " " + spec.positionals;
  out += "\n";
  if (!spec.summary.empty()) out += spec.summary + (spec.summary.back() == '\n' ? "" : "\n");
  if (!spec.options.empty()) out += "\noptions:\n";
  for (const auto& o : spec.options) {
    std::string left = "  " + Dashed(o.name) + (o.value.empty() ? "" : " " + o.value);
    if (left.size() < 26) {
      left.resize(26, ' ');
    } else {
      left += "\n" + std::string(26, ' ');
    }
    out += left + o.help + (o.required ? " (required)" : "") + "\n";
  }
  out += "  --help                  this text\n";
  for (const auto& g : spec.exclusive) out += "Give at most one of " + JoinDashed(g, ", ") + ".\n";
  if (!spec.notes.empty()) out += "\n" + spec.notes + (spec.notes.back() == '\n' ? "" : "\n");
  return out;
}

Args::Args(const CommandSpec& spec, const std::vector<std::string>& argv) : spec_(spec) {
  // Every usage error ends with the synopsis and where the full help is.
  const std::string usage = Usage(spec_);
  const std::string see =
      " (see '" + spec_.name + " --help')\n" + usage.substr(0, usage.find('\n'));
  bool options_done = false;  // after "--" everything is a positional
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (!options_done && a == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && (a == "--help" || a == "-h")) {
      help_ = true;
      continue;
    }
    const bool short_opt =
        a.size() == 2 && a[0] == '-' && std::isalpha(static_cast<unsigned char>(a[1]));
    if (!options_done && ((a.size() > 2 && a.rfind("--", 0) == 0) || short_opt)) {
      // "-p" is the same option as "--p" (llama-bench style short options).
      std::string name = a.substr(short_opt ? 1 : 2);
      std::optional<std::string> inline_value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      const OptionSpec* o = Find(spec_, name);
      if (o == nullptr) Fail(spec_.name, ": unknown option ", Dashed(name), see);
      if (!o->repeat && (values_.count(name) || flags_.count(name))) {
        Fail(spec_.name, ": option ", Dashed(name), " is given twice");
      }
      if (!o->value.empty()) {
        if (inline_value) {
          values_[name].push_back(*inline_value);
        } else {
          if (i + 1 >= argv.size()) Fail(spec_.name, ": option ", Dashed(name), " needs a value");
          values_[name].push_back(argv[++i]);
        }
      } else {
        if (inline_value) Fail(spec_.name, ": option ", Dashed(name), " takes no value");
        flags_.insert(name);
      }
      continue;
    }
    positionals_.push_back(a);
  }
  if (help_) return;
  // Positionals: exactly what the spec allows.
  if (positionals_.size() > spec_.max_positionals) {
    if (spec_.max_positionals == 0) {
      Fail(spec_.name, ": unexpected argument '", positionals_[0], "'", see);
    }
    Fail(spec_.name, ": unexpected argument '", positionals_[spec_.max_positionals], "' (expected ",
         spec_.positionals, ")", see);
  }
  if (positionals_.size() < spec_.min_positionals) {
    Fail(spec_.name, ": missing ", spec_.positionals, see);
  }
  for (const auto& o : spec_.options) {
    if (o.required && !Has(o.name)) {
      Fail(spec_.name, ": missing required option ", Dashed(o.name), see);
    }
  }
  for (const auto& g : spec_.exclusive) {
    std::vector<std::string> given;
    for (const auto& n : g) {
      if (Has(n)) given.push_back(n);
    }
    if (given.size() > 1) {
      Fail(spec_.name, ": ", JoinDashed(given, " and "), " exclude each other; give one", see);
    }
  }
  for (const auto& g : spec_.one_required) {
    bool any = false;
    for (const auto& n : g) any = any || Has(n);
    if (!any) Fail(spec_.name, ": give ", JoinDashed(g, " or "), see);
  }
}

int Args::PrintHelp() const {
  std::fputs(Usage(spec_).c_str(), stdout);
  return 0;
}

bool Args::Has(const std::string& name) const {
  GB_CHECK(Find(spec_, name) != nullptr, spec_.name, " reads undeclared option --", name);
  return flags_.count(name) > 0 || values_.count(name) > 0;
}

std::optional<std::string> Args::Get(const std::string& name) const {
  GB_CHECK(Find(spec_, name) != nullptr, spec_.name, " reads undeclared option --", name);
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  GB_CHECK(Find(spec_, name) != nullptr, spec_.name, " reads undeclared option --", name);
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::Require(const std::string& name) const {
  auto v = Get(name);
  if (!v) {
    Fail(spec_.name, ": missing required option ", Dashed(name), " (see '", spec_.name,
         " --help')");
  }
  return *v;
}

int64_t Args::GetInt(const std::string& name, int64_t def) const {
  auto v = Get(name);
  if (!v) return def;
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0) {
    Fail(spec_.name, ": option ", Dashed(name), " expects an integer, got '", *v, "'");
  }
  return x;
}

int64_t Args::GetInt(const std::string& name, int64_t def, int64_t min, int64_t max) const {
  const int64_t x = GetInt(name, def);
  if (x < min || x > max) {
    Fail(spec_.name, ": option ", Dashed(name), " = ", x, " is out of range (", min, "..", max,
         ")");
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
    Fail(spec_.name, ": option ", Dashed(name), " expects a number, got '", *v, "'");
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

void CheckInputFile(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (fs::is_directory(st)) Fail(what, " ", path, ": is a directory, expected a file");
}

void CheckOutputDir(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (fs::exists(st) && !fs::is_directory(st)) {
    Fail(what, " ", path, ": is a file, not a directory (give a directory to write into)");
  }
}

}  // namespace gapbench::cli
