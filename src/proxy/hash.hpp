// hot path
// The proxy's own hashes (implemented in hash.cpp): XXH3 for branches, To-tags and the pin index,
// a multiply-xorshift mix for the snapshot's address index. Private to src/proxy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipshunt/common/address.hpp"

namespace sipshunt::proxy::detail {

[[nodiscard]] std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed) noexcept;
[[nodiscard]] inline std::uint64_t hash_text(std::string_view text, std::uint64_t seed) noexcept {
  return hash_bytes(text.data(), text.size(), seed);
}
[[nodiscard]] std::uint64_t hash_endpoint(const Endpoint& e) noexcept;

}  // namespace sipshunt::proxy::detail
