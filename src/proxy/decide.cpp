// The decision point's entry points for tests (decide.hpp holds the decisions,
// inlined into the client request's routing) and the per-worker rules scratch's preparation.
#include "decide.hpp"

namespace sipshunt::proxy {

Decision decide(const Snapshot& snapshot, ThreadState& worker, const sip::Message& msg, const Endpoint& source) noexcept {
  return detail::client_decision(snapshot, worker, msg, source);
}

bool prepare(ThreadState& worker, const Snapshot& snapshot) {
  if (snapshot.rules) return worker.scratch.prepare(*snapshot.rules);
  return true;
}

Decision decision_for_rule(const Snapshot& snapshot, std::int32_t rule) noexcept {
  return detail::rule_decision(snapshot, rule);
}

}  // namespace sipshunt::proxy
