#include "world/size.h"

#include "common/error.h"

namespace gapbench::world {

WorldSize SizeByName(const std::string& name) {
  WorldSize s;
  s.name = name;
  if (name == "small") {
    // A world for tests: every suite small but complete, generated in well under a second.
    s.people = 24, s.towns = 6, s.companies = 6, s.creatures = 6;
    s.trades = 6, s.goods = 6, s.rivers = 5, s.foods = 6, s.colours = 6;
    s.probes_per_bucket = 6, s.two_hop = 6, s.reasoning_per_k = 6, s.code_per_combo = 1;
    s.guard_items = 12, s.corpus_words = 40000;
  } else if (name == "default") {
    // A few hundred items per suite (95% CIs of about +-5 points on the whole suite).
    s.people = 800, s.towns = 40, s.companies = 60, s.creatures = 40;
    s.trades = 24, s.goods = 24, s.rivers = 16, s.foods = 20, s.colours = 12;
    s.probes_per_bucket = 50, s.two_hop = 60, s.reasoning_per_k = 40, s.code_per_combo = 10;
    s.guard_items = 150, s.corpus_words = 2000000;
  } else if (name == "large") {
    s.people = 2400, s.towns = 100, s.companies = 160, s.creatures = 100;
    s.trades = 40, s.goods = 40, s.rivers = 30, s.foods = 32, s.colours = 16;
    s.probes_per_bucket = 150, s.two_hop = 150, s.reasoning_per_k = 120, s.code_per_combo = 30;
    s.guard_items = 400, s.corpus_words = 8000000;
  } else {
    Fail("--size: unknown size '", name, "' (known: small, default, large)");
  }
  return s;
}

}  // namespace gapbench::world
