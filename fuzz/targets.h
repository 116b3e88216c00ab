// Fuzz targets for every parser that reads input from outside the process: each takes one input
// and either accepts it or rejects it -- with gapbench::Error where the parser throws, with a
// problem list or nullopt where its contract says it never throws (there an Error is a finding
// too); anything else -- a crash, a sanitizer report, another
// exception, a broken invariant (GB_CHECK) -- is a finding. The same functions run under
// libFuzzer (fuzz/fuzz_main.cpp, clang) and in the slow test tier under ASan + UBSan with a
// deterministic mutator (tests/asan/hostile_inputs_slow_test.cpp, any compiler).
// Not here: the GGUF reader's target (gguf_fuzz.cpp, the first one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace gapbench::engine {
class Tokenizer;
}

namespace gapbench::fuzz {

// coordinator::DecodeMessage on frames split from the input at 0xff bytes (network input: a
// worker or coordinator peer). A decoded message's body must be one JSON object.
void FuzzProtocol(const uint8_t* data, size_t size);

// The native, GSM8K and HumanEval JSONL loaders and the CSV reader (MMLU) on the input as a
// file's text: every line is either an item or a LoadIssue naming the file and line.
void FuzzSuiteText(const uint8_t* data, size_t size);

// Tokenizer::Encode on arbitrary bytes, with and without special-token parsing: every id is in
// the vocabulary, Decode of the ids succeeds, and for a byte-level BPE vocabulary ("gpt2")
// decoding valid UTF-8 gives the input back exactly.
void FuzzTokenizer(const engine::Tokenizer& tok, const uint8_t* data, size_t size);

// The sweep parser (coordinator::CheckSweepText) on the input, relative paths resolved in
// `base_dir`: never throws; a rejected sweep has at least one message naming the source.
void FuzzSweep(const uint8_t* data, size_t size, const std::string& base_dir);

}  // namespace gapbench::fuzz
