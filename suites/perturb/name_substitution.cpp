// name-substitution (GSM-Symbolic's name templates, Mirzadeh et al. 2024): the people and places
// of a word problem are swapped for others of the same kind -- a woman's first name for a
// woman's (pronouns stay right), a city for a city, a surname after "Mrs." for a surname -- with
// one mapping for the whole item, applied to the question and to the worked solution (the
// few-shot target), so the solution still tells the same story.
//
// A replacement never occurs in the item already and two names never get the same replacement,
// so no two people are merged. Names the lexicon does not know (name_lexicon.cpp) stay as they
// are; an item that names nobody known comes out unchanged (tag substitutions "").
//
// Preserves: every character that is not part of a substituted name (numbers, units, the
// calculator annotations), the reference answer, the stop sequences.
// Changes: person names and places, consistently (tag substitutions "Janet=Maria;...").
#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "suites/perturb/perturb_internal.h"

namespace gapbench::suites::perturb {
namespace {

// Decodes the code point that ends at `end` (exclusive) or starts at `pos`; invalid bytes
// decode as themselves.
uint32_t DecodeAt(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (len == 1 || i + len > s.size()) return c;
  uint32_t cp = c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  return cp;
}

bool IsWordCodePoint(uint32_t cp) {
  if (cp < 0x80) return std::isalnum(static_cast<int>(cp)) != 0;
  return cp >= 0xC0 && cp < 0x2000;  // Latin-1 letters .. Greek/Cyrillic; not ’ (U+2019)
}

struct Found {
  std::string name;
  NameKind kind;
};

// Words before a family name ("Mrs. Smith", "Grandma Jones", "Farmer Brown").
constexpr std::string_view kTitles[] = {
    "Mr. ",   "Mrs. ",    "Ms. ",     "Dr. ",     "Miss ",   "Mr ",    "Mrs ",   "Ms ",
    "Dr ",    "Doctor ",  "Grandma ", "Grandpa ", "Farmer ", "Uncle ", "Aunt ",  "Professor ",
    "Coach ", "Officer ", "Captain ", "Mayor ",   "Judge ",  "Nurse ", "Granny "};

bool AfterTitle(std::string_view text, size_t pos) {
  for (std::string_view t : kTitles) {
    if (pos >= t.size() && text.substr(pos - t.size(), t.size()) == t &&
        !WordCharBefore(text, pos - t.size())) {
      return true;
    }
  }
  return false;
}

// The name that starts at `pos` (a word start), or an empty name.
Found NameAt(std::string_view text, size_t pos) {
  if (!std::isupper(static_cast<unsigned char>(text[pos]))) return {"", NameKind::kFemale};
  for (std::string_view mw : MultiWordPlaces()) {
    if (text.substr(pos, mw.size()) == mw && !WordCharAt(text, pos + mw.size())) {
      return {std::string(mw), *LookupName(mw)};
    }
  }
  size_t end = pos + 1;
  while (end < text.size() && std::islower(static_cast<unsigned char>(text[end]))) ++end;
  if (WordCharAt(text, end)) return {"", NameKind::kFemale};  // "McDonald", "Zoë", "A4"
  const std::string word(text.substr(pos, end - pos));
  // A known first name after a title keeps its kind ("Aunt Mary"); any other capitalised word
  // after a title is a family name.
  if (const auto kind = LookupName(word)) return {word, *kind};
  if (word.size() >= 2 && AfterTitle(text, pos)) return {word, NameKind::kSurname};
  return {"", NameKind::kFemale};
}

bool HasWord(std::string_view text, std::string_view word) {
  for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    if (!WordCharBefore(text, at) && !WordCharAt(text, at + word.size())) return true;
  }
  return false;
}

// Replaces every whole-word occurrence of each mapped name at once (longest names first, so
// "New York City" wins over "New York").
std::string Apply(std::string_view text,
                  const std::vector<std::pair<std::string, std::string>>& longest_first) {
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t pos = 0; pos < text.size();) {
    bool replaced = false;
    if (!WordCharBefore(text, pos)) {
      for (const auto& [from, to] : longest_first) {
        if (text.substr(pos, from.size()) == from && !WordCharAt(text, pos + from.size())) {
          out += to;
          pos += from.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[pos++];
  }
  return out;
}

}  // namespace

bool WordCharBefore(std::string_view text, size_t pos) {
  if (pos == 0) return false;
  size_t start = pos - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return IsWordCodePoint(DecodeAt(text, start));
}

bool WordCharAt(std::string_view text, size_t pos) {
  return pos < text.size() && IsWordCodePoint(DecodeAt(text, pos));
}

bool SubstituteNames(Item& item, PerturbRng& rng) {
  // The names, in order of first appearance (question, then solution).
  std::vector<Found> found;
  for (std::string_view text : {std::string_view(item.prompt), std::string_view(item.solution)}) {
    for (size_t pos = 0; pos < text.size();) {
      if (WordCharBefore(text, pos)) {
        ++pos;
        continue;
      }
      Found f = NameAt(text, pos);
      if (f.name.empty()) {
        ++pos;
        continue;
      }
      pos += f.name.size();
      const bool seen =
          std::any_of(found.begin(), found.end(), [&](const Found& g) { return g.name == f.name; });
      if (!seen) found.push_back(std::move(f));
    }
  }
  // A replacement per name: same kind, absent from the item, not given to another name. The scan
  // starts at a seeded place in the list, so the choice is the seed's and always terminates.
  std::vector<std::pair<std::string, std::string>> mapping;
  std::vector<std::string> taken;
  for (const Found& f : found) {
    const auto names = NamesOf(f.kind);
    const size_t start = rng.Below(names.size());
    for (size_t k = 0; k < names.size(); ++k) {
      const std::string_view c = names[(start + k) % names.size()];
      if (c == f.name || std::find(taken.begin(), taken.end(), c) != taken.end()) continue;
      if (HasWord(item.prompt, c) || HasWord(item.solution, c)) continue;
      mapping.emplace_back(f.name, std::string(c));
      taken.emplace_back(c);
      break;
    }
  }
  std::string tag;
  for (const auto& [from, to] : mapping) tag += StrCat(tag.empty() ? "" : ";", from, "=", to);
  item.tags.extra["substitutions"] = tag;
  if (mapping.empty()) return false;
  auto longest_first = mapping;
  std::stable_sort(longest_first.begin(), longest_first.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  item.prompt = Apply(item.prompt, longest_first);
  item.solution = Apply(item.solution, longest_first);
  return true;
}

}  // namespace gapbench::suites::perturb
