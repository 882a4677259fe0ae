// Snapshot building (control plane): backend and pool views, Maglev tables over the pool members
// (unusable ones flagged down), the network views (preformatted Via and Record-Route text) and
// the route table, and the endpoint and pin indexes.
#include <algorithm>
#include <bit>

#include "hash.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "sipshunt/sip/writer.hpp"

namespace sipshunt::proxy {

namespace {

// A pin value is a URI parameter value: keep alphanumerics and -_.~, escape the rest.
std::string encode_pin(std::string_view name) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::size_t slots_for(std::size_t n) { return std::bit_ceil(std::max<std::size_t>(8, n * 2)); }

// Linear probing; the first backend with a key keeps it (config order).
template <typename Hash, typename Same>
BackendIndex make_index(const std::vector<BackendView>& backends, Hash hash_of, Same same) {
  BackendIndex index;
  index.slots.assign(slots_for(backends.size()), -1);
  const std::uint32_t mask = index.mask();
  for (std::size_t i = 0; i < backends.size(); ++i) {
    std::uint32_t slot = static_cast<std::uint32_t>(hash_of(backends[i])) & mask;
    bool duplicate = false;
    while (index.slots[slot] >= 0) {
      if (same(backends[static_cast<std::size_t>(index.slots[slot])], backends[i])) {
        duplicate = true;
        break;
      }
      slot = (slot + 1) & mask;
    }
    if (!duplicate) index.slots[slot] = static_cast<std::int32_t>(i);
  }
  return index;
}

}  // namespace

std::shared_ptr<const Snapshot> build_snapshot(std::shared_ptr<const config::Config> config,
                                               std::shared_ptr<const rules::RuleSet> rules,
                                               const std::vector<BackendState>& states, std::uint64_t version,
                                               std::string_view local_call_id_prefix) {
  auto s = std::make_shared<Snapshot>();
  s->version = version;
  s->local_call_id_prefix = local_call_id_prefix;
  s->config = config;
  s->rules = rules;
  s->self = config->self;
  s->record_route = config->record_route;
  s->no_match_status = config->no_match_status;
  s->no_match_reason = config->no_match_reason;
  s->reply_rate = config->reply_rate;
  // A tenth of a second's budget as the burst, at least one reply.
  s->reply_burst = std::max<std::uint32_t>(1, config->reply_rate / 10);

  // One view per network (README.md "Networks"); without networks, the implicit one.
  const std::vector<config::Network>& networks = config->dpdk.networks;
  const auto add_network = [&](std::string name, const IpAddress& address) {
    NetworkView n;
    n.name = std::move(name);
    n.sip = Endpoint{address, config->self.port};
    const std::string hostport = n.sip.to_string();  // host:port, [v6]:port (RFC 5118 §4)
    n.host = hostport.substr(0, hostport.rfind(':'));
    n.via_prefix = "Via: SIP/2.0/UDP ";
    n.via_prefix.append(hostport).append(";branch=").append(sip::kBranchCookie);
    n.record_route_prefix = "Record-Route: <sip:";
    n.record_route_prefix.append(hostport).append(";lr;").append(kPinParam).append("=");
    s->networks.push_back(std::move(n));
  };
  if (networks.empty()) {
    add_network("proxy", config->self.ip);
  } else {
    for (const config::Network& n : networks) add_network(n.name, n.sip_address());
    if (const config::Network* own = config->dpdk.network_of_address(config->self.ip); own != nullptr)
      s->self_network = static_cast<std::uint16_t>(own - networks.data());
    // The loader has validated networks and routes; a table that does not build routes nothing.
    auto table = net::RouteTable::build(networks, config->dpdk.routes);
    if (table) s->routes = std::move(*table);
    s->routed = true;
  }
  s->network_count = static_cast<std::uint32_t>(s->networks.size());
  s->via_prefix = s->networks[s->self_network].via_prefix;

  std::vector<std::uint32_t> weights;  // parallel to s->backends
  for (std::size_t p = 0; p < config->pools.size(); ++p) {
    const config::Pool& pool = config->pools[p];
    PoolView view;
    view.name = pool.name;
    for (const config::Backend& b : pool.backends) {
      BackendView bv;
      bv.name = b.name;
      bv.endpoint = b.endpoint;
      bv.pool = static_cast<std::uint32_t>(p);
      bv.admin = b.state;
      for (const BackendState& st : states) {
        if (st.name == b.name) {
          bv.up = st.up;
          bv.admin = st.admin;
        }
      }
      bv.pin = encode_pin(b.name);
      for (const NetworkView& n : s->networks) bv.record_route_lines.push_back(n.record_route_prefix + bv.pin + ">\r\n");
      const auto index = static_cast<std::uint32_t>(s->backends.size());
      view.members.push_back(index);
      if (bv.usable()) view.usable.push_back(index);
      s->backends.push_back(std::move(bv));
      weights.push_back(b.weight);
    }
    s->pools.push_back(std::move(view));
  }
  // WeightedBackend holds views into the names: build once s->backends no longer moves.
  for (std::size_t p = 0; p < s->pools.size(); ++p) {
    PoolView& view = s->pools[p];
    // Every member goes in, flagged up only when usable: the balance layer then moves exactly
    // the keys of a backend that goes down, drained or disabled, and no other key.
    std::vector<balance::WeightedBackend> weighted;
    weighted.reserve(view.members.size());
    for (std::uint32_t i : view.members)
      weighted.push_back(balance::WeightedBackend{s->backends[i].name, weights[i], s->backends[i].usable()});
    view.table = balance::MaglevTable::build(weighted, config->pools[p].table_size);
  }

  for (std::size_t p = 0; p < s->pools.size(); ++p)
    if (s->pools[p].name == config->default_pool) s->default_pool = static_cast<std::int32_t>(p);
  s->prefetch_pool = s->default_pool >= 0 ? s->default_pool : s->pools.size() == 1 ? 0 : -1;

  if (rules) {
    for (const rules::Rule& r : rules->rules()) {
      RuleView v;
      v.name = r.name;
      v.kind = r.action.kind;
      if (r.action.kind == rules::ActionKind::kPool && r.action.pool < s->pools.size())
        v.pool = static_cast<std::int32_t>(r.action.pool);
      v.status = r.action.status;
      v.reason_phrase = r.action.reason_phrase;
      s->rule_views.push_back(std::move(v));
    }
  }

  // One index by address; backends that share an address (several ports on one host) are
  // chained in config order behind the first, so a lookup is one probe whatever the port.
  s->backend_any_port = config->backend_source == config::Config::BackendSource::kAddress;
  s->by_address.slots.assign(slots_for(s->backends.size()), -1);
  {
    std::vector<std::int32_t> tail(s->by_address.slots.size(), -1);  // last backend chained per slot
    const std::uint32_t mask = s->by_address.mask();
    for (std::size_t i = 0; i < s->backends.size(); ++i) {
      const IpAddress& ip = s->backends[i].endpoint.ip;
      s->by_address.address_bits |= std::uint64_t{1} << BackendIndex::address_bit(ip);
      std::uint32_t slot = static_cast<std::uint32_t>(detail::hash_endpoint(Endpoint{ip, 0})) & mask;
      while (s->by_address.slots[slot] >= 0 &&
             s->backends[static_cast<std::size_t>(s->by_address.slots[slot])].endpoint.ip != ip)
        slot = (slot + 1) & mask;
      if (s->by_address.slots[slot] < 0) {
        s->by_address.slots[slot] = static_cast<std::int32_t>(i);
      } else {
        s->backends[static_cast<std::size_t>(tail[slot])].next_same_address = static_cast<std::int32_t>(i);
      }
      tail[slot] = static_cast<std::int32_t>(i);
    }
  }
  s->by_pin = make_index(
      s->backends, [](const BackendView& b) { return detail::hash_text(b.pin, 0); },
      [](const BackendView& a, const BackendView& b) { return a.pin == b.pin; });
  return s;
}

std::int32_t find_backend_probe(const Snapshot& s, const Endpoint& source) noexcept {
  const auto& slots = s.by_address.slots;
  if (slots.empty()) return -1;
  const std::uint32_t mask = s.by_address.mask();
  for (std::uint32_t slot = static_cast<std::uint32_t>(detail::hash_endpoint(Endpoint{source.ip, 0})) & mask;;
       slot = (slot + 1) & mask) {
    const std::int32_t first = slots[slot];
    if (first < 0) return -1;
    if (s.backends[static_cast<std::size_t>(first)].endpoint.ip != source.ip) continue;
    // The backend whose port matches; else, when any port will do, the first on that address.
    for (std::int32_t i = first; i >= 0; i = s.backends[static_cast<std::size_t>(i)].next_same_address)
      if (s.backends[static_cast<std::size_t>(i)].endpoint.port == source.port) return i;
    return s.backend_any_port ? first : -1;
  }
}

const config::HostMapping* find_host(const Snapshot& s, std::string_view host) noexcept {
  // The config's names are lowercase and sorted; the URI host is folded as it is compared.
  const auto fold = [](char ch) { return static_cast<unsigned char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch); };
  const auto less = [&](char x, char y) { return fold(x) < fold(y); };
  const auto same = [&](char x, char y) { return fold(x) == fold(y); };
  const auto& hosts = s.config->hosts;
  const auto it = std::lower_bound(hosts.begin(), hosts.end(), host, [&](const config::HostMapping& h, std::string_view v) {
    return std::lexicographical_compare(h.name.begin(), h.name.end(), v.begin(), v.end(), less);
  });
  if (it == hosts.end() || !std::equal(it->name.begin(), it->name.end(), host.begin(), host.end(), same)) return nullptr;
  return &*it;
}

int find_network(const Snapshot& s, std::string_view name) noexcept {
  for (std::size_t i = 0; i < s.networks.size(); ++i)
    if (s.networks[i].name == name) return static_cast<int>(i);
  return -1;
}

std::int32_t find_pinned(const Snapshot& s, std::string_view pin) noexcept {
  const auto& slots = s.by_pin.slots;
  if (slots.empty() || pin.empty()) return -1;
  const std::uint32_t mask = s.by_pin.mask();
  for (std::uint32_t slot = static_cast<std::uint32_t>(detail::hash_text(pin, 0)) & mask;; slot = (slot + 1) & mask) {
    const std::int32_t i = slots[slot];
    if (i < 0) return -1;
    if (s.backends[static_cast<std::size_t>(i)].pin == pin) return i;
  }
}

}  // namespace sipshunt::proxy
