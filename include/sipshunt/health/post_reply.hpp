// hot path
// The worker side of health checking: a datagram the proxy classified as Verdict::kLocal is
// checked against our probe codec and posted to the control lcore's mailbox. Never forwarded.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sipshunt/health/mailbox.hpp"
#include "sipshunt/health/probe.hpp"

namespace sipshunt::health {

enum class PostResult : std::uint8_t {
  kPosted = 0,    // one of ours, now in the mailbox
  kMailboxFull,   // one of ours, dropped (counted by the mailbox)
  kNotOurs,       // parse failure or MatchResult other than kOk: count and drop
};

// Parses `data` (again: replies are a few per backend per second, not worth threading the
// proxy's parse through), matches it, and posts {backend, seq, status, rx_ns}. `match_out`
// (optional) receives the codec's verdict for counters.
[[nodiscard]] PostResult post_reply(const ProbeCodec& codec, ReplyMailbox& mailbox, const char* data,
                                    std::size_t size, std::uint64_t rx_ns,
                                    MatchResult* match_out = nullptr) noexcept;

}  // namespace sipshunt::health
