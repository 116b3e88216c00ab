// Model file identity for shard ids: a content hash of a GGUF file that does not read every byte of
// a multi-GB model. Files up to kFullHashLimit are hashed whole; larger ones by their GGUF header
// (metadata + tensor infos, [0, data_offset)), their size, and kSampleBlocks blocks of 1 MiB spread
// evenly over the tensor data, the first and the last block included. docs/SWEEP.md discusses what
// this misses (an edit confined to unsampled bytes of a large file keeps its identity).
//
// Not here: caching identities across runs (the coordinator's journal can key them by path, size
// and mtime).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gapbench::coordinator {

// Names the algorithm in shard keys, so a change of the sampling changes every id on purpose.
inline constexpr std::string_view kModelIdentityScheme = "fnv1a64:gguf-header+size+blocks:v1";

struct ModelIdentityOptions {
  uint64_t full_hash_limit = uint64_t{64} << 20;  // bytes: smaller files are hashed whole
  uint64_t block_size = uint64_t{1} << 20;        // bytes per sampled block
  uint64_t sample_blocks = 64;                    // blocks sampled from the tensor data (>= 2)
};

struct ModelIdentity {
  uint64_t size = 0;     // bytes
  std::string hash;      // 16 hex digits
  bool sampled = false;  // true when only the header and sampled blocks were read
};

// Parses the GGUF header (so a file that is not a model is an Error naming it) and hashes as
// described above. Throws Error on unreadable or invalid files.
ModelIdentity IdentifyModelFile(const std::string& path, const ModelIdentityOptions& options = {});

}  // namespace gapbench::coordinator
