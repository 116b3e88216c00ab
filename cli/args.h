// Minimal command-line parsing for gapbench subcommands: "--name value", "--name=value" and
// boolean "--flag". Unknown or missing options are gapbench::Error with a usage hint.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gapbench::cli {

class Args {
 public:
  // `value_opts` take a value, `flag_opts` do not. Positionals are kept in order.
  Args(const std::string& command, const std::vector<std::string>& argv,
       const std::set<std::string>& value_opts, const std::set<std::string>& flag_opts);

  bool Has(const std::string& name) const;
  std::optional<std::string> Get(const std::string& name) const;
  std::string Require(const std::string& name) const;
  int64_t GetInt(const std::string& name, int64_t def) const;
  // As GetInt, and an Error naming the option when the value is outside [min, max].
  int64_t GetInt(const std::string& name, int64_t def, int64_t min, int64_t max) const;
  double GetDouble(const std::string& name, double def) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  bool help() const { return help_; }

 private:
  std::string command_;
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positionals_;
  bool help_ = false;
};

// Parses "1,2,3" into integers; errors name the option.
std::vector<int32_t> ParseIntList(const std::string& text, const std::string& what);

}  // namespace gapbench::cli
