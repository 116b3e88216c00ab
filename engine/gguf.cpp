#include "engine/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <unordered_set>

#include "common/error.h"

namespace gapbench::engine {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr int kMaxNesting = 4;           // arrays of arrays of ...
constexpr uint64_t kMaxKeyBytes = 65535;
constexpr uint64_t kMaxTensorNameBytes = 256;  // ggml allows 64; be lenient but bounded
constexpr uint32_t kMaxDims = 4;
// Metadata array elements in one file, all arrays together. Each parsed element costs about
// 64 bytes, so this caps the metadata at ~1 GiB even for a multi-GB hostile file of u8 arrays;
// real vocabularies (262k tokens, scores, types, ~500k merges) use a few million.
constexpr uint64_t kMaxArrayElements = uint64_t{1} << 24;

// Smallest encoded size of one value of a type: bounds array counts by the bytes left, so a
// hostile count can never make us allocate more than the file could describe.
uint64_t MinEncodedSize(GgufType t) {
  switch (t) {
    case GgufType::kString:
      return 8;  // the length prefix
    case GgufType::kArray:
      return 12;  // element type + count
    default:
      return GgufScalarBytes(t);
  }
}

bool ValidType(uint32_t t) { return t <= 12; }

class Cursor {
 public:
  Cursor(const std::string& file, std::span<const uint8_t> bytes) : file_(file), bytes_(bytes) {}

  uint64_t pos() const { return pos_; }
  uint64_t left() const { return bytes_.size() - pos_; }

  // Charges n array elements against the file's kMaxArrayElements budget.
  void ChargeElements(uint64_t n, std::string_view what) {
    if (n > kMaxArrayElements - elements_) {
      Bad(what, StrCat("array of ", n, " elements exceeds the limit of ", kMaxArrayElements,
                       " metadata array elements per file"));
    }
    elements_ += n;
  }

  template <typename T>
  T Read(std::string_view what) {
    Need(sizeof(T), what);
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string_view ReadString(std::string_view what, uint64_t max_len) {
    const uint64_t len = Read<uint64_t>(what);
    if (len > max_len) {
      Fail(file_, ": ", what, " at byte ", pos_ - 8, " has length ", len, " (limit ", max_len, ")");
    }
    Need(len, what);
    std::string_view s(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
    pos_ += len;
    return s;
  }

  void Need(uint64_t n, std::string_view what) const {
    if (n > left()) {
      Fail(file_, ": truncated: ", what, " at byte ", pos_, " needs ", n, " bytes but only ",
           left(), " remain (file is ", bytes_.size(), " bytes)");
    }
  }

  [[noreturn]] void Bad(std::string_view what, const std::string& why) const {
    Fail(file_, ": ", what, " at byte ", pos_, ": ", why);
  }

 private:
  const std::string& file_;
  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
  uint64_t elements_ = 0;
};

GgufValue ReadValue(Cursor& c, GgufType type, const std::string& what, int depth) {
  GgufValue v;
  v.type = type;
  switch (type) {
    case GgufType::kU8:
      v.num.u = c.Read<uint8_t>(what);
      break;
    case GgufType::kI8:
      v.num.i = c.Read<int8_t>(what);
      break;
    case GgufType::kU16:
      v.num.u = c.Read<uint16_t>(what);
      break;
    case GgufType::kI16:
      v.num.i = c.Read<int16_t>(what);
      break;
    case GgufType::kU32:
      v.num.u = c.Read<uint32_t>(what);
      break;
    case GgufType::kI32:
      v.num.i = c.Read<int32_t>(what);
      break;
    case GgufType::kU64:
      v.num.u = c.Read<uint64_t>(what);
      break;
    case GgufType::kI64:
      v.num.i = c.Read<int64_t>(what);
      break;
    case GgufType::kF32:
      v.num.f = c.Read<float>(what);
      break;
    case GgufType::kF64:
      v.num.f = c.Read<double>(what);
      break;
    case GgufType::kBool: {
      const uint8_t b = c.Read<uint8_t>(what);
      if (b > 1) c.Bad(what, StrCat("bool value ", int{b}, " is neither 0 nor 1"));
      v.num.u = b;
      break;
    }
    case GgufType::kString:
      v.str = c.ReadString(what, std::numeric_limits<uint64_t>::max());
      break;
    case GgufType::kArray: {
      if (depth >= kMaxNesting) c.Bad(what, StrCat("arrays nested deeper than ", kMaxNesting));
      const uint32_t et = c.Read<uint32_t>(what);
      if (!ValidType(et)) c.Bad(what, StrCat("unknown array element type ", et));
      v.elem_type = static_cast<GgufType>(et);
      const uint64_t n = c.Read<uint64_t>(what);
      if (n > c.left() / MinEncodedSize(v.elem_type)) {
        c.Bad(what, StrCat("array of ", n, " ", GgufTypeName(v.elem_type),
                           " elements cannot fit in the ", c.left(), " bytes that remain"));
      }
      c.ChargeElements(n, what);
      v.elems.reserve(n);
      for (uint64_t i = 0; i < n; ++i) {
        v.elems.push_back(ReadValue(c, v.elem_type, what, depth + 1));
      }
      break;
    }
  }
  return v;
}

bool MulOverflows(int64_t a, int64_t b, int64_t* out) { return __builtin_mul_overflow(a, b, out); }

}  // namespace

size_t GgufScalarBytes(GgufType t) {
  switch (t) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kBool:
      return 1;
    case GgufType::kU16:
    case GgufType::kI16:
      return 2;
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kF32:
      return 4;
    case GgufType::kU64:
    case GgufType::kI64:
    case GgufType::kF64:
      return 8;
    default:
      return 0;
  }
}

std::string_view GgufTypeName(GgufType t) {
  static constexpr std::string_view kNames[] = {"u8",  "i8",  "u16",  "i16",    "u32",
                                                "i32", "f32", "bool", "string", "array",
                                                "u64", "i64", "f64"};
  const auto i = static_cast<uint32_t>(t);
  return i < 13 ? kNames[i] : "invalid";
}

bool GgufValue::IsInteger() const {
  switch (type) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kU16:
    case GgufType::kI16:
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kU64:
    case GgufType::kI64:
      return true;
    default:
      return false;
  }
}

bool GgufValue::IsNumber() const {
  return IsInteger() || type == GgufType::kF32 || type == GgufType::kF64 || type == GgufType::kBool;
}

double GgufValue::AsDouble() const {
  switch (type) {
    case GgufType::kF32:
    case GgufType::kF64:
      return num.f;
    case GgufType::kI8:
    case GgufType::kI16:
    case GgufType::kI32:
    case GgufType::kI64:
      return static_cast<double>(num.i);
    default:
      return static_cast<double>(num.u);
  }
}

int64_t GgufValue::AsInt() const {
  switch (type) {
    case GgufType::kF32:
    case GgufType::kF64:
      // Saturate: casting NaN or an out-of-range double to int64 is undefined behaviour, and
      // hostile files may hold either.
      if (std::isnan(num.f)) return 0;
      if (num.f >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
      if (num.f <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
      return static_cast<int64_t>(num.f);
    case GgufType::kI8:
    case GgufType::kI16:
    case GgufType::kI32:
    case GgufType::kI64:
      return num.i;
    default:
      return num.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                 ? std::numeric_limits<int64_t>::max()
                 : static_cast<int64_t>(num.u);
  }
}

int64_t GgufTensorInfo::rows() const {
  int64_t r = 1;
  for (size_t i = 1; i < ne.size(); ++i) r *= ne[i];
  return r;
}

std::string GgufTensorInfo::ShapeString() const {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < ne.size(); ++i) s << (i ? ", " : "") << ne[i];
  s << ']';
  return s.str();
}

std::unique_ptr<GgufFile> GgufFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(path, ": cannot open: ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    Fail(path, ": cannot stat: ", std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    Fail(path, ": not a regular file");
  }
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > 0) {
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      const int e = errno;
      ::close(fd);
      Fail(path, ": cannot memory-map ", size, " bytes: ", std::strerror(e));
    }
    f->map_ = m;
    f->bytes_ = std::span<const uint8_t>(static_cast<const uint8_t*>(m), size);
  }
  ::close(fd);
  f->Parse();
  return f;
}

std::unique_ptr<GgufFile> GgufFile::FromBuffer(std::string name, std::span<const uint8_t> bytes) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = std::move(name);
  f->bytes_ = bytes;
  f->Parse();
  return f;
}

GgufFile::~GgufFile() {
  if (map_ != nullptr) ::munmap(map_, bytes_.size());
}

void GgufFile::ReleasePages(const void* p, size_t n) const {
  if (map_ == nullptr || p == nullptr || n == 0) return;
  const auto base = reinterpret_cast<uintptr_t>(bytes_.data());
  const auto begin = reinterpret_cast<uintptr_t>(p);
  if (begin < base || begin + n > base + bytes_.size()) return;  // not ours (an owned copy)
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t first = (begin + page - 1) / page * page, last = (begin + n) / page * page;
  if (last <= first) return;
  // A private read-only file mapping: dropped pages are read from the file again if touched.
  ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

void GgufFile::Parse() {
  Cursor c(path_, bytes_);
  if (bytes_.size() < 4) Fail(path_, ": not a GGUF file: only ", bytes_.size(), " bytes");
  const uint32_t magic = c.Read<uint32_t>("magic");
  if (magic != kMagic) {
    Fail(path_, ": not a GGUF file (magic bytes are not 'GGUF')");
  }
  version_ = c.Read<uint32_t>("version");
  if (version_ != 2 && version_ != 3) {
    Fail(path_, ": unsupported GGUF version ", version_, " (this reader handles versions 2 and 3)");
  }
  const uint64_t n_tensors = c.Read<uint64_t>("tensor count");
  const uint64_t n_kv = c.Read<uint64_t>("metadata count");
  // Each kv needs at least key length (8) + type (4) + 1 byte; each tensor info at least 8+4+8+4+8.
  if (n_kv > c.left() / 13) {
    Fail(path_, ": header claims ", n_kv, " metadata entries but only ", c.left(), " bytes follow");
  }
  kvs_.reserve(std::min<uint64_t>(n_kv, 4096));  // grows as entries really parse
  std::unordered_set<std::string_view> seen_keys;
  for (uint64_t i = 0; i < n_kv; ++i) {
    const std::string where = StrCat("metadata entry ", i);
    GgufKv kv;
    kv.key = c.ReadString(where + " key", kMaxKeyBytes);
    const std::string what = StrCat("metadata '", kv.key, "'");
    const uint32_t t = c.Read<uint32_t>(what + " type");
    if (!ValidType(t)) c.Bad(what, StrCat("unknown value type ", t));
    kv.value = ReadValue(c, static_cast<GgufType>(t), what, 0);
    if (!seen_keys.insert(kv.key).second) Fail(path_, ": duplicate metadata key '", kv.key, "'");
    kvs_.push_back(std::move(kv));
  }

  if (const GgufValue* a = Find("general.alignment")) {
    if (!a->IsInteger() || a->AsInt() <= 0 || a->AsInt() % 8 != 0 || a->AsInt() > (1 << 20)) {
      Fail(path_, ": general.alignment must be a positive multiple of 8 (at most 1 MiB), got ",
           a->IsNumber() ? StrCat(a->AsDouble()) : std::string(GgufTypeName(a->type)));
    }
    alignment_ = static_cast<uint32_t>(a->AsInt());
  }

  if (n_tensors > c.left() / 32) {
    Fail(path_, ": header claims ", n_tensors, " tensors but only ", c.left(), " bytes follow");
  }
  tensors_.reserve(std::min<uint64_t>(n_tensors, 4096));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo ti;
    ti.name = std::string(c.ReadString(StrCat("tensor ", i, " name"), kMaxTensorNameBytes));
    const std::string what = StrCat("tensor '", ti.name, "'");
    const uint32_t n_dims = c.Read<uint32_t>(what + " dimension count");
    if (n_dims == 0 || n_dims > kMaxDims) {
      c.Bad(what, StrCat(n_dims, " dimensions (must be 1 to ", kMaxDims, ")"));
    }
    int64_t n_el = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t ne = c.Read<uint64_t>(what + " dimension");
      if (ne == 0 || ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        c.Bad(what, StrCat("dimension ", d, " is ", ne));
      }
      ti.ne.push_back(static_cast<int64_t>(ne));
      if (MulOverflows(n_el, static_cast<int64_t>(ne), &n_el)) {
        c.Bad(what, "element count overflows 64 bits");
      }
    }
    ti.n_elements = n_el;
    const uint32_t type_id = c.Read<uint32_t>(what + " type");
    const auto traits = kernels::LookupType(type_id);
    if (!traits) c.Bad(what, StrCat("unknown or unsupported ggml type id ", type_id));
    ti.type = traits->type;
    ti.offset = c.Read<uint64_t>(what + " offset");
    if (ti.ne[0] % traits->block_size != 0) {
      Fail(path_, ": ", what, ": row length ", ti.ne[0], " is not a multiple of the ", traits->name,
           " block size ", traits->block_size);
    }
    int64_t n_bytes = 0;
    if (MulOverflows(n_el / traits->block_size, traits->type_size, &n_bytes)) {
      Fail(path_, ": ", what, ": byte size overflows 64 bits");
    }
    ti.n_bytes = static_cast<uint64_t>(n_bytes);
    if (ti.offset % alignment_ != 0) {
      Fail(path_, ": ", what, ": data offset ", ti.offset, " is not a multiple of the alignment ",
           alignment_);
    }
    tensors_.push_back(std::move(ti));
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t pos = c.pos();
  data_offset_ = pos + (alignment_ - pos % alignment_) % alignment_;
  std::unordered_set<std::string_view> names;
  for (auto& ti : tensors_) {
    if (!names.insert(ti.name).second) Fail(path_, ": duplicate tensor name '", ti.name, "'");
    const uint64_t size = bytes_.size();
    if (data_offset_ > size || ti.offset > size - data_offset_ ||
        ti.n_bytes > size - data_offset_ - ti.offset) {
      Fail(path_, ": tensor '", ti.name, "': data [offset ", ti.offset, ", ", ti.n_bytes,
           " bytes] runs past the end of the file (", size, " bytes, data section at ",
           data_offset_, ")");
    }
    ti.data = bytes_.data() + data_offset_ + ti.offset;
  }
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  for (const auto& kv : kvs_) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

std::optional<int64_t> GgufFile::GetInt(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->IsInteger() && v->type != GgufType::kBool) {
    Fail(path_, ": metadata '", key, "' should be an integer but is ", GgufTypeName(v->type));
  }
  return v->AsInt();
}

std::optional<double> GgufFile::GetFloat(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->IsNumber()) {
    Fail(path_, ": metadata '", key, "' should be a number but is ", GgufTypeName(v->type));
  }
  return v->AsDouble();
}

std::optional<bool> GgufFile::GetBool(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->IsNumber()) {
    Fail(path_, ": metadata '", key, "' should be a bool but is ", GgufTypeName(v->type));
  }
  return v->AsInt() != 0;
}

std::optional<std::string_view> GgufFile::GetString(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return std::nullopt;
  if (v->type != GgufType::kString) {
    Fail(path_, ": metadata '", key, "' should be a string but is ", GgufTypeName(v->type));
  }
  return v->str;
}

const GgufValue* GgufFile::GetArray(std::string_view key, GgufType elem_type) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return nullptr;
  if (v->type != GgufType::kArray || v->elem_type != elem_type) {
    Fail(path_, ": metadata '", key, "' should be an array of ", GgufTypeName(elem_type),
         " but is ",
         v->type == GgufType::kArray ? StrCat("an array of ", GgufTypeName(v->elem_type))
                                     : std::string(GgufTypeName(v->type)));
  }
  return v;
}

int64_t GgufFile::RequireInt(std::string_view key) const {
  auto v = GetInt(key);
  if (!v) Fail(path_, ": required metadata '", key, "' is missing");
  return *v;
}

std::string_view GgufFile::RequireString(std::string_view key) const {
  auto v = GetString(key);
  if (!v) Fail(path_, ": required metadata '", key, "' is missing");
  return *v;
}

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace gapbench::engine
