#include "coordinator/model_identity.h"

#include <algorithm>
#include <fstream>
#include <vector>

#include "common/error.h"
#include "common/hash.h"
#include "engine/gguf.h"

namespace gapbench::coordinator {
namespace {

// Hashes bytes [offset, offset + n) of `in` into `h`, in chunks so memory stays bounded.
void HashRange(std::ifstream& in, const std::string& path, uint64_t offset, uint64_t n,
               Fnv1a64& h) {
  constexpr uint64_t kChunk = uint64_t{1} << 20;
  std::vector<char> buf(static_cast<size_t>(std::min(n, kChunk)));
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  while (n > 0) {
    const uint64_t take = std::min<uint64_t>(n, buf.size());
    in.read(buf.data(), static_cast<std::streamsize>(take));
    if (static_cast<uint64_t>(in.gcount()) != take) {
      Fail(path, ": read failed at byte ", offset, " while hashing the model file");
    }
    h.Update(buf.data(), static_cast<size_t>(take));
    offset += take;
    n -= take;
  }
}

void HashU64(uint64_t v, Fnv1a64& h) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));  // little endian
  h.Update(b, sizeof(b));
}

}  // namespace

ModelIdentity IdentifyModelFile(const std::string& path, const ModelIdentityOptions& options) {
  GB_CHECK(options.sample_blocks >= 2 && options.block_size > 0, "bad ModelIdentityOptions");
  uint64_t data_offset = 0;
  {
    // Validates the header (magic, version, metadata, tensor infos); unmapped at scope end.
    const auto gguf = engine::GgufFile::Open(path);
    data_offset = gguf->data_offset();
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) Fail(path, ": cannot open the model file");
  ModelIdentity id;
  id.size = static_cast<uint64_t>(in.tellg());
  Fnv1a64 h;
  HashU64(id.size, h);
  const uint64_t data_len = id.size > data_offset ? id.size - data_offset : 0;
  if (id.size <= options.full_hash_limit ||
      data_len <= options.block_size * options.sample_blocks) {
    HashRange(in, path, 0, id.size, h);
  } else {
    id.sampled = true;
    HashRange(in, path, 0, data_offset, h);
    // Block i starts at data_offset + i * span / (n - 1): block 0 is the first and block n - 1
    // the last block of the tensor data. Offsets are a pure function of (size, data_offset).
    const uint64_t span = data_len - options.block_size;
    const uint64_t n = options.sample_blocks;
    for (uint64_t i = 0; i < n; ++i) {
      // span < 2^48 and n <= 2^16 in any real use, so the product cannot overflow.
      const uint64_t off = data_offset + span * i / (n - 1);
      HashRange(in, path, off, options.block_size, h);
    }
  }
  id.hash = h.HexDigest();
  return id;
}

}  // namespace gapbench::coordinator
