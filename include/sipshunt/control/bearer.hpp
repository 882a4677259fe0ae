// Control plane. The admin API's bearer token check (RFC 6750 §2.1): the Authorization header's
// credentials compared with the configured token in time independent of where they differ.
#pragma once

#include <string_view>

namespace sipshunt::control {

// True when `a == b`; the time taken depends on the lengths only, not on the first difference.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// True when `authorization` (the header's value) is `Bearer <token>` with exactly `token`
// (scheme case-insensitive, RFC 7235 §2.1). An empty `token` authorizes nothing.
[[nodiscard]] bool bearer_matches(std::string_view authorization, std::string_view token) noexcept;

}  // namespace sipshunt::control
