// Report files (see report_writer.h).
#include "reports/report_writer.h"

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "reports/html.h"
#include "reports/items_jsonl.h"
#include "reports/markdown.h"
#include "reports/results_json.h"

namespace gapbench::reports {
namespace {

namespace fs = std::filesystem;

void WriteAtomically(const fs::path& path, const std::string& data) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) Fail(tmp.string(), ": cannot open for writing");
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
    f.flush();
    if (!f) Fail(tmp.string(), ": write failed (disk full?)");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) Fail(path.string(), ": cannot rename the finished file into place: ", ec.message());
}

}  // namespace

ReportFiles WriteReportFiles(const RunData& run, const RunMetrics& metrics,
                             const std::string& out_dir, const std::string& title) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) Fail(out_dir, ": cannot create the output directory: ", ec.message());
  ReportFiles files;
  const auto put = [&](const char* name, const std::string& data) {
    const fs::path p = fs::path(out_dir) / name;
    WriteAtomically(p, data);
    files.written.push_back(p.string());
  };
  put("results.json", ResultsJson(run, metrics));
  put("items.jsonl", ItemsJsonl(run));
  put("report.md", MarkdownReport(run, metrics));
  HtmlOptions options;
  options.title = title;
  put("index.html", HtmlReport(run, metrics, options));
  return files;
}

}  // namespace gapbench::reports
