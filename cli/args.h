// Command-line parsing for gapbench subcommands, declared once per command: a CommandSpec lists
// the options (name, value placeholder, one line of help), the positionals, and which options
// exclude or require each other. From it Args parses "--name value", "--name=value", boolean
// "--flag" and llama-bench's "-p 512" (same as "--p"), and `gapbench CMD --help` is generated.
//
// Everything about the command line is checked in the constructor, before a command does any
// work: unknown options, missing values, extra or missing positionals, options given twice,
// conflicting options and missing required ones. Each is an input Error (exit code 2) naming the
// command and pointing at --help.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gapbench::cli {

struct OptionSpec {
  std::string name{};   // without "--"
  std::string value{};  // placeholder of the value ("N", "FILE"); empty for a flag
  std::string help{};   // one line
  bool required = false;
  bool repeat = false;  // may be given more than once (GetAll); otherwise twice is an error
};

struct CommandSpec {
  std::string name{};         // "gapbench eval"
  std::string positionals{};  // synopsis of the positionals ("SWEEP.json", "RUN_DIR..."), or ""
  size_t min_positionals = 0;
  size_t max_positionals = 0;  // SIZE_MAX: any number
  std::string summary{};       // what the command does (printed under the synopsis)
  std::vector<OptionSpec> options{};
  // Groups of options of which at most one may be given.
  std::vector<std::vector<std::string>> exclusive{};
  // Groups of options of which at least one must be given.
  std::vector<std::vector<std::string>> one_required{};
  std::string notes{};  // printed after the option list (exit codes, details), may be ""
};

// The --help text generated from the spec.
std::string Usage(const CommandSpec& spec);

class Args {
 public:
  // Parses and checks `argv` against `spec` (see the file comment). With --help / -h nothing
  // beyond the option names is checked: help() is true and the command prints Usage(spec).
  Args(const CommandSpec& spec, const std::vector<std::string>& argv);

  bool Has(const std::string& name) const;
  std::optional<std::string> Get(const std::string& name) const;
  std::vector<std::string> GetAll(const std::string& name) const;  // a repeat option's values
  std::string Require(const std::string& name) const;
  int64_t GetInt(const std::string& name, int64_t def) const;
  // As GetInt, and an Error naming the option when the value is outside [min, max].
  int64_t GetInt(const std::string& name, int64_t def, int64_t min, int64_t max) const;
  double GetDouble(const std::string& name, double def) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  bool help() const { return help_; }
  // Prints Usage(spec) to stdout; returns 0 (the exit code of `CMD --help`).
  int PrintHelp() const;

 private:
  CommandSpec spec_;
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positionals_;
  bool help_ = false;
};

// Parses "1,2,3" into integers; errors name the option.
std::vector<int32_t> ParseIntList(const std::string& text, const std::string& what);

// Input-path checks with plain messages (`what` names the option, e.g. "--file"): a path that
// must not be a directory ("is a directory"; a missing file is left to the reader's own message),
// and a path that must be a directory or not exist yet ("is a file, not a directory").
void CheckInputFile(const std::string& path, const std::string& what);
void CheckOutputDir(const std::string& path, const std::string& what);

}  // namespace gapbench::cli
