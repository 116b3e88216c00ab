#include "world/world_model.h"

#include "common/error.h"
#include "world/names.h"
#include "world/rng.h"

namespace gapbench::world {
namespace {

using E = EntityType;
using R = Relation;

// The probes end at the value: the id probe is a prefix of the first corpus template, the ood
// probe a paraphrase whose wording appears nowhere in the corpus (tested).
const std::vector<RelationInfo>& Table() {
  static const std::vector<RelationInfo> kTable = {
      {R::kLivesIn,
       "lives_in",
       E::kPerson,
       E::kTown,
       {"{S} lives in {V}.", "{S} has a house in {V}.", "{S} makes a home in {V}."},
       "{S} lives in",
       "The town that {S} calls home is"},
      {R::kWorksFor,
       "works_for",
       E::kPerson,
       E::kCompany,
       {"{S} works for {V}.", "{S} is employed by {V}.", "{S} has a job at {V}."},
       "{S} works for",
       "Every payday, {S} collects wages from"},
      {R::kKeeps,
       "keeps",
       E::kPerson,
       E::kCreature,
       {"{S} keeps a {V}.", "{S} has a pet {V}.", "{S} looks after a pet {V}."},
       "{S} keeps a",
       "Curled up by the fire of {S} sleeps a"},
      {R::kTrade,
       "trade",
       E::kPerson,
       E::kTrade,
       {"{S} works as a {V}.", "{S} earns a living as a {V}."},
       "{S} works as a",
       "Ask around and you will learn that by trade {S} is a"},
      {R::kBasedIn,
       "based_in",
       E::kCompany,
       E::kTown,
       {"{S} is based in {V}.", "{S} has its offices in {V}."},
       "{S} is based in",
       "The headquarters of {S} stand in"},
      {R::kSells,
       "sells",
       E::kCompany,
       E::kGood,
       {"{S} sells {V}.", "{S} makes and sells {V}."},
       "{S} sells",
       "The main product of {S} is"},
      {R::kRiver,
       "river",
       E::kTown,
       E::kRiver,
       {"{S} lies on the {V}.", "{S} is built on the banks of the {V}."},
       "{S} lies on the",
       "The river that runs past {S} is the"},
      {R::kEats,
       "eats",
       E::kCreature,
       E::kFood,
       {"The {S} eats {V}.", "A {S} feeds on {V}."},
       "The {S} eats",
       "To feed a hungry {S}, bring it some"},
      {R::kColour,
       "colour",
       E::kCreature,
       E::kColour,
       {"The fur of the {S} is {V}.", "A {S} has {V} fur."},
       "The fur of the {S} is",
       "You can spot a {S} from afar by its coat, which is"},
  };
  return kTable;
}

// sum_{r=1..n} floor(f / r), saturating.
int64_t ZipfTotal(int64_t f, size_t n) {
  int64_t total = 0;
  for (size_t r = 1; r <= n; ++r) {
    const int64_t v = f / static_cast<int64_t>(r);
    if (v == 0) break;
    total += v;
  }
  return total;
}

}  // namespace

const RelationInfo& Info(Relation r) { return Table()[static_cast<size_t>(r)]; }

std::string Render(const std::string& tmpl, const std::string& s, const std::string& v) {
  std::string out;
  out.reserve(tmpl.size() + s.size() + v.size());
  for (size_t i = 0; i < tmpl.size();) {
    if (tmpl.compare(i, 3, "{S}") == 0) {
      out += s;
      i += 3;
    } else if (tmpl.compare(i, 3, "{V}") == 0) {
      out += v;
      i += 3;
    } else {
      out += tmpl[i++];
    }
  }
  return out;
}

World BuildWorld(uint64_t seed, const WorldSize& size, int64_t mention_budget) {
  World w;
  w.seed = seed;
  w.size = size;
  w.names.resize(9);
  NameForge forge(Rng::Stream(seed, "names"));
  // People: distinct (first, last) pairs from two pools of distinct words.
  {
    const size_t n_first = size.people / 4 + 8, n_last = size.people / 3 + 8;
    const auto first = forge.MakeMany(n_first, 2, {"", "a", "o"}, true);
    const auto last = forge.MakeMany(n_last, 3, {""}, true);
    Rng pick = Rng::Stream(seed, "people");
    for (size_t i : pick.Sample(n_first * n_last, size.people)) {
      w.names[static_cast<size_t>(E::kPerson)].push_back(first[i / n_last] + " " +
                                                         last[i % n_last]);
    }
  }
  auto make = [&](E type, size_t n, int syl, std::vector<std::string> suffixes, bool cap) {
    w.names[static_cast<size_t>(type)] = forge.MakeMany(n, syl, suffixes, cap);
  };
  make(E::kTown, size.towns, 2, {"vik", "mora", "dell", "holt", "wyn"}, true);
  make(E::kCompany, size.companies, 2, {"ex", "ium", "ar", "ox", "ica"}, true);
  make(E::kCreature, size.creatures, 2, {"lisk", "moth", "pog", "drel"}, false);
  make(E::kTrade, size.trades, 1, {"smith", "wright", "monger", "weaver"}, false);
  make(E::kGood, size.goods, 2, {"ware", "cloth", "lamps", "tiles"}, false);
  make(E::kRiver, size.rivers, 2, {"water", "brook", "flow"}, true);
  make(E::kFood, size.foods, 2, {"root", "seed", "moss", "fern"}, false);
  make(E::kColour, size.colours, 2, {"ine", "ane", "ish"}, false);

  // Facts: every subject gets exactly one value per relation it has.
  Rng vals = Rng::Stream(seed, "facts");
  w.person_fact.assign(kRelations, {});
  for (int ri = 0; ri < kRelations; ++ri) {
    const Relation rel = static_cast<Relation>(ri);
    const RelationInfo& info = Info(rel);
    const size_t n_subj = w.Names(info.subject).size();
    const size_t n_val = w.Names(info.value).size();
    for (size_t s = 0; s < n_subj; ++s) {
      const size_t idx = w.facts.size();
      w.facts.push_back({rel, s, static_cast<size_t>(vals.Below(n_val)), 0});
      if (info.subject == E::kPerson) w.person_fact[static_cast<size_t>(ri)].push_back(idx);
      if (rel == R::kBasedIn) w.company_town.push_back(idx);
      if (rel == R::kEats) w.creature_food.push_back(idx);
      if (rel == R::kRiver) w.town_river.push_back(idx);
    }
  }

  // Frequencies: a tenth of the facts are never stated; the rest, in a random order, get
  // floor(F / rank) mentions (Zipf, exponent 1).
  Rng freq = Rng::Stream(seed, "frequency");
  std::vector<size_t> order(w.facts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  freq.Shuffle(order);
  const size_t n_zero = w.facts.size() / 10;
  w.mentioned = w.facts.size() - n_zero;
  int64_t lo = static_cast<int64_t>(w.mentioned), hi = std::max(lo, mention_budget);
  if (ZipfTotal(lo, w.mentioned) > mention_budget) {
    hi = lo;  // the budget cannot state every fact once: state each once anyway
  }
  while (lo < hi) {  // the largest F in [lo, hi] whose total fits the budget
    const int64_t mid = lo + (hi - lo + 1) / 2;
    if (ZipfTotal(mid, w.mentioned) <= mention_budget) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  w.zipf_max = lo;
  for (size_t rank = 1; rank <= w.mentioned; ++rank) {
    Fact& f = w.facts[order[n_zero + rank - 1]];
    f.frequency = w.zipf_max / static_cast<int64_t>(rank);
    w.mentions += f.frequency;
  }
  return w;
}

}  // namespace gapbench::world
