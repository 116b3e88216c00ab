// Model and suite caches of a worker (see model_cache.h).
#include "worker/model_cache.h"

#include <unistd.h>

#include <cctype>
#include <cmath>
#include <filesystem>

#include "common/error.h"
#include "coordinator/model_identity.h"
#include "engine/engine_config.h"
#include "suites/loaders.h"

namespace gapbench::worker {
namespace {

// (size, mtime) of a file; Error naming it when it cannot be read.
std::pair<uintmax_t, int64_t> FileStamp(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) Fail(path, ": cannot read the model file (", ec.message(), ")");
  const auto mtime = std::filesystem::last_write_time(path, ec);
  if (ec) Fail(path, ": cannot read the model file (", ec.message(), ")");
  return {size, static_cast<int64_t>(mtime.time_since_epoch().count())};
}

}  // namespace

int64_t DefaultMemoryBudget() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return int64_t{4} << 30;
  return static_cast<int64_t>(pages) * page_size / 2;
}

int64_t ParseByteSize(const std::string& text, const std::string& what) {
  size_t pos = 0;
  double value = 0;
  try {
    value = std::stod(text, &pos);
  } catch (const std::exception&) {
    Fail(what, ": expected a size in bytes such as 4G or 512M, got '", text, "'");
  }
  std::string unit = text.substr(pos);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() >= 2 && unit.substr(unit.size() - 2) == "IB") {
    unit.resize(unit.size() - 2);
  } else if (unit.size() >= 2 && unit.back() == 'B') {
    unit.pop_back();
  }
  double scale = 1;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else if (unit == "K") {
    scale = 1024.0;
  } else if (unit == "M") {
    scale = 1024.0 * 1024;
  } else if (unit == "G") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "T") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else {
    Fail(what, ": unknown unit in '", text, "' (use K, M, G or T)");
  }
  const double bytes = value * scale;
  if (!std::isfinite(bytes) || bytes < 1 || bytes > 9.0e18) {
    Fail(what, ": '", text, "' is not a positive size");
  }
  return static_cast<int64_t>(bytes);
}

ModelCache::ModelCache(int64_t budget_bytes) : budget_(budget_bytes) {}

CachedModel ModelCache::Get(const std::string& path, const std::string& config_json,
                            bool* over_budget) {
  const engine::EngineConfig config =
      engine::EngineConfig::FromJson(config_json, StrCat(path, " (engine config)"));
  const std::string key = StrCat(path, '\n', config.Hash());
  const auto [size, mtime] = FileStamp(path);
  if (over_budget) *over_budget = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->key != key) continue;
      if (it->file_size == size && it->file_mtime == mtime) {
        entries_.splice(entries_.begin(), entries_, it);
        return entries_.front().value;
      }
      entries_.erase(it);  // the file changed since it was loaded
      break;
    }
  }
  // Load outside the lock: it takes seconds for real models and LoadedIds must stay answerable.
  Entry e;
  e.key = key;
  e.file_size = size;
  e.file_mtime = mtime;
  e.value.model_id = coordinator::IdentifyModelFile(path).hash;
  e.value.model = engine::Model::Load(path, config);
  e.value.config_hash = config.Hash();
  e.value.bytes = e.value.model->weight_bytes();
  std::lock_guard<std::mutex> lock(mu_);
  int64_t total = e.value.bytes;
  for (const auto& other : entries_) total += other.value.bytes;
  while (total > budget_ && !entries_.empty()) {
    total -= entries_.back().value.bytes;
    entries_.pop_back();
  }
  if (over_budget) *over_budget = e.value.bytes > budget_;
  entries_.push_front(std::move(e));
  return entries_.front().value;
}

std::vector<std::string> ModelCache::LoadedIds() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> ids;
  for (const auto& e : entries_) ids.push_back(e.value.model_id);
  return ids;
}

int64_t ModelCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t total = 0;
  for (const auto& e : entries_) total += e.value.bytes;
  return total;
}

std::shared_ptr<const suites::Suite> SuiteCache::Get(const std::string& path,
                                                     const std::string& format,
                                                     const std::string& split, bool reload) {
  const std::string key = StrCat(path, '\n', format, '\n', split);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key != key) continue;
    if (reload) {
      entries_.erase(it);
      break;
    }
    entries_.splice(entries_.begin(), entries_, it);
    return entries_.front().suite;
  }
  suites::LoadOptions lo;
  lo.format = format;
  if (!split.empty()) lo.split = split;
  auto suite = std::make_shared<const suites::Suite>(suites::LoadSuite(path, lo));
  entries_.push_front({key, suite});
  if (entries_.size() > max_suites_) entries_.pop_back();
  return suite;
}

}  // namespace gapbench::worker
