// hot path
// Routing a request from a client (DESIGN.md proxy rule 1): our pin (loose or strict route) to
// its backend when that backend takes pinned requests, else the decision point (rules, default
// pool, no-match reply) and a Maglev lookup of the Call-ID in the chosen pool.
#pragma once

#include "decide.hpp"
#include "steps.hpp"

namespace sipshunt::proxy::detail {

// Starts loading the Maglev slot of an unpinned client request, so the miss overlaps the rules:
// the default pool's, else the only pool's (Snapshot::prefetch_pool: no loop), else every pool's
// when there are few (a wrong guess costs one useless load). Returns the prefetch_pool's entry
// (nullptr without one), read when the decision picks that pool: its slot is not mapped twice.
inline const std::int32_t* prefetch_slot(Context& c) noexcept {
  const std::uint64_t h = call_id_hash(c);
  if (c.s.prefetch_pool >= 0) return c.s.pools[static_cast<std::size_t>(c.s.prefetch_pool)].table.prefetch(h);
  if (c.s.pools.size() <= 4) {
    for (const PoolView& p : c.s.pools) p.table.prefetch(h);
  }
  return nullptr;
}

inline void client_request(Context& c, std::uint32_t own, const StrictRoute& strict, Outcome& r) noexcept {
  const bool own_route = own > 0;
  const std::int32_t* entry = nullptr;
  if (!own_route && !strict.active) entry = prefetch_slot(c);  // no pin: the rules and Maglev decide
  const sip::Message& m = c.m;
  std::int32_t target = -1;
  if (own_route || strict.active) {
    std::string_view pin = strict.pin;
    if (!own_route || sip::find_param(m.routes[0].uri.params, kPinParam, pin)) {
      const std::int32_t b = find_pinned(c.s, pin);
      if (b >= 0 && c.s.backends[static_cast<std::size_t>(b)].accepts_pinned()) {
        target = b;
        r.reason = Reason::kPinned;
        r.pool = static_cast<std::int32_t>(c.s.backends[static_cast<std::size_t>(b)].pool);
      }
    }
  }
  if (target < 0) {
    const Decision d = client_decision(c.s, c.w, m, c.src);
    r.rule = d.rule;
    switch (d.kind) {
      case rules::ActionKind::kDrop:
        return drop(r, d.reason);
      case rules::ActionKind::kReply:
        return reply(c, d.status, d.phrase, d.reason,
                     d.reason == Reason::kNoBackendUp ? Extra::kRetryAfter : Extra::kNone, r);
      case rules::ActionKind::kPool: {
        r.pool = d.pool;
        const PoolView& pool = c.s.pools[static_cast<std::size_t>(d.pool)];
        const std::int32_t slot =
            entry != nullptr && d.pool == c.s.prefetch_pool ? *entry : pool.table.lookup(call_id_hash(c));
        if (slot < 0 || static_cast<std::size_t>(slot) >= pool.members.size())
          return reply(c, 503, default_phrase(503), Reason::kNoBackendUp, Extra::kRetryAfter, r);
        target = static_cast<std::int32_t>(pool.members[static_cast<std::size_t>(slot)]);
        r.reason = Reason::kForwarded;
        break;
      }
    }
  }
  r.backend = target;
  const BackendView& b = c.s.backends[static_cast<std::size_t>(target)];
  const std::vector<std::string>* record_routes =
      c.s.record_route && creates_dialog(m) ? &b.record_route_lines : nullptr;
  return forward_request(c, b.endpoint, own, record_routes, strict, r);
}

}  // namespace sipshunt::proxy::detail
