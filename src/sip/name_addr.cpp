// decode_from_tag(): the From grammar of name_addr.hpp over a parsed message's From field, on
// demand (parse() indexes From but does not decode it: only an RFC 2543 branch reads its tag).
#include "name_addr.hpp"

namespace sipshunt::sip {

Status decode_from_tag(const Message& m, std::string_view& tag) noexcept {
  tag = {};
  const Header* h = m.find(HeaderId::kFrom);
  if (h == nullptr) return Status::kMissingFrom;
  const detail::Blocks blocks{m.data, m.size, nullptr, 0};  // no stored masks: classified on demand
  const Status s = detail::decode_addr(blocks, m.data, h->value_begin, h->value_end, tag, Status::kBadFrom);
  if (s != Status::kOk) tag = {};
  return s;
}

}  // namespace sipshunt::sip
