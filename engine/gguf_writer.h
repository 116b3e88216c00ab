// GGUF v3 writer: metadata of every value type (including nested and string arrays) and tensors,
// laid out with the alignment padding engine/gguf.h's reader (and llama.cpp) expect. Tensor data
// is either held in memory or produced chunk by chunk while the file is written, so a model of
// several GB streams to disk with bounded memory.
// Not here: choosing tensor names or values (random_model.h), quantisation (kernels/quant.h),
// reading (gguf.h).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "engine/gguf.h"
#include "kernels/types.h"

namespace gapbench::engine {

// One metadata value to write: a scalar, a string or an array (whose elements all have the
// array's element type; arrays may nest).
class GgufWriteValue {
 public:
  static GgufWriteValue U8(uint8_t v) { return Num(GgufType::kU8, v); }
  static GgufWriteValue I8(int8_t v) { return Num(GgufType::kI8, static_cast<uint8_t>(v)); }
  static GgufWriteValue U16(uint16_t v) { return Num(GgufType::kU16, v); }
  static GgufWriteValue I16(int16_t v) { return Num(GgufType::kI16, static_cast<uint16_t>(v)); }
  static GgufWriteValue U32(uint32_t v) { return Num(GgufType::kU32, v); }
  static GgufWriteValue I32(int32_t v) { return Num(GgufType::kI32, static_cast<uint32_t>(v)); }
  static GgufWriteValue U64(uint64_t v) { return Num(GgufType::kU64, v); }
  static GgufWriteValue I64(int64_t v) { return Num(GgufType::kI64, static_cast<uint64_t>(v)); }
  static GgufWriteValue F32(float v);
  static GgufWriteValue F64(double v);
  static GgufWriteValue Bool(bool v) { return Num(GgufType::kBool, v ? 1 : 0); }
  static GgufWriteValue String(std::string v);
  // Every element must have type `elem_type` (checked: a mismatch is a programmer bug).
  static GgufWriteValue Array(GgufType elem_type, std::vector<GgufWriteValue> elems);
  // The same value as read by GgufFile (for copying or editing an existing file's metadata).
  static GgufWriteValue FromValue(const GgufValue& v);
  static GgufWriteValue StringArray(const std::vector<std::string>& v);
  static GgufWriteValue I32Array(std::span<const int32_t> v);
  static GgufWriteValue F32Array(std::span<const float> v);

  GgufType type() const { return type_; }
  // Appends the encoded value (without its type id) to `out`.
  void Encode(std::vector<uint8_t>& out) const;

 private:
  static GgufWriteValue Num(GgufType t, uint64_t bits);

  GgufType type_ = GgufType::kU8;
  uint64_t bits_ = 0;  // little-endian payload of a scalar, in the low sizeof(type) bytes
  std::string str_;
  GgufType elem_type_ = GgufType::kU8;
  std::vector<GgufWriteValue> elems_;
};

// Describes one tensor: ne in ggml order (ne[0] contiguous), so an HF [out, in] weight is
// {in, out}. ne[0] must be a multiple of the type's block size.
struct GgufTensorSpec {
  std::string name;
  std::vector<int64_t> ne;
  kernels::GgmlType type = kernels::GgmlType::kF32;

  int64_t n_elements() const;
  int64_t rows() const;  // product of ne[1..]
  uint64_t n_bytes() const;
  uint64_t row_bytes() const;
};

class GgufWriter {
 public:
  // Fills `out` (exactly n_rows * row_bytes bytes) with rows [row_begin, row_begin + n_rows) of
  // tensor `index`. Called in order, tensor by tensor, chunk by chunk.
  using Producer =
      std::function<void(size_t index, int64_t row_begin, int64_t n_rows, std::span<uint8_t> out)>;

  // Metadata keeps insertion order; setting an existing key replaces its value in place.
  void Set(const std::string& key, GgufWriteValue value);
  void SetU32(const std::string& key, uint32_t v) { Set(key, GgufWriteValue::U32(v)); }
  void SetI32(const std::string& key, int32_t v) { Set(key, GgufWriteValue::I32(v)); }
  void SetU64(const std::string& key, uint64_t v) { Set(key, GgufWriteValue::U64(v)); }
  void SetF32(const std::string& key, float v) { Set(key, GgufWriteValue::F32(v)); }
  void SetBool(const std::string& key, bool v) { Set(key, GgufWriteValue::Bool(v)); }
  void SetString(const std::string& key, std::string v) {
    Set(key, GgufWriteValue::String(std::move(v)));
  }
  // Writes general.alignment (u32) and aligns the data section and every tensor to it. Must be a
  // positive multiple of 8. Without a call the GGUF default of 32 applies and no key is written.
  void SetAlignment(uint32_t alignment);
  uint32_t alignment() const { return alignment_; }

  // A tensor whose bytes are held in memory; bytes.size() must equal the spec's byte size.
  void AddTensor(GgufTensorSpec spec, std::vector<uint8_t> bytes);
  // A tensor whose bytes the Producer given to WriteFile / WriteBuffer supplies.
  void AddTensor(GgufTensorSpec spec);

  const std::vector<GgufTensorSpec>& tensors() const { return specs_; }
  // Offset of each tensor's data relative to the data section (aligned, in insertion order).
  std::vector<uint64_t> TensorOffsets() const;
  // Total file size WriteFile / WriteBuffer will produce.
  uint64_t FileSize() const;

  // Writes the whole file. Throws Error naming `path` on an I/O failure. The file is written to
  // path + ".tmp" and renamed at the end, so a failure never leaves a partial `path`.
  void WriteFile(const std::string& path, const Producer& producer = {}) const;
  std::vector<uint8_t> WriteBuffer(const Producer& producer = {}) const;

  // Largest chunk handed to a Producer (rows are never split); tests lower it.
  void set_chunk_bytes(uint64_t n) { chunk_bytes_ = n; }

 private:
  std::vector<uint8_t> EncodeHeader() const;
  // Streams header, tensor data and padding to `sink`.
  void Emit(const std::function<void(std::span<const uint8_t>)>& sink,
            const Producer& producer) const;

  std::vector<std::pair<std::string, GgufWriteValue>> kvs_;
  std::vector<GgufTensorSpec> specs_;
  std::vector<std::vector<uint8_t>> data_;  // per tensor; empty when produced on write
  uint32_t alignment_ = 32;
  uint64_t chunk_bytes_ = 64ull << 20;
};

}  // namespace gapbench::engine
