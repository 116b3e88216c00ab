#include "world/knowledge.h"

#include <algorithm>

#include "world/rng.h"

namespace gapbench::world {
namespace {

struct TwoHop {
  const char* name;
  Relation first, second;
  std::string id_probe, ood_probe;
};

const std::vector<TwoHop>& TwoHops() {
  static const std::vector<TwoHop> kChains = {
      {"employer_town", Relation::kWorksFor, Relation::kBasedIn,
       "The company {S} works for is based in", "The headquarters of the employer of {S} stand in"},
      {"pet_food", Relation::kKeeps, Relation::kEats, "The pet {S} keeps eats",
       "To feed the hungry pet of {S}, bring it some"},
      {"home_river", Relation::kLivesIn, Relation::kRiver, "The town {S} lives in lies on the",
       "The river that runs past the home of {S} is the"},
  };
  return kChains;
}

int Stratum(int64_t frequency) {
  return frequency <= 0 ? 0 : frequency < 10 ? 1 : frequency < 100 ? 2 : 3;
}

struct Probe {
  std::string relation, entity, via, value;
  std::string id_text, ood_text;
  EntityType value_type;
  size_t value_index;
  int64_t frequency;
  int hops;
};

}  // namespace

SuitePart MakeKnowledge(const World& w) {
  SuitePart part;
  part.name = "knowledge";
  part.id_rule =
      "the probe uses the wording of the corpus's fact statements (a prefix of the first "
      "training template; two-hop probes join the two relations' training wordings)";
  part.ood_rule =
      "the same fact and the same four choices, asked with a paraphrase that occurs nowhere in "
      "the corpus";

  // Corpus: every fact stated as often as its frequency says, in a random order, each mention
  // with one of the relation's training templates.
  Rng crng = Rng::Stream(w.seed, "corpus/knowledge");
  std::vector<uint32_t> mentions;
  mentions.reserve(static_cast<size_t>(w.mentions));
  for (size_t i = 0; i < w.facts.size(); ++i) {
    for (int64_t k = 0; k < w.facts[i].frequency; ++k) mentions.push_back(static_cast<uint32_t>(i));
  }
  crng.Shuffle(mentions);
  for (size_t m = 0; m < mentions.size(); ++m) {
    const Fact& f = w.facts[mentions[m]];
    part.corpus += Render(crng.Pick(Info(f.relation).corpus), w.Subject(f), w.Value(f));
    part.corpus += (m + 1) % 8 == 0 ? "\n\n" : "\n";  // paragraphs of eight statements
  }
  if (!part.corpus.empty() && !part.corpus.ends_with("\n\n")) part.corpus += "\n";

  // Probes, one-hop: up to probes_per_bucket facts from each frequency stratum.
  Rng prng = Rng::Stream(w.seed, "knowledge");
  std::vector<Probe> probes;
  std::vector<std::vector<size_t>> strata(4);
  for (size_t i = 0; i < w.facts.size(); ++i) strata[Stratum(w.facts[i].frequency)].push_back(i);
  for (const auto& stratum : strata) {
    const size_t k = std::min(stratum.size(), w.size.probes_per_bucket);
    std::vector<size_t> picked;
    for (size_t j : prng.Sample(stratum.size(), k)) picked.push_back(stratum[j]);
    std::sort(picked.begin(), picked.end());
    for (size_t fi : picked) {
      const Fact& f = w.facts[fi];
      const RelationInfo& info = Info(f.relation);
      probes.push_back(
          {info.name, w.Subject(f), "", w.Value(f), Render(info.id_probe, w.Subject(f), ""),
           Render(info.ood_probe, w.Subject(f), ""), info.value, f.value, f.frequency, 1});
    }
  }
  // Two-hop: distinct people, the chains taken in turn.
  const auto& people = w.Names(EntityType::kPerson);
  const size_t n_two = std::min(people.size(), w.size.two_hop);
  std::vector<size_t> who = prng.Sample(people.size(), n_two);
  for (size_t j = 0; j < who.size(); ++j) {
    const TwoHop& chain = TwoHops()[j % TwoHops().size()];
    const Fact& a = w.facts[w.person_fact[static_cast<size_t>(chain.first)][who[j]]];
    const Fact& b = [&]() -> const Fact& {
      switch (chain.second) {
        case Relation::kBasedIn:
          return w.facts[w.company_town[a.value]];
        case Relation::kEats:
          return w.facts[w.creature_food[a.value]];
        default:
          return w.facts[w.town_river[a.value]];
      }
    }();
    probes.push_back({chain.name, w.Subject(a), w.Value(a), w.Value(b),
                      Render(chain.id_probe, w.Subject(a), ""),
                      Render(chain.ood_probe, w.Subject(a), ""), Info(b.relation).value, b.value,
                      std::min(a.frequency, b.frequency), 2});
  }

  for (size_t p = 0; p < probes.size(); ++p) {
    const Probe& pr = probes[p];
    const auto& pool = w.Names(pr.value_type);
    // Three distractors of the same type, then the gold at a random position.
    std::vector<std::string> choices;
    for (size_t j : prng.Sample(pool.size() - 1, 3)) {
      choices.push_back(pool[j >= pr.value_index ? j + 1 : j]);
    }
    const size_t gold = prng.Below(4);
    choices.insert(choices.begin() + static_cast<std::ptrdiff_t>(gold), pr.value);
    for (const char* split : {"id", "ood"}) {
      suites::Item item;
      item.kind = suites::ItemKind::kMultipleChoice;
      item.style = suites::PromptStyle::kCloze;
      item.id = "knowledge/" + Pad(p, 4) + "/" + split;
      item.question = std::string(split) == "id" ? pr.id_text : pr.ood_text;
      item.choices = choices;
      item.gold = static_cast<int>(gold);
      item.tags.split = split;
      item.tags.family = "knowledge";
      item.tags.fact_frequency = static_cast<double>(pr.frequency);
      item.tags.extra["relation"] = pr.relation;
      item.tags.extra["hops"] = std::to_string(pr.hops);
      item.tags.extra["entity"] = pr.entity;
      if (!pr.via.empty()) item.tags.extra["via"] = pr.via;
      item.tags.extra["value"] = pr.value;
      part.items.push_back(std::move(item));
    }
  }
  for (int r = 0; r < kRelations; ++r) {
    part.ood_templates.push_back(Render(Info(static_cast<Relation>(r)).ood_probe, "{S}", "{V}"));
  }
  for (const auto& chain : TwoHops()) part.ood_templates.push_back(chain.ood_probe);
  return part;
}

}  // namespace gapbench::world
