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
// XXH3 of an RFC 3261 branch, then of its Via's sent-by host and port (each seeded with the last),
// as hash_bytes() three times would give.
[[nodiscard]] std::uint64_t hash_branch(std::string_view branch, std::string_view host, std::uint16_t port) noexcept;
[[nodiscard]] std::uint64_t hash_endpoint(const Endpoint& e) noexcept;

}  // namespace sipshunt::proxy::detail
