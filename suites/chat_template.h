// Chat templates: a model's tokenizer.chat_template (a Jinja string in the GGUF) recognised as one
// of the known families and rendered in code, byte-identical to Python jinja2 rendering the real
// template as Hugging Face transformers does (tests/suites/chat_template_test.cpp against the
// goldens of tools/chat_template_fixtures.py in tests/fixtures/chat/).
//
// Families (docs/SUITES.md "Chat templates"):
//   chatml      <|im_start|>role\n...<|im_end|>\n, with the template's default system turn when
//               it has one (Qwen2, Qwen2.5, SmolLM/SmolLM2, OpenHermes)
//   qwen3       ChatML; an assistant turn after the last user turn gets an empty <think> block
//   llama3      <|start_header_id|>role<|end_header_id|>\n\n{content|trim}<|eot_id|>
//   llama3.1    llama3 with the always-present system block (knowledge cut-off, date pinned to
//               the template's own "26 Jul 2024": Llama 3.1 / 3.2)
//   gemma       <start_of_turn>user|model\n{content|trim}<end_of_turn>\n (Gemma 1/2: no system
//               role; Gemma 3: the system text prefixed to the first user turn)
//   phi3        <|user|>\n...<|end|>\n (the original Phi-3-mini template: system dropped, the
//               assistant tag after every user turn), Phi-3.5 (system when non-empty), Phi-3-small
//   mistral     [INST] ... [/INST] (Mistral-7B-Instruct v0.1/v0.2: no system role)
// A template that raises on a system turn (Gemma 2, Mistral) is rendered without the system
// turns, as lm-evaluation-harness does when jinja2 raises.
//
// Not here: a Jinja interpreter (none exists in Debian; the families are formatted in code), tool
// calls, multimodal content, building the conversation of an item (prompt.h).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gapbench::suites {

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
};

class ChatTemplate {
 public:
  // Recognises `text` (the model's tokenizer.chat_template). `bos_token` / `eos_token` are the
  // texts of the vocabulary's BOS / EOS tokens, which the template prints as bos_token /
  // eos_token. Error naming `source` (the model file) when the template is not a known family.
  static ChatTemplate Recognise(std::string_view text, std::string_view source,
                                std::string bos_token, std::string eos_token);

  // The template rendered for `messages` (apply_chat_template(tokenize=False)). Error when the
  // conversation is one the template refuses even without system turns (roles that do not
  // alternate user/assistant), or is empty.
  std::string Render(std::span<const ChatMessage> messages, bool add_generation_prompt) const;

  const std::string& family() const { return family_; }  // "chatml", "gemma3", ...
  const std::string& bos_token() const { return bos_; }

 private:
  enum class Kind {
    kChatMl,
    kQwen3,
    kLlama3,
    kLlama31,
    kGemma,
    kPhi3,
    kPhi35,
    kPhi3Small,
    kMistral
  };
  ChatTemplate() = default;

  Kind kind_ = Kind::kChatMl;
  std::string family_;
  std::string bos_, eos_;
  bool bos_prefix_ = false;      // the template prints bos_token first
  bool refuses_system_ = false;  // raises on a system turn: rendered without system turns
  bool system_prefix_ = false;   // gemma3: the system text opens the first user turn
  bool has_default_system_ = false;
  std::string default_system_;  // chatml: the system turn printed when there is none
};

}  // namespace gapbench::suites
