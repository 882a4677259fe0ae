// hot path
// The linear white space test every module that reads SIP text shares (the parser, parameter
// lookup, the Call-ID trim of the balancer's hash).
#pragma once

#include <cstdint>

#include "sipshunt/common/compiler.hpp"

namespace sipshunt {

// LWS octets (RFC 3261 §25.1): SP, HT, CR, LF. Inside a header value CR and LF only appear as
// folding (CRLF + SP/HT).
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE constexpr bool is_lws(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u <= ' ' && ((std::uint64_t{0x100002600} >> u) & 1) != 0;
}

}  // namespace sipshunt
