// The scanner's constants that scan.hpp declares without their values (see kSplat there).
#include "scan.hpp"

namespace sipshunt::sip::detail {

#if SIPSHUNT_SIP_SIMD > 0
namespace {
constexpr Splats make_splats() {
  Splats t{};
  for (int i = 0; i < 64; ++i) {
    t.lf[i] = '\n';
    t.low_nibble[i] = 0x0f;
  }
  return t;
}
}  // namespace

const Splats kSplat = make_splats();
#endif

}  // namespace sipshunt::sip::detail
