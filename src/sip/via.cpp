// decode_vias(): the Via grammar of via.hpp over every Via field of a parsed message, on demand
// (parse() decodes only the values a decision reads: Message::vias).
#include "via.hpp"

namespace sipshunt::sip {

Status decode_vias(const Message& m, Via* out, std::size_t max, std::uint8_t& count) noexcept {
  count = 0;
  const detail::Blocks blocks{m.data, m.size, nullptr, 0};  // no stored masks: classified on demand
  for (std::uint16_t i = 0; i < m.header_count; ++i) {
    const Header& h = m.headers[i];
    if (h.id != HeaderId::kVia) continue;
    const std::size_t b = static_cast<std::size_t>(h.value.data() - m.data);
    const Status s = detail::decode_via(blocks, m.data, b, b + h.value.size(), out, count, max, i,
                                        Status::kTooManyVias);
    if (s != Status::kOk) return s;
  }
  return Status::kOk;
}

}  // namespace sipshunt::sip
