// hot path
// The two steps every routing ends in, compiled out of line (they were before the split too):
// the stateless reply and the forwarded request. Each fills the Outcome in place. The routing
// steps themselves (client_request.hpp, backend_request.hpp, response.hpp) are inline in
// process.cpp, as they were. Private to src/proxy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "context.hpp"
#include "strict_route.hpp"

namespace sipshunt::proxy::detail {

// What a stateless reply carries besides the copied header fields.
enum class Extra : std::uint8_t { kNone, kUnsupported, kRetryAfter };

// reply.cpp: a stateless reply to the request in `c` (RFC 3261 §16.6 / §8.2.6), or a drop.
void reply(Context& c, std::uint16_t status, std::string_view phrase, Reason reason, Extra extra,
           Outcome& r) noexcept;

// forward.cpp: the request in `c` sent on to `dest`, rewritten (our Via, Max-Forwards, the
// `pop_routes` Route values of ours at the top removed, our Record-Route from `record_routes`
// (a backend's BackendView::record_route_lines: its pin, per network) when not null,
// strict-route restore).
void forward_request(Context& c, const Endpoint& dest, std::uint32_t pop_routes,
                     const std::vector<std::string>* record_routes,
                     const StrictRoute& strict, Outcome& r) noexcept;

}  // namespace sipshunt::proxy::detail
