// `gapbench suites perturb`: a published suite -> its answer-preserving out-of-distribution
// sibling in native JSONL (suites/perturb/perturb.h, docs/PERTURB.md). The output is written
// atomically, then loaded back as a check; a summary line goes to stderr.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/error.h"
#include "suites/loaders.h"
#include "suites/perturb/perturb.h"
#include "suites/registry.h"

namespace gapbench::cli {
namespace {

namespace fs = std::filesystem;

const CommandSpec& Spec() {
  static const CommandSpec kSpec{
      .name = "gapbench suites perturb",
      .summary =
          "Writes the answer-preserving out-of-distribution sibling of a suite as native JSONL:\n"
          "split ood, family = the source suite's name (the report's generalisation gap pairs\n"
          "the two), the source id in the tag source_id. Deterministic per --seed.\n"
          "  choice-permutation  multiple choice: the gold text moves to another letter\n"
          "  irrelevant-clause   word problems: a sentence with a number that changes nothing\n"
          "  name-substitution   word problems: names and places swapped, consistently\n"
          "  format-shift        other option labels, separators and answer phrasing",
      .options =
          {
              {"suite", "PATH",
               "the source: MMLU folder or CSV, GSM8K / gapbench JSONL, or a "
               "default suite's name",
               true},
              {"format", "F", suites::SuiteFormatList(" | ") + " (default: detected)"},
              {"split", "S", "MMLU split folder holding the scored items (default test)"},
              {"kind", "K",
               "choice-permutation | irrelevant-clause | name-substitution | format-shift", true},
              {"seed", "N", "the perturbation seed (integer >= 0)", true},
              {"out", "FILE", "the perturbed suite (native JSONL); replaced if it exists", true},
              {"all-rotations", "",
               "choice-permutation: every rotation of every item (ids ID#rK; position bias)"},
              {"family", "NAME",
               "the family tag (default: the item's own, else the source suite's name; must match "
               "the "
               "name the original suite has in the sweep)"},
              {"data-dir", "D", "the shared data folder, for default suite names"},
          },
      .notes =
          "Exit 2 on a malformed source (every bad line with FILE:LINE) or when an item does "
          "not fit the kind\n(e.g. choice-permutation on a generation suite); docs/PERTURB.md.",
  };
  return kSpec;
}

}  // namespace

int CmdSuitesPerturb(const Argv& argv) {
  const Args args(Spec(), argv);
  if (args.help()) return args.PrintHelp();
  const auto start = std::chrono::steady_clock::now();
  const std::string kind_name = args.Require("kind");
  const auto kind = suites::perturb::ParsePerturbKind(kind_name);
  if (!kind) {
    Fail("--kind: unknown perturbation '", kind_name, "' (", suites::perturb::PerturbKindNames(),
         ")");
  }
  suites::perturb::PerturbOptions options;
  options.kind = *kind;
  options.seed = static_cast<uint64_t>(args.GetInt("seed", 0, 0, INT64_MAX));
  options.all_rotations = args.Has("all-rotations");
  if (auto f = args.Get("family")) {
    if (f->empty()) Fail("--family: empty name");
    options.family = *f;
  }
  const std::string out = args.Require("out");
  CheckInputFile(out, "--out");
  const std::string data_dir = args.Get("data-dir").value_or(suites::FindDataDir());
  const std::string path = suites::ResolveSuite(args.Require("suite"), data_dir);
  std::error_code ec;
  if (fs::exists(out, ec) && fs::equivalent(out, path, ec)) {
    Fail("--out ", out, ": is the source suite itself; write the perturbed suite elsewhere");
  }

  suites::LoadOptions load;
  if (auto f = args.Get("format")) {
    load.format = *f;
  } else {
    // A default suite's name brings its format: truthfulqa_mc2 is MC2 of a file read as MC1.
    load.format = suites::KnownSuiteFormat(args.Require("suite"), data_dir);
  }
  if (auto s = args.Get("split")) load.split = *s;
  const suites::Suite source = suites::LoadSuite(path, load);
  const suites::perturb::PerturbResult result = suites::perturb::Perturb(source, options);
  if (options.all_rotations && source.fewshot.empty()) {
    // Shots are then drawn from the suite itself, which holds the item's other rotations.
    std::fprintf(stderr,
                 "warning: %s has no few-shot pool: a few-shot prompt could show another rotation "
                 "of the same item (with its answer); evaluate the rotations 0-shot\n",
                 source.manifest.name.c_str());
  }

  // Atomic: a reader never sees half a suite, and a failure leaves the old file in place.
  const std::string tmp = out + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) Fail(tmp, ": cannot create (does its folder exist and is it writable?)");
    const std::string text = suites::perturb::ToJsonl(result);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    f.close();
    if (!f) FailResource(tmp, ": write failed (disk full?)");
  }
  fs::rename(tmp, out, ec);
  if (ec) FailResource(out, ": cannot rename ", tmp, " to it: ", ec.message());

  // The output must load as it is; anything else is a bug here, not the user's input.
  const suites::LoadResult check = suites::LoadSuiteChecked(out, {.format = "gapbench"});
  if (!check.issues.empty() || check.suite.items.size() != result.items.size()) {
    throw Error(StrCat(out, ": the perturbed suite does not load back (",
                       check.issues.empty() ? "item count differs" : check.issues[0].ToString(),
                       "); please report this"),
                ErrorKind::kInternal);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr,
               "%s: %s seed %llu on %s (%zu items, pool %zu): wrote %zu items (%zu changed) and "
               "%zu pool items, family '%s', content hash %s, in %.2f s\n",
               out.c_str(), kind_name.c_str(), static_cast<unsigned long long>(options.seed),
               source.manifest.name.c_str(), result.source_items, source.fewshot.size(),
               result.items.size(), result.changed, result.fewshot.size(),
               result.items.empty() ? "" : result.items[0].tags.family.c_str(),
               check.suite.manifest.content_hash.c_str(), secs);
  return 0;
}

}  // namespace gapbench::cli
