// items.jsonl: every item record of a run, one JSON object per line, in an order that depends
// only on the data — configuration hash, suite name, suite hash, model id, strategy, item id,
// sample (bytewise) — so two runs of the same sweep diff item for item with `diff`.
//
// Each line: {"model_id", "model_alias", "config_hash", "config_name", "strategy", "suite",
// "suite_hash", "item_id", "item_index", "sample", <the record's fields in ItemRecordToJson
// order, minus the timing>, "timing": {<timing_json's members, keys sorted>}}. Timing (latency,
// speed) lives only under "timing", so a pure speed change leaves every other byte equal.
//
// Not here: aggregation (gap_metrics.h).
#pragma once

#include <ostream>
#include <string>

#include "reports/run_data.h"

namespace gapbench::reports {

// One line (no newline) for one item of a group.
std::string ItemLine(const RunGroup& group, const RunItem& item);
// Every item of the run in the documented order, each line ending in '\n'.
void WriteItemsJsonl(const RunData& run, std::ostream& out);
std::string ItemsJsonl(const RunData& run);

}  // namespace gapbench::reports
