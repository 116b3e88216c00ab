#include "world/generate.h"

#include <rapidjson/prettywriter.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/json.h"
#include "suites/record.h"
#include "world/code.h"
#include "world/guard.h"
#include "world/knowledge.h"
#include "world/reasoning.h"
#include "world/rng.h"
#include "world/sha256.h"
#include "world/size.h"
#include "world/world_model.h"

namespace gapbench::world {
namespace fs = std::filesystem;
namespace {

// Shares of the corpus (percent of the words): fact statements, worked problems, code, guard.
constexpr int64_t kKnowledgeShare = 25, kReasoningShare = 45, kCodeShare = 15, kGuardShare = 15;
// Words of an average fact statement, to turn the knowledge share into a mention budget.
constexpr int64_t kWordsPerStatement = 7;

void WriteFileAtomic(const fs::path& path, const std::string& data) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) FailResource(tmp.string(), ": cannot create");
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out.flush()) FailResource(tmp.string(), ": write error (disk full?)");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) FailResource(path.string(), ": cannot rename into place: ", ec.message());
}

std::string Jsonl(const std::vector<suites::Item>& items) {
  std::string out;
  for (const auto& item : items) out += suites::ItemToJson(item) + "\n";
  return out;
}

void Key(JsonWriter& w, const char* k, const std::string& v) {
  w.Key(k);
  WriteJsonString(w, v);
}

}  // namespace

std::string WorldVersion(uint64_t seed, const std::string& size, int64_t corpus_words) {
  return StrCat("world-v", kGeneratorVersion, " seed ", seed, " ", size, " ", corpus_words);
}

SynthSummary Synthesize(const SynthOptions& o) {
  const WorldSize size = SizeByName(o.size);
  const int64_t words = o.corpus_words > 0 ? o.corpus_words : size.corpus_words;
  if (words < kMinCorpusWords || words > kMaxCorpusWords) {
    Fail("--corpus-tokens: ", words, " is outside [", kMinCorpusWords, ", ", kMaxCorpusWords, "]");
  }
  if (o.out.empty()) Fail("--out: a folder is required");
  std::error_code ec;
  if (fs::exists(o.out, ec) && !fs::is_directory(o.out, ec)) {
    Fail("--out: ", o.out, " is a file, not a folder");
  }
  auto progress = [&](const std::string& line) {
    if (o.progress) o.progress(line);
  };
  const fs::path out(o.out);
  fs::create_directories(out / "corpus", ec);
  if (ec) FailResource(o.out, ": cannot create the folder: ", ec.message());

  progress(StrCat("world: seed ", o.seed, ", size ", size.name, ", corpus ", words, " words"));
  const World w = BuildWorld(o.seed, size, words * kKnowledgeShare / 100 / kWordsPerStatement);
  progress(StrCat("world: ", w.facts.size(), " facts (", w.mentioned, " stated, ", w.mentions,
                  " mentions, top fact ", w.zipf_max, ")"));

  std::vector<SuitePart> parts;
  parts.push_back(MakeKnowledge(w));
  progress(StrCat("knowledge: ", parts.back().items.size(), " items"));
  parts.push_back(MakeReasoning(w, words * kReasoningShare / 100));
  progress(StrCat("reasoning: ", parts.back().items.size(), " items"));
  parts.push_back(MakeCode(w, words * kCodeShare / 100));
  progress(StrCat("code: ", parts.back().items.size(), " items"));
  parts.push_back(MakeGuard(w, words * kGuardShare / 100));
  progress(StrCat("guard: ", parts.back().items.size(), " items"));

  // Items in a random order, so that the first N (`--limit`, a sweep's `limit`) are a fair
  // sample of every stratum, step count, combination and split.
  for (SuitePart& part : parts) {
    Rng order = Rng::Stream(o.seed, "order/" + part.name);
    order.Shuffle(part.items);
  }

  const std::string version = WorldVersion(o.seed, size.name, words);
  std::map<std::string, std::string> sha;  // relative path -> SHA-256, sorted
  SynthSummary summary;
  for (const SuitePart& part : parts) {
    const std::string file = part.name + ".jsonl";
    const std::string jsonl = Jsonl(part.items);
    WriteFileAtomic(out / file, jsonl);
    sha[file] = Sha256Hex(jsonl);
    SynthSummary::SuiteCounts counts;
    counts.name = part.name;
    counts.file = file;
    counts.items = part.items.size();
    for (const auto& item : part.items) ++counts.splits[item.tags.split];
    counts.content_hash = suites::ContentHash(part.items, {});
    // The sidecar names the suite and the world, and pins the content hash: a changed line
    // fails `gapbench suites validate`.
    rapidjson::StringBuffer buf;
    JsonWriter jw(buf);
    jw.StartObject();
    Key(jw, "name", part.name);
    Key(jw, "version", version);
    Key(jw, "format", std::string("gapbench"));
    Key(jw, "content_hash", counts.content_hash);
    jw.EndObject();
    const std::string sidecar = std::string(buf.GetString()) + "\n";
    WriteFileAtomic(out / (file + ".manifest.json"), sidecar);
    sha[file + ".manifest.json"] = Sha256Hex(sidecar);
    summary.suites.push_back(std::move(counts));

    const std::string cfile = "corpus/" + part.name + ".txt";
    WriteFileAtomic(out / cfile, part.corpus);
    sha[cfile] = Sha256Hex(part.corpus);
    summary.corpus_bytes += static_cast<int64_t>(part.corpus.size());
    summary.corpus_words += CountWords(part.corpus);
    progress(StrCat("wrote ", file, " and ", cfile, " (", part.corpus.size(), " bytes)"));
  }

  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> pw(buf);
  pw.SetIndent(' ', 2);
  pw.StartObject();
  pw.Key("generator");
  pw.String("gapbench suites synth");
  pw.Key("generator_version");
  pw.Int(kGeneratorVersion);
  pw.Key("seed");
  pw.Uint64(o.seed);
  pw.Key("size");
  pw.String(size.name.c_str());
  pw.Key("corpus_tokens");
  pw.Int64(words);
  pw.Key("world");
  pw.StartObject();
  const std::pair<const char*, size_t> counts[] = {
      {"people", size.people},       {"towns", size.towns},        {"companies", size.companies},
      {"creatures", size.creatures}, {"trades", size.trades},      {"goods", size.goods},
      {"rivers", size.rivers},       {"foods", size.foods},        {"colours", size.colours},
      {"facts", w.facts.size()},     {"facts_stated", w.mentioned}};
  for (const auto& [k, v] : counts) {
    pw.Key(k);
    pw.Uint64(v);
  }
  pw.Key("fact_mentions");
  pw.Int64(w.mentions);
  pw.Key("zipf_exponent");
  pw.Int(1);
  pw.Key("zipf_top_frequency");
  pw.Int64(w.zipf_max);
  pw.EndObject();
  pw.Key("suites");
  pw.StartArray();
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& c = summary.suites[i];
    pw.StartObject();
    pw.Key("name");
    pw.String(c.name.c_str());
    pw.Key("file");
    pw.String(c.file.c_str());
    pw.Key("format");
    pw.String("gapbench");
    pw.Key("family");
    pw.String(c.name.c_str());
    pw.Key("content_hash");
    pw.String(c.content_hash.c_str());
    pw.Key("items");
    pw.Uint64(c.items);
    pw.Key("splits");
    pw.StartObject();
    for (const auto& [split, n] : c.splits) {
      pw.Key(split.c_str());
      pw.Uint64(n);
    }
    pw.EndObject();
    pw.Key("id");
    pw.String(parts[i].id_rule.c_str());
    pw.Key("ood");
    pw.String(parts[i].ood_rule.c_str());
    pw.Key("ood_templates");
    pw.StartArray();
    for (const auto& t : parts[i].ood_templates) pw.String(t.c_str());
    pw.EndArray();
    pw.EndObject();
  }
  pw.EndArray();
  pw.Key("corpus");
  pw.StartObject();
  pw.Key("unit");
  pw.String("whitespace-separated words");
  pw.Key("bytes");
  pw.Int64(summary.corpus_bytes);
  pw.Key("words");
  pw.Int64(summary.corpus_words);
  pw.Key("files");
  pw.StartArray();
  for (const auto& part : parts) {
    pw.StartObject();
    pw.Key("file");
    pw.String(("corpus/" + part.name + ".txt").c_str());
    pw.Key("bytes");
    pw.Uint64(part.corpus.size());
    pw.Key("words");
    pw.Int64(CountWords(part.corpus));
    pw.EndObject();
  }
  pw.EndArray();
  pw.EndObject();
  pw.Key("files");
  pw.StartObject();
  for (const auto& [path, digest] : sha) {
    pw.Key(path.c_str());
    pw.String(digest.c_str());
  }
  pw.EndObject();
  pw.EndObject();
  const std::string manifest = std::string(buf.GetString()) + "\n";
  WriteFileAtomic(out / "manifest.json", manifest);
  summary.manifest_sha256 = Sha256Hex(manifest);
  progress(StrCat("wrote manifest.json (world ", summary.manifest_sha256.substr(0, 16), ")"));
  return summary;
}

}  // namespace gapbench::world
