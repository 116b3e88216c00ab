// `gapbench sweep validate|expand`: checks a sweep file (every error at once, each with its JSON
// path; exit 1 if any) and shows the content-addressed shards it expands into (docs/SWEEP.md).
// Running a sweep is `gapbench run` / the coordinator, not this file.
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/json.h"
#include "coordinator/expand.h"
#include "coordinator/sweep.h"

namespace gapbench::cli {
namespace {

constexpr const char* kUsage =
    "usage: gapbench sweep <validate|expand> SWEEP.json [--json]\n"
    "  sweep validate  checks the whole sweep; every error as FILE: $.json.path: message\n"
    "  sweep expand    the shards the sweep expands into, and totals\n"
    "(gapbench sweep validate --help, gapbench sweep expand --help)\n";

const CommandSpec& ValidateSpec() {
  static const CommandSpec kSpec{
      .name = "gapbench sweep validate",
      .positionals = "SWEEP.json",
      .min_positionals = 1,
      .max_positionals = 1,
      .summary =
          "Checks the whole sweep (fields, names, model and suite files, few-shot pools);\n"
          "lists every error as FILE: $.json.path: message.",
      .options = {{"json", "", "print the totals as one JSON object"}},
      .notes = "Exit: 0 valid, 1 the sweep has errors, 2 usage error.",
  };
  return kSpec;
}

const CommandSpec& ExpandSpec() {
  static const CommandSpec kSpec{
      .name = "gapbench sweep expand",
      .positionals = "SWEEP.json",
      .min_positionals = 1,
      .max_positionals = 1,
      .summary =
          "The shards the sweep expands into (id, model, engine, strategy, suite, item\n"
          "range, seed) and totals.",
      .options = {{"json", "", "print them as one JSON object"}},
      .notes = "Exit: 0, 1 the sweep has errors, 2 usage error.",
  };
  return kSpec;
}

// Validates; on errors prints them all to stderr and returns false.
bool Check(const std::string& file, coordinator::SweepCheck& check) {
  check = coordinator::CheckSweepFile(file);
  if (check.ok()) return true;
  for (const auto& e : check.errors) std::fprintf(stderr, "%s\n", e.c_str());
  std::fprintf(stderr, "%s: %zu error%s\n", file.c_str(), check.errors.size(),
               check.errors.size() == 1 ? "" : "s");
  return false;
}

void WriteTotals(JsonWriter& w, const coordinator::Sweep& sw, const coordinator::Expansion& x) {
  size_t evaluations = 0;  // item evaluations: items x samples
  for (const auto& s : x.shards) evaluations += (s.end - s.begin) * static_cast<size_t>(s.samples);
  w.Key("totals");
  w.StartObject();
  w.Key("combinations");
  w.Uint64(sw.combinations.size());
  w.Key("seeds");
  w.Uint64(sw.seeds.size());
  w.Key("shards");
  w.Uint64(x.shards.size());
  w.Key("items");
  w.Uint64(x.n_items);
  w.Key("evaluations");
  w.Uint64(evaluations);
  w.Key("duplicates");
  w.Uint64(x.n_duplicates);
  w.EndObject();
}

int Validate(const Argv& argv) {
  const Args args(ValidateSpec(), argv);
  if (args.help()) return args.PrintHelp();
  const std::string& file = args.positionals()[0];
  coordinator::SweepCheck check;
  if (!Check(file, check)) return 1;
  const auto& sw = check.sweep;
  const auto x = coordinator::ExpandSweep(sw);
  if (args.Has("json")) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("sweep");
    WriteJsonString(w, sw.name);
    w.Key("valid");
    w.Bool(true);
    WriteTotals(w, sw, x);
    w.EndObject();
    std::printf("%s\n", buf.GetString());
  } else {
    std::printf(
        "%s: OK: sweep '%s', %zu model(s), %zu engine(s), %zu suite(s), %zu combination(s), "
        "%zu seed(s) -> %zu shards, %zu items\n",
        file.c_str(), sw.name.c_str(), sw.models.size(), sw.engines.size(), sw.suites.size(),
        sw.combinations.size(), sw.seeds.size(), x.shards.size(), x.n_items);
  }
  return 0;
}

int Expand(const Argv& argv) {
  const Args args(ExpandSpec(), argv);
  if (args.help()) return args.PrintHelp();
  const std::string& file = args.positionals()[0];
  coordinator::SweepCheck check;
  if (!Check(file, check)) return 1;
  const auto& sw = check.sweep;
  const auto x = coordinator::ExpandSweep(sw);
  if (args.Has("json")) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("sweep");
    WriteJsonString(w, sw.name);
    w.Key("priority");
    w.Int64(sw.priority);
    w.Key("shards");
    w.StartArray();
    for (const auto& s : x.shards) {
      const auto& c = s.combination;
      w.StartObject();
      w.Key("id");
      w.String(s.id.c_str());
      w.Key("model");
      WriteJsonString(w, sw.models[c.model].alias);
      w.Key("engine");
      WriteJsonString(w, sw.engines[c.engine].name);
      w.Key("strategy");
      WriteJsonString(w, sw.strategies[c.strategy].name);
      w.Key("suite");
      WriteJsonString(w, sw.suites[c.suite].name);
      w.Key("begin");
      w.Uint64(s.begin);
      w.Key("end");
      w.Uint64(s.end);
      w.Key("seed");
      w.Uint64(s.seed);
      w.Key("samples");
      w.Int64(s.samples);
      w.EndObject();
    }
    w.EndArray();
    WriteTotals(w, sw, x);
    w.EndObject();
    std::printf("%s\n", buf.GetString());
    return 0;
  }
  std::printf("%-16s  %-12s %-12s %-10s %-12s %-13s %s\n", "id", "model", "engine", "strategy",
              "suite", "items", "seed");
  for (const auto& s : x.shards) {
    const auto& c = s.combination;
    const std::string range = StrCat("[", s.begin, ", ", s.end, ")");
    std::printf("%-16s  %-12s %-12s %-10s %-12s %-13s %llu\n", s.id.c_str(),
                sw.models[c.model].alias.c_str(), sw.engines[c.engine].name.c_str(),
                sw.strategies[c.strategy].name.c_str(), sw.suites[c.suite].name.c_str(),
                range.c_str(), static_cast<unsigned long long>(s.seed));
  }
  std::printf("%zu shards, %zu items", x.shards.size(), x.n_items);
  if (x.n_duplicates > 0) std::printf(", %zu duplicate shards dropped", x.n_duplicates);
  std::printf("\n");
  return 0;
}

}  // namespace

int CmdSweep(const Argv& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::fputs(kUsage, argv.empty() ? stderr : stdout);
    return argv.empty() ? 2 : 0;
  }
  const Argv rest(argv.begin() + 1, argv.end());
  if (argv[0] == "validate") return Validate(rest);
  if (argv[0] == "expand") return Expand(rest);
  Fail("sweep: unknown subcommand '", argv[0], "'\n", kUsage);
}

}  // namespace gapbench::cli
