// The HEP sender: records from the Taps, encoded, sent in batches with sendmmsg(2) over a
// connected non-blocking UDP socket (a connected socket also reports an unreachable collector,
// as ECONNREFUSED on a later send: counted like any other failed send).
#include "sipshunt/mirror/sender.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sipshunt/mirror/hep.hpp"

namespace sipshunt::mirror {

namespace {

constexpr std::size_t kBatch = 32;

}  // namespace

Result<std::unique_ptr<HepSender>> HepSender::open(const HepOptions& options) {
  std::unique_ptr<HepSender> s(new HepSender(options));
  sockaddr_storage addr{};
  socklen_t len = 0;
  const Endpoint& c = options.collector;
  if (c.ip.family == Family::kIPv4) {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(c.port);
    std::memcpy(&a->sin_addr, c.ip.bytes.data(), 4);
    len = sizeof(sockaddr_in);
  } else if (c.ip.family == Family::kIPv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(c.port);
    std::memcpy(&a->sin6_addr, c.ip.bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  } else {
    return Error::plain("hep.address: no collector address");
  }
  s->fd_ = ::socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd_ < 0) return Error::plain(std::string("HEP socket: ") + std::strerror(errno));
  if (::connect(s->fd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    return Error::plain("HEP collector " + c.to_string() + ": " + std::strerror(errno) +
                        " (it is reached through the host's kernel network, not the DPDK ports)");
  }
  s->batch_.resize(kBatch);
  return s;
}

HepSender::~HepSender() {
  if (fd_ >= 0) ::close(fd_);
}

void HepSender::flush(std::size_t count) {
  mmsghdr msgs[kBatch];
  iovec iov[kBatch];
  std::memset(msgs, 0, sizeof msgs);
  for (std::size_t i = 0; i < count; ++i) {
    iov[i].iov_base = batch_[i].data();
    iov[i].iov_len = batch_[i].size();
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  std::size_t done = 0;
  while (done < count) {
    const int sent = ::sendmmsg(fd_, msgs + done, static_cast<unsigned>(count - done), MSG_DONTWAIT);
    if (sent <= 0) {  // the first of the rest failed: count it, go on with the others
      ++counters_.send_errors;
      ++done;
      continue;
    }
    counters_.mirrored += static_cast<std::uint64_t>(sent);
    done += static_cast<std::size_t>(sent);
  }
}

std::size_t HepSender::drain(std::span<Tap* const> taps, std::int64_t unix_minus_mono_ns) {
  std::size_t taken = 0, pending = 0;
  HepMessage m;
  m.agent_id = options_.agent_id;
  m.auth_key = options_.auth_key;
  for (Tap* tap : taps) {
    for (std::size_t n = tap->capacity(); n > 0; --n) {
      const Record* r = tap->peek();
      if (r == nullptr) break;
      const auto unix_ns = static_cast<std::uint64_t>(static_cast<std::int64_t>(r->header.mono_ns) + unix_minus_mono_ns);
      m.source = r->header.source;
      m.destination = r->header.destination;
      m.seconds = static_cast<std::uint32_t>(unix_ns / 1'000'000'000);
      m.microseconds = static_cast<std::uint32_t>(unix_ns % 1'000'000'000 / 1000);
      m.payload = std::string_view(r->payload, r->header.length);
      if (encode_hep3(m, batch_[pending])) {
        ++pending;
      } else {
        ++counters_.unencodable;
      }
      tap->pop();
      ++taken;
      if (pending == kBatch) {
        flush(pending);
        pending = 0;
      }
    }
  }
  if (pending > 0) flush(pending);
  return taken;
}

}  // namespace sipshunt::mirror
