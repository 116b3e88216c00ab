// gapbench generate: text from a prompt with greedy or seeded sampling; streams to a terminal,
// or prints {"text", "tokens"} with --json. With --draft, speculative decoding (a small draft
// model proposes, the --model verifies), timed against the --model alone on the same prompt.
#include <charconv>
#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "cli/engine_options.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "engine/generate.h"
#include "engine/sampler.h"
#include "engine/speculative.h"

namespace gapbench::cli {

namespace {

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench generate",
      .summary =
          "Temperature 0 (the default) is greedy. --json prints {\"text\": ..., \"tokens\": "
          "[...]}\n"
          "(generated tokens only). The prompt must fit the context (default: the model's\n"
          "training context); generation stops at its end (finish_reason \"length\").\n"
          "--draft SMALL: speculative decoding, SMALL drafting and --model verifying (same\n"
          "tokens as --model alone when greedy); prints the acceptance rate, tokens per\n"
          "--model call and the speed-up over --model alone (run on the same prompt first).",
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
                                    {"special", "", "text matching control tokens becomes them"},
                                    {"draft", "FILE", "draft model: speculative decoding"},
                                    {"draft-tokens", "K|auto", "drafts per call (4; auto)"}}),
      .exclusive = {{"bos", "no-bos"}},
  };
  return kSpec;
}

// The value of --draft-tokens: a number of tokens in [1, kMaxDraftTokens], or "auto" (adaptive,
// from kAutoStart up to kMaxDraftTokens).
constexpr int32_t kMaxDraftTokens = 64;
constexpr int32_t kAutoStart = 4;
constexpr int32_t kAutoCap = 16;

void ParseDraftTokens(const Args& args, engine::SpeculativeOptions& so) {
  so.draft_tokens = kAutoStart;
  so.max_draft_tokens = kAutoCap;
  const auto v = args.Get("draft-tokens");
  if (!v) return;
  if (*v == "auto") {
    so.adaptive = true;
    return;
  }
  int64_t k = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), k);
  if (ec != std::errc() || end != v->data() + v->size() || k < 1 || k > kMaxDraftTokens) {
    Fail("--draft-tokens must be a whole number from 1 to ", kMaxDraftTokens, " or 'auto', got '",
         *v, "'");
  }
  so.draft_tokens = static_cast<int32_t>(k);
  so.max_draft_tokens = std::max(so.draft_tokens, kAutoCap);
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void WriteTokens(JsonWriter& w, const std::vector<int32_t>& tokens) {
  w.StartArray();
  for (int32_t t : tokens) w.Int(t);
  w.EndArray();
}

// --draft: the target alone first (the baseline of the speed-up), then speculative decoding on
// the same prompt, threads and context; the output is the speculative run's.
int GenerateWithDraft(const Args& args, const EngineSetup& e, const engine::GenerateOptions& go,
                      const std::vector<int32_t>& ptoks) {
  engine::SpeculativeOptions so;
  so.generate = go;
  ParseDraftTokens(args, so);
  const std::string draft_path = *args.Get("draft");
  CheckInputFile(draft_path, "--draft");
  const auto draft = engine::Model::Load(draft_path, e.model->config());
  engine::CheckSameVocabulary(*e.model, *draft);
  const bool json = args.Has("json");

  // The prompt and one decode step through each model first, so that neither timed run pays
  // for first-touch page faults or the first use of the thread pool.
  for (const engine::Model* m : {e.model.get(), draft.get()}) {
    engine::Session warm(*m, e.session);
    warm.Eval(ptoks, engine::LogitsMode::kLast);
    if (warm.n_past() < warm.n_ctx()) {
      warm.Eval(std::span<const int32_t>(ptoks.data(), 1), engine::LogitsMode::kLast);
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  engine::GenerateResult base;
  {
    engine::Session alone(*e.model, e.session);
    base = engine::Generate(alone, ptoks, go);
  }
  const double base_seconds = SecondsSince(t0);

  engine::Session target(*e.model, e.session);
  engine::Session drafter(*draft, e.session);
  t0 = std::chrono::steady_clock::now();
  const engine::SpeculativeResult sr =
      engine::GenerateSpeculative(target, drafter, ptoks, so, [&](const std::string& piece) {
        if (!json) {
          std::fwrite(piece.data(), 1, piece.size(), stdout);
          std::fflush(stdout);
        }
      });
  const double spec_seconds = SecondsSince(t0);
  const engine::GenerateResult& r = sr.generate;
  const engine::SpeculativeStats& st = sr.stats;
  const double speedup = spec_seconds > 0 ? base_seconds / spec_seconds : 0.0;

  if (json) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("text");
    WriteJsonString(w, r.text);
    w.Key("tokens");
    WriteTokens(w, r.tokens);
    w.Key("finish_reason");
    w.String(r.finish_reason.c_str());
    w.Key("prompt_tokens");
    w.Int64(r.prompt_tokens);
    w.Key("draft");
    WriteJsonString(w, draft_path);
    w.Key("draft_tokens");
    if (so.adaptive) {
      w.String("auto");
    } else {
      w.Int(so.draft_tokens);
    }
    w.Key("final_draft_tokens");
    w.Int(st.final_draft_tokens);
    w.Key("acceptance_rate");
    w.Double(st.acceptance_rate());
    w.Key("tokens_per_target_call");
    w.Double(st.tokens_per_target_call());
    w.Key("speedup");
    w.Double(speedup);
    w.Key("drafted");
    w.Int64(st.drafted);
    w.Key("accepted");
    w.Int64(st.accepted);
    w.Key("target_calls");
    w.Int64(st.target_calls);
    w.Key("draft_calls");
    w.Int64(st.draft_calls);
    w.Key("target_seconds");
    w.Double(st.target_seconds);
    w.Key("draft_seconds");
    w.Double(st.draft_seconds);
    w.Key("seconds");
    w.Double(spec_seconds);
    w.Key("baseline_seconds");
    w.Double(base_seconds);
    // Greedy: true unless batched and one-token evaluation of --model round a near-tie
    // differently; sampled runs draw other tokens from the same distribution.
    w.Key("baseline_tokens_equal");
    w.Bool(base.tokens == r.tokens);
    w.EndObject();
    std::printf("%s\n", buf.GetString());
  } else {
    std::printf("\n");
    std::fprintf(stderr,
                 "[%zu tokens, %s; draft %s: acceptance rate %.3f, %.2f tokens per target call "
                 "(k %s%d), %lld target calls %.3f s, %lld draft calls %.3f s; %.3f s vs %.3f s "
                 "for --model alone: speed-up %.2fx]\n",
                 r.tokens.size(), r.finish_reason.c_str(), draft_path.c_str(), st.acceptance_rate(),
                 st.tokens_per_target_call(), so.adaptive ? "auto, last " : "",
                 st.final_draft_tokens, static_cast<long long>(st.target_calls), st.target_seconds,
                 static_cast<long long>(st.draft_calls), st.draft_seconds, spec_seconds,
                 base_seconds, speedup);
    if (go.sampling.temperature == 0.0f && base.tokens != r.tokens) {
      LogWarn("gapbench generate",
              "--model alone generated other tokens (a near-tie its batched and one-token "
              "evaluations round differently)");
    }
  }
  return 0;
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
  if (args.Get("draft-tokens") && !args.Get("draft")) Fail("--draft-tokens needs --draft");
  if (args.Get("draft")) {  // checked before the models load
    engine::SpeculativeOptions probe;
    ParseDraftTokens(args, probe);
  }
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
    LogWarn("gapbench generate",
            StrCat("prompt (", ptoks.size(), " tokens) + --max-tokens ", go.max_tokens,
                   " exceed the ", n_ctx, "-token context; generation stops at the context's end"));
  }
  // Only what the prompt and the generation can use is held.
  e.session.n_ctx = std::min<int64_t>(n_ctx, static_cast<int64_t>(ptoks.size()) + go.max_tokens);
  if (args.Get("draft")) return GenerateWithDraft(args, e, go, ptoks);
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
