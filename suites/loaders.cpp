// Loader dispatch: reading (and gunzipping) files, the manifest sidecar, format detection, and
// turning collected issues into one Error for LoadSuite.
#include "suites/loaders.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/json.h"
#include "suites/loaders_internal.h"

namespace gapbench::suites {
namespace fs = std::filesystem;

std::string LoadIssue::ToString() const {
  return line > 0 ? StrCat(file, ":", line, ": ", message) : StrCat(file, ": ", message);
}

namespace {

std::string Gunzip(const std::string& path, std::string_view data) {
  z_stream zs{};
  // 15 + 32: zlib or gzip header, detected automatically.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) Fail(path, ": cannot initialise zlib");
  std::string out;
  out.resize(data.size() * 4 + 4096);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  size_t produced = 0;
  while (true) {
    if (produced == out.size()) out.resize(out.size() * 2);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // concatenated gzip members, as gzip(1) writes them
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated input
  }
  const bool complete = rc == Z_STREAM_END;
  const std::string msg = zs.msg ? zs.msg : "";
  inflateEnd(&zs);
  if (!complete) Fail(path, ": corrupt or truncated gzip data", msg.empty() ? "" : ": ", msg);
  out.resize(produced);
  return out;
}

struct Sidecar {
  std::string file;  // empty: none
  std::string name, version, format, content_hash;
  Tags tags;
};

Sidecar ReadSidecar(const fs::path& path) {
  Sidecar sc;
  std::error_code ec;
  const fs::path file = fs::is_directory(path, ec) ? path / "manifest.json"
                                                   : fs::path(path.string() + ".manifest.json");
  if (!fs::is_regular_file(file, ec)) return sc;
  sc.file = file.string();
  const auto doc = ParseJson(ReadSuiteFile(sc.file), sc.file);
  if (!doc.IsObject()) Fail(sc.file, ": a manifest must be a JSON object");
  for (const auto& m : doc.GetObject()) {
    const std::string key = m.name.GetString();
    if (key == "tags") {
      const std::string err = detail::ParseTagsJson(m.value, sc.tags);
      if (!err.empty()) Fail(sc.file, ": tags: ", err);
      continue;
    }
    std::string* dst = key == "name"           ? &sc.name
                       : key == "version"      ? &sc.version
                       : key == "format"       ? &sc.format
                       : key == "content_hash" ? &sc.content_hash
                                               : nullptr;
    if (!dst) {
      Fail(sc.file, ": unknown manifest field '", key,
           "' (known: name, version, format, content_hash, tags)");
    }
    if (!m.value.IsString()) Fail(sc.file, ": '", key, "' must be a string");
    *dst = m.value.GetString();
  }
  return sc;
}

// The lm-eval / llm-foundry formats loaded from one file (LoadSuiteChecked dispatches them).
// A constant array, not a std::vector: SuiteFormats() may run during another file's static
// initialisation (a command's option table).
constexpr std::string_view kTaskFormats[] = {"arc",
                                             "truthfulqa_mc1",
                                             "truthfulqa_mc2",
                                             "winogrande",
                                             "piqa",
                                             "boolq",
                                             "hellaswag",
                                             "icl_multiple_choice",
                                             "icl_schema",
                                             "icl_language_modeling",
                                             "icl_question_answering"};

}  // namespace

const std::vector<std::string>& SuiteFormats() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> v = {"mmlu", "humaneval", "gsm8k", "gapbench"};
    for (std::string_view f : kTaskFormats) v.emplace_back(f);
    return v;
  }();
  return all;
}

std::string SuiteFormatList(std::string_view separator) {
  std::string out;
  for (const std::string& f : SuiteFormats()) {
    if (!out.empty()) out += separator;
    out += f;
  }
  return out;
}

namespace {

std::string DetectFromText(const std::string& path, std::string_view text) {
  text = detail::StripBom(text);
  // TruthfulQA's mc_task.json is one JSON array, not JSONL: MC1 unless the format says MC2.
  const std::string_view t = detail::Trim(text);
  if (t.starts_with("[") && t.find("\"mc1_targets\"") != std::string_view::npos) {
    return "truthfulqa_mc1";
  }
  const auto keys = detail::FirstLineKeys(text);
  auto has = [&](const char* k) {
    for (const auto& key : keys)
      if (key == k) return true;
    return false;
  };
  if (has("kind")) return "gapbench";
  if (has("task_id") && has("entry_point")) return "humaneval";
  if (has("question") && has("answerKey")) return "arc";
  if (has("question") && has("passage")) return "boolq";
  if (has("sentence") && has("option1") && has("option2")) return "winogrande";
  if (has("goal") && has("sol1") && has("sol2")) return "piqa";
  if (has("ctx_a") && has("ctx_b") && has("endings")) return "hellaswag";
  if (has("query") && has("choices") && has("gold")) return "icl_multiple_choice";
  if (has("context_options") && has("continuation")) return "icl_schema";
  if (has("context") && has("continuation")) return "icl_language_modeling";
  if (has("context") && has("answer")) return "icl_question_answering";
  if (has("question") && has("answer")) return "gsm8k";
  Fail(path,
       ": cannot tell the suite format from the first line (expected a native item with "
       "\"kind\", a HumanEval problem with \"task_id\"/\"entry_point\", a GSM8K problem with "
       "\"question\"/\"answer\", or one of the task formats of docs/SUITES.md); give --format "
       "(known: ",
       SuiteFormatList(", "), ")");
}

bool IsCsvName(const fs::path& p) { return p.extension() == ".csv"; }

bool FolderHasCsv(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && IsCsvName(e.path())) return true;
  }
  return false;
}

// Default suite name: the file stem, unless it is a generic split name (test.jsonl), then the
// folder's name.
std::string DefaultName(const fs::path& p, const std::string& format) {
  fs::path q = p;
  while (!q.empty() && q.filename().empty()) q = q.parent_path();  // "dir/" -> "dir"
  std::string stem = q.filename().string();
  for (const char* ext : {".gz", ".jsonl", ".json", ".csv"}) {
    if (stem.size() > std::strlen(ext) && stem.ends_with(ext))
      stem.resize(stem.size() - std::strlen(ext));
  }
  if (format == "truthfulqa_mc1" || format == "truthfulqa_mc2") return format;
  if (stem == "test" || stem == "train" || stem == "dev" || stem == "validation" ||
      stem == "valid" || stem == "val" || stem.empty()) {
    const std::string parent = fs::absolute(q).parent_path().filename().string();
    return parent.empty() ? format : parent;
  }
  if (format == "humaneval" && (stem == "HumanEval" || stem == "human-eval-v2")) return "humaneval";
  return stem;
}

}  // namespace

std::string ReadSuiteFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path, ": cannot open");
  std::string data;
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  if (size < 0) Fail(path, ": cannot read");
  data.resize(static_cast<size_t>(size));
  in.seekg(0);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (!in) Fail(path, ": read error");
  if (data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
      static_cast<unsigned char>(data[1]) == 0x8b) {
    return Gunzip(path, data);
  }
  return data;
}

std::string DetectFormat(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) Fail(path, ": no such file or folder");
  const Sidecar sc = ReadSidecar(path);
  if (!sc.format.empty()) return sc.format;
  if (fs::is_directory(path, ec)) {
    if (FolderHasCsv(fs::path(path) / "test") || FolderHasCsv(path)) return "mmlu";
    Fail(path,
         ": a folder suite must be an MMLU-style CSV folder (test/, dev/) or hold a "
         "manifest.json naming its format");
  }
  if (IsCsvName(path)) return "mmlu";
  return DetectFromText(path, ReadSuiteFile(path));
}

LoadResult LoadSuiteChecked(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) Fail(path, ": no such file or folder");
  const Sidecar sc = ReadSidecar(path);
  LoadResult result;
  Suite& suite = result.suite;
  std::string format = !options.format.empty() ? options.format : sc.format;
  const bool is_dir = fs::is_directory(path, ec);
  std::string text;
  if (format.empty()) {
    if (is_dir || IsCsvName(path)) {
      format = DetectFormat(path);
    } else {
      text = ReadSuiteFile(path);
      format = DetectFromText(path, text);
    }
  }
  if (format == "mmlu") {
    detail::LoadMmlu(path, options.split, sc.tags, suite, result.issues);
  } else if (format == "humaneval" || format == "gsm8k" || format == "gapbench" ||
             std::find(std::begin(kTaskFormats), std::end(kTaskFormats), format) !=
                 std::end(kTaskFormats)) {
    if (is_dir) Fail(path, ": format '", format, "' is one file, not a folder");
    if (text.empty()) text = ReadSuiteFile(path);
    // A leading byte-order mark is not part of the first line's JSON.
    const std::string_view body = detail::StripBom(text);
    const Tags& d = sc.tags;
    auto& is = result.issues;
    if (format == "humaneval") detail::LoadHumanEval(path, body, d, suite, is);
    if (format == "gsm8k") detail::LoadGsm8k(path, body, d, suite, is);
    if (format == "gapbench") detail::LoadNative(path, body, d, suite, is);
    if (format == "arc") detail::LoadArc(path, body, d, suite, is);
    if (format == "truthfulqa_mc1") detail::LoadTruthfulQa(path, body, false, d, suite, is);
    if (format == "truthfulqa_mc2") detail::LoadTruthfulQa(path, body, true, d, suite, is);
    if (format == "winogrande") detail::LoadWinogrande(path, body, d, suite, is);
    if (format == "piqa") detail::LoadPiqa(path, body, d, suite, is);
    if (format == "boolq") detail::LoadBoolq(path, body, d, suite, is);
    if (format == "hellaswag") detail::LoadHellaswag(path, body, d, suite, is);
    if (format.starts_with("icl_")) detail::LoadIcl(path, body, format, d, suite, is);
  } else {
    Fail(path, ": unknown suite format '", format, "' (known: ", SuiteFormatList(", "), ")");
  }
  Manifest& m = suite.manifest;
  m.format = format;
  m.path = path;
  m.name = sc.name.empty() ? DefaultName(path, format) : sc.name;
  if (!sc.version.empty()) m.version = sc.version;
  if (suite.items.empty() && result.issues.empty()) {
    result.issues.push_back({path, 0, "the suite holds no items"});
  }
  FinishManifest(suite);
  if (!sc.content_hash.empty() && sc.content_hash != m.content_hash && result.issues.empty()) {
    result.issues.push_back({sc.file, 0,
                             StrCat("content_hash ", sc.content_hash, " does not match the items (",
                                    m.content_hash, "): the suite changed since the manifest")});
  }
  return result;
}

Suite LoadSuite(const std::string& path, const LoadOptions& options) {
  LoadResult r = LoadSuiteChecked(path, options);
  if (!r.issues.empty()) {
    std::ostringstream msg;
    msg << path << ": " << r.issues.size()
        << " problem(s); run `gapbench suites validate` for all:";
    for (size_t i = 0; i < r.issues.size() && i < 20; ++i) msg << "\n  " << r.issues[i].ToString();
    if (r.issues.size() > 20) msg << "\n  ... and " << r.issues.size() - 20 << " more";
    throw Error(msg.str());
  }
  return std::move(r.suite);
}

}  // namespace gapbench::suites
