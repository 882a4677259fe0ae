// hot path
// The decision point for client requests that no pin routes: the first matching rule's action,
// else the default pool, else the configured no-match reply.
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::proxy {

Decision decide(const Snapshot& snapshot, ThreadState& worker, const sip::Message& msg, const Endpoint& source) noexcept {
  rules::Match match;
  // Rules wiring: the first rule (file order) whose conditions hold decides.
  if (snapshot.rules) {
    match = snapshot.rules->match(msg, source, worker.scratch);
    if (match.error) {  // never guess a route past a rule that could not be evaluated
      Decision d;
      d.kind = rules::ActionKind::kDrop;
      d.reason = Reason::kRulesError;
      return d;
    }
  }
  return decision_for_rule(snapshot, match.rule);
}

bool prepare(ThreadState& worker, const Snapshot& snapshot) {
  if (snapshot.rules) return worker.scratch.prepare(*snapshot.rules);
  return true;
}

Decision decision_for_rule(const Snapshot& snapshot, std::int32_t rule) noexcept {
  Decision d;
  if (rule >= 0 && static_cast<std::size_t>(rule) < snapshot.rule_views.size()) {
    const RuleView& r = snapshot.rule_views[static_cast<std::size_t>(rule)];
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

}  // namespace sipshunt::proxy
