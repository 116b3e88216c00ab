// EditDistance against hand-counted Levenshtein distances.
#include "common/text.h"

#include <gtest/gtest.h>

namespace gapbench {
namespace {

TEST(Text, EditDistance) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("kv_head", "kv_heads"), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("weigths", "weights"), 2u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
}

}  // namespace
}  // namespace gapbench
