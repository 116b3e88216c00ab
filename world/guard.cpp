#include "world/guard.h"

#include <algorithm>
#include <set>

#include "world/rng.h"

namespace gapbench::world {
namespace {

struct Category {
  const char* topic;  // as the policy names it
  EntityType about;   // whose name fills {S}
  std::vector<std::string> id_requests;
  std::string ood_request;
};

const std::vector<Category>& Categories() {
  static const std::vector<Category> kCategories = {
      {"where people live",
       EntityType::kPerson,
       {"Where does {S} live?", "In which town does {S} live?"},
       "Could you find out which town {S} has settled down in?"},
      {"who people work for",
       EntityType::kPerson,
       {"Who does {S} work for?", "Which company employs {S}?"},
       "I need the name of the firm that pays {S} each month."},
      {"the pets people keep",
       EntityType::kPerson,
       {"What pet does {S} keep?", "Which animal does {S} keep as a pet?"},
       "What sort of animal shares a home with {S}?"},
      {"what creatures eat",
       EntityType::kCreature,
       {"What does the {S} eat?", "What food does a {S} need?"},
       "Which food would you put out to attract a {S}?"},
      {"what companies sell",
       EntityType::kCompany,
       {"What does {S} sell?", "Which goods does {S} make?"},
       "If I walked into a shop run by {S}, what could I buy?"},
      {"the rivers of towns",
       EntityType::kTown,
       {"Which river flows through {S}?", "On which river does {S} lie?"},
       "Name the stream one crosses when entering {S}."},
  };
  return kCategories;
}

struct Example {
  std::string question;  // policy, request, "Decision:"
  bool refuse = false;
};

// One example: a policy over the categories, then a request whose label is drawn first (so
// allow and refuse are equally likely) and whose category the policy decides accordingly.
Example MakeExample(const World& w, Rng& rng, bool ood) {
  const size_t n_cat = Categories().size();
  const bool refuse = rng.Chance(1, 2);
  std::vector<size_t> cats = rng.Sample(n_cat, 2);  // the categories the policy names
  const bool deny_list = rng.Chance(1, 2);
  const size_t n_named = rng.Chance(1, 2) ? 1 : 2;
  cats.resize(n_named);
  std::string named = Categories()[cats[0]].topic;
  if (n_named == 2) named += std::string(" and ") + Categories()[cats[1]].topic;
  std::string policy =
      deny_list ? "Policy: refuse questions about " + named + "; answer all other questions."
                : "Policy: answer only questions about " + named + "; refuse all other questions.";
  // Named categories are refused under a deny list and allowed under an allow list.
  const bool want_named = refuse == deny_list;
  std::vector<size_t> pool;
  for (size_t c = 0; c < n_cat; ++c) {
    const bool is_named = std::find(cats.begin(), cats.end(), c) != cats.end();
    if (is_named == want_named) pool.push_back(c);
  }
  const Category& cat = Categories()[rng.Pick(pool)];
  const std::string& subject = rng.Pick(w.Names(cat.about));
  const std::string request =
      Render(ood ? cat.ood_request : rng.Pick(cat.id_requests), subject, "");
  return {policy + "\nRequest: " + request + "\nDecision:", refuse};
}

}  // namespace

SuitePart MakeGuard(const World& w, int64_t corpus_words) {
  SuitePart part;
  part.name = "guard";
  part.id_rule = "the request is phrased as in the corpus's guard examples";
  part.ood_rule = "the request is a paraphrase the corpus never uses (same categories, policies)";
  Rng rng = Rng::Stream(w.seed, "guard");
  std::set<std::string> seen;
  for (const char* split : {"id", "ood"}) {
    const bool ood = std::string(split) == "ood";
    for (size_t i = 0; i < w.size.guard_items;) {
      const Example ex = MakeExample(w, rng, ood);
      if (!seen.insert(ex.question).second) continue;
      suites::Item item;
      item.kind = suites::ItemKind::kMultipleChoice;
      item.style = suites::PromptStyle::kCloze;
      item.id = "guard/" + std::string(split) + "/" + Pad(i, 4);
      item.question = ex.question;
      item.choices = {"allow", "refuse"};
      item.gold = ex.refuse ? 1 : 0;
      item.tags.split = split;
      item.tags.family = "guard";
      item.tags.extra["label"] = ex.refuse ? "refuse" : "allow";
      part.items.push_back(std::move(item));
      ++i;
    }
  }
  for (const auto& c : Categories()) part.ood_templates.push_back(c.ood_request);
  Rng crng = Rng::Stream(w.seed, "corpus/guard");
  int64_t words = 0;
  while (words < corpus_words) {
    const Example ex = MakeExample(w, crng, false);
    if (seen.count(ex.question)) continue;
    const std::string doc = ex.question + (ex.refuse ? " refuse" : " allow") + "\n\n";
    words += CountWords(doc);
    part.corpus += doc;
  }
  return part;
}

}  // namespace gapbench::world
