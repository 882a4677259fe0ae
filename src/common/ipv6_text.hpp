// Private to src/common: the two readers behind parse_ipv6() (common/address.hpp), declared here
// so the tests can hold the fast one against the general one. Hot-path safe, like parse_ipv6().
#pragma once

#include <string_view>

#include "sipshunt/common/address.hpp"

namespace sipshunt::detail {

// The usual text, RFC 5952 shape (hex groups, at most one "::", no dotted quad), bare or in
// brackets. True: `out` holds the address, as parse_ipv6_general() reads it. False: not decided
// here (other shapes and every malformed text); `out` untouched.
[[nodiscard]] bool parse_ipv6_groups(std::string_view text, IpAddress& out) noexcept;
// Any text parse_ipv6() accepts (RFC 4291 §2.2, a dotted quad last), and the verdict on the rest.
[[nodiscard]] bool parse_ipv6_general(std::string_view text, IpAddress& out) noexcept;

}  // namespace sipshunt::detail
