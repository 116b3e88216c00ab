// Chat-template families recognised and rendered in code (chat_template.h). Each renderer writes
// what jinja2 prints for the family's published template(s) with string contents and the roles
// system / user / assistant; the goldens in tests/fixtures/chat/ hold that output.
#include "suites/chat_template.h"

#include <algorithm>
#include <utility>

#include "common/error.h"
#include "common/json.h"
#include "suites/prompt.h"

namespace gapbench::suites {
namespace {

bool Has(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}

// The first 60 bytes of a template for an error message, newlines shown as \n.
std::string Excerpt(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 60)) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return SanitizeUtf8(out) + (text.size() > 60 ? "..." : "");
}

// Jinja string-literal escapes as Python decodes them (the subset a system prompt uses).
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
  }
  return out;
}

// A ChatML template's default system turn: a string literal
// '<|im_start|>system\n<TEXT><|im_end|>' (newline written as an escape or as itself) whose TEXT
// is plain text, not an expression. False when the template has none (Qwen3, OpenHermes).
bool DefaultSystem(std::string_view text, std::string* out) {
  static constexpr std::string_view kOpen = "<|im_start|>system";
  for (size_t at = text.find(kOpen); at != std::string_view::npos; at = text.find(kOpen, at + 1)) {
    size_t begin = at + kOpen.size();
    if (text.substr(begin, 2) == "\\n") {
      begin += 2;
    } else if (text.substr(begin, 1) == "\n") {
      begin += 1;
    } else {
      continue;
    }
    const size_t end = text.find("<|im_end|>", begin);
    if (end == std::string_view::npos) continue;
    const std::string_view body = text.substr(begin, end - begin);
    if (body.find_first_of("'\"+{}") != std::string_view::npos) continue;  // an expression
    *out = Unescape(body);
    return true;
  }
  return false;
}

std::string RStripNewlines(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}
std::string LStripNewlines(std::string_view s) {
  const size_t b = s.find_first_not_of('\n');
  return b == std::string_view::npos ? "" : std::string(s.substr(b));
}
std::string StripNewlines(std::string_view s) { return RStripNewlines(LStripNewlines(s)); }

// Qwen3 splits an assistant turn that holds "</think>" into reasoning and answer:
// reasoning = content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n'),
// answer = content.split('</think>')[-1].lstrip('\n').
std::pair<std::string, std::string> SplitThink(const std::string& content) {
  const size_t close = content.find("</think>");
  if (close == std::string::npos) return {"", content};
  const std::string head = RStripNewlines(content.substr(0, close));
  const size_t open = head.rfind("<think>");
  std::string reasoning = LStripNewlines(open == std::string::npos ? head : head.substr(open + 7));
  const size_t last = content.rfind("</think>");
  return {std::move(reasoning), LStripNewlines(std::string_view(content).substr(last + 8))};
}

void CheckAlternates(std::span<const ChatMessage> messages, const std::string& family) {
  for (size_t i = 0; i < messages.size(); ++i) {
    if ((messages[i].role == "user") != (i % 2 == 0)) {
      Fail("chat template (", family, "): conversation roles must alternate user/assistant/...; ",
           "message ", i + 1, " is '", messages[i].role, "'");
    }
  }
}

}  // namespace

ChatTemplate ChatTemplate::Recognise(std::string_view text, std::string_view source,
                                     std::string bos_token, std::string eos_token) {
  ChatTemplate t;
  t.bos_ = std::move(bos_token);
  t.eos_ = std::move(eos_token);
  t.bos_prefix_ = Has(text, "bos_token");
  auto unknown = [&](std::string_view why) {
    Fail(source, ": tokenizer.chat_template is not a chat-template family gapbench knows (", why,
         "); known: ChatML (Qwen2, Qwen2.5, SmolLM), Qwen3, Llama 3/3.1/3.2, Gemma 1/2/3, Phi-3/"
         "3.5, Mistral [INST] v0.1/v0.2. The template starts '",
         Excerpt(text), "'");
  };
  if (Has(text, "<|im_start|>")) {
    if (Has(text, "</think>") && Has(text, "last_query_index")) {
      t.kind_ = Kind::kQwen3;
      t.family_ = "qwen3";
    } else if (Has(text, "</think>") || Has(text, "trim") || Has(text, "strip") || t.bos_prefix_) {
      unknown("a ChatML variant that trims contents, prints bos_token or handles <think>");
    } else {
      t.kind_ = Kind::kChatMl;
      t.family_ = "chatml";
      t.has_default_system_ = DefaultSystem(text, &t.default_system_);
    }
  } else if (Has(text, "<|start_header_id|>")) {
    if (Has(text, "Cutting Knowledge Date")) {
      if (!Has(text, "26 Jul 2024")) unknown("a Llama 3.1 system block without its fixed date");
      t.kind_ = Kind::kLlama31;
      t.family_ = "llama3.1";
    } else {
      t.kind_ = Kind::kLlama3;
      t.family_ = "llama3";
    }
  } else if (Has(text, "<start_of_turn>")) {
    t.kind_ = Kind::kGemma;
    if (Has(text, "first_user_prefix")) {
      t.system_prefix_ = true;
      t.family_ = "gemma3";
    } else if (Has(text, "System role not supported")) {
      t.refuses_system_ = true;
      t.family_ = "gemma";
    } else {
      unknown("a Gemma template with neither a system prefix nor a system refusal");
    }
  } else if (Has(text, "<|end|>") && Has(text, "|>")) {
    if (Has(text, "'<|' + message['role'] + '|>'")) {
      t.kind_ = Kind::kPhi3Small;
      t.family_ = "phi3-small";
    } else if (Has(text, "<|system|>") && Has(text, "<|user|>")) {
      t.kind_ = Kind::kPhi35;
      t.family_ = "phi3.5";
    } else if (Has(text, "<|user|>") && !Has(text, "system")) {
      t.kind_ = Kind::kPhi3;
      t.family_ = "phi3";
    } else {
      unknown("a Phi-3 variant");
    }
  } else if (Has(text, "[INST]")) {
    if (Has(text, "<<SYS>>") || !Has(text, "Only user and assistant roles are supported")) {
      unknown("an [INST] template other than Mistral-7B-Instruct v0.1/v0.2");
    }
    t.kind_ = Kind::kMistral;
    t.family_ = "mistral";
    t.refuses_system_ = true;
  } else {
    unknown("no ChatML, Llama 3, Gemma, Phi-3 or [INST] markers");
  }
  return t;
}

std::string ChatTemplate::Render(std::span<const ChatMessage> all,
                                 bool add_generation_prompt) const {
  for (const ChatMessage& m : all) {
    if (m.role != "system" && m.role != "user" && m.role != "assistant") {
      Fail("chat template (", family_, "): unsupported role '", m.role, "'");
    }
  }
  std::vector<ChatMessage> kept;
  for (const ChatMessage& m : all) {
    if (!(refuses_system_ && m.role == "system")) kept.push_back(m);
  }
  const std::span<const ChatMessage> msgs(kept);
  if (msgs.empty()) Fail("chat template (", family_, "): no messages to render");
  const auto n = msgs.size();
  std::string out;
  switch (kind_) {
    case Kind::kChatMl:
      if (has_default_system_ && msgs[0].role != "system") {
        out += StrCat("<|im_start|>system\n", default_system_, "<|im_end|>\n");
      }
      for (const ChatMessage& m : msgs) {
        out += StrCat("<|im_start|>", m.role, "\n", m.content, "<|im_end|>\n");
      }
      if (add_generation_prompt) out += "<|im_start|>assistant\n";
      break;
    case Kind::kQwen3: {
      // The last user turn that is not a tool response ("last_query_index").
      size_t last_query = n - 1;
      for (size_t i = n; i-- > 0;) {
        const std::string& c = msgs[i].content;
        const bool tool_response =
            c.starts_with("<tool_response>") && c.ends_with("</tool_response>");
        if (msgs[i].role == "user" && !tool_response) {
          last_query = i;
          break;
        }
      }
      if (msgs[0].role == "system") {
        out += StrCat("<|im_start|>system\n", msgs[0].content, "<|im_end|>\n");
      }
      for (size_t i = 0; i < n; ++i) {
        const ChatMessage& m = msgs[i];
        if (m.role == "user" || (m.role == "system" && i > 0)) {
          out += StrCat("<|im_start|>", m.role, "\n", m.content, "<|im_end|>\n");
        } else if (m.role == "assistant") {
          const auto [reasoning, content] = SplitThink(m.content);
          if (i > last_query && (i + 1 == n || !reasoning.empty())) {
            out += StrCat("<|im_start|>assistant\n<think>\n", StripNewlines(reasoning),
                          "\n</think>\n\n", LStripNewlines(content));
          } else {
            out += StrCat("<|im_start|>assistant\n", content);
          }
          out += "<|im_end|>\n";
        }
      }
      if (add_generation_prompt) out += "<|im_start|>assistant\n";
      break;
    }
    case Kind::kLlama3:
    case Kind::kLlama31: {
      size_t first = 0;
      if (kind_ == Kind::kLlama31) {
        std::string system;
        if (msgs[0].role == "system") {
          system = PyStrip(msgs[0].content);
          first = 1;
        }
        out += StrCat(bos_prefix_ ? bos_ : "",
                      "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: "
                      "December 2023\nToday Date: 26 Jul 2024\n\n",
                      system, "<|eot_id|>");
      } else if (bos_prefix_) {
        out += bos_;
      }
      for (size_t i = first; i < n; ++i) {
        out += StrCat("<|start_header_id|>", msgs[i].role, "<|end_header_id|>\n\n",
                      PyStrip(msgs[i].content), "<|eot_id|>");
      }
      if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    }
    case Kind::kGemma: {
      if (bos_prefix_) out += bos_;
      std::string prefix;
      std::span<const ChatMessage> loop = msgs;
      if (system_prefix_ && msgs[0].role == "system") {
        prefix = msgs[0].content + "\n\n";
        loop = msgs.subspan(1);
      }
      CheckAlternates(loop, family_);
      for (size_t i = 0; i < loop.size(); ++i) {
        out += StrCat("<start_of_turn>", loop[i].role == "assistant" ? "model" : loop[i].role, "\n",
                      i == 0 ? prefix : "", PyStrip(loop[i].content), "<end_of_turn>\n");
      }
      if (add_generation_prompt) out += "<start_of_turn>model\n";
      break;
    }
    case Kind::kPhi3:
      // The assistant tag follows every user turn; add_generation_prompt changes nothing.
      if (bos_prefix_) out += bos_;
      for (const ChatMessage& m : msgs) {
        if (m.role == "user") out += StrCat("<|user|>\n", m.content, "<|end|>\n<|assistant|>\n");
        if (m.role == "assistant") out += StrCat(m.content, "<|end|>\n");
      }
      break;
    case Kind::kPhi35:
    case Kind::kPhi3Small:
      if (bos_prefix_) out += bos_;
      for (const ChatMessage& m : msgs) {
        if (kind_ == Kind::kPhi35 && m.role == "system" && m.content.empty()) continue;
        out += StrCat("<|", m.role, "|>\n", m.content, "<|end|>\n");
      }
      out += add_generation_prompt ? "<|assistant|>\n" : eos_;
      break;
    case Kind::kMistral:
      if (bos_prefix_) out += bos_;
      CheckAlternates(msgs, family_);
      for (const ChatMessage& m : msgs) {
        out += m.role == "user" ? StrCat("[INST] ", m.content, " [/INST]") : m.content + eos_;
      }
      break;
  }
  return out;
}

}  // namespace gapbench::suites
