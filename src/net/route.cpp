// The route table's construction (the lookup is inline in net/route.hpp).
#include "sipshunt/net/route.hpp"

namespace sipshunt::net {

Result<RouteTable> RouteTable::build(const std::vector<config::Network>& networks,
                                     const std::vector<config::Route>& routes) {
  RouteTable t;
  t.networks_ = networks;
  const auto on_link = [&](const IpAddress& a) -> int {
    for (std::size_t i = 0; i < networks.size(); ++i) {
      if (contains(networks[i].subnet(), a) && !(networks[i].address == a)) return static_cast<int>(i);
    }
    return -1;
  };
  const auto add = [&](Entry e, const std::string& what) -> Result<void> {
    for (const Entry& o : t.entries_) {
      if (o.prefix == e.prefix) return Error::plain(what + ": a second entry for " + to_string(e.prefix));
    }
    t.entries_.push_back(e);
    return {};
  };
  for (std::size_t i = 0; i < networks.size(); ++i) {
    const config::Network& n = networks[i];
    const auto index = static_cast<std::uint16_t>(i);
    if (Result<void> r = add(Entry{n.subnet(), true, index, {}}, "network " + n.name); !r) return r.error();
    if (n.gateway) {
      if (on_link(*n.gateway) != static_cast<int>(i)) {
        return Error::plain("network " + n.name + ": gateway " + n.gateway->to_string() + " is not on " +
                            to_string(n.subnet()));
      }
      Entry e{Prefix{IpAddress{}, 0}, false, index, *n.gateway};
      e.prefix.address.family = n.address.family;
      if (Result<void> r = add(e, "network " + n.name + " gateway"); !r) return r.error();
    }
  }
  for (const config::Route& r : routes) {
    const std::string what = "route " + to_string(Prefix{r.prefix, r.prefix_len}) + " via " + r.via.to_string();
    const int network = on_link(r.via);
    if (network < 0) return Error::plain(what + ": the next hop is on no network's subnet");
    Entry e{prefix_of(r.prefix, r.prefix_len), false, static_cast<std::uint16_t>(network), r.via};
    if (Result<void> added = add(e, what); !added) return added.error();
  }
  std::vector<PrefixTable::Entry> prefixes;
  for (std::size_t i = 0; i < t.entries_.size(); ++i) {
    prefixes.push_back(PrefixTable::Entry{t.entries_[i].prefix, static_cast<std::uint32_t>(i)});
  }
  t.table_ = PrefixTable(prefixes);
  return t;
}

}  // namespace sipshunt::net
