// The logger (log.h).
#include "common/log.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

#include "common/json.h"

namespace gapbench {
namespace {

std::mutex& Mutex() {
  static std::mutex m;
  return m;
}

LogOptions& Options() {
  static LogOptions options;
  return options;
}

std::function<void(std::string_view)>& Sink() {
  static std::function<void(std::string_view)> sink;
  return sink;
}

std::string UtcNow() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];  // ample: GCC bounds each %d by INT_MAX
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

LogOptions LogOptionsFromEnv() {
  LogOptions o;
  if (const char* level = std::getenv("GAPBENCH_LOG_LEVEL"); level && *level) {
    const std::string_view v = level;
    if (v == "debug") {
      o.min_level = LogLevel::kDebug;
    } else if (v == "info") {
      o.min_level = LogLevel::kInfo;
    } else if (v == "warn") {
      o.min_level = LogLevel::kWarn;
    } else if (v == "error") {
      o.min_level = LogLevel::kError;
    } else {
      Fail("GAPBENCH_LOG_LEVEL='", v, "' is not one of debug, info, warn, error");
    }
  }
  if (const char* format = std::getenv("GAPBENCH_LOG_FORMAT"); format && *format) {
    const std::string_view v = format;
    if (v == "text") {
      o.format = LogFormat::kText;
    } else if (v == "json") {
      o.format = LogFormat::kJson;
    } else {
      Fail("GAPBENCH_LOG_FORMAT='", v, "' is not one of text, json");
    }
  }
  return o;
}

void SetLogOptions(const LogOptions& options) {
  std::lock_guard lock(Mutex());
  Options() = options;
}

LogOptions GetLogOptions() {
  std::lock_guard lock(Mutex());
  return Options();
}

void SetLogSink(std::function<void(std::string_view line)> sink) {
  std::lock_guard lock(Mutex());
  Sink() = std::move(sink);
}

void Log(LogLevel level, std::string_view component, std::string_view message, LogFields fields) {
  const LogOptions options = GetLogOptions();
  if (static_cast<int>(level) < static_cast<int>(options.min_level)) return;
  std::string line;
  if (options.format == LogFormat::kJson) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("time");
    WriteJsonString(w, UtcNow());
    w.Key("level");
    WriteJsonString(w, LogLevelName(level));
    w.Key("component");
    WriteJsonString(w, component);
    w.Key("msg");
    WriteJsonString(w, message);
    for (const auto& [key, value] : fields) {
      w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
      WriteJsonString(w, value);
    }
    w.EndObject();
    line.assign(buf.GetString(), buf.GetSize());
  } else {
    line = StrCat(component, ": ",
                  level == LogLevel::kWarn    ? "warning: "
                  : level == LogLevel::kError ? "error: "
                                              : "",
                  message);
  }
  std::lock_guard lock(Mutex());
  if (Sink()) {
    Sink()(line);
    return;
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace gapbench
