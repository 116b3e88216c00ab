#include "engine/gguf_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "common/error.h"

namespace gapbench::engine {

GgufWriteValue GgufWriteValue::FromValue(const GgufValue& v) {
  switch (v.type) {
    case GgufType::kF32:
      return F32(static_cast<float>(v.num.f));
    case GgufType::kF64:
      return F64(v.num.f);
    case GgufType::kString:
      return String(std::string(v.str));
    case GgufType::kArray: {
      std::vector<GgufWriteValue> elems;
      elems.reserve(v.elems.size());
      for (const auto& e : v.elems) elems.push_back(FromValue(e));
      return Array(v.elem_type, std::move(elems));
    }
    default:
      return Num(v.type, v.num.u);  // integers and bool: the low bytes of the payload
  }
}
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr uint32_t kVersion = 3;
constexpr size_t kMaxTensorName = 63;  // ggml's GGML_MAX_NAME is 64 including the NUL

template <typename T>
void Put(std::vector<uint8_t>& out, T v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

void PutString(std::vector<uint8_t>& out, std::string_view s) {
  Put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

uint64_t AlignUp(uint64_t x, uint64_t a) { return x + (a - x % a) % a; }

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};

}  // namespace

GgufWriteValue GgufWriteValue::Num(GgufType t, uint64_t bits) {
  GgufWriteValue v;
  v.type_ = t;
  v.bits_ = bits;
  return v;
}

GgufWriteValue GgufWriteValue::F32(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return Num(GgufType::kF32, b);
}

GgufWriteValue GgufWriteValue::F64(double f) {
  uint64_t b;
  std::memcpy(&b, &f, 8);
  return Num(GgufType::kF64, b);
}

GgufWriteValue GgufWriteValue::String(std::string s) {
  GgufWriteValue v;
  v.type_ = GgufType::kString;
  v.str_ = std::move(s);
  return v;
}

GgufWriteValue GgufWriteValue::Array(GgufType elem_type, std::vector<GgufWriteValue> elems) {
  for (const auto& e : elems) {
    GB_CHECK(e.type_ == elem_type, "array of ", GgufTypeName(elem_type), " given an element of ",
             GgufTypeName(e.type_));
  }
  GgufWriteValue v;
  v.type_ = GgufType::kArray;
  v.elem_type_ = elem_type;
  v.elems_ = std::move(elems);
  return v;
}

GgufWriteValue GgufWriteValue::StringArray(const std::vector<std::string>& strings) {
  std::vector<GgufWriteValue> elems;
  elems.reserve(strings.size());
  for (const auto& s : strings) elems.push_back(String(s));
  return Array(GgufType::kString, std::move(elems));
}

GgufWriteValue GgufWriteValue::I32Array(std::span<const int32_t> ints) {
  std::vector<GgufWriteValue> elems;
  elems.reserve(ints.size());
  for (int32_t x : ints) elems.push_back(I32(x));
  return Array(GgufType::kI32, std::move(elems));
}

GgufWriteValue GgufWriteValue::F32Array(std::span<const float> floats) {
  std::vector<GgufWriteValue> elems;
  elems.reserve(floats.size());
  for (float x : floats) elems.push_back(F32(x));
  return Array(GgufType::kF32, std::move(elems));
}

void GgufWriteValue::Encode(std::vector<uint8_t>& out) const {
  switch (type_) {
    case GgufType::kString:
      PutString(out, str_);
      return;
    case GgufType::kArray:
      Put<uint32_t>(out, static_cast<uint32_t>(elem_type_));
      Put<uint64_t>(out, elems_.size());
      for (const auto& e : elems_) e.Encode(out);
      return;
    default: {
      // Scalars: the low bytes of bits_ (little-endian host, as GGUF).
      const auto* p = reinterpret_cast<const uint8_t*>(&bits_);
      out.insert(out.end(), p, p + GgufScalarBytes(type_));
      return;
    }
  }
}

int64_t GgufTensorSpec::n_elements() const {
  int64_t n = 1;
  for (int64_t x : ne) n *= x;
  return n;
}

int64_t GgufTensorSpec::rows() const { return ne.empty() ? 0 : n_elements() / ne[0]; }

uint64_t GgufTensorSpec::row_bytes() const {
  return static_cast<uint64_t>(kernels::RowBytes(kernels::Traits(type), ne[0]));
}

uint64_t GgufTensorSpec::n_bytes() const { return row_bytes() * static_cast<uint64_t>(rows()); }

void GgufWriter::Set(const std::string& key, GgufWriteValue value) {
  GB_CHECK(!key.empty() && key.size() <= 65535, "bad metadata key length ", key.size());
  for (auto& kv : kvs_) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  kvs_.emplace_back(key, std::move(value));
}

void GgufWriter::SetAlignment(uint32_t alignment) {
  GB_CHECK(alignment > 0 && alignment % 8 == 0, "alignment ", alignment,
           " is not a positive multiple of 8");
  alignment_ = alignment;
  SetU32("general.alignment", alignment);
}

void GgufWriter::AddTensor(GgufTensorSpec spec, std::vector<uint8_t> bytes) {
  AddTensor(std::move(spec));
  GB_CHECK(bytes.size() == specs_.back().n_bytes(), "tensor '", specs_.back().name, "' needs ",
           specs_.back().n_bytes(), " bytes, got ", bytes.size());
  data_.back() = std::move(bytes);
}

void GgufWriter::AddTensor(GgufTensorSpec spec) {
  GB_CHECK(!spec.name.empty() && spec.name.size() <= kMaxTensorName, "tensor name '", spec.name,
           "' must be 1 to ", kMaxTensorName, " bytes");
  GB_CHECK(!spec.ne.empty() && spec.ne.size() <= 4, "tensor '", spec.name, "' has ", spec.ne.size(),
           " dimensions");
  for (int64_t x : spec.ne) GB_CHECK(x > 0, "tensor '", spec.name, "' has a dimension ", x);
  const auto& traits = kernels::Traits(spec.type);
  GB_CHECK(spec.ne[0] % traits.block_size == 0, "tensor '", spec.name, "': row length ", spec.ne[0],
           " is not a multiple of the ", traits.name, " block size");
  for (const auto& s : specs_) GB_CHECK(s.name != spec.name, "duplicate tensor '", s.name, "'");
  specs_.push_back(std::move(spec));
  data_.emplace_back();
}

std::vector<uint64_t> GgufWriter::TensorOffsets() const {
  std::vector<uint64_t> offsets;
  uint64_t off = 0;
  for (const auto& s : specs_) {
    offsets.push_back(off);
    off = AlignUp(off + s.n_bytes(), alignment_);
  }
  return offsets;
}

std::vector<uint8_t> GgufWriter::EncodeHeader() const {
  std::vector<uint8_t> out;
  Put<uint32_t>(out, kMagic);
  Put<uint32_t>(out, kVersion);
  Put<uint64_t>(out, specs_.size());
  Put<uint64_t>(out, kvs_.size());
  for (const auto& [key, value] : kvs_) {
    PutString(out, key);
    Put<uint32_t>(out, static_cast<uint32_t>(value.type()));
    value.Encode(out);
  }
  const std::vector<uint64_t> offsets = TensorOffsets();
  for (size_t i = 0; i < specs_.size(); ++i) {
    const auto& s = specs_[i];
    PutString(out, s.name);
    Put<uint32_t>(out, static_cast<uint32_t>(s.ne.size()));
    for (int64_t x : s.ne) Put<uint64_t>(out, static_cast<uint64_t>(x));
    Put<uint32_t>(out, static_cast<uint32_t>(s.type));
    Put<uint64_t>(out, offsets[i]);
  }
  out.resize(AlignUp(out.size(), alignment_), 0);
  return out;
}

uint64_t GgufWriter::FileSize() const {
  uint64_t size = EncodeHeader().size();
  for (const auto& s : specs_) size += AlignUp(s.n_bytes(), alignment_);
  return size;
}

void GgufWriter::Emit(const std::function<void(std::span<const uint8_t>)>& sink,
                      const Producer& producer) const {
  sink(EncodeHeader());
  const std::vector<uint8_t> zeros(alignment_, 0);
  std::vector<uint8_t> chunk;
  for (size_t i = 0; i < specs_.size(); ++i) {
    const auto& s = specs_[i];
    if (!data_[i].empty()) {
      sink(data_[i]);
    } else {
      GB_CHECK(producer != nullptr, "tensor '", s.name, "' has no data and no producer");
      const uint64_t row_bytes = s.row_bytes();
      const int64_t rows_per_chunk =
          static_cast<int64_t>(std::max<uint64_t>(1, chunk_bytes_ / row_bytes));
      const int64_t rows = s.rows();
      for (int64_t row = 0; row < rows; row += rows_per_chunk) {
        const int64_t n = std::min(rows_per_chunk, rows - row);
        chunk.assign(static_cast<size_t>(n) * row_bytes, 0);
        producer(i, row, n, chunk);
        sink(chunk);
      }
    }
    const uint64_t pad = AlignUp(s.n_bytes(), alignment_) - s.n_bytes();
    sink(std::span<const uint8_t>(zeros.data(), pad));
  }
}

std::vector<uint8_t> GgufWriter::WriteBuffer(const Producer& producer) const {
  std::vector<uint8_t> out;
  Emit([&](std::span<const uint8_t> b) { out.insert(out.end(), b.begin(), b.end()); }, producer);
  return out;
}

void GgufWriter::WriteFile(const std::string& path, const Producer& producer) const {
  const std::string tmp = path + ".tmp";
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(tmp.c_str(), "wb"));
  if (!f) Fail(path, ": cannot create '", tmp, "': ", std::strerror(errno));
  try {
    Emit(
        [&](std::span<const uint8_t> b) {
          if (!b.empty() && std::fwrite(b.data(), 1, b.size(), f.get()) != b.size()) {
            Fail(path, ": write failed: ", std::strerror(errno));
          }
        },
        producer);
    if (std::fflush(f.get()) != 0) Fail(path, ": write failed: ", std::strerror(errno));
    if (std::fclose(f.release()) != 0) Fail(path, ": close failed: ", std::strerror(errno));
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) Fail(path, ": cannot rename '", tmp, "': ", ec.message());
  } catch (...) {
    f.reset();
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

}  // namespace gapbench::engine
