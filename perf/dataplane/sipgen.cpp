// sipgen: a bounded SIP/UDP load generator and sink for the af_packet benchmark.
//   sipgen send --from IP --to IP:PORT --rate PPS --seconds S [--ports N] [--port-base P] [--max N]
//              [--raw-iface IFACE --dst-mac MAC]
//       Sends distinct INVITEs (each its own Call-ID, branch and tag) with sendmmsg in batches of
//       up to 64, paced to PPS, from N source ports (default 8, for RSS), for at most S seconds
//       (capped at 120) and at most --max datagrams. Prints {"sent":..,"seconds":..,"rate":..}.
//       --raw-iface: the same datagrams as whole Ethernet/IPv4/UDP frames (checksums computed
//       here) through an AF_PACKET socket on IFACE to MAC, skipping the sender's UDP/IP stack,
//       so the generator is not the bottleneck of the benchmark.
//   sipgen sink --bind IP:PORT --seconds S [--idle MS]
//       Counts datagrams with recvmmsg until S seconds pass (capped at 300) or nothing arrived for
//       --idle ms after the first one. Prints {"received":..,"bytes":..,"first_to_last_s":..}.
// Traffic goes only where it is told (the benchmark's namespaces); every loop is bounded.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: sipgen send --from IP --to IP:PORT --rate PPS --seconds S [--ports N] [--port-base P] [--max N]\n"
               "       sipgen sink --bind IP:PORT --seconds S [--idle MS]\n");
  std::exit(2);
}

sockaddr_in endpoint(std::string_view text, std::uint16_t default_port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  std::string host(text);
  std::uint16_t port = default_port;
  if (auto c = host.find(':'); c != std::string::npos) {
    port = static_cast<std::uint16_t>(std::atoi(host.c_str() + c + 1));
    host.resize(c);
  }
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    std::fprintf(stderr, "sipgen: bad address %s\n", host.c_str());
    std::exit(2);
  }
  a.sin_port = htons(port);
  return a;
}

struct Args {
  std::string mode, from, to, bind, raw_iface, dst_mac;
  double rate = 10000, seconds = 5;
  int ports = 8, idle_ms = 1000, port_base = 20000;
  std::uint64_t max = 100'000'000;
};

Args parse(int argc, char** argv) {
  if (argc < 2) usage();
  Args a;
  a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view k = argv[i];
    if (i + 1 >= argc) usage();
    const char* v = argv[++i];
    if (k == "--from") a.from = v;
    else if (k == "--to") a.to = v;
    else if (k == "--bind") a.bind = v;
    else if (k == "--rate") a.rate = std::atof(v);
    else if (k == "--seconds") a.seconds = std::atof(v);
    else if (k == "--ports") a.ports = std::atoi(v);
    else if (k == "--port-base") a.port_base = std::atoi(v);
    else if (k == "--raw-iface") a.raw_iface = v;
    else if (k == "--dst-mac") a.dst_mac = v;
    else if (k == "--idle") a.idle_ms = std::atoi(v);
    else if (k == "--max") a.max = std::strtoull(v, nullptr, 10);
    else usage();
  }
  return a;
}

// A realistic INVITE (~800 bytes) built once per source port; each datagram then gets its own
// Call-ID, branch and From tag by overwriting fixed-width digit fields in a copy (formatting the
// whole message per datagram would cost the generator more CPU than the proxy spends on it).
struct Template {
  std::string text;
  std::vector<std::size_t> fields;  // offsets of the 12-digit counter fields
};

Template make_template(const char* from, unsigned sport, const char* to) {
  char body[512];
  const int body_len = std::snprintf(body, sizeof body,
                                     "v=0\r\no=- 2890844526 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                                     "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
                                     "a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\na=sendrecv\r\n",
                                     from, from);
  char head[1024];
  std::snprintf(head, sizeof head,
                "INVITE sip:+13105550000@%s SIP/2.0\r\n"
                "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-@@@@@@@@@@@@;rport\r\n"
                "Max-Forwards: 70\r\n"
                "From: \"Caller\" <sip:+12125550000@%s>;tag=@@@@@@@@@@@@\r\n"
                "To: <sip:+13105550000@%s>\r\n"
                "Call-ID: @@@@@@@@@@@@-%u@%s\r\n"
                "CSeq: 1 INVITE\r\n"
                "Contact: <sip:+12125550000@%s:%u>\r\n"
                "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY\r\n"
                "Supported: replaces, timer\r\n"
                "User-Agent: sipgen (sipshunt bench)\r\n"
                "Content-Type: application/sdp\r\n"
                "Content-Length: %d\r\n\r\n",
                to, from, sport, from, to, sport, from, from, sport, body_len);
  Template t;
  t.text = head;
  t.text += body;
  for (std::size_t at = t.text.find("@@@@@@@@@@@@"); at != std::string::npos; at = t.text.find("@@@@@@@@@@@@", at + 12)) {
    t.text.replace(at, 12, std::string(12, '0'));
    t.fields.push_back(at);
  }
  return t;
}

std::size_t invite(char* out, std::size_t cap, std::uint64_t n, const Template& t) {
  const std::size_t len = std::min(t.text.size(), cap);
  std::memcpy(out, t.text.data(), len);
  char digits[12];
  for (int i = 11; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  for (std::size_t at : t.fields) {
    if (at + 12 <= len) std::memcpy(out + at, digits, 12);
  }
  return len;
}

std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}
std::uint32_t sum16(const unsigned char* p, std::size_t len, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < len; i += 2) sum += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
  if (len & 1) sum += static_cast<std::uint32_t>(p[len - 1] << 8);
  return sum;
}

// Ethernet + IPv4 + UDP around `payload` of `len` bytes at frame + 42 (checksums computed).
std::size_t frame_around(unsigned char* f, std::size_t len, const unsigned char* dst_mac, const unsigned char* src_mac,
                         in_addr src, in_addr dst, std::uint16_t sport, std::uint16_t dport, std::uint16_t id) {
  std::memcpy(f, dst_mac, 6);
  std::memcpy(f + 6, src_mac, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  unsigned char* ip = f + 14;
  const std::uint16_t total = static_cast<std::uint16_t>(28 + len);
  const unsigned char hdr[20] = {0x45, 0, static_cast<unsigned char>(total >> 8), static_cast<unsigned char>(total),
                                 static_cast<unsigned char>(id >> 8), static_cast<unsigned char>(id), 0x40, 0, 64, 17, 0, 0};
  std::memcpy(ip, hdr, 12);
  std::memcpy(ip + 12, &src, 4);
  std::memcpy(ip + 16, &dst, 4);
  const std::uint16_t ipc = fold(sum16(ip, 20));
  ip[10] = static_cast<unsigned char>(ipc >> 8);
  ip[11] = static_cast<unsigned char>(ipc);
  unsigned char* udp = ip + 20;
  const std::uint16_t ulen = static_cast<std::uint16_t>(8 + len);
  const unsigned char uh[8] = {static_cast<unsigned char>(sport >> 8), static_cast<unsigned char>(sport),
                               static_cast<unsigned char>(dport >> 8), static_cast<unsigned char>(dport),
                               static_cast<unsigned char>(ulen >> 8), static_cast<unsigned char>(ulen), 0, 0};
  std::memcpy(udp, uh, 8);
  std::uint32_t sum = sum16(ip + 12, 8) + 17 + ulen;
  std::uint16_t c = fold(sum16(udp, ulen, sum));
  if (c == 0) c = 0xffff;
  udp[6] = static_cast<unsigned char>(c >> 8);
  udp[7] = static_cast<unsigned char>(c);
  return 42 + len;
}

int send_mode(const Args& a) {
  if (a.from.empty() || a.to.empty()) usage();
  const sockaddr_in dst = endpoint(a.to, 5060);
  char to_host[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &dst.sin_addr, to_host, sizeof to_host);
  const int nports = std::clamp(a.ports, 1, 64);
  std::vector<int> socks;
  std::vector<unsigned> sports;
  std::vector<Template> templates;
  for (int i = 0; i < nports; ++i) {
    const int s = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in src = endpoint(a.from, 0);
    src.sin_port = htons(static_cast<std::uint16_t>(a.port_base + i));
    int buf = 4 << 20;
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      std::perror("sipgen: bind");
      return 1;
    }
    socks.push_back(s);
    sports.push_back(static_cast<unsigned>(a.port_base + i));
    templates.push_back(make_template(a.from.c_str(), static_cast<unsigned>(a.port_base + i), to_host));
  }
  // Raw mode: one AF_PACKET socket, qdisc bypassed.
  int raw = -1;
  unsigned char src_mac[6] = {}, dst_mac[6] = {};
  in_addr src_ip{};
  if (!a.raw_iface.empty()) {
    unsigned m[6];
    if (std::sscanf(a.dst_mac.c_str(), "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) usage();
    for (int i = 0; i < 6; ++i) dst_mac[i] = static_cast<unsigned char>(m[i]);
    raw = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
    ifreq ifr{};
    std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", a.raw_iface.c_str());
    if (raw < 0 || ioctl(raw, SIOCGIFHWADDR, &ifr) != 0) {
      std::perror("sipgen: raw socket");
      return 1;
    }
    std::memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_IP);
    sll.sll_ifindex = static_cast<int>(if_nametoindex(a.raw_iface.c_str()));
    int one = 1, buf = 8 << 20;
    setsockopt(raw, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    setsockopt(raw, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    if (bind(raw, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
      std::perror("sipgen: bind raw");
      return 1;
    }
    src_ip = endpoint(a.from, 0).sin_addr;
  }
  constexpr int kBatch = 64;
  static char bufs[kBatch][1200];
  static unsigned char frames[kBatch][1300];
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  const double seconds = std::min(a.seconds, 120.0);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::uint64_t sent = 0, n = 0, errors = 0;
  int turn = 0;
  while (sent < a.max) {
    const auto now = Clock::now();
    if (now >= end) break;
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const auto due = static_cast<std::uint64_t>(elapsed * a.rate);
    if (due <= sent) {
      // Ahead of schedule: wait a little (no busy spin at low rates).
      const double ahead = static_cast<double>(sent + 1) / a.rate - elapsed;
      if (ahead > 0.0002) usleep(static_cast<useconds_t>(std::min(ahead, 0.002) * 1e6));
      continue;
    }
    const int batch = static_cast<int>(std::min<std::uint64_t>({due - sent, kBatch, a.max - sent}));
    const int s = socks[static_cast<std::size_t>(turn)];
    const Template& tpl = templates[static_cast<std::size_t>(turn)];
    for (int i = 0; i < batch; ++i) {
      std::memset(&msgs[i], 0, sizeof msgs[i]);
      if (raw >= 0) {
        const std::size_t len = invite(reinterpret_cast<char*>(frames[i]) + 42, sizeof frames[i] - 42, n++, tpl);
        iov[i].iov_base = frames[i];
        iov[i].iov_len = frame_around(frames[i], len, dst_mac, src_mac, src_ip, dst.sin_addr,
                                      static_cast<std::uint16_t>(sports[static_cast<std::size_t>(turn)]),
                                      ntohs(dst.sin_port), static_cast<std::uint16_t>(n));
      } else {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = invite(bufs[i], sizeof bufs[i], n++, tpl);
        msgs[i].msg_hdr.msg_name = const_cast<sockaddr_in*>(&dst);
        msgs[i].msg_hdr.msg_namelen = sizeof dst;
      }
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int r = sendmmsg(raw >= 0 ? raw : s, msgs, static_cast<unsigned>(batch), 0);
    turn = (turn + 1) % nports;
    if (r > 0) {
      sent += static_cast<std::uint64_t>(r);
    } else {
      ++errors;
      if (errors > 1'000'000) break;
    }
  }
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"sent\":%llu,\"seconds\":%.3f,\"rate\":%.0f,\"send_errors\":%llu}\n",
              static_cast<unsigned long long>(sent), took, static_cast<double>(sent) / took,
              static_cast<unsigned long long>(errors));
  return 0;
}

int sink_mode(const Args& a) {
  if (a.bind.empty()) usage();
  const sockaddr_in at = endpoint(a.bind, 5060);
  const int s = socket(AF_INET, SOCK_DGRAM, 0);
  int buf = 16 << 20;
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  if (s < 0 || bind(s, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) {
    std::perror("sipgen: bind");
    return 1;
  }
  timeval tv{0, 100'000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  constexpr int kBatch = 64;
  static char bufs[kBatch][2048];
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  for (int i = 0; i < kBatch; ++i) {
    iov[i] = {bufs[i], sizeof bufs[i]};
    std::memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  std::printf("{\"listening\":true}\n");
  std::fflush(stdout);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(std::min(a.seconds, 300.0)));
  std::uint64_t received = 0, bytes = 0;
  Clock::time_point first{}, last{};
  for (;;) {
    const auto now = Clock::now();
    if (now >= end) break;
    if (received > 0 && now - last > std::chrono::milliseconds(a.idle_ms)) break;
    const int r = recvmmsg(s, msgs, kBatch, MSG_WAITFORONE, nullptr);
    if (r <= 0) continue;
    if (received == 0) first = Clock::now();
    last = Clock::now();
    received += static_cast<std::uint64_t>(r);
    for (int i = 0; i < r; ++i) bytes += msgs[i].msg_len;
  }
  std::printf("{\"received\":%llu,\"bytes\":%llu,\"first_to_last_s\":%.3f}\n", static_cast<unsigned long long>(received),
              static_cast<unsigned long long>(bytes), received ? std::chrono::duration<double>(last - first).count() : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  if (a.mode == "send") return send_mode(a);
  if (a.mode == "sink") return sink_mode(a);
  usage();
}
