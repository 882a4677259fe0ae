// `sipshunt explain`: what the proxy would do with datagrams read from files or a capture (pcap, pcapng),
// as JSON lines (fields: src/proxy/README.md). No DPDK: the same proxy::process the workers run.
//   sipshunt explain -c CONFIG [--from IP:PORT] [--network NAME] [--down BACKEND]... FILE...
//   sipshunt explain -c CONFIG [--network NAME] [--down BACKEND]... --pcap CAPTURE
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pcap/pcap.h>

#include "commands.hpp"
#include "exit_status.hpp"
#include "log.hpp"
#include "sipshunt/health/probe.hpp"
#include "sipshunt/proxy/explain.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::app {

namespace {

struct ExplainOptions {
  std::string config;
  std::string from = "198.18.0.2:5060";
  std::string network;  // the arrival network; empty: the network of proxy.address
  std::vector<std::string> down;
  std::vector<std::string> files;
  std::string pcap;
};

// A datagram read from a file or a capture, owning its octets (proxy::Datagram points into a
// worker's buffers).
struct ReadDatagram {
  Endpoint source;
  std::string bytes;
};

struct Failure {
  std::string message;
  ExitStatus status;
};

void fail(std::string message, ExitStatus status = ExitStatus::kFailure) { throw Failure{std::move(message), status}; }

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path + ": is a directory");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) fail(path + ": cannot open: " + std::strerror(errno));
  std::string data;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f.get())) > 0;) data.append(buf, n);
  if (std::ferror(f.get())) fail(path + ": read error: " + std::strerror(errno));
  return data;
}

// --- captures (libpcap: classic pcap and pcapng) -----------------------------------------------
// pcap_open_offline reads both formats (a pcapng file's first interface decides the link type).
// Link types: Ethernet (with 802.1Q tags), BSD loopback, raw IP (IPv4 or IPv6), Linux cooked
// (v1 and v2). UDP over IPv4 and IPv6 (no IPv6 extension headers); IPv4 fragments are skipped
// with a note on stderr (not reassembled).

std::uint16_t be16(const unsigned char* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

// One captured frame of libpcap link type `link` (a DLT_ value): the UDP payload and its source.
std::optional<ReadDatagram> udp_from_frame(const unsigned char* p, std::size_t n, int link, std::size_t record,
                                       const std::string& path) {
  std::uint16_t ethertype = 0;
  std::size_t off = 0;
  switch (link) {
    case DLT_EN10MB:
      if (n < 14) return std::nullopt;
      ethertype = be16(p + 12);
      off = 14;
      while ((ethertype == 0x8100 || ethertype == 0x88a8) && n >= off + 4) {
        ethertype = be16(p + off + 2);
        off += 4;
      }
      break;
    case DLT_LINUX_SLL:
      if (n < 16) return std::nullopt;
      ethertype = be16(p + 14);
      off = 16;
      break;
    case DLT_LINUX_SLL2:
      if (n < 20) return std::nullopt;
      ethertype = be16(p);
      off = 20;
      break;
    case DLT_NULL: {  // BSD loopback: 4-octet address family in host order of the capturing machine
      if (n < 4) return std::nullopt;
      std::uint32_t family;
      std::memcpy(&family, p, 4);
      if (family > 0xffff) family = __builtin_bswap32(family);
      ethertype = family == 2 ? 0x0800 : (family == 24 || family == 28 || family == 30) ? 0x86dd : 0;
      off = 4;
      break;
    }
    case DLT_RAW:  // raw IP: the version nibble says which
      if (n < 1) return std::nullopt;
      ethertype = (p[0] >> 4) == 4 ? 0x0800 : (p[0] >> 4) == 6 ? 0x86dd : 0;
      break;
    case DLT_IPV4: ethertype = 0x0800; break;
    case DLT_IPV6: ethertype = 0x86dd; break;
    default: return std::nullopt;
  }
  p += off;
  n -= off;
  ReadDatagram d;
  std::size_t udp = 0;
  if (ethertype == 0x0800) {
    if (n < 20 || (p[0] >> 4) != 4) return std::nullopt;
    const std::size_t ihl = static_cast<std::size_t>(p[0] & 0xf) * 4;
    const std::size_t total = be16(p + 2);
    if (ihl < 20 || total < ihl || n < ihl) return std::nullopt;
    if (p[9] != 17) return std::nullopt;  // not UDP
    const std::uint16_t frag = be16(p + 6);
    if ((frag & 0x2000) != 0 || (frag & 0x1fff) != 0) {
      std::fprintf(stderr, "sipshunt explain: %s: record %zu: IPv4 fragment skipped (not reassembled)\n",
                   path.c_str(), record);
      return std::nullopt;
    }
    if (total < n) n = total;  // Ethernet padding
    d.source.ip.family = Family::kIPv4;
    std::memcpy(d.source.ip.bytes.data(), p + 12, 4);
    udp = ihl;
  } else if (ethertype == 0x86dd) {
    if (n < 40 || (p[0] >> 4) != 6 || p[6] != 17) return std::nullopt;  // UDP right after the fixed header only
    const std::size_t total = 40 + static_cast<std::size_t>(be16(p + 4));
    if (total < n) n = total;
    d.source.ip.family = Family::kIPv6;
    std::memcpy(d.source.ip.bytes.data(), p + 8, 16);
    udp = 40;
  } else {
    return std::nullopt;
  }
  if (n < udp + 8) return std::nullopt;
  const std::size_t udp_len = be16(p + udp + 4);
  if (udp_len < 8 || udp + udp_len > n) {
    std::fprintf(stderr, "sipshunt explain: %s: record %zu: UDP datagram truncated in the capture, skipped\n",
                 path.c_str(), record);
    return std::nullopt;
  }
  d.source.port = be16(p + udp);
  d.bytes.assign(reinterpret_cast<const char*>(p + udp + 8), udp_len - 8);
  return d;
}

std::vector<ReadDatagram> read_capture(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path + ": is a directory");
  char err[PCAP_ERRBUF_SIZE] = {};
  // libpcap says "No such file" in its own words; an operator's typo gets the same message as
  // for a datagram file.
  if (FILE* probe = std::fopen(path.c_str(), "rb")) {
    std::fclose(probe);
  } else {
    fail(path + ": cannot open: " + std::strerror(errno));
  }
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> cap(pcap_open_offline(path.c_str(), err), &pcap_close);
  if (!cap) fail(path + ": not a pcap or pcapng capture: " + err);
  const int link = pcap_datalink(cap.get());
  std::vector<ReadDatagram> out;
  for (std::size_t record = 1;; ++record) {
    pcap_pkthdr* header = nullptr;
    const unsigned char* frame = nullptr;
    const int r = pcap_next_ex(cap.get(), &header, &frame);
    if (r == PCAP_ERROR_BREAK) break;  // end of the file
    if (r != 1) fail(path + ": record " + std::to_string(record) + ": " + pcap_geterr(cap.get()));
    auto d = udp_from_frame(frame, header->caplen, link, record, path);
    if (d) out.push_back(std::move(*d));
  }
  return out;
}

int run_explain(const ExplainOptions& o) {
  try {
    if (!o.pcap.empty() && !o.files.empty()) fail("give either FILE... or --pcap CAPTURE, not both", ExitStatus::kUsage);
    if (o.pcap.empty() && o.files.empty()) fail("nothing to explain: give FILE... or --pcap CAPTURE", ExitStatus::kUsage);

    const auto setup = proxy::explain_setup(o.config, o.down, health::kProbeCallIdPrefix);
    if (!setup) fail(setup.error().to_string(), ExitStatus::kConfigInvalid);

    std::vector<ReadDatagram> datagrams;
    if (!o.pcap.empty()) {
      datagrams = read_capture(o.pcap);
    } else {
      const auto from = Endpoint::parse(o.from);
      if (!from) fail("--from " + o.from + ": expected IP:PORT (IPv6 as [ADDR]:PORT)", ExitStatus::kUsage);
      for (const std::string& f : o.files) datagrams.push_back(ReadDatagram{*from, read_file(f)});
    }

    const auto& snapshot = *setup;
    std::uint16_t arrival = snapshot->self_network;
    if (!o.network.empty()) {
      const int n = proxy::find_network(*snapshot, o.network);
      if (n < 0) {
        std::string names;
        for (const proxy::NetworkView& v : snapshot->networks) names.append(names.empty() ? "" : ", ").append(v.name);
        fail("--network " + o.network + ": no network with that name (the config has: " + names + ")");
      }
      arrival = static_cast<std::uint16_t>(n);
    }
    auto worker = std::make_unique<proxy::ThreadState>();
    if (!proxy::prepare(*worker, *snapshot)) fail("cannot allocate the rules scratch");
    std::vector<char> out;
    for (const ReadDatagram& d : datagrams) {
      out.resize(d.bytes.size() + proxy::kMaxGrowth);
      const auto now = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
              .count());
      const proxy::Outcome r =
          proxy::process(*snapshot, *worker, d.bytes.data(), d.bytes.size(), d.source, arrival, out.data(), out.size(), now);
      std::string line = proxy::explain_json(*snapshot, r, out.data(), arrival);
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
    std::fflush(stdout);
    return code(ExitStatus::kOk);
  } catch (const Failure& f) {
    report_error("sipshunt explain: " + f.message);
    return code(f.status);
  }
}

}  // namespace

void add_explain(CLI::App& app, int& status) {
  auto opts = std::make_shared<ExplainOptions>();
  CLI::App* cmd = app.add_subcommand(
      "explain", "Print, as one JSON line per datagram, what the proxy would do with it (no DPDK)");
  cmd->add_option("-c,--config", opts->config, "Config file (TOML)")->required();
  auto* from = cmd->add_option("--from", opts->from, "Source IP:PORT of the FILE datagrams (default 198.18.0.2:5060)");
  cmd->add_option("--network", opts->network,
                  "Name of the network the datagrams arrived on (default: the network of proxy.address)");
  cmd->add_option("--down", opts->down, "Treat this backend as down (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)  // one name per --down: "--down b1 FILE" keeps FILE a file
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  auto* pcap = cmd->add_option("--pcap", opts->pcap, "Read the UDP datagrams of a capture (pcap or pcapng)");
  auto* files = cmd->add_option("files", opts->files, "Files holding one datagram each, as on the wire");
  pcap->excludes(files);
  pcap->excludes(from);
  cmd->callback([opts, &status] { status = run_explain(*opts); });
}

}  // namespace sipshunt::app
