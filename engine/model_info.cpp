#include "engine/model_info.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <sstream>

#include "common/error.h"
#include "engine/model.h"

namespace gapbench::engine {
namespace {

std::optional<int64_t> OptInt(const GgufFile& f, const std::string& key) { return f.GetInt(key); }

std::optional<std::string> OptString(const GgufFile& f, const std::string& key) {
  auto s = f.GetString(key);
  if (!s) return std::nullopt;
  return std::string(*s);
}

std::optional<int64_t> ArrayLength(const GgufFile& f, const std::string& key) {
  const GgufValue* v = f.Find(key);
  if (v == nullptr) return std::nullopt;
  if (v->type != GgufType::kArray) {
    Fail(f.path(), ": metadata '", key, "' should be an array but is ", GgufTypeName(v->type));
  }
  return static_cast<int64_t>(v->elems.size());
}

template <typename T>
void WriteOpt(JsonWriter& w, const char* key, const std::optional<T>& v) {
  w.Key(key);
  if (!v) {
    w.Null();
  } else if constexpr (std::is_same_v<T, std::string>) {
    w.String(v->c_str(), static_cast<rapidjson::SizeType>(v->size()));
  } else if constexpr (std::is_same_v<T, double>) {
    WriteJsonFloat(w, *v);
  } else {
    w.Int64(*v);
  }
}

void WriteString(JsonWriter& w, const char* key, const std::string& s) {
  w.Key(key);
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
}

template <typename T>
std::string Show(const std::optional<T>& v) {
  if (!v) return "-";
  return StrCat(*v);
}

}  // namespace

ModelInfo SummarizeModel(const GgufFile& f) {
  ModelInfo info;
  info.file = f.path();
  info.file_size = f.file_size();
  info.gguf_version = f.version();
  info.alignment = f.alignment();
  info.data_offset = f.data_offset();
  info.metadata_count = static_cast<int64_t>(f.metadata().size());
  info.architecture = OptString(f, "general.architecture");
  info.name = OptString(f, "general.name");
  info.file_type = OptInt(f, "general.file_type");

  info.hparams = ReadModelHparams(f, info.architecture);
  ModelHparams& h = info.hparams;
  const auto why_not = WhyNotRunnable(f);
  info.runnable = !why_not.has_value();
  info.not_runnable_reason = why_not.value_or("");

  TokenizerInfo& t = info.tokenizer;
  t.model = OptString(f, "tokenizer.ggml.model");
  t.pre = OptString(f, "tokenizer.ggml.pre");
  t.vocab_size = ArrayLength(f, "tokenizer.ggml.tokens");
  t.merges = ArrayLength(f, "tokenizer.ggml.merges");
  t.bos_token_id = OptInt(f, "tokenizer.ggml.bos_token_id");
  t.eos_token_id = OptInt(f, "tokenizer.ggml.eos_token_id");
  if (!h.vocab_size) h.vocab_size = t.vocab_size;

  std::map<uint32_t, TypeSummary> by_type;
  for (const auto& ti : f.tensors()) {
    const std::string type_name(kernels::TypeName(ti.type));
    info.tensors.push_back({ti.name, type_name, ti.ne, ti.n_elements, ti.n_bytes, ti.offset});
    // Element counts are bounded by the file size (the reader checks every tensor fits), so
    // these sums cannot overflow.
    info.parameter_count += ti.n_elements;
    TypeSummary& s = by_type[static_cast<uint32_t>(ti.type)];
    s.type = type_name;
    s.tensors += 1;
    s.n_elements += ti.n_elements;
    s.n_bytes += ti.n_bytes;
  }
  for (auto& [id, s] : by_type) info.types.push_back(s);
  return info;
}

void WriteModelInfoJsonMembers(const ModelInfo& info, JsonWriter& w) {
  WriteString(w, "file", info.file);
  w.Key("file_size");
  w.Uint64(info.file_size);
  w.Key("gguf_version");
  w.Uint(info.gguf_version);
  w.Key("alignment");
  w.Uint(info.alignment);
  w.Key("data_offset");
  w.Uint64(info.data_offset);
  w.Key("metadata_count");
  w.Int64(info.metadata_count);
  WriteOpt(w, "architecture", info.architecture);
  WriteOpt(w, "name", info.name);
  WriteOpt(w, "file_type", info.file_type);
  w.Key("runnable");
  w.Bool(info.runnable);
  if (info.runnable) {
    w.Key("not_runnable_reason");
    w.Null();
  } else {
    WriteString(w, "not_runnable_reason", info.not_runnable_reason);
  }

  const ModelHparams& h = info.hparams;
  w.Key("hparams");
  w.StartObject();
  WriteOpt(w, "context_length", h.context_length);
  WriteOpt(w, "embedding_length", h.embedding_length);
  WriteOpt(w, "block_count", h.block_count);
  WriteOpt(w, "feed_forward_length", h.feed_forward_length);
  WriteOpt(w, "head_count", h.head_count);
  WriteOpt(w, "head_count_kv", h.head_count_kv);
  WriteOpt(w, "head_dim", h.head_dim);
  WriteOpt(w, "rope_dimension_count", h.rope_dimension_count);
  WriteOpt(w, "rope_freq_base", h.rope_freq_base);
  WriteOpt(w, "rope_scaling_type", h.rope_scaling_type);
  WriteOpt(w, "rope_scaling_factor", h.rope_scaling_factor);
  WriteOpt(w, "rope_scaling_original_context_length", h.rope_scaling_original_context_length);
  w.Key("has_rope_freqs");
  w.Bool(h.has_rope_freqs);
  WriteOpt(w, "rms_epsilon", h.rms_epsilon);
  WriteOpt(w, "vocab_size", h.vocab_size);
  WriteOpt(w, "sliding_window", h.sliding_window);
  WriteOpt(w, "attn_logit_softcapping", h.attn_logit_softcapping);
  WriteOpt(w, "final_logit_softcapping", h.final_logit_softcapping);
  w.EndObject();

  const TokenizerInfo& t = info.tokenizer;
  w.Key("tokenizer");
  w.StartObject();
  WriteOpt(w, "model", t.model);
  WriteOpt(w, "pre", t.pre);
  WriteOpt(w, "vocab_size", t.vocab_size);
  WriteOpt(w, "merges", t.merges);
  WriteOpt(w, "bos_token_id", t.bos_token_id);
  WriteOpt(w, "eos_token_id", t.eos_token_id);
  w.EndObject();

  w.Key("parameter_count");
  w.Int64(info.parameter_count);
  w.Key("types");
  w.StartArray();
  for (const auto& s : info.types) {
    w.StartObject();
    WriteString(w, "type", s.type);
    w.Key("tensors");
    w.Int64(s.tensors);
    w.Key("n_elements");
    w.Int64(s.n_elements);
    w.Key("n_bytes");
    w.Uint64(s.n_bytes);
    w.EndObject();
  }
  w.EndArray();
  w.Key("tensors");
  w.StartArray();
  for (const auto& ti : info.tensors) {
    w.StartObject();
    WriteString(w, "name", ti.name);
    WriteString(w, "type", ti.type);
    w.Key("shape");
    w.StartArray();
    for (int64_t x : ti.shape) w.Int64(x);
    w.EndArray();
    w.Key("n_elements");
    w.Int64(ti.n_elements);
    w.Key("n_bytes");
    w.Uint64(ti.n_bytes);
    w.Key("offset");
    w.Uint64(ti.offset);
    w.EndObject();
  }
  w.EndArray();
}

std::string FormatModelInfo(const ModelInfo& info, bool with_tensors) {
  std::ostringstream o;
  const ModelHparams& h = info.hparams;
  const TokenizerInfo& t = info.tokenizer;
  o << "file:            " << info.file << " (" << info.file_size << " bytes, GGUF v"
    << info.gguf_version << ", alignment " << info.alignment << ", " << info.metadata_count
    << " metadata keys, " << info.tensors.size() << " tensors)\n";
  o << "architecture:    " << Show(info.architecture) << "\n";
  o << "runnable:        "
    << (info.runnable ? std::string("yes") : "no: " + info.not_runnable_reason) << "\n";
  o << "name:            " << Show(info.name) << "\n";
  o << "file type:       " << Show(info.file_type) << "\n";
  o << "context length:  " << Show(h.context_length) << "\n";
  o << "embedding:       " << Show(h.embedding_length) << "\n";
  o << "blocks:          " << Show(h.block_count) << "\n";
  o << "feed-forward:    " << Show(h.feed_forward_length) << "\n";
  o << "heads (q / kv):  " << Show(h.head_count) << " / " << Show(h.head_count_kv) << ", head dim "
    << Show(h.head_dim) << "\n";
  o << "rope:            dims " << Show(h.rope_dimension_count) << ", base "
    << Show(h.rope_freq_base) << ", scaling " << Show(h.rope_scaling_type) << " factor "
    << Show(h.rope_scaling_factor) << " original ctx "
    << Show(h.rope_scaling_original_context_length)
    << (h.has_rope_freqs ? ", rope_freqs tensor" : "") << "\n";
  o << "rms epsilon:     " << Show(h.rms_epsilon) << "\n";
  o << "vocab size:      " << Show(h.vocab_size) << "\n";
  if (h.sliding_window) o << "sliding window:  " << *h.sliding_window << "\n";
  if (h.attn_logit_softcapping || h.final_logit_softcapping) {
    o << "soft-caps:       attention " << Show(h.attn_logit_softcapping) << ", final "
      << Show(h.final_logit_softcapping) << "\n";
  }
  o << "tokenizer:       " << Show(t.model) << ", pre " << Show(t.pre) << ", " << Show(t.vocab_size)
    << " tokens, " << Show(t.merges) << " merges, bos " << Show(t.bos_token_id) << ", eos "
    << Show(t.eos_token_id) << "\n";
  o << "parameters:      " << info.parameter_count << "\n";
  for (const auto& s : info.types) {
    char line[160];
    std::snprintf(line, sizeof(line),
                  "  %-6s %5" PRId64 " tensors %14" PRId64 " elements %14" PRIu64 " bytes\n",
                  s.type.c_str(), s.tensors, s.n_elements, s.n_bytes);
    o << line;
  }
  if (with_tensors) {
    o << "tensors:\n";
    for (const auto& ti : info.tensors) {
      std::ostringstream shape;
      shape << '[';
      for (size_t i = 0; i < ti.shape.size(); ++i) shape << (i ? ", " : "") << ti.shape[i];
      shape << ']';
      char line[256];
      std::snprintf(line, sizeof(line), "  %-32s %-6s %-16s %12" PRIu64 " bytes\n", ti.name.c_str(),
                    ti.type.c_str(), shape.str().c_str(), ti.n_bytes);
      o << line;
    }
  }
  return o.str();
}

}  // namespace gapbench::engine
