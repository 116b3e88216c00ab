// One small logger for library code (docs/STYLE.md "Logging"): the coordinator's and the
// workers' events, the sandbox's warnings. Commands print their own results to stdout; what they
// report along the way (progress, warnings) goes through here, so one switch makes a process's
// whole stderr machine-readable.
//
// Two formats, chosen per process (LogOptionsFromEnv reads GAPBENCH_LOG_FORMAT and
// GAPBENCH_LOG_LEVEL; cli/main.cpp applies them before any command runs):
//   text  "COMPONENT: MESSAGE" ("COMPONENT: warning: MESSAGE" for warnings, "COMPONENT: error:
//         MESSAGE" for errors): the commands' old lines, with the level now written for
//         warnings and errors (the coordinator's poisoned shards, refused messages,
//         non-determinism);
//   json  one object per line: {"time": "2026-12-06T20:30:00.123Z", "level": "info",
//         "component": "coordinator", "msg": "...", FIELD: VALUE...} with the call's fields as
//         strings, for log collectors (a fleet of workers, a nightly CI's coordinator).
// Lines below the minimum level are dropped. Each line is written with one call under a mutex,
// so lines of concurrent threads never interleave.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.h"

namespace gapbench {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

struct LogOptions {
  LogLevel min_level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
};

std::string_view LogLevelName(LogLevel level);  // "debug" | "info" | "warn" | "error"

// GAPBENCH_LOG_LEVEL (debug | info | warn | error; default info) and GAPBENCH_LOG_FORMAT (text |
// json; default text). An unknown value is an input Error naming the variable and the values.
LogOptions LogOptionsFromEnv();

void SetLogOptions(const LogOptions& options);
LogOptions GetLogOptions();

// Where finished lines go (without their newline); default: stderr. For tests; pass nullptr to
// restore stderr.
void SetLogSink(std::function<void(std::string_view line)> sink);

using LogFields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Writes one line when `level` is at least the minimum. `fields` are the event's facts (shard
// id, worker, attempt): in json format they are keys of the object, in text format the message
// already says them.
void Log(LogLevel level, std::string_view component, std::string_view message,
         LogFields fields = {});

inline void LogInfo(std::string_view component, std::string_view message, LogFields fields = {}) {
  Log(LogLevel::kInfo, component, message, fields);
}
inline void LogWarn(std::string_view component, std::string_view message, LogFields fields = {}) {
  Log(LogLevel::kWarn, component, message, fields);
}
inline void LogError(std::string_view component, std::string_view message, LogFields fields = {}) {
  Log(LogLevel::kError, component, message, fields);
}

}  // namespace gapbench
