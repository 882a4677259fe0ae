// [hep]: where and how much SIP is mirrored as HEP v3 (src/mirror/README.md). Present means on.
#include <string>

#include "sections.hpp"
#include "toml_fields.hpp"

namespace sipshunt::config::detail {

void read_hep(const toml::table& t, Hep& h) {
  reject_unknown_keys(t, {"enabled", "address", "sample", "agent_id", "auth_key", "queue"}, "in [hep]");
  h.enabled = true;
  read_bool(t, "enabled", "hep", h.enabled);
  constexpr std::string_view kExpected = "the collector as \"IP:PORT\" (e.g. \"192.0.2.10:9060\")";
  const toml::node& address = require(t, "address", "hep", "[hep]");
  const std::string& text = *string_value(address, "hep.address", kExpected);
  const auto collector = Endpoint::parse(text);
  if (!collector || collector->port == 0) fail_expected(address, "hep.address", kExpected, quote(text));
  if (collector->ip.is_unsendable()) fail_expected(address, "hep.address", "a unicast address", quote(text));
  h.address = *collector;
  if (const toml::node* n = find(t, "sample")) {
    constexpr std::string_view kShare = "a share of calls 0.0..1.0";
    double v = 0;
    if (n->is_floating_point()) {
      v = n->as_floating_point()->get();
    } else if (n->is_integer()) {
      v = static_cast<double>(n->as_integer()->get());
    } else {
      fail_type(*n, "hep.sample", kShare);
    }
    if (!(v >= 0.0 && v <= 1.0)) fail_expected(*n, "hep.sample", kShare, std::to_string(v));
    h.sample = v;
  }
  read_int(t, "agent_id", "hep", 0, 4294967295LL, h.agent_id);
  if (const toml::node* n = find(t, "auth_key")) {
    h.auth_key = *string_value(*n, "hep.auth_key");
    if (h.auth_key.size() > 1024) fail_expected(*n, "hep.auth_key", "at most 1024 octets", std::to_string(h.auth_key.size()) + " octets");
  }
  if (const toml::node* n = find(t, "queue")) {
    h.queue = static_cast<std::uint32_t>(int_value(*n, "hep.queue", 64, 65536));
    if ((h.queue & (h.queue - 1)) != 0) fail_expected(*n, "hep.queue", "a power of two 64..65536", std::to_string(h.queue));
  }
}

}  // namespace sipshunt::config::detail
