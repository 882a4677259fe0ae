// Names for statuses and header ids: stable tokens for counters and JSON, canonical header names.
#include <array>

#include "header_names.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::sip {

namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(Status::kCount)> kStatusNames = {
    "ok",
    "empty",
    "bad-start-line",
    "bad-method",
    "bad-request-uri",
    "bad-version",
    "bad-status-code",
    "bad-header-line",
    "headers-unterminated",
    "too-many-headers",
    "too-many-vias",
    "too-many-routes",
    "missing-via",
    "missing-call-id",
    "missing-from",
    "missing-to",
    "missing-cseq",
    "duplicate-call-id",
    "duplicate-from",
    "duplicate-to",
    "duplicate-cseq",
    "bad-via",
    "bad-call-id",
    "bad-from",
    "bad-to",
    "bad-cseq",
    "cseq-method-mismatch",
    "bad-max-forwards",
    "bad-content-length",
    "duplicate-content-length",
    "content-length-beyond-datagram",
    "bad-route",
};

constexpr std::array<std::string_view, static_cast<std::size_t>(HeaderId::kCount)> kHeaderNames = {
    "",
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Max-Forwards",
    "Content-Length",
    "Content-Type",
    "Contact",
    "Route",
    "Record-Route",
    "Proxy-Require",
    "Require",
    "Supported",
    "Unsupported",
    "User-Agent",
    "Subject",
    "Content-Encoding",
    "Event",
    "Refer-To",
    "Allow-Events",
    "Session-Expires",
};

}  // namespace

std::string_view to_string(Status s) noexcept {
  const auto i = static_cast<std::size_t>(s);
  return i < kStatusNames.size() ? kStatusNames[i] : std::string_view("unknown");
}

HeaderId header_id(std::string_view name) noexcept {
  return detail::lookup_header(name.data(), name.size());
}

std::string_view header_name(HeaderId id) noexcept {
  const auto i = static_cast<std::size_t>(id);
  return i < kHeaderNames.size() ? kHeaderNames[i] : std::string_view();
}

}  // namespace sipshunt::sip
