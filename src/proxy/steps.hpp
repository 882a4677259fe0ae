// hot path
// The steps process() dispatches to, one file each, in the order of README.md "Order of
// decisions". Each fills the Result in place. Private to src/proxy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "context.hpp"
#include "strict_route.hpp"

namespace sipshunt::proxy::detail {

// What a stateless reply carries besides the copied header fields.
enum class Extra : std::uint8_t { kNone, kUnsupported, kRetryAfter };

// reply.cpp: a stateless reply to the request in `c` (RFC 3261 §16.6 / §8.2.6), or a drop.
void reply(Context& c, std::uint16_t status, std::string_view phrase, Reason reason, Extra extra,
           Result& r) noexcept;

// forward.cpp: the request in `c` sent on to `dest`, rewritten (our Via, Max-Forwards, Route,
// Record-Route, strict-route restore).
void forward_request(Context& c, const Endpoint& dest, bool pop_route, const std::string* record_route,
                     const StrictRoute& strict, Result& r) noexcept;

// client_request.cpp: a request from a client (DESIGN.md proxy rule 1): pin, else rules + Maglev.
void client_request(Context& c, bool own_route, const StrictRoute& strict, Result& r) noexcept;

// backend_request.cpp: a request from a backend (DESIGN.md proxy rule 2): next Route, else the
// Request-URI.
void backend_request(Context& c, bool own_route, const StrictRoute& strict, std::int32_t source_backend,
                     Result& r) noexcept;

// response.cpp: a response (DESIGN.md proxy rule 3): our Via off the top, on to the next Via.
void response(Context& c, Result& r) noexcept;

}  // namespace sipshunt::proxy::detail
