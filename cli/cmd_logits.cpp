// gapbench logits: exact logits of a token sequence as JSON (no BOS added: exactly the tokens
// given). KV cache f32 by default so the numbers are the engine's best, not its cheapest.
#include <cstdio>

#include "cli/commands.h"
#include "cli/engine_options.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/sampler.h"

namespace gapbench::cli {

namespace {

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench logits",
      .summary =
          "Prints {\"n_vocab\": V, \"tokens\": [...], \"logits\": [[...], ...]}: one row per\n"
          "position with --all-positions, else only the last. No BOS is added. The tokens\n"
          "must fit the context (default: the model's training context).",
      .options = WithEngineOptions({{"tokens", "1,2,3", "the token ids", true},
                                    {"all-positions", "", "logits of every position"}}),
  };
  return kSpec;
}

}  // namespace

int CmdLogits(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  const std::vector<int32_t> tokens = ParseIntList(args.Require("tokens"), "--tokens");
  if (tokens.empty()) Fail("--tokens: give at least one token id");
  EngineSetup e = SetupEngine(args, kernels::GgmlType::kF32);
  const int64_t n_ctx = engine::ContextFor(*e.model, e.session);
  if (static_cast<int64_t>(tokens.size()) > n_ctx) {
    Fail("--tokens: ", tokens.size(), " tokens exceed the model's ", n_ctx,
         "-token context (positions past the training context are untrained; raise --ctx to "
         "evaluate them anyway)");
  }
  engine::Session session(*e.model, e.session);
  const bool all = args.Has("all-positions");
  session.Eval(tokens, all ? engine::LogitsMode::kAll : engine::LogitsMode::kLast);

  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("n_vocab");
  w.Int64(e.model->hparams().n_vocab);
  w.Key("tokens");
  w.StartArray();
  for (int32_t t : tokens) w.Int(t);
  w.EndArray();
  w.Key("logits");
  w.StartArray();
  for (int64_t r = 0; r < session.n_logit_rows(); ++r) {
    w.StartArray();
    for (float v : session.Logits(r)) WriteJsonFloat(w, v);
    w.EndArray();
  }
  w.EndArray();
  w.EndObject();
  std::fwrite(buf.GetString(), 1, buf.GetSize(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

}  // namespace gapbench::cli
