// decode_record_routes(): the Route grammar of route.hpp over the Record-Route fields of a parsed
// message, on demand (parse() leaves them undecoded: a stateless proxy never reads them).
#include "route.hpp"

namespace sipshunt::sip {

Status decode_record_routes(const Message& m, RouteValue* out, std::size_t max, std::uint8_t& count) noexcept {
  count = 0;
  const detail::Blocks blocks{m.data, m.size, nullptr, 0};  // no stored masks: classified on demand
  for (std::uint16_t i = 0; i < m.header_count; ++i) {
    const Header& h = m.headers[i];
    if (h.id != HeaderId::kRecordRoute) continue;
    const std::size_t b = static_cast<std::size_t>(h.value.data() - m.data);
    const Status s = detail::decode_routes(blocks, m.data, b, b + h.value.size(), out, count, max, i);
    if (s != Status::kOk) return s;
  }
  return Status::kOk;
}

}  // namespace sipshunt::sip
