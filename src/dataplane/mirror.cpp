// HEP mirroring on a worker: after proxy::process, the datagram that came in and the one the
// proxy sends (forward or stateless reply) are copied to this worker's Tap, which the control
// lcore drains (src/mirror/README.md). A call is sampled by its Call-ID hash, so both directions
// and every message of a call are mirrored or none. Nothing here waits: a full Tap counts a drop.
#include "sipshunt/balance/maglev.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/mirror/tap.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::dataplane {

void Worker::mirror(const proxy::Outcome& r, const proxy::Snapshot& snap) noexcept {
  const proxy::Datagram& d = datagram_;
  mirror::Tap& tap = *mirror_taps_[index_];
  if (!tap.samples_all()) {
    const std::string_view call_id = proxy_->message.call_id;
    if (!tap.wants(call_id.empty() ? tap.next_key() : balance::call_id_hash(call_id))) return;
  }
  // Our side of both datagrams is the proxy's SIP address (the one in our Via).
  (void)tap.push(mirror::Direction::kIn, d.source, snap.self, d.now_ns, d.data, static_cast<std::uint32_t>(d.size));
  if (r.verdict == proxy::Verdict::kForward || r.verdict == proxy::Verdict::kReply)
    (void)tap.push(mirror::Direction::kOut, snap.self, r.next_hop, d.now_ns, d.out, r.length);
}

}  // namespace sipshunt::dataplane
