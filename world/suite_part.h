// What each suite generator returns: the suite's items, its share of the training corpus, and
// its split rules (written into manifest.json, and checked by the tests against the corpus).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "suites/suite.h"

namespace gapbench::world {

struct SuitePart {
  std::string name;  // "knowledge": the file stem, the suite's name and its items' family
  std::vector<suites::Item> items;
  std::string corpus;             // plain text, documents separated by blank lines
  std::string id_rule, ood_rule;  // what id and ood mean for this suite, one sentence each
  // Templates of the ood items ({X} placeholders stand for any text on the line): none of them
  // occurs anywhere in the corpus.
  std::vector<std::string> ood_templates;
};

// Whitespace-separated words (the unit of --corpus-tokens).
int64_t CountWords(std::string_view text);

// "0042": zero-padded decimal, for item ids that sort in order.
std::string Pad(size_t n, int width);

}  // namespace gapbench::world
