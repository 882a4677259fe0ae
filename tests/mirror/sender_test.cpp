// The HEP sender against a UDP socket on loopback: what the Taps held arrives as HEP3 packets
// (payload, ports, Unix time), and an unreachable collector is counted as send errors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sipshunt/mirror/sender.hpp"

namespace sipshunt::mirror {
namespace {

struct Collector {
  int fd = -1;
  std::uint16_t port = 0;
  Collector() {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Collector() { ::close(fd); }
  std::string receive() const {
    char buf[70000];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
};

const Endpoint kClient{IpAddress::v4(0xc6120002), 5061};
const Endpoint kSelf{IpAddress::v4(0xc6120001), 5060};

// The value of the first chunk of `type` in a HEP3 packet.
std::string chunk_value(const std::string& p, std::uint16_t type) {
  for (std::size_t at = 6; at + 6 <= p.size();) {
    const auto u = [&](std::size_t i) { return static_cast<unsigned char>(p[i]); };
    const std::uint16_t t = static_cast<std::uint16_t>(u(at + 2) << 8 | u(at + 3));
    const std::size_t len = static_cast<std::size_t>(u(at + 4) << 8 | u(at + 5));
    if (len < 6) break;
    if (t == type) return p.substr(at + 6, len - 6);
    at += len;
  }
  return "<missing>";
}

TEST(HepSender, SendsEveryQueuedRecordAsHep3) {
  Collector collector;
  HepOptions o;
  o.collector = Endpoint{IpAddress::v4(0x7f000001), collector.port};
  o.agent_id = 7;
  auto sender = HepSender::open(o);
  ASSERT_TRUE(sender) << sender.error().to_string();
  Tap a(8, 1.0), b(8, 1.0);
  ASSERT_EQ(a.push(Direction::kIn, kClient, kSelf, 1'500'000, "INVITE a", 8), Push::kQueued);
  ASSERT_EQ(b.push(Direction::kOut, kSelf, kClient, 2'500'000, "SIP/2.0 200 b", 13), Push::kQueued);
  Tap* taps[] = {&a, &b};
  EXPECT_EQ((*sender)->drain(taps, 1'000'000'000'000'000'000), 2u);  // mono 1.5 ms -> Unix 1e9 s + 1.5 ms
  EXPECT_EQ((*sender)->counters().mirrored, 2u);
  const std::string first = collector.receive(), second = collector.receive();
  ASSERT_EQ(first.substr(0, 4), "HEP3");
  EXPECT_EQ(chunk_value(first, 0x000f), "INVITE a");
  EXPECT_EQ(chunk_value(first, 0x0007), std::string("\x13\xc5", 2));  // source port 5061
  EXPECT_EQ(chunk_value(first, 0x0009), std::string("\x3b\x9a\xca\x00", 4));  // 1e9 s
  EXPECT_EQ(chunk_value(first, 0x000a), std::string("\x00\x00\x05\xdc", 4));  // 1500 us
  EXPECT_EQ(chunk_value(first, 0x000c), std::string("\x00\x00\x00\x07", 4));
  EXPECT_EQ(chunk_value(second, 0x000f), "SIP/2.0 200 b");
  EXPECT_EQ(chunk_value(second, 0x0008), std::string("\x13\xc5", 2));  // to the client's port
  EXPECT_EQ(a.peek(), nullptr);
  EXPECT_EQ(b.peek(), nullptr);
}

TEST(HepSender, UnreachableCollectorCountsSendErrors) {
  std::uint16_t port = 0;
  {
    Collector gone;  // a port nobody listens on once this closes
    port = gone.port;
  }
  HepOptions o;
  o.collector = Endpoint{IpAddress::v4(0x7f000001), port};
  auto sender = HepSender::open(o);
  ASSERT_TRUE(sender);
  Tap tap(8, 1.0);
  Tap* taps[] = {&tap};
  for (int round = 0; round < 3; ++round) {  // the ICMP port unreachable fails the sends after it
    ASSERT_EQ(tap.push(Direction::kIn, kClient, kSelf, 0, "X", 1), Push::kQueued);
    (*sender)->drain(taps, 0);
    ::usleep(20000);
  }
  EXPECT_GE((*sender)->counters().send_errors, 1u);
  EXPECT_EQ((*sender)->counters().send_errors + (*sender)->counters().mirrored, 3u);
}

}  // namespace
}  // namespace sipshunt::mirror
