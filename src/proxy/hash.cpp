// XXH3 behind a small interface so only this file includes xxhash.h (inlined here). The inputs
// are short; AVX2 as the widest vector path keeps GCC 12's AVX-512 maybe-uninitialized false
// positive out of -Werror builds.
#define XXH_INLINE_ALL
#if defined(__AVX512F__)
#define XXH_VECTOR XXH_AVX2
#endif
#include <xxhash.h>

#include "text.hpp"

namespace sipshunt::proxy::detail {

std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed) noexcept {
  return XXH3_64bits_withSeed(data, size, seed);
}

std::uint64_t hash_endpoint(const Endpoint& e) noexcept {
  unsigned char key[19];
  key[0] = static_cast<unsigned char>(e.ip.family);
  std::memcpy(key + 1, e.ip.bytes.data(), 16);
  key[17] = static_cast<unsigned char>(e.port >> 8);
  key[18] = static_cast<unsigned char>(e.port & 0xff);
  return XXH3_64bits(key, sizeof key);
}

}  // namespace sipshunt::proxy::detail
