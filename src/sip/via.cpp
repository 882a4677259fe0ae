// decode_vias(): the Via grammar of via.hpp over every Via field of a parsed message, on demand
// (parse() decodes only the values a decision reads: Message::vias).
#include "via.hpp"

namespace sipshunt::sip {

Status decode_vias(const Message& m, Via* out, std::size_t max, std::uint8_t& count) noexcept {
  count = 0;
  return detail::decode_fields(m, HeaderId::kVia, [&](const detail::Blocks& b, std::size_t p, std::size_t e,
                                                      std::uint16_t field) {
    return detail::decode_via(b, m.data, p, e, out, count, max, field, Status::kTooManyVias);
  });
}

}  // namespace sipshunt::sip
