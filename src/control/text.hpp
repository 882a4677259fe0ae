// Private helpers shared by the admin writers.
#pragma once

#include <cstddef>
#include <string_view>

namespace sipshunt::control::detail {

// Length of the valid UTF-8 sequence at s[i], 0 when invalid (overlong, surrogate, > U+10FFFF).
[[nodiscard]] std::size_t utf8_length(std::string_view s, std::size_t i) noexcept;

}  // namespace sipshunt::control::detail
