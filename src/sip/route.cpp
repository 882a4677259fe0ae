// decode_record_routes(): the Route grammar of route.hpp over the Record-Route fields of a parsed
// message, on demand (parse() leaves them undecoded: a stateless proxy never reads them).
#include "route.hpp"

namespace sipshunt::sip {

Status decode_record_routes(const Message& m, RouteValue* out, std::size_t max, std::uint8_t& count) noexcept {
  count = 0;
  return detail::decode_fields(m, HeaderId::kRecordRoute, [&](const detail::Blocks& b, std::size_t p,
                                                              std::size_t e, std::uint16_t field) {
    return detail::decode_routes(b, m.data, p, e, out, count, max, field);
  });
}

}  // namespace sipshunt::sip
