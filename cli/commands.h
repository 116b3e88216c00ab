// Subcommand entry points. Each takes the arguments after the subcommand name and returns the
// process exit code; gapbench::Error escaping one is reported by main as "gapbench: <message>".
#pragma once

#include <string>
#include <vector>

namespace gapbench::cli {

using Argv = std::vector<std::string>;

int CmdModel(const Argv& args);          // model inspect | model random
int CmdTokenize(const Argv& args);       // tokenize
int CmdDetokenize(const Argv& args);     // detokenize
int CmdLogits(const Argv& args);         // logits
int CmdGenerate(const Argv& args);       // generate
int CmdBench(const Argv& args);          // bench
int CmdEval(const Argv& args);           // eval
int CmdPerplexity(const Argv& args);     // perplexity
int CmdSuites(const Argv& args);         // suites list | show | validate | exec (cmd_suites.cpp)
int CmdSuitesExec(const Argv& args);     // suites exec: code in the sandbox (cmd_suites_exec.cpp)
int CmdSuitesPerturb(const Argv& args);  // suites perturb: OOD siblings (cmd_suites_perturb.cpp)
int CmdSuitesSynth(const Argv& args);    // suites synth: the synthetic world (cmd_suites_synth.cpp)
int CmdSweep(const Argv& args);          // sweep validate | expand (cmd_sweep.cpp)
int CmdCoordinator(const Argv& args);    // coordinator: ZeroMQ server (cmd_coordinator.cpp)
int CmdWorker(const Argv& args);         // worker: runs shards for a coordinator (cmd_worker.cpp)
int CmdStatus(const Argv& args);         // status: a coordinator's /status (cmd_status.cpp)
int CmdCompare(const Argv& args);      // compare BASE CANDIDATE: regression gate (cmd_compare.cpp)
int CmdReport(const Argv& args);       // report RUN: results.json, report.md, ... (cmd_report.cpp)
int CmdLeaderboard(const Argv& args);  // leaderboard RUN... --out DIR (cmd_leaderboard.cpp)
int CmdRun(const Argv& args);          // run SWEEP.json: coordinator + local workers (cmd_run.cpp)

}  // namespace gapbench::cli
