// A small random GGUF model whose vocabulary carries <|im_start|> / <|im_end|> control tokens and,
// when given, a tokenizer.chat_template: for chat-template tests of the runner and the sweep.
#pragma once

#include <string>
#include <vector>

#include "engine/gguf_writer.h"
#include "engine/random_model.h"
#include "tests/test_util.h"

namespace gapbench::testing {

inline constexpr int32_t kImStart = 268;

inline constexpr char kChatMlTemplate[] =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
    "'<|im_start|>system\nYou are a helpful assistant<|im_end|>\n' }}{% endif %}{{'<|im_start|>' "
    "+ message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if "
    "add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

// A byte-level vocabulary (256 byte tokens, no merges, fillers) plus the ChatML control tokens
// (ids kImStart, kImStart + 1), BOS and EOS; `chat_template` written when not empty.
inline void WriteChatVocab(const std::string& path, const std::string& chat_template) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(engine::GptByteToken(static_cast<uint8_t>(b)));
    types.push_back(1);  // normal
  }
  for (int i = 0; i < 12; ++i) {  // the random model's preset needs at least 266 tokens
    tokens.push_back("<|fill_" + std::to_string(i) + "|>");
    types.push_back(5);  // unused
  }
  for (const char* special : {"<|im_start|>", "<|im_end|>", "<|bos|>", "<|eos|>"}) {
    tokens.emplace_back(special);
    types.push_back(3);  // control
  }
  engine::GgufWriter w;
  w.SetString("tokenizer.ggml.model", "gpt2");
  w.SetString("tokenizer.ggml.pre", "default");
  w.Set("tokenizer.ggml.tokens", engine::GgufWriteValue::StringArray(tokens));
  w.Set("tokenizer.ggml.token_type", engine::GgufWriteValue::I32Array(types));
  w.Set("tokenizer.ggml.merges", engine::GgufWriteValue::StringArray({}));
  w.SetU32("tokenizer.ggml.bos_token_id", kImStart + 2);
  w.SetU32("tokenizer.ggml.eos_token_id", kImStart + 3);
  w.Set("tokenizer.ggml.add_bos_token", engine::GgufWriteValue::Bool(false));
  if (!chat_template.empty()) w.SetString("tokenizer.chat_template", chat_template);
  w.WriteFile(path);
}

inline std::string WriteChatModel(const TempDir& dir, const std::string& name,
                                  const std::string& chat_template) {
  const std::string vocab = (dir / (name + "-vocab.gguf")).string();
  WriteChatVocab(vocab, chat_template);
  engine::RandomModelOptions o;
  o.arch = "llama";
  o.preset = *engine::FindPreset("tiny");
  o.seed = 3;
  o.vocab_path = vocab;
  const std::string path = (dir / (name + ".gguf")).string();
  engine::WriteRandomModel(o, path);
  return path;
}

}  // namespace gapbench::testing
