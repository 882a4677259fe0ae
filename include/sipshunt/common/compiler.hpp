// Compiler hints shared by every module. Kept tiny: the hot path uses these, nothing else here.
#pragma once

#define SIPSHUNT_LIKELY(x) __builtin_expect(!!(x), 1)
#define SIPSHUNT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SIPSHUNT_ALWAYS_INLINE inline __attribute__((always_inline))
#define SIPSHUNT_CACHE_ALIGNED alignas(64)

namespace sipshunt {
inline constexpr unsigned kCacheLine = 64;
}  // namespace sipshunt
