#include "sipshunt/health/prober.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace sipshunt::health {
namespace {

constexpr std::uint64_t kMs = 1'000'000;

}  // namespace

Prober::Prober(const config::Config& config, ProberOptions options, std::uint64_t now_ns)
    : options_(options), codec_(options.nonce != 0 ? options.nonce : random_nonce()) {
  set_networks(config);
  for (std::uint32_t p = 0; p < config.pools.size(); ++p)
    for (const auto& b : config.pools[p].backends) backends_.push_back(fresh(config.pools[p], p, b, now_ns));
}

BackendHealth Prober::fresh(const config::Pool& pool, std::uint32_t pool_index, const config::Backend& backend,
                            std::uint64_t now_ns) const {
  BackendHealth h;
  h.name = backend.name;
  h.pool = pool.name;
  h.pool_index = pool_index;
  h.endpoint = backend.endpoint;
  h.local = local_for(backend.endpoint);
  h.check = pool.health;
  // Without health checks a backend is simply up; otherwise the operator's chosen start.
  h.up = !pool.health.enabled || options_.initial == InitialState::kUp;
  h.last_change_ns = now_ns;
  h.next_probe_ns = now_ns;
  return h;
}

void Prober::set_networks(const config::Config& config) {
  self_ = config.self;
  network_sip_.clear();
  routes_ = net::RouteTable{};
  if (config.dpdk.networks.empty()) return;
  for (const config::Network& n : config.dpdk.networks) network_sip_.push_back(Endpoint{n.address, config.self.port});
  // The loader has validated networks and routes; a table that does not build leaves proxy.address.
  if (auto table = net::RouteTable::build(config.dpdk.networks, config.dpdk.routes)) routes_ = std::move(*table);
}

Endpoint Prober::local_for(const Endpoint& backend) const {
  const auto hop = routes_.lookup(backend.ip);
  if (!hop || hop->network >= network_sip_.size()) return self_;
  return network_sip_[hop->network];
}

void Prober::reconfigure(const config::Config& config, std::uint64_t now_ns) {
  set_networks(config);
  // Changes not yet collected by tick() carry old indices: remember them by name.
  std::vector<std::pair<std::string, StateChange>> pending;
  for (const auto& c : changes_) pending.emplace_back(backends_[c.backend].name, c);
  changes_.clear();

  std::unordered_map<std::string, BackendHealth*> old;
  for (auto& b : backends_) old.emplace(b.name, &b);
  std::vector<BackendHealth> next;
  for (std::uint32_t p = 0; p < config.pools.size(); ++p) {
    const auto& pool = config.pools[p];
    for (const auto& b : pool.backends) {
      auto it = old.find(b.name);
      if (it == old.end()) {
        next.push_back(fresh(pool, p, b, now_ns));
        continue;
      }
      BackendHealth h = std::move(*it->second);
      const bool was_enabled = h.check.enabled;
      h.pool = pool.name;
      h.pool_index = p;
      h.check = pool.health;
      h.local = local_for(b.endpoint);
      if (!(h.endpoint == b.endpoint)) {
        // Same name, new address: what we knew was about another host. Keep the verdict (so
        // traffic does not jump) but forget the outstanding probe and re-check at once.
        h.endpoint = b.endpoint;
        h.pending_seq.reset();
        h.successes = h.failures = 0;
        h.next_probe_ns = now_ns;
      }
      if (!h.check.enabled) {
        h.pending_seq.reset();
        h.successes = h.failures = 0;
        if (!h.up) {  // no health check: always up
          h.up = true;
          h.last_change_ns = now_ns;
          pending.emplace_back(h.name, StateChange{0, p, true, now_ns});
        }
      } else if (!was_enabled) {
        h.next_probe_ns = now_ns;
      } else {
        // A shorter interval takes effect now rather than after the old one elapses.
        h.next_probe_ns = std::min(h.next_probe_ns, now_ns + std::uint64_t{h.check.interval_ms} * kMs);
      }
      next.push_back(std::move(h));
    }
  }
  backends_ = std::move(next);
  for (const auto& [name, c] : pending)
    if (auto i = find(name)) changes_.push_back({*i, backends_[*i].pool_index, c.up, c.at_ns});
}

ReplyOutcome Prober::on_reply(const ReplyEvent& ev) {
  // The index in the Call-ID is the one at send time; after a reload reordered backends the
  // outstanding probe is found by its (process-unique) sequence number.
  std::uint32_t index = ev.backend;
  if (index >= backends_.size() || backends_[index].pending_seq != ev.seq) {
    index = std::numeric_limits<std::uint32_t>::max();
    for (std::uint32_t i = 0; i < backends_.size(); ++i)
      if (backends_[i].pending_seq == ev.seq) {
        index = i;
        break;
      }
  }
  if (index == std::numeric_limits<std::uint32_t>::max()) {
    if (ev.backend < backends_.size() && ev.seq < next_seq_) {
      ++backends_[ev.backend].late_replies;
      return ReplyOutcome::kLate;
    }
    ++unknown_replies_;
    return ReplyOutcome::kUnknown;
  }
  BackendHealth& b = backends_[index];
  if (ev.status < 200) return ReplyOutcome::kProvisional;  // 1xx: the final answer will follow
  b.pending_seq.reset();
  b.last_status = ev.status;
  if (ev.status < b.check.alive_below) {
    const std::uint64_t rtt = ev.rx_ns > b.pending_sent_ns ? ev.rx_ns - b.pending_sent_ns : 0;
    b.last_rtt_ns = rtt;
    b.rtt.record(rtt, kProbeRttBoundsNs);
    b.srtt_ns = b.srtt_ns == 0 ? rtt : b.srtt_ns - b.srtt_ns / 8 + rtt / 8;
    ++b.replies_alive;
    success(b, index, ev.rx_ns);
    return ReplyOutcome::kAlive;
  }
  ++b.replies_dead;
  failure(b, index, ev.rx_ns);
  return ReplyOutcome::kDead;
}

std::size_t Prober::drain(ReplyMailbox& mailbox) {
  std::size_t n = 0;
  ReplyEvent ev;
  while (mailbox.pop(ev)) {
    on_reply(ev);
    ++n;
  }
  return n;
}

void Prober::success(BackendHealth& b, std::uint32_t index, std::uint64_t now_ns) {
  b.failures = 0;
  if (b.successes < std::numeric_limits<std::uint32_t>::max()) ++b.successes;
  const bool first = !b.ever_answered;
  b.ever_answered = true;
  // With InitialState::kDown a backend never seen alive comes up on its first success;
  // otherwise recovery needs `rise` in a row.
  if (!b.up && ((first && options_.initial == InitialState::kDown) || b.successes >= b.check.rise)) set_state(b, index, true, now_ns);
}

void Prober::failure(BackendHealth& b, std::uint32_t index, std::uint64_t now_ns) {
  b.successes = 0;
  if (b.failures < std::numeric_limits<std::uint32_t>::max()) ++b.failures;
  if (b.up && b.failures >= b.check.fall) set_state(b, index, false, now_ns);
}

void Prober::set_state(BackendHealth& b, std::uint32_t index, bool up, std::uint64_t now_ns) {
  b.up = up;
  b.last_change_ns = now_ns;
  changes_.push_back({index, b.pool_index, up, now_ns});
}

TickResult Prober::tick(std::uint64_t now_ns, std::uint64_t seen_until_ns) {
  TickResult out;
  // A probe is judged timed out only once the data plane has polled past its deadline, so a
  // stall of the proxy itself (a descheduled worker) is never blamed on the backends.
  const std::uint64_t judged = std::min(now_ns, seen_until_ns);
  for (std::uint32_t i = 0; i < backends_.size(); ++i) {
    BackendHealth& b = backends_[i];
    if (!b.check.enabled) continue;
    if (b.pending_seq && judged >= b.pending_sent_ns + std::uint64_t{b.check.timeout_ms} * kMs) {
      b.pending_seq.reset();
      b.last_status = 0;
      ++b.timeouts;
      failure(b, i, judged);
    }
    // Due, and the previous probe is settled (it is still pending only while the data plane
    // has not caught up, or with timeout == interval for the length of a tick).
    if (now_ns < b.next_probe_ns || b.pending_seq) continue;
    const std::uint64_t interval = std::uint64_t{b.check.interval_ms} * kMs;
    // Stay on the grid (no drift from tick jitter), but never burst to catch up after a stall.
    b.next_probe_ns += interval;
    if (b.next_probe_ns <= now_ns) b.next_probe_ns = now_ns + interval;
    Probe p;
    p.backend = i;
    p.to = b.endpoint;
    p.bytes.resize(kMaxProbeSize);
    const std::uint64_t seq = next_seq_++;
    const std::size_t n = codec_.build({b.local, b.endpoint, i, seq}, p.bytes.data(), p.bytes.size());
    p.bytes.resize(n);
    b.pending_seq = seq;
    b.pending_sent_ns = now_ns;
    ++b.probes_sent;
    out.probes.push_back(std::move(p));
  }
  out.changes = std::move(changes_);
  changes_.clear();
  return out;
}

std::uint64_t Prober::next_deadline_ns() const noexcept {
  std::uint64_t t = std::numeric_limits<std::uint64_t>::max();
  if (!changes_.empty()) return 0;
  for (const auto& b : backends_) {
    if (!b.check.enabled) continue;
    t = std::min(t, b.next_probe_ns);
    if (b.pending_seq) t = std::min(t, b.pending_sent_ns + std::uint64_t{b.check.timeout_ms} * kMs);
  }
  return t;
}

std::optional<std::uint32_t> Prober::find(std::string_view name) const noexcept {
  for (std::uint32_t i = 0; i < backends_.size(); ++i)
    if (backends_[i].name == name) return i;
  return std::nullopt;
}

bool Prober::up(std::string_view name) const noexcept {
  auto i = find(name);
  return i && backends_[*i].up;
}

}  // namespace sipshunt::health
