// Stable tokens for verdicts, kinds and reasons (counters, logs, `sipshunt explain`).
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::proxy {

namespace {

constexpr std::string_view kReasonTokens[] = {
    "forwarded",
    "pinned",
    "outbound",
    "response",
    "probe-reply",
    "max-forwards-exhausted",
    "unsupported-extension",
    "no-backend-up",
    "no-match",
    "rule-reply",
    "rule-drop",
    "ack-not-answered",
    "reply-rate-limited",
    "foreign-via",
    "no-next-via",
    "unresolvable-next-hop",
    "unsendable-destination",
    "next-hop-is-self",
    "too-large",
    "rules-error",
    "no-route",
};
static_assert(std::size(kReasonTokens) == static_cast<std::size_t>(Reason::kParseFirst),
              "one token per non-parser Reason");
static_assert(static_cast<std::size_t>(Reason::kCount) - static_cast<std::size_t>(Reason::kParseFirst) ==
                  static_cast<std::size_t>(sip::Status::kCount) - 1,
              "one parser Reason per sip::Status other than kOk");

}  // namespace

std::string_view to_string(Reason r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  if (i < std::size(kReasonTokens)) return kReasonTokens[i];
  if (i < static_cast<std::size_t>(Reason::kCount)) {
    return sip::to_string(static_cast<sip::Status>(i - static_cast<std::size_t>(Reason::kParseFirst) + 1));
  }
  return "unknown";
}

std::string_view to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::kForward: return "forward";
    case Verdict::kReply: return "reply";
    case Verdict::kDrop: return "drop";
    case Verdict::kLocal: return "probe-reply";
  }
  return "unknown";
}

std::string_view to_string(Kind k) noexcept {
  switch (k) {
    case Kind::kRequest: return "request";
    case Kind::kResponse: return "response";
    case Kind::kInvalid: return "invalid";
  }
  return "unknown";
}

std::string_view default_phrase(std::uint16_t status) noexcept {
  switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 480: return "Temporarily Unavailable";
    case 483: return "Too Many Hops";
    case 486: return "Busy Here";
    case 488: return "Not Acceptable Here";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 603: return "Decline";
    default: return "";
  }
}

}  // namespace sipshunt::proxy
