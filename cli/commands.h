// Subcommand entry points. Each takes the arguments after the subcommand name and returns the
// process exit code; gapbench::Error escaping one is reported by main as "gapbench: <message>".
#pragma once

#include <string>
#include <vector>

namespace gapbench::cli {

using Argv = std::vector<std::string>;

int CmdModel(const Argv& args);       // model inspect | model random
int CmdTokenize(const Argv& args);    // tokenize
int CmdDetokenize(const Argv& args);  // detokenize
int CmdLogits(const Argv& args);      // logits
int CmdGenerate(const Argv& args);    // generate
int CmdBench(const Argv& args);       // bench
int CmdPerplexity(const Argv& args);  // perplexity

}  // namespace gapbench::cli
