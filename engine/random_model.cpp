#include "engine/random_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "common/error.h"
#include "engine/gguf_writer.h"
#include "kernels/parallel.h"
#include "kernels/quant.h"

namespace gapbench::engine {
namespace {

using kernels::GgmlType;

// Published shapes (the models' config.json). Parameter counts as llama.cpp's GGUFs hold them
// (tied heads counted once): Qwen3-0.6B 596,049,920; Gemma-2-2B 2,614,341,888; Gemma-3-1B
// 999,885,952; Phi-3-mini-4k 3,821,079,552 (random_model_test checks them).
const std::array<ModelPreset, 8> kPresets = {
    ModelPreset{"smollm2-135m", "SmolLM2-135M", 576, 30, 9, 3, 1536, 49152, 8192, 10000.0, 1e-5,
                false, "llama", 0, true, 0},
    ModelPreset{"qwen2.5-0.5b", "Qwen2.5-0.5B", 896, 24, 14, 2, 4864, 151936, 32768, 1e6, 1e-6,
                false, "qwen2", 0, true, 0},
    ModelPreset{"llama3.2-1b", "Llama-3.2-1B", 2048, 16, 32, 8, 8192, 128256, 131072, 500000.0,
                1e-5, true, "llama", 0, true, 0},
    ModelPreset{"qwen3-0.6b", "Qwen3-0.6B", 1024, 28, 16, 8, 3072, 151936, 40960, 1e6, 1e-6, false,
                "qwen3", 128, true, 0},
    ModelPreset{"gemma-2-2b", "Gemma-2-2B", 2304, 26, 8, 4, 9216, 256000, 8192, 10000.0, 1e-6,
                false, "gemma2", 256, true, 4096},
    ModelPreset{"gemma-3-1b", "Gemma-3-1B", 1152, 26, 4, 1, 6912, 262144, 32768, 1e6, 1e-6, false,
                "gemma3", 256, true, 512},
    ModelPreset{"phi-3-mini", "Phi-3-mini-4k", 3072, 32, 32, 32, 8192, 32064, 4096, 10000.0, 1e-5,
                false, "phi3", 0, false, 2047},
    ModelPreset{"tiny", "Tiny", 64, 2, 4, 2, 128, 512, 256, 10000.0, 1e-5, false, "llama", 0, true,
                0},
};

const std::array<std::string_view, 6> kArchs = {"llama",  "qwen2",  "qwen3",
                                                "gemma2", "gemma3", "phi3"};

bool IsGemma(std::string_view a) { return a == "gemma2" || a == "gemma3"; }

// Llama 3.2 rope scaling (HF config rope_scaling, rope_type "llama3").
constexpr double kLlama3Factor = 32.0;
constexpr double kLlama3LowFreq = 1.0;
constexpr double kLlama3HighFreq = 4.0;
constexpr double kLlama3OriginalCtx = 8192.0;

constexpr float kWeightStd = 0.02f;

// A handful of merges (rank = index) whose results are real vocabulary entries right after the
// 256 byte tokens, so a BPE tokenizer has something to merge.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kMerges = {{
    {"Ġ t", "Ġt"},
    {"h e", "he"},
    {"i n", "in"},
    {"Ġ a", "Ġa"},
    {"e r", "er"},
    {"o n", "on"},
    {"Ġt he", "Ġthe"},
    {"r e", "re"},
}};
constexpr int32_t kTokenNormal = 1;
constexpr int32_t kTokenControl = 3;
constexpr int32_t kTokenUnused = 5;

// llama_ftype for general.file_type.
uint32_t FileType(GgmlType t) {
  switch (t) {
    case GgmlType::kF32:
      return 0;
    case GgmlType::kF16:
      return 1;
    case GgmlType::kQ4_0:
      return 2;
    case GgmlType::kQ8_0:
      return 7;
    case GgmlType::kBF16:
      return 32;
    case GgmlType::kQ4_K:
      return 14;  // LLAMA_FTYPE_MOSTLY_Q4_K_S: every 2-D weight q4_K
    case GgmlType::kQ5_0:
      return 8;  // LLAMA_FTYPE_MOSTLY_Q5_0 (tests; not a CLI --wtype)
    case GgmlType::kQ5_K:
      return 16;  // LLAMA_FTYPE_MOSTLY_Q5_K_S: every 2-D weight q5_K (tests; not a CLI --wtype)
    case GgmlType::kQ5_1:
      return 9;  // LLAMA_FTYPE_MOSTLY_Q5_1 (tests: every 2-D weight q5_1; the CLI's is the mix)
    case GgmlType::kQ4_1:
      return 3;  // LLAMA_FTYPE_MOSTLY_Q4_1 (tests: every 2-D weight q4_1; the CLI's is the mix)
    default:
      Fail("model random: weight type ", kernels::TypeName(t), " is not supported");
  }
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t HashName(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return h;
}

// Approximately standard normal, a pure function of (stream, index) so any split of the work
// across threads gives the same values: Irwin-Hall sum of four 16-bit uniforms, rescaled to unit
// variance (support +-3.46 sigma, which is all "Gaussian-ish" weights need).
float Normalish(uint64_t stream, uint64_t index) {
  const uint64_t r = SplitMix64(stream ^ (index * 0xD1B54A32D192ED03ull));
  float sum = 0.0f;
  for (int k = 0; k < 4; ++k) sum += (static_cast<float>((r >> (16 * k)) & 0xffff) + 0.5f);
  constexpr float kSqrt3 = 1.7320508f;
  return (sum / 65536.0f - 2.0f) * kSqrt3;
}

enum class Init { kWeight, kNorm, kBias, kRopeFreqs };

struct PlannedTensor {
  Init init;
};

void ValidatePreset(const RandomModelOptions& o) {
  const ModelPreset& p = o.preset;
  GB_CHECK(p.n_head > 0 && p.n_head_kv > 0 && p.head_dim() > 0 && p.n_head % p.n_head_kv == 0 &&
               (p.explicit_head_dim > 0 || p.n_embd % p.n_head == 0),
           "bad preset ", p.name);
  if (p.n_vocab < 256 + static_cast<int64_t>(kMerges.size()) + 2) {
    Fail("model random: preset ", p.name, " vocabulary of ", p.n_vocab, " is too small");
  }
}

void Validate(const RandomModelOptions& o) {
  if (std::find(kArchs.begin(), kArchs.end(), o.arch) == kArchs.end()) {
    std::string names;
    for (auto a : kArchs) names += StrCat(names.empty() ? "" : ", ", a);
    Fail("model random: unknown --arch '", o.arch, "' (one of ", names, ")");
  }
  if (o.mix) return ValidatePreset(o);  // row lengths: the mix falls back per tensor
  FileType(o.wtype);
  ValidatePreset(o);
  const ModelPreset& p = o.preset;
  const int64_t block = kernels::Traits(o.wtype).block_size;
  if (p.n_embd % block != 0 || p.n_ff % block != 0 || (p.n_head * p.head_dim()) % block != 0) {
    Fail("model random: preset ", p.name, " has rows of ", p.n_embd, " and ", p.n_ff,
         " elements, not multiples of the ", kernels::TypeName(o.wtype), " block size ", block);
  }
}

void AddTokenizer(GgufWriter& w, int64_t n_vocab) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  tokens.reserve(n_vocab);
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(GptByteToken(static_cast<uint8_t>(b)));
    types.push_back(kTokenNormal);
  }
  std::vector<std::string> merges;
  for (const auto& [merge, token] : kMerges) {
    merges.emplace_back(merge);
    tokens.emplace_back(token);
    types.push_back(kTokenNormal);
  }
  const int64_t bos = n_vocab - 2;
  const int64_t eos = n_vocab - 1;
  while (static_cast<int64_t>(tokens.size()) < bos) {
    tokens.push_back(StrCat("<|gb_fill_", tokens.size(), "|>"));
    types.push_back(kTokenUnused);
  }
  tokens.emplace_back("<|gb_bos|>");
  tokens.emplace_back("<|gb_eos|>");
  types.push_back(kTokenControl);
  types.push_back(kTokenControl);
  w.SetString("tokenizer.ggml.model", "gpt2");
  w.SetString("tokenizer.ggml.pre", "default");
  w.Set("tokenizer.ggml.tokens", GgufWriteValue::StringArray(tokens));
  w.Set("tokenizer.ggml.token_type", GgufWriteValue::I32Array(types));
  w.Set("tokenizer.ggml.merges", GgufWriteValue::StringArray(merges));
  w.SetU32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(bos));
  w.SetU32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(eos));
  w.SetBool("tokenizer.ggml.add_bos_token", true);
}

// Metadata and tensor list; `inits` receives how each tensor is filled.
GgufWriter Plan(const RandomModelOptions& options, std::vector<PlannedTensor>* inits) {
  RandomModelOptions o = options;
  std::unique_ptr<GgufFile> vocab;
  if (!o.vocab_path.empty()) {
    vocab = GgufFile::Open(o.vocab_path);
    const GgufValue* toks = vocab->GetArray("tokenizer.ggml.tokens", GgufType::kString);
    if (toks == nullptr) Fail(o.vocab_path, ": no tokenizer.ggml.tokens to copy");
    o.preset.n_vocab = static_cast<int64_t>(toks->elems.size());
  }
  Validate(o);
  const ModelPreset& p = o.preset;
  const std::string& a = o.arch;
  const int64_t hd = p.head_dim();
  GgufWriter w;
  w.SetString("general.architecture", a);
  const std::string type_name(o.mix ? o.mix->name : kernels::TypeName(o.wtype));
  w.SetString("general.name",
              StrCat(p.display_name, " random (", a, ", ", type_name, ", seed ", o.seed, ")"));
  w.SetU32("general.file_type", o.mix ? o.mix->file_type : FileType(o.wtype));
  if (o.mix || kernels::Traits(o.wtype).block_size > 1) {
    w.SetU32("general.quantization_version", 2);
  }
  w.SetAlignment(32);
  w.SetU32(a + ".context_length", static_cast<uint32_t>(p.n_ctx));
  w.SetU32(a + ".embedding_length", static_cast<uint32_t>(p.n_embd));
  w.SetU32(a + ".block_count", static_cast<uint32_t>(p.n_layer));
  w.SetU32(a + ".feed_forward_length", static_cast<uint32_t>(p.n_ff));
  w.SetU32(a + ".attention.head_count", static_cast<uint32_t>(p.n_head));
  w.SetU32(a + ".attention.head_count_kv", static_cast<uint32_t>(p.n_head_kv));
  w.SetF32(a + ".attention.layer_norm_rms_epsilon", static_cast<float>(p.rms_eps));
  w.SetF32(a + ".rope.freq_base", static_cast<float>(p.rope_base));
  w.SetU32(a + ".rope.dimension_count", static_cast<uint32_t>(hd));
  w.SetU32(a + ".vocab_size", static_cast<uint32_t>(p.n_vocab));
  if (p.explicit_head_dim > 0) {
    w.SetU32(a + ".attention.key_length", static_cast<uint32_t>(hd));
    w.SetU32(a + ".attention.value_length", static_cast<uint32_t>(hd));
  }
  if (p.sliding_window > 0 && (IsGemma(a) || a == "phi3")) {
    w.SetU32(a + ".attention.sliding_window", static_cast<uint32_t>(p.sliding_window));
  }
  if (a == "gemma2") {  // the published soft-caps
    w.SetF32(a + ".attn_logit_softcapping", 50.0f);
    w.SetF32(a + ".final_logit_softcapping", 30.0f);
  }
  if (a == "gemma3") w.SetF32(a + ".rope.freq_base_swa", 10000.0f);
  if (vocab) {
    for (const auto& kv : vocab->metadata()) {
      if (kv.key.rfind("tokenizer.", 0) == 0) {
        w.Set(std::string(kv.key), GgufWriteValue::FromValue(kv.value));
      }
    }
  } else {
    AddTokenizer(w, p.n_vocab);
  }

  // Tensors are collected first, so that a mix can assign their types from the whole list.
  std::vector<GgufTensorSpec> specs;
  auto add = [&](std::string name, std::vector<int64_t> ne, GgmlType t, Init init) {
    specs.push_back(GgufTensorSpec{std::move(name), std::move(ne), t});
    inits->push_back({init});
  };
  const GgmlType wt = o.mix ? GgmlType::kF32 : o.wtype;
  const GgmlType f32 = GgmlType::kF32;
  const int64_t d = p.n_embd;
  const int64_t q_out = p.n_head * hd;
  const int64_t kv_out = p.n_head_kv * hd;
  add("token_embd.weight", {d, p.n_vocab}, wt, Init::kWeight);
  // llama.cpp's qwen2 graph has no rope_freqs tensor and rejects unused tensors, so the llama3
  // scaling only travels with the llama architecture.
  if (p.llama3_rope && a == "llama") add("rope_freqs.weight", {hd / 2}, f32, Init::kRopeFreqs);
  const bool qk_norm = a == "qwen3" || a == "gemma3";
  for (int64_t layer = 0; layer < p.n_layer; ++layer) {
    const std::string b = StrCat("blk.", layer, ".");
    add(b + "attn_norm.weight", {d}, f32, Init::kNorm);
    if (a == "phi3") {
      add(b + "attn_qkv.weight", {d, q_out + 2 * kv_out}, wt, Init::kWeight);
    } else {
      add(b + "attn_q.weight", {d, q_out}, wt, Init::kWeight);
      add(b + "attn_k.weight", {d, kv_out}, wt, Init::kWeight);
      add(b + "attn_v.weight", {d, kv_out}, wt, Init::kWeight);
    }
    if (a == "qwen2") {
      add(b + "attn_q.bias", {q_out}, f32, Init::kBias);
      add(b + "attn_k.bias", {kv_out}, f32, Init::kBias);
      add(b + "attn_v.bias", {kv_out}, f32, Init::kBias);
    }
    if (qk_norm) {
      add(b + "attn_q_norm.weight", {hd}, f32, Init::kNorm);
      add(b + "attn_k_norm.weight", {hd}, f32, Init::kNorm);
    }
    add(b + "attn_output.weight", {q_out, d}, wt, Init::kWeight);
    if (IsGemma(a)) add(b + "post_attention_norm.weight", {d}, f32, Init::kNorm);
    add(b + "ffn_norm.weight", {d}, f32, Init::kNorm);
    if (a == "phi3") {
      add(b + "ffn_up.weight", {d, 2 * p.n_ff}, wt, Init::kWeight);  // gate rows, then up rows
    } else {
      add(b + "ffn_gate.weight", {d, p.n_ff}, wt, Init::kWeight);
      add(b + "ffn_up.weight", {d, p.n_ff}, wt, Init::kWeight);
    }
    add(b + "ffn_down.weight", {p.n_ff, d}, wt, Init::kWeight);
    if (IsGemma(a)) add(b + "post_ffw_norm.weight", {d}, f32, Init::kNorm);
  }
  add("output_norm.weight", {d}, f32, Init::kNorm);
  if (!p.tied) add("output.weight", {d, p.n_vocab}, wt, Init::kWeight);
  if (o.mix) {
    std::vector<TensorShape> shapes;
    for (const auto& spec : specs) shapes.push_back(TensorShape{spec.name, spec.ne});
    const auto types = AssignWeightTypes(*o.mix, shapes, p.n_layer);
    for (size_t i = 0; i < specs.size(); ++i) {
      if (types[i]) specs[i].type = *types[i];
    }
  }
  for (auto& spec : specs) w.AddTensor(std::move(spec));
  return w;
}

}  // namespace

std::optional<ModelPreset> FindPreset(std::string_view name) {
  for (const auto& p : kPresets) {
    if (p.name == name) return p;
  }
  return std::nullopt;
}

std::optional<ModelPreset> PresetForArch(std::string_view arch) {
  for (const auto& p : kPresets) {
    if (p.arch == arch && p.name != "tiny") return p;
  }
  return std::nullopt;
}

std::vector<std::string> RandomModelArchs() { return {kArchs.begin(), kArchs.end()}; }

int64_t RandomModelParameterCount(const RandomModelOptions& options) {
  std::vector<PlannedTensor> inits;
  const GgufWriter w = Plan(options, &inits);
  int64_t n = 0;
  for (const auto& t : w.tensors()) n += t.n_elements();
  return n;
}

std::vector<std::string> PresetNames() {
  std::vector<std::string> names;
  for (const auto& p : kPresets) names.push_back(p.name);
  return names;
}

std::vector<float> Llama3RopeFreqs(int64_t n_rot, double base, double factor, double low_freq,
                                   double high_freq, double original_ctx) {
  const double low_wavelen = original_ctx / low_freq;
  const double high_wavelen = original_ctx / high_freq;
  std::vector<float> out;
  for (int64_t i = 0; i < n_rot; i += 2) {
    const double freq = 1.0 / std::pow(base, static_cast<double>(i) / static_cast<double>(n_rot));
    const double wavelen = 2.0 * std::numbers::pi / freq;
    if (wavelen < high_wavelen) {
      out.push_back(1.0f);
    } else if (wavelen > low_wavelen) {
      out.push_back(static_cast<float>(factor));
    } else {
      const double smooth = (original_ctx / wavelen - low_freq) / (high_freq - low_freq);
      out.push_back(static_cast<float>(1.0 / ((1.0 - smooth) / factor + smooth)));
    }
  }
  return out;
}

std::string GptByteToken(uint8_t b) {
  // Printable bytes map to themselves; the other 68 map, in byte order, to U+0100.. .
  const auto printable = [](int c) {
    return (c >= 33 && c <= 126) || (c >= 161 && c <= 172) || (c >= 174 && c <= 255);
  };
  uint32_t cp = b;
  if (!printable(b)) {
    int n = 0;
    for (int c = 0; c < b; ++c) n += printable(c) ? 0 : 1;
    cp = 256 + static_cast<uint32_t>(n);
  }
  std::string s;
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else {  // every code point here is below U+0800: two UTF-8 bytes
    s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return s;
}

uint64_t RandomModelFileSize(const RandomModelOptions& options) {
  std::vector<PlannedTensor> inits;
  return Plan(options, &inits).FileSize();
}

void WriteRandomModel(const RandomModelOptions& options, const std::string& path) {
  std::vector<PlannedTensor> inits;
  const GgufWriter w = Plan(options, &inits);
  const ModelPreset& p = options.preset;
  const std::vector<float> rope_freqs =
      Llama3RopeFreqs(p.head_dim(), p.rope_base, kLlama3Factor, kLlama3LowFreq, kLlama3HighFreq,
                      kLlama3OriginalCtx);
  uint64_t bytes_total = 0;
  for (const auto& s : w.tensors()) bytes_total += s.n_bytes();
  uint64_t bytes_done = 0;

  auto producer = [&](size_t index, int64_t row_begin, int64_t n_rows, std::span<uint8_t> out) {
    const GgufTensorSpec& spec = w.tensors()[index];
    const Init init = inits[index].init;
    const int64_t ne0 = spec.ne[0];
    const uint64_t row_bytes = spec.row_bytes();
    const uint64_t stream = SplitMix64(options.seed ^ HashName(spec.name));
    // Rows are independent, so each worker fills and converts its own rows.
    kernels::ParallelFor(0, n_rows, 16, [&](int64_t begin, int64_t end) {
      std::vector<float> row(static_cast<size_t>(ne0));  // [ne0] f32 before conversion
      for (int64_t r = begin; r < end; ++r) {
        const auto first = static_cast<uint64_t>((row_begin + r) * ne0);
        for (int64_t col = 0; col < ne0; ++col) {
          const float g = Normalish(stream, first + static_cast<uint64_t>(col));
          switch (init) {
            case Init::kWeight:
            case Init::kBias:
              row[col] = kWeightStd * g;
              break;
            case Init::kNorm:
              row[col] = 1.0f + kWeightStd * g;
              break;
            case Init::kRopeFreqs:
              row[col] = rope_freqs[static_cast<size_t>(col)];
              break;
          }
        }
        kernels::QuantizeRow(spec.type, row.data(), out.data() + r * row_bytes, ne0);
      }
    });
    bytes_done += out.size();
    if (options.progress) {
      options.progress(
          RandomModelProgress{index, w.tensors().size(), spec.name, bytes_done, bytes_total});
    }
  };
  w.WriteFile(path, producer);
}

}  // namespace gapbench::engine
