// The time scale of a test's hang guards and peer timeouts (docs/CI.md): the sanitizer tiers run
// the code several times slower and compile their tests with a larger GAPBENCH_TEST_TIME_SCALE.
#pragma once

#ifndef GAPBENCH_TEST_TIME_SCALE
#define GAPBENCH_TEST_TIME_SCALE 1
#endif

namespace gapbench::testing {

inline constexpr int kTestTimeScale = GAPBENCH_TEST_TIME_SCALE;

}  // namespace gapbench::testing
