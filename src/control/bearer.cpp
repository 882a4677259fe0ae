// Control plane. The admin API's bearer token check: the header parsed per RFC 6750 §2.1 and the
// token compared without an early exit, so response time does not reveal a matching prefix.
#include "sipshunt/control/bearer.hpp"

#include <cstddef>

namespace sipshunt::control {

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  // Walk all of `a` whatever `b` is; fold every difference (and the length's) into one value.
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char other = b.empty() ? '\0' : b[i % b.size()];
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(other);
  }
  // The compiler may not turn the loop into an early exit: the result is read through a volatile.
  volatile unsigned result = diff;
  return result == 0;
}

bool bearer_matches(std::string_view authorization, std::string_view token) noexcept {
  if (token.empty()) return false;
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != kScheme[i]) return false;
  }
  std::size_t i = kScheme.size();
  if (authorization[i] != ' ') return false;
  while (i < authorization.size() && authorization[i] == ' ') ++i;
  std::string_view credentials = authorization.substr(i);
  while (!credentials.empty() && (credentials.back() == ' ' || credentials.back() == '\t'))
    credentials.remove_suffix(1);
  return constant_time_equal(credentials, token);
}

}  // namespace sipshunt::control
