// The gapbench executable: dispatches to subcommands and turns gapbench::Error into a message and
// an exit code by its kind: 0 success, 1 the work failed (resource, internal), 2 usage or input
// error (README.md "Exit codes"). No logic of its own (ARCHITECTURE.md).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/build_info.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/log.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const gapbench::cli::Argv&);
  const char* summary;
};

const Command kCommands[] = {
    {"model", gapbench::cli::CmdModel, "model inspect FILE | model random ...: GGUF models"},
    {"tokenize", gapbench::cli::CmdTokenize, "text -> token ids with a model's tokenizer"},
    {"detokenize", gapbench::cli::CmdDetokenize, "token ids -> text"},
    {"logits", gapbench::cli::CmdLogits, "exact logits for a token sequence (JSON)"},
    {"generate", gapbench::cli::CmdGenerate, "generate text from a prompt"},
    {"bench", gapbench::cli::CmdBench, "prompt-processing and generation speed"},
    {"eval", gapbench::cli::CmdEval, "evaluate a model on a suite (accuracy, records)"},
    {"perplexity", gapbench::cli::CmdPerplexity, "perplexity and KL divergence vs a base config"},
    {"suites", gapbench::cli::CmdSuites, "suites list | show | validate | exec: evaluation suites"},
    {"sweep", gapbench::cli::CmdSweep,
     "sweep validate | expand: check a sweep file, list its shards"},
    {"coordinator", gapbench::cli::CmdCoordinator,
     "serve sweeps to workers (--sweep S.json --db DB)"},
    {"worker", gapbench::cli::CmdWorker,
     "run shards for a coordinator (--connect tcp://HOST:PORT)"},
    {"status", gapbench::cli::CmdStatus, "a running coordinator's progress (--http HOST:PORT)"},
    {"run", gapbench::cli::CmdRun,
     "run SWEEP.json: a sweep on this machine (coordinator + workers)"},
    {"compare", gapbench::cli::CmdCompare, "compare BASE CANDIDATE: paired regression gate (CI)"},
    {"report", gapbench::cli::CmdReport,
     "report RUN: results.json, items.jsonl, report.md, index.html"},
    {"leaderboard", gapbench::cli::CmdLeaderboard, "leaderboard RUN... --out DIR: runs merged"},
};

void PrintUsage() {
  std::fprintf(stderr, "usage: gapbench <command> [options]   (gapbench <command> --help)\n\n");
  for (const auto& c : kCommands) std::fprintf(stderr, "  %-12s %s\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    PrintUsage();
    return argc < 2 ? 2 : 0;
  }
  if (std::string(argv[1]) == "--version") {
    const std::string commit = gapbench::cli::BuildCommit();
    std::printf("gapbench %s%s\n", gapbench::cli::BuildVersion(),
                commit.empty() ? "" : (" (commit " + commit + ")").c_str());
    return 0;
  }
  // GAPBENCH_LOG_FORMAT / GAPBENCH_LOG_LEVEL (common/log.h) for everything the command logs.
  try {
    gapbench::SetLogOptions(gapbench::LogOptionsFromEnv());
  } catch (const gapbench::Error& e) {
    std::fprintf(stderr, "gapbench: %s\n", e.what());
    return gapbench::ExitCodeFor(e.kind());
  }
  const std::string name = argv[1];
  const gapbench::cli::Argv args(argv + 2, argv + argc);
  for (const auto& c : kCommands) {
    if (name != c.name) continue;
    try {
      return c.run(args);
    } catch (const gapbench::Error& e) {
      if (gapbench::GetLogOptions().format == gapbench::LogFormat::kJson) {
        gapbench::LogError("gapbench", e.what(),
                           {{"kind", gapbench::ErrorKindName(e.kind())}, {"command", name}});
      } else {
        std::fprintf(stderr, "gapbench: %s\n", e.what());
      }
      return gapbench::ExitCodeFor(e.kind());
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr, "gapbench: out of memory\n");
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gapbench: unexpected error: %s\n", e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "gapbench: unknown command '%s'\n\n", name.c_str());
  PrintUsage();
  return 2;
}
