// XXH3 behind a small interface so only this file includes xxhash.h (inlined here). The inputs
// are short; AVX2 as the widest vector path keeps GCC 12's AVX-512 maybe-uninitialized false
// positive out of -Werror builds.
#define XXH_INLINE_ALL
#if defined(__AVX512F__)
#define XXH_VECTOR XXH_AVX2
#endif
#include <xxhash.h>

#include <cstring>

#include "hash.hpp"

namespace sipshunt::proxy::detail {

std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed) noexcept {
  return XXH3_64bits_withSeed(data, size, seed);
}

// One call for the three XXH3 runs of an RFC 3261 branch. XXH3_64bits_internal is the body of
// XXH3_64bits_withSeed (same secret, same long-input routine), so the values are the same; called
// directly it is inlined here and the port's run, its length known, takes the 1-3 octet case
// alone (perf/README.md "The forward rewrite in fewer instructions"). Our branch must not change
// between versions (rolling upgrades): tests/proxy pins it.
// Flattened: GCC otherwise keeps XXH3_avalanche and XXH3_mul128_fold64 out of line, five calls
// per branch.
__attribute__((flatten)) std::uint64_t hash_branch(std::string_view branch, std::string_view host,
                                                   std::uint16_t port) noexcept {
  const auto xxh3 = [](const void* data, std::size_t size, std::uint64_t seed) {
    return XXH3_64bits_internal(data, size, seed, XXH3_kSecret, sizeof(XXH3_kSecret), XXH3_hashLong_64b_withSeed);
  };
  std::uint64_t h = xxh3(branch.data(), branch.size(), 0x3261);
  h = xxh3(host.data(), host.size(), h);
  return xxh3(&port, sizeof port, h);
}

// Only for the snapshot's endpoint index: two 64-bit words of the address, the port and the
// family through a multiply-xorshift mix (a full XXH3 over 19 packed octets cost more than the
// lookup it serves).
std::uint64_t hash_endpoint(const Endpoint& e) noexcept {
  std::uint64_t a, b;
  std::memcpy(&a, e.ip.bytes.data(), 8);
  std::memcpy(&b, e.ip.bytes.data() + 8, 8);
  std::uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ULL)) + (std::uint64_t{e.port} << 8 | static_cast<std::uint8_t>(e.ip.family));
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 29;
  return h;
}

}  // namespace sipshunt::proxy::detail
