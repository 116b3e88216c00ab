// Summary of a GGUF model for `gapbench model inspect`: architecture, hyper-parameters,
// tokenizer, tensor list, parameter count and bytes per ggml type, read from the header alone
// (tensor data is never touched). The JSON form is documented in docs/GGUF.md and kept stable.
// Whether the engine can run it comes from model.h's WhyNotRunnable (the loader's own checks).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "engine/gguf.h"
#include "engine/hparams.h"

namespace gapbench::engine {

struct TokenizerInfo {
  std::optional<std::string> model;  // tokenizer.ggml.model: gpt2, llama, ...
  std::optional<std::string> pre;
  std::optional<int64_t> vocab_size;  // length of tokenizer.ggml.tokens
  std::optional<int64_t> merges;      // length of tokenizer.ggml.merges
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> eos_token_id;
};

struct TensorSummary {
  std::string name;
  std::string type;            // ggml type name
  std::vector<int64_t> shape;  // ggml order
  int64_t n_elements = 0;
  uint64_t n_bytes = 0;
  uint64_t offset = 0;  // relative to the data section
};

struct TypeSummary {
  std::string type;
  int64_t tensors = 0;
  int64_t n_elements = 0;
  uint64_t n_bytes = 0;
};

struct ModelInfo {
  std::string file;
  uint64_t file_size = 0;
  uint32_t gguf_version = 0;
  uint32_t alignment = 0;
  uint64_t data_offset = 0;
  std::optional<std::string> architecture;
  std::optional<std::string> name;
  std::optional<int64_t> file_type;
  int64_t metadata_count = 0;
  ModelHparams hparams;
  // Whether the engine can run the file, and why not (engine::WhyNotRunnable).
  bool runnable = false;
  std::string not_runnable_reason;
  TokenizerInfo tokenizer;
  std::vector<TensorSummary> tensors;  // file order
  int64_t parameter_count = 0;         // sum of tensor element counts
  std::vector<TypeSummary> types;      // ascending ggml type id
};

// Reads the summary; a key of the wrong type is an Error naming the file and key.
ModelInfo SummarizeModel(const GgufFile& file);

// Writes the members of the documented JSON object (docs/GGUF.md) between the caller's
// StartObject and EndObject, so the caller may add members of its own; absent values are null.
void WriteModelInfoJsonMembers(const ModelInfo& info, JsonWriter& w);
// Human-readable report; `with_tensors` adds one line per tensor.
std::string FormatModelInfo(const ModelInfo& info, bool with_tensors);

}  // namespace gapbench::engine
