// Building OPTIONS probes (with the SIP writing helpers of sipshunt/sip/writer.hpp) and
// recognising the replies to them by Call-ID, branch and CSeq.
#include "sipshunt/health/probe.hpp"

#include <random>

#include "sipshunt/sip/writer.hpp"

namespace sipshunt::health {
namespace {

using sip::kBranchCookie;
using sip::Writer;

// <nonce>.<backend>.<seq>
void put_token(Writer& w, std::string_view nonce, std::uint32_t backend, std::uint64_t seq) noexcept {
  w.put(nonce);
  w.put(".");
  w.put_decimal(backend);
  w.put(".");
  w.put_decimal(seq);
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

ProbeCodec::ProbeCodec(std::uint64_t nonce) noexcept : nonce_(nonce) { sip::write_hex16(nonce, nonce_text_); }

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
  w.put_decimal(t.seq);
  w.put("\r\nTo: <sip:");
  w.put_hostport(t.backend);
  w.put(">\r\nCall-ID: ");
  w.put(kProbeCallIdPrefix);
  put_token(w, nonce_text(), t.backend_index, t.seq);
  // Each probe is a new Call-ID, so CSeq 1 is always right.
  w.put("\r\nCSeq: 1 OPTIONS\r\nUser-Agent: sipshunt-health\r\nContent-Length: 0\r\n\r\n");
  return w.overflow() ? 0 : w.size();
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

  if (msg.decoded_vias == 0) return MatchResult::kBadBranch;
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
