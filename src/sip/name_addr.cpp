// decode_from_tag(): the From grammar of name_addr.hpp over a parsed message's From field, on
// demand (parse() indexes From but does not decode it: only an RFC 2543 branch reads its tag).
#include "name_addr.hpp"

namespace sipshunt::sip {

Status decode_from_tag(const Message& m, std::string_view& tag) noexcept {
  tag = {};
  const Header* h = m.find(HeaderId::kFrom);
  if (h == nullptr) return Status::kMissingFrom;
  const detail::Blocks blocks{m.data, m.size, nullptr, 0};  // no stored masks: classified on demand
  const std::size_t b = static_cast<std::size_t>(h->value().data() - m.data);
  const Status s = detail::decode_addr(blocks, m.data, b, b + h->value().size(), tag, Status::kBadFrom);
  if (s != Status::kOk) tag = {};
  return s;
}

}  // namespace sipshunt::sip
