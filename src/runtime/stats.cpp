// Control plane. The `--stats-file` JSON of `sipshunt run`: every counter of a Runtime in one
// object (ports, data plane, SIP, workers, neighbours), and the atomic write that publishes it.
#include "sipshunt/runtime/stats.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "sipshunt/runtime/runtime.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::runtime {

namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string_view state_name(net::NeighbourState s) {
  switch (s) {
    case net::NeighbourState::kIncomplete: return "incomplete";
    case net::NeighbourState::kReachable: return "reachable";
    case net::NeighbourState::kStale: return "stale";
    case net::NeighbourState::kFailed: return "failed";
    case net::NeighbourState::kStatic: return "static";
  }
  return "unknown";
}

}  // namespace

std::string stats_json(const Runtime& rt) {
  const auto snap = rt.snapshot();
  const dataplane::WorkerCounters t = rt.totals();
  auto pc = std::make_unique<proxy::Counters>();
  rt.proxy_totals(*pc);
  std::string j = "{";
  j += fmt::format("\"uptime_s\":{:.3f}", static_cast<double>(rt.now_ns() - rt.started_ns()) / 1e9);
  j += ",\"snapshot_version\":" + std::to_string(snap ? snap->version : 0);

  j += ",\"ports\":[";
  const auto nic = rt.port_stats();
  for (std::size_t i = 0; i < rt.ports().size(); ++i) {
    const auto& p = rt.ports()[i];
    const auto& c = t.ports[i];
    if (i) j += ',';
    j += fmt::format(
        "{{\"name\":{},\"device\":{},\"driver\":{},\"mac\":\"{}\",\"queues\":{},\"rss\":{},"
        "\"offloads\":{{\"rx_ipv4_checksum\":{},\"rx_udp_checksum\":{},\"tx_ipv4_checksum\":{},\"tx_udp_checksum\":{}}},"
        "\"rx_packets\":{},\"rx_bytes\":{},\"tx_packets\":{},"
        "\"tx_bytes\":{},\"nic\":{{\"ipackets\":{},\"opackets\":{},\"imissed\":{},\"ierrors\":{},\"oerrors\":{},"
        "\"rx_nombuf\":{},\"ring_dropped\":{}}}}}",
        quote(p.name), quote(p.device), quote(p.driver), p.mac.to_string(), p.queues, p.rss, p.rx_ipv4_checksum,
        p.rx_udp_checksum, p.tx_ipv4_checksum, p.tx_udp_checksum, c.rx_packets, c.rx_bytes, c.tx_packets,
        c.tx_bytes, nic[i].ipackets, nic[i].opackets, nic[i].imissed, nic[i].ierrors, nic[i].oerrors, nic[i].rx_nombuf,
        nic[i].ring_dropped);
  }
  j += "]";

  j += ",\"networks\":[";
  for (std::size_t i = 0; i < rt.networks().size() && i < dataplane::kMaxNetworks; ++i) {
    const auto& n = rt.networks()[i];
    const auto& c = t.networks[i];
    if (i) j += ',';
    j += fmt::format(
        "{{\"name\":{},\"port\":{},\"vlan\":{},\"address\":\"{}\",\"prefix_len\":{},\"rx_packets\":{},"
        "\"rx_bytes\":{},\"tx_packets\":{},\"tx_bytes\":{}}}",
        quote(n.name), quote(rt.ports()[n.port].name), n.vlan, n.address.to_string(), n.prefix_len, c.rx_packets,
        c.rx_bytes, c.tx_packets, c.tx_bytes);
  }
  j += "]";

  j += fmt::format(
      ",\"dataplane\":{{\"arp_in\":{},\"arp_replies\":{},\"arp_requests\":{},\"nd_in\":{},\"nd_replies\":{},"
      "\"nd_solicitations\":{},\"icmp_echo_replies\":{},"
      "\"fragments_in\":{},\"reassembled\":{},\"fragments_out\":{},\"sip_in\":{},\"sip_forwarded\":{},"
      "\"sip_replied\":{},\"sip_dropped\":{},\"probe_replies\":{},\"held\":{},\"released\":{},\"events_lost\":{},"
      "\"control_tx\":{},\"drops\":{{",
      t.arp_in, t.arp_replies, rt.arp_requests_sent(), t.nd_in, t.nd_replies, rt.solicitations_sent(),
      t.icmp_echo_replies, t.fragments_in, t.reassembled,
      t.fragments_out, t.sip_in, t.sip_forwarded, t.sip_replied, t.sip_dropped, t.probe_replies, t.held, t.released,
      t.events_lost, t.control_tx);
  for (std::size_t i = 0; i < t.drops.size(); ++i) {
    if (i) j += ',';
    j += fmt::format("{}:{}", quote(dataplane::to_string(static_cast<dataplane::Drop>(i))), t.drops[i]);
  }
  j += "}}";

  std::uint64_t parse_errors = 0;
  for (auto r = static_cast<std::size_t>(proxy::Reason::kParseFirst); r <= static_cast<std::size_t>(proxy::Reason::kParseLast);
       ++r) {
    parse_errors += pc->by_reason[r];
  }
  j += ",\"sip\":{\"parse_errors\":" + std::to_string(parse_errors) + ",\"reasons\":{";
  for (std::size_t i = 0; i < pc->by_reason.size(); ++i) {
    if (i) j += ',';
    j += fmt::format("{}:{}", quote(proxy::to_string(static_cast<proxy::Reason>(i))), pc->by_reason[i]);
  }
  j += "},\"replies\":{";
  bool first = true;
  for (std::size_t s = 0; s < pc->replies_by_status.size(); ++s) {
    if (pc->replies_by_status[s] == 0) continue;
    j += fmt::format("{}\"{}\":{}", first ? "" : ",", s, pc->replies_by_status[s]);
    first = false;
  }
  j += "},\"backends\":{";
  if (snap) {
    for (std::size_t b = 0; b < snap->backends.size() && b < pc->by_backend.size(); ++b) {
      if (b) j += ',';
      j += fmt::format("{}:{}", quote(snap->backends[b].name), pc->by_backend[b]);
    }
  }
  j += "},\"rules\":{";
  if (snap) {
    for (std::size_t r = 0; r < snap->rule_views.size() && r < pc->by_rule.size(); ++r) {
      if (r) j += ',';
      j += fmt::format("{}:{}", quote(snap->rule_views[r].name), pc->by_rule[r]);
    }
  }
  j += "}}";

  const MirrorStats hep = rt.mirror_stats();
  j += fmt::format(",\"hep\":{{\"enabled\":{},\"mirrored\":{},\"queue_full\":{},\"too_large\":{},\"send_errors\":{}}}",
                   hep.enabled, hep.mirrored, hep.queue_full, hep.too_large, hep.send_errors);

  j += ",\"workers\":[";
  for (std::size_t w = 0; w < rt.worker_count(); ++w) {
    const auto& c = rt.worker_counters(w);
    if (w) j += ',';
    j += fmt::format("{{\"busy_cycles\":{},\"idle_cycles\":{},\"loops\":{},\"naps\":{},\"sip_in\":{}}}",
                     sipshunt::read(c.busy_cycles), sipshunt::read(c.idle_cycles), sipshunt::read(c.loops),
                     sipshunt::read(c.naps), sipshunt::read(c.sip_in));
  }
  j += "]";

  j += ",\"neighbours\":[";
  first = true;
  for (const auto& e : rt.neighbours().entries()) {
    const auto& n = rt.networks()[e.network];
    j += fmt::format("{}{{\"network\":{},\"port\":{},\"vlan\":{},\"ip\":\"{}\",\"mac\":\"{}\",\"state\":\"{}\"}}",
                     first ? "" : ",", quote(n.name), quote(rt.ports()[n.port].name), n.vlan, e.ip.to_string(),
                     e.mac.to_string(), state_name(e.state));
    first = false;
  }
  j += "]}";
  return j;
}

bool write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return false;
    f << text << '\n';
    if (!f) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

}  // namespace sipshunt::runtime
