// gapbench generate: text from a prompt with greedy or seeded sampling; streams to a terminal,
// or prints {"text", "tokens"} with --json.
#include <cstdio>

#include "cli/commands.h"
#include "cli/engine_options.h"
#include "common/error.h"
#include "common/json.h"
#include "engine/generate.h"
#include "engine/sampler.h"

namespace gapbench::cli {

namespace {

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench generate",
      .summary =
          "Temperature 0 (the default) is greedy. --json prints {\"text\": ..., \"tokens\": "
          "[...]}\n"
          "(generated tokens only). The prompt must fit the context (default: the model's\n"
          "training context); generation stops at its end (finish_reason \"length\").",
      .options = WithEngineOptions({{"prompt", "S", "the prompt", true},
                                    {"max-tokens", "N", "tokens to generate (default 128)"},
                                    {"temperature", "T", "sampling temperature (0 = greedy)"},
                                    {"top-k", "K", "top-k sampling (0 = off)"},
                                    {"top-p", "P", "nucleus sampling (1 = off)"},
                                    {"min-p", "P", "min-p sampling (0 = off)"},
                                    {"repeat-penalty", "R", "repetition penalty (1 = off)"},
                                    {"repeat-last-n", "N", "tokens the penalty looks back"},
                                    {"seed", "N", "sampler seed"},
                                    {"stop", "S", "stop at this text"},
                                    {"json", "", "print one JSON object"},
                                    {"bos", "", "add BOS (default: what the vocabulary asks)"},
                                    {"no-bos", "", "do not add BOS"},
                                    {"special", "", "text matching control tokens becomes them"}}),
      .exclusive = {{"bos", "no-bos"}},
  };
  return kSpec;
}

}  // namespace

int CmdGenerate(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  engine::GenerateOptions go;
  go.max_tokens = args.GetInt("max-tokens", 128, 0, engine::kMaxContext);
  go.sampling.temperature = static_cast<float>(args.GetDouble("temperature", 0.0));
  go.sampling.top_k = static_cast<int32_t>(args.GetInt("top-k", 0, 0, INT32_MAX));
  go.sampling.top_p = static_cast<float>(args.GetDouble("top-p", 1.0));
  go.sampling.min_p = static_cast<float>(args.GetDouble("min-p", 0.0));
  go.sampling.repeat_penalty = static_cast<float>(args.GetDouble("repeat-penalty", 1.0));
  go.sampling.repeat_last_n = static_cast<int32_t>(args.GetInt("repeat-last-n", 64, 0, INT32_MAX));
  go.sampling.seed = static_cast<uint64_t>(args.GetInt("seed", 0));
  if (auto s = args.Get("stop")) go.stop.push_back(*s);
  engine::ValidateSampling(go.sampling);
  if (go.max_tokens < 0) Fail("--max-tokens must be >= 0");
  const std::string prompt = args.Require("prompt");

  EngineSetup e = SetupEngine(args, kernels::GgmlType::kF16);
  const engine::Tokenizer& tok = e.model->tokenizer();
  bool add_bos = tok.add_bos_default();
  if (args.Has("bos")) add_bos = true;
  if (args.Has("no-bos")) add_bos = false;
  std::vector<int32_t> ptoks = tok.Encode(prompt, add_bos, args.Has("special"));
  if (ptoks.empty()) Fail("the prompt encodes to no tokens; give a prompt or use --bos");
  // The context rule of every command (engine::ContextFor); the prompt must fit, and generation
  // ends at the context's end (finish_reason "context").
  const int64_t n_ctx = engine::ContextFor(*e.model, e.session);
  if (static_cast<int64_t>(ptoks.size()) >= n_ctx) {
    Fail("the prompt has ", ptoks.size(), " tokens; the model's context holds ", n_ctx,
         " positions (", e.model->config().context > 0 ? "--ctx / config" : "training context",
         ") and generation needs at least one more: shorten the prompt or raise --ctx");
  }
  if (static_cast<int64_t>(ptoks.size()) + go.max_tokens > n_ctx) {
    std::fprintf(stderr,
                 "gapbench generate: warning: prompt (%zu tokens) + --max-tokens %lld exceed the "
                 "%lld-token context; generation stops at the context's end\n",
                 ptoks.size(), static_cast<long long>(go.max_tokens),
                 static_cast<long long>(n_ctx));
  }
  // Only what the prompt and the generation can use is held.
  e.session.n_ctx = std::min<int64_t>(n_ctx, static_cast<int64_t>(ptoks.size()) + go.max_tokens);
  engine::Session session(*e.model, e.session);
  const bool json = args.Has("json");
  engine::GenerateResult r = engine::Generate(session, ptoks, go, [&](const std::string& piece) {
    if (!json) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    }
  });
  if (json) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("text");
    WriteJsonString(w, r.text);
    w.Key("tokens");
    w.StartArray();
    for (int32_t t : r.tokens) w.Int(t);
    w.EndArray();
    w.Key("finish_reason");
    w.String(r.finish_reason.c_str());
    w.Key("prompt_tokens");
    w.Int64(r.prompt_tokens);
    w.EndObject();
    std::printf("%s\n", buf.GetString());
  } else {
    std::printf("\n");
    const double tps =
        r.decode_seconds > 0 ? static_cast<double>(r.tokens.size()) / r.decode_seconds : 0;
    std::fprintf(stderr, "[%zu tokens, %s, prompt %lld tokens in %.3f s, decode %.2f tokens/s]\n",
                 r.tokens.size(), r.finish_reason.c_str(), static_cast<long long>(r.prompt_tokens),
                 r.prefill_seconds, tps);
  }
  return 0;
}

}  // namespace gapbench::cli
