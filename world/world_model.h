// The world itself: invented people, towns, companies and creatures, the values their
// attributes take (trades, goods, rivers, foods, colours), and the facts that tie them together,
// each with the number of times the training corpus states it (Zipf over a random ranking, with
// a tenth of the facts never stated). Every suite and the corpus are generated from one World.
//
// Not here: the suites (knowledge.h, reasoning.h, code.h, guard.h), writing files (generate.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "world/size.h"

namespace gapbench::world {

enum class EntityType {
  kPerson,
  kTown,
  kCompany,
  kCreature,
  kTrade,
  kGood,
  kRiver,
  kFood,
  kColour
};

enum class Relation {
  kLivesIn,
  kWorksFor,
  kKeeps,
  kTrade,
  kBasedIn,
  kSells,
  kRiver,
  kEats,
  kColour
};
inline constexpr int kRelations = 9;

// How a relation reads. Templates use {S} for the subject and {V} for the value; every corpus
// template states the whole fact on one line. The probes end where the value would follow, so
// the choices are " {V}" continuations (cloze).
struct RelationInfo {
  Relation relation;
  const char* name;  // "lives_in"
  EntityType subject;
  EntityType value;
  std::vector<std::string> corpus;  // training templates (the corpus draws one per mention)
  std::string id_probe;             // the first training template up to the value
  std::string ood_probe;            // a paraphrase used nowhere in the corpus
};
const RelationInfo& Info(Relation r);

struct Fact {
  Relation relation;
  size_t subject = 0;     // index into the subject type's names
  size_t value = 0;       // index into the value type's names
  int64_t frequency = 0;  // times the corpus states it (0: never)
};

struct World {
  uint64_t seed = 0;
  WorldSize size;
  std::vector<std::vector<std::string>> names;  // per EntityType
  std::vector<Fact> facts;
  // Index of each person's fact for a relation: person_fact[relation][person] (people only).
  std::vector<std::vector<size_t>> person_fact;
  std::vector<size_t> company_town;   // company -> index into facts of its based_in fact
  std::vector<size_t> creature_food;  // creature -> its eats fact
  std::vector<size_t> town_river;     // town -> its river fact
  int64_t zipf_max = 0;               // frequency of the rank-1 fact
  size_t mentioned = 0;               // facts with frequency > 0
  int64_t mentions = 0;               // sum of frequencies

  const std::vector<std::string>& Names(EntityType t) const {
    return names[static_cast<size_t>(t)];
  }
  const std::string& Subject(const Fact& f) const {
    return Names(Info(f.relation).subject)[f.subject];
  }
  const std::string& Value(const Fact& f) const { return Names(Info(f.relation).value)[f.value]; }
};

// Builds the world for a seed and size. `mention_budget` is the number of fact statements the
// corpus may spend: the rank-1 frequency F is the largest with sum_r floor(F / r) <= budget, and at
// least the number of stated facts (so each stated fact is stated at least once).
World BuildWorld(uint64_t seed, const WorldSize& size, int64_t mention_budget);

// "{S} lives in {V}." with the placeholders replaced.
std::string Render(const std::string& tmpl, const std::string& s, const std::string& v);

}  // namespace gapbench::world
