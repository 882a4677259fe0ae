// match() is hot-path code: it must not allocate. Counts C++ allocations (replaced operator new)
// and Hyperscan's (hs_set_allocator) while matching messages against the shipped edge rules.
#include <gtest/gtest.h>
#include <hs/hs.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "helpers.hpp"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};

void* counted(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* hs_counted(std::size_t n) { return counted(n); }
void hs_free_counted(void* p) { std::free(p); }
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = counted(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted(n)) return p;
  throw std::bad_alloc();
}
// Every non-aligned form, so that each new pairs with a matching delete (ASan checks this).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace sipshunt::rules::test {
namespace {

TEST(RulesHotPath, AllocationCounterWorks) {
  g_allocations = 0;
  g_counting = true;
  auto* p = new std::string(100, 'x');
  g_counting = false;
  delete p;
  EXPECT_GE(g_allocations.load(), 1);
}

TEST(RulesHotPath, MatchDoesNotAllocate) {
  ASSERT_EQ(hs_set_allocator(hs_counted, hs_free_counted), HS_SUCCESS);
  const std::filesystem::path files[] = {std::filesystem::path(SIPSHUNT_SOURCE_DIR) / "dispatch-rules/examples/edge.rules"};
  const auto result = RuleSet::compile(files, default_pools());
  ASSERT_TRUE(result) << result.error().to_string();
  Scratch scratch;
  ASSERT_TRUE(scratch.prepare(**result));
  const std::string messages[] = {
      request("INVITE", "sip:911@x", {"User-Agent: friendly-scanner"}),
      request("INVITE", "sip:18005550100@x", {"User-Agent: softphone", "Subject: hi"}),
      request("OPTIONS", "sip:198.18.0.1"),
      request("REGISTER", "sip:x", {"X-Other: 1"}),
  };
  auto msg = std::make_unique<sip::Message>();
  const Endpoint sources[] = {endpoint("198.18.0.10:5060"), endpoint("203.0.113.5:5060"), endpoint("[2001:db8:c0::1]:5060")};
  int decided = 0;
  for (const std::string& m : messages) {
    ASSERT_EQ(sip::parse(m.data(), m.size(), *msg), sip::Status::kOk);
    for (const Endpoint& src : sources) {
      g_allocations = 0;
      g_counting = true;
      const Match r = (*result)->match(*msg, src, scratch);
      g_counting = false;
      EXPECT_EQ(g_allocations.load(), 0) << m;
      EXPECT_FALSE(r.error);
      decided += r.rule >= 0;
    }
  }
  EXPECT_EQ(decided, 12);  // edge.rules ends with a catch-all
  hs_set_allocator(nullptr, nullptr);
}

}  // namespace
}  // namespace sipshunt::rules::test
