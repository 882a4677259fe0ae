// sipgen: a bounded SIP/UDP load generator and sink for the af_packet benchmark.
//   sipgen send --from IP --to IP:PORT --rate PPS --seconds S [--ports N] [--max N]
//       Sends distinct INVITEs (each its own Call-ID, branch and tag) with sendmmsg in batches of
//       up to 64, paced to PPS, from N source ports (default 8, for RSS), for at most S seconds
//       (capped at 120) and at most --max datagrams. Prints {"sent":..,"seconds":..,"rate":..}.
//   sipgen sink --bind IP:PORT --seconds S [--idle MS]
//       Counts datagrams with recvmmsg until S seconds pass (capped at 300) or nothing arrived for
//       --idle ms after the first one. Prints {"received":..,"bytes":..,"first_to_last_s":..}.
// Traffic goes only where it is told (the benchmark's namespaces); every loop is bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
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
               "usage: sipgen send --from IP --to IP:PORT --rate PPS --seconds S [--ports N] [--max N]\n"
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
  std::string mode, from, to, bind;
  double rate = 10000, seconds = 5;
  int ports = 8, idle_ms = 1000;
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
    src.sin_port = htons(static_cast<std::uint16_t>(20000 + i));
    int buf = 4 << 20;
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      std::perror("sipgen: bind");
      return 1;
    }
    socks.push_back(s);
    sports.push_back(20000u + static_cast<unsigned>(i));
    templates.push_back(make_template(a.from.c_str(), 20000u + static_cast<unsigned>(i), to_host));
  }
  constexpr int kBatch = 64;
  static char bufs[kBatch][1200];
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
    turn = (turn + 1) % nports;
    for (int i = 0; i < batch; ++i) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = invite(bufs[i], sizeof bufs[i], n++, tpl);
      std::memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_name = const_cast<sockaddr_in*>(&dst);
      msgs[i].msg_hdr.msg_namelen = sizeof dst;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int r = sendmmsg(s, msgs, static_cast<unsigned>(batch), 0);
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
