// Wire protocol encoding and defensive decoding (protocol.h). DecodeMessage is the one gate every
// received multipart passes: it checks frame count, tag, type, size, UTF-8, JSON syntax, that the
// body is one object, and nesting depth -- all with RapidJSON's iterative SAX reader, so hostile
// input ("[" x 100000) can neither overflow the stack nor allocate a DOM before it is rejected.
//
// Not here: what the fields of each body mean to the server or worker (they parse bodies
// themselves with ParseJson), sockets.
#include "coordinator/protocol.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <array>
#include <charconv>

#include "common/error.h"
#include "common/json.h"

namespace gapbench::coordinator {
namespace {

constexpr std::string_view kTagPrefix = "GAPBENCH/";
constexpr size_t kMaxTypeBytes = 32;

constexpr std::array<std::string_view, 14> kTypes = {
    kTypeHello,   kTypeWelcome, kTypeRefuse, kTypeReady,  kTypeAssign, kTypeNoWork, kTypeHeartbeat,
    kTypeResults, kTypeAck,     kTypeDone,   kTypeFailed, kTypeCancel, kTypeBye,    kTypeShutdown};

bool IsKnownType(std::string_view type) {
  for (std::string_view t : kTypes) {
    if (t == type) return true;
  }
  return false;
}

// Upper-case ASCII letters and '_' only: what a type of any protocol version may look like.
bool LooksLikeType(std::string_view type) {
  if (type.empty() || type.size() > kMaxTypeBytes) return false;
  for (char c : type) {
    if (!((c >= 'A' && c <= 'Z') || c == '_')) return false;
  }
  return true;
}

// SAX handler that accepts every value and stops the parse once nesting passes the limit; it
// also remembers the kind of the top-level value.
struct DepthHandler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DepthHandler> {
  int depth = 0;
  int max_depth = 0;
  bool too_deep = false;
  bool top_is_object = false;
  bool seen_top = false;

  void Top(bool is_object) {
    if (!seen_top) {
      seen_top = true;
      top_is_object = is_object;
    }
  }
  bool Default() {
    Top(false);
    return true;
  }
  bool StartObject() {
    Top(true);
    return Enter();
  }
  bool StartArray() {
    Top(false);
    return Enter();
  }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool Enter() {
    if (++depth > max_depth) {
      too_deep = true;
      return false;
    }
    return true;
  }
};

// Checks that `body` is exactly one JSON object within the depth limit, with valid UTF-8.
bool CheckBody(const std::string& body, std::string* why) {
  DepthHandler handler;
  handler.max_depth = kMaxJsonDepth;
  rapidjson::Reader reader;
  rapidjson::MemoryStream ms(body.data(), body.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                              rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseStopWhenDoneFlag;
  const rapidjson::ParseResult result = reader.Parse<kFlags>(is, handler);
  if (handler.too_deep) {
    *why = StrCat("body nested deeper than ", kMaxJsonDepth, " levels");
    return false;
  }
  if (result.IsError()) {
    *why = StrCat("body is not valid JSON at byte ", result.Offset(), ": ",
                  rapidjson::GetParseError_En(result.Code()));
    return false;
  }
  if (!handler.top_is_object) {
    *why = "body is not a JSON object";
    return false;
  }
  // kParseStopWhenDoneFlag stops after the first value; anything but whitespace after it is junk.
  for (size_t i = is.Tell(); i < body.size(); ++i) {
    const char c = body[i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      *why = StrCat("body has trailing data at byte ", i);
      return false;
    }
  }
  return true;
}

// Parses "GAPBENCH/<n>" into n (1..9999); nullopt otherwise.
std::optional<int> ParseTag(std::string_view tag) {
  if (tag.size() <= kTagPrefix.size() || tag.substr(0, kTagPrefix.size()) != kTagPrefix) {
    return std::nullopt;
  }
  const std::string_view digits = tag.substr(kTagPrefix.size());
  if (digits.size() > 4) return std::nullopt;
  int version = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || version < 1) {
    return std::nullopt;
  }
  return version;
}

std::string Printable(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += '?';
    }
  }
  if (s.size() > kMax) out += "...";
  return out;
}

// Field readers for ShardTaskFromJson: each names the source and the field on a mismatch.
const rapidjson::Value& Member(const rapidjson::Value& obj, const char* name,
                               std::string_view source) {
  const auto it = obj.FindMember(name);
  if (it == obj.MemberEnd()) Fail(source, ": shard task: missing field \"", name, "\"");
  return it->value;
}

std::string GetString(const rapidjson::Value& obj, const char* name, std::string_view source) {
  const rapidjson::Value& v = Member(obj, name, source);
  if (!v.IsString()) Fail(source, ": shard task: field \"", name, "\" must be a string");
  return std::string(v.GetString(), v.GetStringLength());
}

int64_t GetInt(const rapidjson::Value& obj, const char* name, std::string_view source) {
  const rapidjson::Value& v = Member(obj, name, source);
  if (!v.IsInt64()) Fail(source, ": shard task: field \"", name, "\" must be an integer");
  return v.GetInt64();
}

}  // namespace

std::string ProtocolTag(int version) { return StrCat(kTagPrefix, version); }

std::string ShardTaskToJson(const ShardTask& task) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  const auto str = [&w](const char* key, const std::string& value) {
    w.Key(key);
    WriteJsonString(w, value);
  };
  str("model_path", task.model_path);
  str("model_id", task.model_id);
  str("model_alias", task.model_alias);
  str("config_json", task.config_json);
  str("config_hash", task.config_hash);
  str("strategy_json", task.strategy_json);
  str("suite_path", task.suite_path);
  str("suite_format", task.suite_format);
  str("suite_split", task.suite_split);
  str("suite_name", task.suite_name);
  str("suite_hash", task.suite_hash);
  w.Key("fewshot");
  w.Int64(task.fewshot);
  w.Key("samples");
  w.Int64(task.samples);
  w.Key("max_tokens");
  w.Int64(task.max_tokens);
  w.Key("temperature");
  WriteJsonFloat(w, task.temperature);
  w.Key("seed");
  w.Uint64(task.seed);
  w.Key("begin");
  w.Int64(task.begin);
  w.Key("end");
  w.Int64(task.end);
  if (task.chat) {  // absent means false: tasks without chat read as before
    w.Key("chat");
    w.StartObject();
    w.Key("fewshot_as_multiturn");
    w.Bool(task.fewshot_as_multiturn);
    str("system_prompt", task.system_prompt);
    w.EndObject();
  }
  if (!task.members.empty()) {
    w.Key("members");
    w.StartArray();
    for (const ShardMember& m : task.members) {
      w.StartObject();
      str("role", m.role);
      str("model_path", m.model_path);
      str("model_id", m.model_id);
      str("model_alias", m.model_alias);
      str("config_json", m.config_json);
      str("config_hash", m.config_hash);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return buffer.GetString();
}

ShardTask ShardTaskFromJson(std::string_view json, std::string_view source) {
  const rapidjson::Document doc = ParseJson(json, source);
  if (!doc.IsObject()) Fail(source, ": shard task is not a JSON object");
  ShardTask task;
  task.model_path = GetString(doc, "model_path", source);
  task.model_id = GetString(doc, "model_id", source);
  task.model_alias = GetString(doc, "model_alias", source);
  task.config_json = GetString(doc, "config_json", source);
  task.config_hash = GetString(doc, "config_hash", source);
  task.strategy_json = GetString(doc, "strategy_json", source);
  task.suite_path = GetString(doc, "suite_path", source);
  task.suite_format = GetString(doc, "suite_format", source);
  task.suite_split = GetString(doc, "suite_split", source);
  task.suite_name = GetString(doc, "suite_name", source);
  task.suite_hash = GetString(doc, "suite_hash", source);
  task.fewshot = GetInt(doc, "fewshot", source);
  task.samples = GetInt(doc, "samples", source);
  task.max_tokens = GetInt(doc, "max_tokens", source);
  const rapidjson::Value& temperature = Member(doc, "temperature", source);
  if (!temperature.IsNumber()) Fail(source, ": shard task: field \"temperature\" must be a number");
  task.temperature = temperature.GetDouble();
  const rapidjson::Value& seed = Member(doc, "seed", source);
  if (!seed.IsUint64()) {
    Fail(source, ": shard task: field \"seed\" must be a non-negative integer");
  }
  task.seed = seed.GetUint64();
  task.begin = GetInt(doc, "begin", source);
  task.end = GetInt(doc, "end", source);
  if (task.begin < 0 || task.end < task.begin) {
    Fail(source, ": shard task: item range [", task.begin, ", ", task.end, ") is invalid");
  }
  if (doc.HasMember("chat")) {
    const rapidjson::Value& chat = doc["chat"];
    if (!chat.IsObject() || !chat.HasMember("fewshot_as_multiturn") ||
        !chat["fewshot_as_multiturn"].IsBool()) {
      Fail(source, ": shard task: field \"chat\" must be {\"fewshot_as_multiturn\": bool, ",
           "\"system_prompt\": string}");
    }
    task.chat = true;
    task.fewshot_as_multiturn = chat["fewshot_as_multiturn"].GetBool();
    task.system_prompt = GetString(chat, "system_prompt", source);
  }
  if (task.samples < 1) Fail(source, ": shard task: samples must be at least 1");
  if (const auto it = doc.FindMember("members"); it != doc.MemberEnd()) {
    if (!it->value.IsArray()) Fail(source, ": shard task: field \"members\" must be an array");
    for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
      const rapidjson::Value& m = it->value[i];
      const std::string where = StrCat(source, " members[", i, "]");
      if (!m.IsObject()) Fail(where, ": shard task: a member must be an object");
      ShardMember member;
      member.role = GetString(m, "role", where);
      member.model_path = GetString(m, "model_path", where);
      member.model_id = GetString(m, "model_id", where);
      member.model_alias = GetString(m, "model_alias", where);
      member.config_json = GetString(m, "config_json", where);
      member.config_hash = GetString(m, "config_hash", where);
      task.members.push_back(std::move(member));
    }
  }
  return task;
}

std::vector<std::string> EncodeMessage(std::string_view type, std::string_view body_json) {
  return {ProtocolTag(), std::string(type), std::string(body_json)};
}

std::optional<Message> DecodeMessage(const std::vector<std::string>& frames, std::string* why) {
  std::string ignored;
  if (why == nullptr) why = &ignored;
  if (frames.size() != 3) {
    *why = StrCat("expected 3 frames (tag, type, body), got ", frames.size());
    return std::nullopt;
  }
  const std::optional<int> version = ParseTag(frames[0]);
  if (!version) {
    *why = StrCat("bad protocol tag '", Printable(frames[0]), "' (expected '", ProtocolTag(), "')");
    return std::nullopt;
  }
  const std::string& type = frames[1];
  if (frames[2].size() > kMaxBodyBytes) {
    *why = StrCat("body of ", frames[2].size(), " bytes exceeds the limit of ", kMaxBodyBytes);
    return std::nullopt;
  }
  Message message;
  message.version = *version;
  message.type = type;
  if (*version != kProtocolVersion) {
    // Another version: its types and bodies are not ours to judge; enough to REFUSE it.
    if (!LooksLikeType(type)) {
      *why = StrCat("bad message type '", Printable(type), "'");
      return std::nullopt;
    }
    return message;
  }
  if (!IsKnownType(type)) {
    *why = StrCat("unknown message type '", Printable(type), "'");
    return std::nullopt;
  }
  if (!CheckBody(frames[2], why)) {
    *why = StrCat(type, ": ", *why);
    return std::nullopt;
  }
  message.body = frames[2];
  return message;
}

}  // namespace gapbench::coordinator
