// The summary of an in-process evaluation (`gapbench eval`) computed by the report's own code:
// the records are collected into a one-group RunData and summarised by ComputeGroupMetrics, so
// eval's accuracy, interval (iid or clustered, by the report's rule), acc_norm, chance level and
// pass@k are by construction the numbers a report of the same records shows. Every sample
// counts, as in the report (an item's score is the mean over its samples).
// Not here: running the items (worker/runner.h), printing (cli/cmd_eval.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "reports/gap_metrics.h"
#include "reports/run_data.h"
#include "suites/record.h"

namespace gapbench::reports {

class EvalTally {
 public:
  // `samples`: samples drawn per item (the setting's; decides whether pass@k rows exist).
  EvalTally(std::string suite_name, std::string suite_hash, int64_t samples);

  // Adds sample `sample` of an item (records arrive in any order).
  void Add(int64_t sample, const suites::ItemRecord& record);

  // The report's row for these records. Its ItemScore::tags point into this tally: keep the
  // tally alive while the metrics are used.
  GroupMetrics Metrics(const MetricsOptions& options = {});

  // Mean over subjects of the subject's mean item score (MMLU's macro average); empty when the
  // items name fewer than two subjects.
  static std::map<std::string, double> SubjectMeans(const GroupMetrics& metrics);

 private:
  RunData run_;
  bool sorted_ = true;
};

}  // namespace gapbench::reports
