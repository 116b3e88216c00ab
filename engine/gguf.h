// GGUF v2/v3 reader: memory-maps a file and validates every count, length, offset, dimension and
// type id before use, so a truncated, corrupted or malicious file produces gapbench::Error naming
// the file and what is wrong -- never a crash, a hang or a huge allocation.
// Not here: interpreting metadata (model.h, vocab.h) or writing files (gguf_writer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/types.h"

namespace gapbench::engine {

enum class GgufType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};
std::string_view GgufTypeName(GgufType t);
// Encoded bytes of a scalar value type; 0 for strings and arrays.
size_t GgufScalarBytes(GgufType t);

// One metadata value. Strings are views into the mapped file (valid while the GgufFile lives).
struct GgufValue {
  GgufType type = GgufType::kU8;
  union {
    uint64_t u;
    int64_t i;
    double f;
  } num{};
  std::string_view str;                // kString
  GgufType elem_type = GgufType::kU8;  // kArray
  std::vector<GgufValue> elems;        // kArray

  bool IsInteger() const;
  bool IsNumber() const;  // integer, float or bool
  // Numeric value as double / signed 64-bit (bools are 0/1). Only for IsNumber() values.
  double AsDouble() const;
  int64_t AsInt() const;
};

struct GgufKv {
  std::string_view key;
  GgufValue value;
};

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> ne;  // ggml order: ne[0] is the contiguous dimension
  kernels::GgmlType type;
  uint64_t offset = 0;  // relative to the data section
  uint64_t n_bytes = 0;
  int64_t n_elements = 0;
  const uint8_t* data = nullptr;  // into the mapping

  int64_t rows() const;             // product of ne[1..]
  std::string ShapeString() const;  // "[576, 49152]"
};

class GgufFile {
 public:
  // Memory-maps and parses `path`. Throws Error on any problem.
  static std::unique_ptr<GgufFile> Open(const std::string& path);
  // Parses a caller-owned buffer (fuzzing, tests); `name` is used in messages. The buffer must
  // outlive the returned object.
  static std::unique_ptr<GgufFile> FromBuffer(std::string name, std::span<const uint8_t> bytes);

  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t file_size() const { return bytes_.size(); }
  uint64_t data_offset() const { return data_offset_; }
  uint32_t alignment() const { return alignment_; }

  const std::vector<GgufKv>& metadata() const { return kvs_; }
  const GgufValue* Find(std::string_view key) const;

  // Typed getters; a present value of the wrong type is an Error naming file and key.
  std::optional<int64_t> GetInt(std::string_view key) const;
  std::optional<double> GetFloat(std::string_view key) const;
  std::optional<bool> GetBool(std::string_view key) const;
  std::optional<std::string_view> GetString(std::string_view key) const;
  const GgufValue* GetArray(std::string_view key, GgufType elem_type) const;  // nullptr if absent
  int64_t RequireInt(std::string_view key) const;
  std::string_view RequireString(std::string_view key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* FindTensor(std::string_view name) const;

  // Lets the OS drop the resident whole pages of [p, p + n) when they lie in this file's
  // mapping (anything else is left alone); a later read faults them back in from the file.
  void ReleasePages(const void* p, size_t n) const;

 private:
  GgufFile() = default;
  void Parse();

  std::string path_;
  std::span<const uint8_t> bytes_;
  void* map_ = nullptr;  // non-null when we own an mmap of bytes_
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKv> kvs_;
  std::vector<GgufTensorInfo> tensors_;
};

}  // namespace gapbench::engine
