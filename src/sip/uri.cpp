// parse_uri(): the URI grammar of uri.hpp over one text the caller holds (a Request-URI, a
// Contact or Route URI taken from a Message, a configured URI).
#include "uri.hpp"

namespace sipshunt::sip {

bool parse_uri(std::string_view text, Uri& out) noexcept {
  const detail::Blocks blocks{text.data(), text.size(), nullptr, 0};  // classified on demand
  detail::Cursor c(blocks, 0, text.size());
  const std::size_t end = detail::parse_uri_at<'\0'>(c, text.data(), 0, text.size(), out);
  out.raw = text;
  return end == text.size();
}

}  // namespace sipshunt::sip
