#include "sipshunt/health/probe.hpp"

#include <cstring>
#include <random>

namespace sipshunt::health {
namespace {

constexpr std::string_view kBranchCookie = "z9hG4bK";

// Appends to a fixed buffer; remembers overflow instead of checking at every call site.
class Writer {
 public:
  Writer(char* out, std::size_t capacity) noexcept : out_(out), cap_(capacity) {}
  void put(std::string_view s) noexcept {
    if (n_ + s.size() > cap_) {
      overflow_ = true;
      return;
    }
    std::memcpy(out_ + n_, s.data(), s.size());
    n_ += s.size();
  }
  void put_u64(std::uint64_t v) noexcept {
    char tmp[20];
    std::size_t i = sizeof tmp;
    do {
      tmp[--i] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    put({tmp + i, sizeof tmp - i});
  }
  // host[:port] as in a Via sent-by or a SIP URI: IPv6 in brackets.
  void put_hostport(const Endpoint& ep) noexcept {
    char ip[64];
    const std::size_t n = format_ip(ep.ip, ip);
    if (ep.ip.family == Family::kIPv6) put("[");
    put({ip, n});
    if (ep.ip.family == Family::kIPv6) put("]");
    put(":");
    put_u64(ep.port);
  }
  [[nodiscard]] std::size_t size() const noexcept { return overflow_ ? 0 : n_; }

 private:
  char* out_;
  std::size_t cap_;
  std::size_t n_ = 0;
  bool overflow_ = false;
};

// <nonce>.<backend>.<seq>
void put_token(Writer& w, std::string_view nonce, std::uint32_t backend, std::uint64_t seq) noexcept {
  w.put(nonce);
  w.put(".");
  w.put_u64(backend);
  w.put(".");
  w.put_u64(seq);
}

// Decimal without sign or leading zeros (as we write them), no overflow. Consumes up to `stop`.
bool take_u64(std::string_view& s, char stop, std::uint64_t max, std::uint64_t& out) noexcept {
  std::size_t i = 0;
  std::uint64_t v = 0;
  while (i < s.size() && s[i] != stop) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    if (i == 1 && s[0] == '0') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
    ++i;
  }
  if (i == 0) return false;
  out = v;
  s.remove_prefix(i);
  return true;
}

}  // namespace

std::string_view to_string(MatchResult r) noexcept {
  switch (r) {
    case MatchResult::kOk: return "ok";
    case MatchResult::kNotProbe: return "not-probe";
    case MatchResult::kNotResponse: return "not-response";
    case MatchResult::kForeign: return "foreign";
    case MatchResult::kBadBranch: return "bad-branch";
    case MatchResult::kBadCSeq: return "bad-cseq";
  }
  return "unknown";
}

ProbeCodec::ProbeCodec(std::uint64_t nonce) noexcept : nonce_(nonce) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) nonce_text_[i] = kHex[(nonce >> (60 - 4 * i)) & 0xf];
}

std::size_t ProbeCodec::build(const ProbeTarget& t, char* out, std::size_t capacity) const noexcept {
  Writer w(out, capacity);
  w.put("OPTIONS sip:");
  w.put_hostport(t.backend);
  w.put(" SIP/2.0\r\nVia: SIP/2.0/UDP ");
  w.put_hostport(t.self);
  w.put(";branch=");
  w.put(kBranchCookie);
  put_token(w, nonce_text(), t.backend_index, t.seq);
  w.put("\r\nMax-Forwards: 70\r\nFrom: <sip:sipshunt@");
  w.put_hostport(t.self);
  w.put(">;tag=");
  w.put(nonce_text().substr(0, 8));
  w.put_u64(t.seq);
  w.put("\r\nTo: <sip:");
  w.put_hostport(t.backend);
  w.put(">\r\nCall-ID: ");
  w.put(kProbeCallIdPrefix);
  put_token(w, nonce_text(), t.backend_index, t.seq);
  // Each probe is a new Call-ID, so CSeq 1 is always right.
  w.put("\r\nCSeq: 1 OPTIONS\r\nUser-Agent: sipshunt-health\r\nContent-Length: 0\r\n\r\n");
  return w.size();
}

MatchResult ProbeCodec::match(const sip::Message& msg, ProbeReply& out) const noexcept {
  std::string_view id = msg.call_id;
  if (!has_probe_prefix(id)) return MatchResult::kNotProbe;
  if (msg.is_request) return MatchResult::kNotResponse;
  id.remove_prefix(kProbeCallIdPrefix.size());
  const std::string_view token = id;  // <nonce>.<backend>.<seq>, compared whole with the branch
  if (id.size() < 17 || id.substr(0, 16) != nonce_text() || id[16] != '.') return MatchResult::kForeign;
  id.remove_prefix(17);
  std::uint64_t backend = 0, seq = 0;
  if (!take_u64(id, '.', UINT32_MAX, backend) || id.empty()) return MatchResult::kForeign;
  id.remove_prefix(1);
  if (!take_u64(id, '\0', UINT64_MAX, seq) || !id.empty()) return MatchResult::kForeign;

  if (msg.via_count == 0) return MatchResult::kBadBranch;
  const std::string_view branch = msg.vias[0].branch;
  if (!msg.vias[0].has_branch || branch.size() != kBranchCookie.size() + token.size() ||
      branch.substr(0, kBranchCookie.size()) != kBranchCookie || branch.substr(kBranchCookie.size()) != token)
    return MatchResult::kBadBranch;
  if (msg.cseq_method != "OPTIONS")  // methods are case-sensitive (RFC 3261 7.1)
    return MatchResult::kBadCSeq;

  out.backend = static_cast<std::uint32_t>(backend);
  out.seq = seq;
  out.status = msg.status_code;
  return MatchResult::kOk;
}

std::uint64_t random_nonce() {
  std::random_device rd;
  std::uint64_t v = 0;
  while (v == 0) v = (std::uint64_t{rd()} << 32) ^ rd();
  return v;
}

}  // namespace sipshunt::health
