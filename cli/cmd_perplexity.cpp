// gapbench perplexity: llama-perplexity's quality check of an engine setting. Tokenizes a text
// file (BOS added as the vocabulary asks), scores chunks of --ctx tokens (second half of each),
// and with --base-config also runs a base setting of the same file and reports KL divergence,
// top-1 agreement and ln(PPL ratio) with a paired standard error. Progress on stderr.
// Not here: the statistics and chunking (engine/perplexity.h), HellaSwag/Winogrande modes, and
// llama.cpp's saved base-logits file (the base is re-run chunk by chunk instead).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/engine_options.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "engine/perplexity.h"

namespace gapbench::cli {
namespace {

constexpr int64_t kDefaultCtx = 512;  // llama-perplexity's default -c

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench perplexity",
      .summary =
          "Perplexity of a text file in chunks of --ctx tokens (the second half of each\n"
          "chunk scored); against --base-config also KL divergence, top-1 agreement and\n"
          "ln(PPL ratio) with a paired standard error (docs/PERPLEXITY.md).",
      .options = WithEngineOptions(
          {{"text", "FILE", "text to score; needs at least 2*ctx tokens", true},
           {"base-config", "FILE|JSON",
            "also run setting B of the same model file: KL(base||test), top-1 agreement"},
           {"chunks", "K", "evaluate at most K chunks"},
           {"json", "", "one JSON object on stdout instead of the summary"}}),
      .notes = "--ctx N: tokens per chunk (default: min(512, training context)).",
  };
  return kSpec;
}

std::string ReadTextFile(const std::string& path) {
  CheckInputFile(path, "--text");
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path, ": cannot open the --text file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) Fail(path, ": read error");
  return text.str();
}

void WriteRawJson(JsonWriter& w, const std::string& json) {
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

void WriteJson(const engine::PerplexityResult& r, const std::string& config,
               const std::string& base_config) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("tokens_scored");
  w.Int64(r.tokens_scored());
  w.Key("chunks");
  w.Int64(r.n_chunks);
  w.Key("ctx");
  w.Int64(r.n_ctx);
  w.Key("perplexity");
  WriteJsonFloat(w, r.test.Perplexity());
  w.Key("perplexity_se");
  WriteJsonFloat(w, r.test.PerplexitySe());
  w.Key("config");
  WriteRawJson(w, config);
  w.Key("base");
  if (!r.compare) {
    w.Null();
  } else {
    const engine::KldStats& k = *r.compare;
    w.StartObject();
    w.Key("config");
    WriteRawJson(w, base_config);
    const std::pair<const char*, double> fields[] = {
        {"perplexity", k.base().Perplexity()},
        {"perplexity_se", k.base().PerplexitySe()},
        {"kld_mean", k.KldMean()},
        {"kld_se", k.KldSe()},
        {"kld_median", k.KldMedian()},
        {"kld_p99", k.KldPercentile(0.99)},
        {"kld_max", k.KldMax()},
        {"top1_agreement", k.Top1Agreement()},
        {"top1_agreement_se", k.Top1AgreementSe()},
        {"ln_ppl_ratio", k.LnPplRatio()},
        {"ln_ppl_ratio_se", k.LnPplRatioSe()},
    };
    for (const auto& [key, value] : fields) {
      w.Key(key);
      WriteJsonFloat(w, value);
    }
    w.EndObject();
  }
  w.EndObject();
  std::fwrite(buf.GetString(), 1, buf.GetSize(), stdout);
  std::fputc('\n', stdout);
}

void WriteText(const engine::PerplexityResult& r, const std::string& config,
               const std::string& base_config) {
  std::printf("config: %s\n", config.c_str());
  std::printf("%lld chunks x %lld tokens, %lld tokens scored\n", static_cast<long long>(r.n_chunks),
              static_cast<long long>(r.n_ctx), static_cast<long long>(r.tokens_scored()));
  std::printf("Final estimate: PPL = %.4f +/- %.5f\n", r.test.Perplexity(), r.test.PerplexitySe());
  if (!r.compare) return;
  const engine::KldStats& k = *r.compare;
  std::printf("\nbase config: %s\n", base_config.c_str());
  std::printf("====== Perplexity statistics ======\n");
  std::printf("PPL(test)                  : %10.6f +/- %10.6f\n", k.test().Perplexity(),
              k.test().PerplexitySe());
  std::printf("PPL(base)                  : %10.6f +/- %10.6f\n", k.base().Perplexity(),
              k.base().PerplexitySe());
  std::printf("Mean ln(PPL(test)/PPL(base)): %10.6f +/- %10.6f (paired)\n", k.LnPplRatio(),
              k.LnPplRatioSe());
  std::printf("PPL(test)/PPL(base)        : %10.6f\n", std::exp(k.LnPplRatio()));
  std::printf("\n====== KL divergence statistics ======\n");
  std::printf("Mean    KLD: %10.6f +/- %10.6f\n", k.KldMean(), k.KldSe());
  std::printf("Maximum KLD: %10.6f\n", k.KldMax());
  std::printf("99.0%%   KLD: %10.6f\n", k.KldPercentile(0.99));
  std::printf("Median  KLD: %10.6f\n", k.KldMedian());
  std::printf("\n====== Token probability statistics ======\n");
  std::printf("Same top p: %7.3f +/- %6.3f %%\n", 100.0 * k.Top1Agreement(),
              100.0 * k.Top1AgreementSe());
}

}  // namespace

int CmdPerplexity(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  const std::string text_path = args.Require("text");
  const int64_t max_chunks = args.GetInt("chunks", 0);
  if (args.Has("chunks") && max_chunks < 1) Fail("--chunks must be >= 1, got ", max_chunks);
  // Read the text and the base config before loading any model: bad input fails fast.
  const std::string text = ReadTextFile(text_path);
  if (text.empty()) Fail(text_path, ": the --text file is empty");
  std::optional<engine::EngineConfig> base_cfg;
  if (auto b = args.Get("base-config")) base_cfg = engine::EngineConfig::FromArg(*b);

  EngineSetup e = SetupEngine(args, kernels::GgmlType::kF16);
  const engine::Model& model = *e.model;
  const int64_t n_ctx_train = model.hparams().n_ctx_train;
  int64_t n_ctx = model.config().context;  // --ctx or the config's "context"
  if (n_ctx == 0) n_ctx = n_ctx_train > 0 ? std::min(kDefaultCtx, n_ctx_train) : kDefaultCtx;
  if (n_ctx < 4) Fail("--ctx must be at least 4 tokens, got ", n_ctx);
  if (n_ctx_train > 0 && n_ctx > n_ctx_train) {
    LogWarn("perplexity",
            StrCat("--ctx ", n_ctx, " exceeds the model's training context ", n_ctx_train));
  }

  const engine::Tokenizer& tok = model.tokenizer();
  const bool add_bos = tok.add_bos_default() && tok.bos() >= 0;
  const std::vector<int32_t> tokens = tok.Encode(text, add_bos);
  // llama.cpp's rule: at least two chunks, so the estimate has some spread to report.
  if (static_cast<int64_t>(tokens.size()) < 2 * n_ctx) {
    Fail(text_path, ": the text has ", tokens.size(), " tokens; perplexity with --ctx ", n_ctx,
         " needs at least ", 2 * n_ctx, " (2 x ctx): give a longer text or a smaller --ctx");
  }

  std::unique_ptr<engine::Model> base_model;
  if (base_cfg) {
    // --ctx and --threads are evaluation parameters shared by both runs; --kv-type and --config
    // describe the setting under test only.
    base_cfg->context = model.config().context;
    // The text is tokenized once, by the main model: its pre-tokenizer permission applies here.
    base_cfg->allow_unknown_pre_tokenizer = model.config().allow_unknown_pre_tokenizer;
    if (args.Has("threads")) base_cfg->threads = e.threads;
    base_model = engine::Model::Load(args.Require("model"), *base_cfg);
  }

  engine::PerplexityOptions opts;
  opts.n_ctx = n_ctx;
  opts.max_chunks = max_chunks;
  opts.bos = add_bos ? tok.bos() : -1;
  opts.progress = [](const engine::ChunkProgress& p) {
    const double per_chunk = p.seconds / static_cast<double>(p.chunk + 1);
    std::fprintf(stderr, "perplexity: chunk %lld/%lld  PPL %.4f",
                 static_cast<long long>(p.chunk + 1), static_cast<long long>(p.n_chunks),
                 p.test->Perplexity());
    if (p.compare) std::fprintf(stderr, "  KLD %.6f", p.compare->KldMean());
    std::fprintf(stderr, "  (%.2f s/chunk, ETA %.0f s)\n", per_chunk,
                 per_chunk * static_cast<double>(p.n_chunks - p.chunk - 1));
  };
  const engine::PerplexityResult r =
      engine::EvaluatePerplexity(model, tokens, opts, base_model.get());

  const std::string config = model.config().Canonical();
  const std::string base_config = base_model ? base_model->config().Canonical() : "";
  if (args.Has("json")) {
    WriteJson(r, config, base_config);
  } else {
    WriteText(r, config, base_config);
  }
  return 0;
}

}  // namespace gapbench::cli
