// hot path
// The decision point for client requests that no pin routes: the first matching rule's action,
// else the default pool, else the configured no-match reply. Inline, so client_request.hpp reads
// the Decision from registers rather than through a call and a returned struct (README.md
// "Files"); decide.cpp exposes the same functions as `proxy::decide()` / `decision_for_rule()`.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sipshunt/common/compiler.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::proxy::detail {

// The action of rule `rule` (an index in Snapshot::rule_views; -1: no rule matched).
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE Decision rule_decision(const Snapshot& snapshot, std::int32_t rule) noexcept {
  // The bound in octets: the vector's size is its length in octets divided by sizeof(RuleView)
  // (80, a multiply), the length itself is one subtraction.
  if (rule >= 0 && static_cast<std::size_t>(rule) * sizeof(RuleView) < snapshot.rule_views.size() * sizeof(RuleView)) {
    const RuleView& r = snapshot.rule_views[static_cast<std::size_t>(rule)];
    // The forwarding case built whole, not over a default-initialised Decision.
    if (r.kind == rules::ActionKind::kPool && r.pool >= 0)
      return Decision{rules::ActionKind::kPool, Reason::kForwarded, rule, r.pool, 0, {}};
    Decision d;
    d.rule = rule;
    d.kind = r.kind;
    switch (r.kind) {
      case rules::ActionKind::kPool:
        d.pool = r.pool;
        d.reason = Reason::kForwarded;
        if (r.pool < 0) {  // a pool the snapshot does not know: treat as no backend
          d.kind = rules::ActionKind::kReply;
          d.status = 503;
          d.phrase = default_phrase(503);
          d.reason = Reason::kNoBackendUp;
        }
        break;
      case rules::ActionKind::kReply:
        d.status = r.status;
        d.phrase = r.reason_phrase;
        if (d.phrase.empty()) d.phrase = default_phrase(r.status);
        d.reason = Reason::kRuleReply;
        break;
      case rules::ActionKind::kDrop:
        d.reason = Reason::kRuleDrop;
        break;
    }
    return d;
  }
  Decision d;
  if (snapshot.default_pool >= 0) {
    d.kind = rules::ActionKind::kPool;
    d.pool = snapshot.default_pool;
    d.reason = Reason::kForwarded;
    return d;
  }
  d.kind = rules::ActionKind::kReply;
  d.status = snapshot.no_match_status;
  d.phrase = snapshot.no_match_reason;
  d.reason = Reason::kNoMatch;
  return d;
}

// The first rule (file order) whose conditions hold decides; a rule that could not be evaluated
// drops the request (`rules-error`): never guess a route past it.
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE Decision client_decision(const Snapshot& snapshot, ThreadState& worker,
                                                              const sip::Message& msg, const Endpoint& source) noexcept {
  rules::Match match;
  if (snapshot.rules) {
    match = snapshot.rules->match(msg, source, worker.scratch);
    if (match.error) {
      Decision d;
      d.kind = rules::ActionKind::kDrop;
      d.reason = Reason::kRulesError;
      return d;
    }
  }
  return rule_decision(snapshot, match.rule);
}

}  // namespace sipshunt::proxy::detail
