// Built only while the rules module is absent (see meson.build): the Worker holds a
// rules::Scratch, whose constructor and destructor live in the rules library. Without that
// library no RuleSet can exist, so the scratch has nothing to hold. Removed from the build
// automatically once src/rules/meson.build defines sipshunt_rules_dep.
#include "sipshunt/rules/rules.hpp"

namespace sipshunt::rules {

struct Scratch::Impl {};
Scratch::Scratch() = default;
Scratch::~Scratch() = default;

}  // namespace sipshunt::rules
