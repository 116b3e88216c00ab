// Default suite registry over the shared data folder.
#include "suites/registry.h"

#include <cstdlib>
#include <filesystem>

#include "common/error.h"

namespace gapbench::suites {
namespace fs = std::filesystem;

namespace {

std::string SearchUp(fs::path start) {
  std::error_code ec;
  for (fs::path p = start; !p.empty(); p = p.parent_path()) {
    if (fs::is_directory(p / "shared" / "data", ec)) return (p / "shared" / "data").string();
    if (p == p.parent_path()) break;
  }
  return "";
}

}  // namespace

std::string FindDataDir() {
  std::error_code ec;
  if (const char* d = std::getenv("GAPBENCH_DATA_DIR"); d && *d) return d;
  if (const char* s = std::getenv("GAPBENCH_SHARED_DIR"); s && *s) {
    const fs::path p = fs::path(s) / "data";
    return fs::is_directory(p, ec) ? p.string() : "";
  }
  if (std::string found = SearchUp(fs::current_path(ec)); !found.empty()) return found;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) return SearchUp(exe.parent_path());
  return "";
}

std::vector<KnownSuite> DefaultSuites(const std::string& data_dir) {
  std::vector<KnownSuite> out;
  if (data_dir.empty()) return out;
  std::error_code ec;
  const fs::path d(data_dir);
  if (fs::is_directory(d / "mmlu", ec)) out.push_back({"mmlu", (d / "mmlu").string(), "mmlu"});
  for (const char* f : {"HumanEval.jsonl.gz", "HumanEval.jsonl"}) {
    if (fs::is_regular_file(d / "humaneval" / f, ec)) {
      out.push_back({"humaneval", (d / "humaneval" / f).string(), "humaneval"});
      break;
    }
  }
  if (fs::is_regular_file(d / "gsm8k" / "test.jsonl", ec)) {
    out.push_back({"gsm8k", (d / "gsm8k" / "test.jsonl").string(), "gsm8k"});
  }
  // The lm-eval tasks, under lm-eval's task names (docs/SUITES.md).
  const struct {
    const char* name;
    const char* file;
    const char* format;
  } kTasks[] = {{"arc_easy", "arc/ARC-Easy-Test.jsonl", "arc"},
                {"arc_challenge", "arc/ARC-Challenge-Test.jsonl", "arc"},
                {"truthfulqa_mc1", "truthfulqa/mc_task.json", "truthfulqa_mc1"},
                {"truthfulqa_mc2", "truthfulqa/mc_task.json", "truthfulqa_mc2"},
                {"winogrande", "winogrande/dev.jsonl", "winogrande"},
                {"piqa", "piqa/valid.jsonl", "piqa"},
                {"boolq", "boolq/dev.jsonl", "boolq"},
                {"hellaswag", "hellaswag/hellaswag_val.jsonl", "hellaswag"}};
  for (const auto& t : kTasks) {
    if (fs::is_regular_file(d / t.file, ec))
      out.push_back({t.name, (d / t.file).string(), t.format});
  }
  return out;
}

std::string KnownSuiteFormat(const std::string& name_or_path, const std::string& data_dir) {
  std::error_code ec;
  if (fs::exists(name_or_path, ec)) return "";
  for (const auto& s : DefaultSuites(data_dir)) {
    if (s.name == name_or_path) return s.format;
  }
  return "";
}

std::string ResolveSuite(const std::string& name_or_path, const std::string& data_dir) {
  std::error_code ec;
  if (fs::exists(name_or_path, ec)) return name_or_path;
  std::string names;
  for (const auto& s : DefaultSuites(data_dir)) {
    if (s.name == name_or_path) return s.path;
    names += names.empty() ? s.name : ", " + s.name;
  }
  Fail(name_or_path, ": no such file or folder, and not a known suite name",
       names.empty() ? " (no shared data folder found)" : " (known: " + names + ")");
}

}  // namespace gapbench::suites
