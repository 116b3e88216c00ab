// gapbench suites synth: writes the seeded synthetic world (suites, corpus, manifest) into a
// folder (world/generate.h, docs/WORLD.md). Progress goes to stderr, the summary to stdout.
// Not here: the world itself (world/).
#include <chrono>
#include <cinttypes>
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/json.h"
#include "world/generate.h"

namespace gapbench::cli {
namespace {

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench suites synth",
      .summary =
          "Writes a seeded synthetic world into --out: knowledge.jsonl, reasoning.jsonl,\n"
          "code.jsonl, guard.jsonl (native suites with id/ood splits), corpus/*.txt (the\n"
          "training text, none of the ood material) and manifest.json (docs/WORLD.md).\n"
          "The same seed and size give byte-identical files on any machine.",
      .options = {{"seed", "N", "the world's seed (integer >= 0)", true},
                  {"size", "S", "small | default | large (default: default)"},
                  {"corpus-tokens", "N",
                   "corpus length in whitespace-separated words (default: small 40000, "
                   "default 2000000, large 8000000)"},
                  {"out", "DIR", "output folder (created; files in it are replaced)", true},
                  {"json", "", "print the summary as JSON"},
                  {"quiet", "", "no progress lines on stderr"}},
      .notes = "Exit codes: 0 written, 2 bad arguments, 1 the files could not be written.",
  };
  return kSpec;
}

}  // namespace

int CmdSuitesSynth(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  world::SynthOptions o;
  o.seed = static_cast<uint64_t>(args.GetInt("seed", 0, 0, INT64_MAX));
  o.size = args.Get("size").value_or("default");
  o.corpus_words =
      args.Has("corpus-tokens")
          ? args.GetInt("corpus-tokens", 0, world::kMinCorpusWords, world::kMaxCorpusWords)
          : 0;
  o.out = args.Require("out");
  CheckOutputDir(o.out, "--out");
  const bool quiet = args.Has("quiet");
  const auto start = std::chrono::steady_clock::now();
  o.progress = [&](const std::string& line) {
    if (quiet) return;
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "[%6.2fs] %s\n", t, line.c_str());
  };
  const world::SynthSummary s = world::Synthesize(o);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (args.Has("json")) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("out");
    WriteJsonString(w, o.out);
    w.Key("world");
    WriteJsonString(w, s.manifest_sha256);
    w.Key("suites");
    w.StartArray();
    for (const auto& c : s.suites) {
      w.StartObject();
      w.Key("name");
      WriteJsonString(w, c.name);
      w.Key("file");
      WriteJsonString(w, c.file);
      w.Key("content_hash");
      WriteJsonString(w, c.content_hash);
      w.Key("items");
      w.Uint64(c.items);
      w.Key("splits");
      w.StartObject();
      for (const auto& [k, v] : c.splits) {
        w.Key(k.c_str());
        w.Uint64(v);
      }
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
    w.Key("corpus_bytes");
    w.Int64(s.corpus_bytes);
    w.Key("corpus_words");
    w.Int64(s.corpus_words);
    w.Key("seconds");
    WriteJsonFloat(w, seconds);
    w.EndObject();
    std::printf("%s\n", buf.GetString());
    return 0;
  }
  std::printf("%-10s %6s %6s %6s  %-16s\n", "suite", "items", "id", "ood", "content_hash");
  for (const auto& c : s.suites) {
    auto split = [&](const char* k) {
      const auto it = c.splits.find(k);
      return it == c.splits.end() ? size_t{0} : it->second;
    };
    std::printf("%-10s %6zu %6zu %6zu  %-16s\n", c.name.c_str(), c.items, split("id"), split("ood"),
                c.content_hash.c_str());
  }
  std::printf("corpus     %" PRId64 " bytes, %" PRId64 " words\n", s.corpus_bytes, s.corpus_words);
  std::printf("world      %s (sha256 of manifest.json)\n", s.manifest_sha256.c_str());
  std::printf("written to %s in %.2f s\n", o.out.c_str(), seconds);
  return 0;
}

}  // namespace gapbench::cli
