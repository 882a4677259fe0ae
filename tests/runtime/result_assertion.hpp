// Test helper for the control tests: a Result as a GoogleTest assertion, so a failed call
// prints its error message (ASSERT_TRUE(succeeded(rt->publish(s)))).
#pragma once

#include <gtest/gtest.h>

#include "sipshunt/common/result.hpp"

template <class T>
::testing::AssertionResult succeeded(const sipshunt::Result<T>& r) {
  if (r) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.error().to_string();
}
