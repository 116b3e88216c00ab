// The logger (common/log.h): text lines as the commands always printed them, JSON lines a log
// collector can parse with the event's fields, level filtering, environment parsing with clear
// errors, and whole lines under concurrent writers.
#include "common/log.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/json.h"

namespace gapbench {
namespace {

// Captures lines for one test and restores the defaults after it.
class LogCapture {
 public:
  explicit LogCapture(LogOptions options) {
    SetLogOptions(options);
    SetLogSink([this](std::string_view line) {
      std::lock_guard lock(m_);
      lines_.emplace_back(line);
    });
  }
  ~LogCapture() {
    SetLogSink(nullptr);
    SetLogOptions({});
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(m_);
    return lines_;
  }

 private:
  std::mutex m_;
  std::vector<std::string> lines_;
};

TEST(Log, TextLinesKeepTheCommandsForm) {
  LogCapture cap({});
  LogInfo("coordinator", "shard ab12 done (worker w1)", {{"shard", "ab12"}});
  LogWarn("gapbench", "sandbox run without a cgroup: no delegation");
  LogError("coordinator", "receive failed: EINTR");
  Log(LogLevel::kDebug, "worker", "not shown at info");
  EXPECT_EQ(cap.lines(), (std::vector<std::string>{
                             "coordinator: shard ab12 done (worker w1)",
                             "gapbench: warning: sandbox run without a cgroup: no delegation",
                             "coordinator: error: receive failed: EINTR"}));
}

TEST(Log, JsonLinesCarryLevelComponentMessageAndFields) {
  LogCapture cap({.min_level = LogLevel::kDebug, .format = LogFormat::kJson});
  LogInfo("coordinator", "shard \"x\" done\nnext",
          {{"shard", "ab12"}, {"worker", "w\u00e91"}, {"attempt", "2"}});
  Log(LogLevel::kDebug, "worker", "d");
  const auto lines = cap.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].find('\n'), std::string::npos);  // one line per event, newline escaped
  const auto doc = ParseJson(lines[0], "log line");
  EXPECT_STREQ(doc["level"].GetString(), "info");
  EXPECT_STREQ(doc["component"].GetString(), "coordinator");
  EXPECT_STREQ(doc["msg"].GetString(), "shard \"x\" done\nnext");
  EXPECT_STREQ(doc["shard"].GetString(), "ab12");
  EXPECT_STREQ(doc["worker"].GetString(), "w\u00e91");
  EXPECT_STREQ(doc["attempt"].GetString(), "2");
  const std::string time = doc["time"].GetString();  // 2026-12-06T20:30:00.123Z
  ASSERT_EQ(time.size(), 24u) << time;
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_STREQ(ParseJson(lines[1], "log line")["level"].GetString(), "debug");
}

TEST(Log, LevelsBelowTheMinimumAreDropped) {
  LogCapture cap({.min_level = LogLevel::kWarn});
  LogInfo("c", "info");
  LogWarn("c", "warn");
  LogError("c", "error");
  EXPECT_EQ(cap.lines().size(), 2u);
}

TEST(Log, EnvironmentChoosesFormatAndLevelAndRejectsUnknownValues) {
  setenv("GAPBENCH_LOG_FORMAT", "json", 1);
  setenv("GAPBENCH_LOG_LEVEL", "error", 1);
  LogOptions o = LogOptionsFromEnv();
  EXPECT_EQ(o.format, LogFormat::kJson);
  EXPECT_EQ(o.min_level, LogLevel::kError);
  setenv("GAPBENCH_LOG_FORMAT", "xml", 1);
  try {
    LogOptionsFromEnv();
    ADD_FAILURE() << "xml accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("GAPBENCH_LOG_FORMAT='xml'"), std::string::npos);
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
  }
  setenv("GAPBENCH_LOG_FORMAT", "text", 1);
  setenv("GAPBENCH_LOG_LEVEL", "loud", 1);
  EXPECT_THROW(LogOptionsFromEnv(), Error);
  unsetenv("GAPBENCH_LOG_FORMAT");
  unsetenv("GAPBENCH_LOG_LEVEL");
  o = LogOptionsFromEnv();
  EXPECT_EQ(o.format, LogFormat::kText);
  EXPECT_EQ(o.min_level, LogLevel::kInfo);
}

TEST(Log, ConcurrentWritersNeverInterleaveALine) {
  LogCapture cap({.format = LogFormat::kJson});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        LogInfo("worker", std::string(100, static_cast<char>('a' + t)), {{"i", std::to_string(i)}});
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto lines = cap.lines();
  ASSERT_EQ(lines.size(), 1600u);
  for (const auto& l : lines) {
    const auto doc = ParseJson(l, "log line");
    const std::string msg = doc["msg"].GetString();
    ASSERT_EQ(msg, std::string(100, msg[0]));
  }
}

}  // namespace
}  // namespace gapbench
