#include "sipshunt/health/post_reply.hpp"

#include "sipshunt/sip/message.hpp"

namespace sipshunt::health {

PostResult post_reply(const ProbeCodec& codec, ReplyMailbox& mailbox, const char* data, std::size_t size,
                      std::uint64_t rx_ns, MatchResult* match_out) noexcept {
  sip::Message m;
  MatchResult mr = MatchResult::kForeign;
  ProbeReply reply;
  if (sip::parse(data, size, m) == sip::Status::kOk) mr = codec.match(m, reply);
  if (match_out != nullptr) *match_out = mr;
  if (mr != MatchResult::kOk) return PostResult::kNotOurs;
  ReplyEvent ev;
  ev.backend = reply.backend;
  ev.status = reply.status;
  ev.seq = reply.seq;
  ev.rx_ns = rx_ns;
  return mailbox.push(ev) ? PostResult::kPosted : PostResult::kMailboxFull;
}

}  // namespace sipshunt::health
