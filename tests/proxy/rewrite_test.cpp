// The rewrite engine (src/proxy/rewrite.hpp): edits applied in position order whatever order they
// were added in, equal positions in insertion order, and every edit it cannot apply (overlapping
// another, past the end, one too many) refused as a whole, since its checks are made once while
// adding and the copy itself is unchecked.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "rewrite.hpp"

namespace sipshunt::proxy::test {
namespace {

using detail::Edits;
using detail::kMaxEdits;

// `in` with `edits` applied into a buffer of `cap` octets; "<refused>" when apply() refuses.
// Neither inlined nor specialised: GCC's -O3 bounds warnings would read its copies' sizes from
// the tests' constants.
[[gnu::noipa]] std::string rewritten(const Edits& edits, std::string_view in, std::size_t cap = 256) {
  std::string out(cap, '\0');
  std::size_t length = 0;
  if (!edits.apply(in.data(), in.size(), out.data(), out.size(), length)) return "<refused>";
  out.resize(length);
  return out;
}

constexpr std::string_view kIn = "0123456789abcdef";

TEST(Edits, AppliedInPositionOrderWhateverTheOrderAdded) {
  Edits::Slots in_order_slots;
  Edits in_order(in_order_slots);
  in_order.add(2, 1, "X");
  in_order.add(5, 0, "Y", "Z");
  in_order.add(9, 3);
  in_order.add(16, 0, "!");
  EXPECT_EQ(rewritten(in_order, kIn), "01X34YZ5678cdef!");
  Edits::Slots reversed_slots;
  Edits reversed(reversed_slots);
  reversed.add(16, 0, "!");
  reversed.add(9, 3);
  reversed.add(5, 0, "Y", "Z");
  reversed.add(2, 1, "X");
  EXPECT_EQ(rewritten(reversed, kIn), "01X34YZ5678cdef!");
  Edits::Slots middle_slots;
  Edits middle(middle_slots);  // one placed between two
  middle.add(2, 1, "X");
  middle.add(9, 3);
  middle.add(5, 0, "Y", "Z");
  EXPECT_EQ(rewritten(middle, kIn), "01X34YZ5678cdef");
}

TEST(Edits, EqualPositionsKeepTheirInsertionOrder) {
  Edits::Slots e_slots;
  Edits e(e_slots);
  e.add(4, 0, "a");
  e.add(4, 0, "b", "c");
  e.add(4, 2, "d");  // the last at a position may delete
  e.add(1, 0, "<");  // added before them all, placed before them
  e.add(4, 0, "e", "f", "g");  // after an edit that deletes at the same position: overlaps it
  EXPECT_EQ(rewritten(e, kIn), "<refused>");
  Edits::Slots ok_slots;
  Edits ok(ok_slots);
  ok.add(4, 0, "a");
  ok.add(4, 0, "b", "c");
  ok.add(4, 2, "d");
  ok.add(1, 0, "<");
  EXPECT_EQ(rewritten(ok, kIn), "0<123abcd6789abcdef");
}

TEST(Edits, OverlappingEditsAreRefused) {
  const auto refused = [](std::initializer_list<std::pair<std::size_t, std::size_t>> edits) {
    Edits::Slots e_slots;
    Edits e(e_slots);
    for (const auto& [pos, del] : edits) e.add(pos, del, "x");
    return rewritten(e, kIn) == "<refused>";
  };
  EXPECT_FALSE(refused({{2, 3}, {5, 1}}));  // touching: fine
  EXPECT_TRUE(refused({{2, 3}, {4, 0}}));   // inside the one before, added in order
  EXPECT_TRUE(refused({{6, 2}, {2, 5}}));   // reaching into the one after, added out of order
  EXPECT_TRUE(refused({{1, 1}, {9, 1}, {5, 5}}));  // placed between two, reaching into the next
  EXPECT_TRUE(refused({{1, 1}, {9, 1}, {0, 3}}));  // placed first, reaching into the next
  EXPECT_TRUE(refused({{2, 4}, {9, 1}, {4, 1}}));  // placed between two, inside the one before
  EXPECT_FALSE(refused({{2, 4}, {9, 1}, {6, 3}}));  // placed between two, touching both
}

TEST(Edits, EditsPastTheEndAndOneTooManyAreRefused) {
  Edits::Slots past_slots;
  Edits past(past_slots);
  past.add(14, 3, "x");
  EXPECT_EQ(rewritten(past, kIn), "<refused>");
  Edits::Slots at_end_slots;
  Edits at_end(at_end_slots);
  at_end.add(14, 2, "x");
  EXPECT_EQ(rewritten(at_end, kIn), "0123456789abcdx");
  Edits::Slots full_slots;
  Edits full(full_slots);
  for (std::size_t i = 0; i < kMaxEdits; ++i) full.add(i, 0, "-");
  EXPECT_EQ(rewritten(full, kIn), "-0-1-2-3-4-5-6-7-8-9-a-bcdef");
  full.add(kMaxEdits, 0, "-");
  EXPECT_TRUE(full.full());
  EXPECT_EQ(rewritten(full, kIn), "<refused>");
}

// add_insertion joins the last edit when that one inserts at the same position without deleting
// and has room for another piece (our Via and Record-Route lines before the first Via), else it
// adds an edit: the output is the same as with one edit per insertion, its size counted either way.
TEST(Edits, InsertionsJoinTheLastEditAtTheirPositionWhileItHasRoom) {
  Edits::Slots e_slots;
  Edits e(e_slots);
  e.add(4, 0, "a", "b", "c");
  e.add_insertion(4, "d");  // the fourth piece
  e.add_insertion(4, "e");  // no room: an edit of its own, right after
  e.add_insertion(9, "f");  // another position
  const std::string whole = "0123abcde45678f9abcdef";
  EXPECT_EQ(rewritten(e, kIn, whole.size()), whole);
  EXPECT_EQ(rewritten(e, kIn, whole.size() - 1), "<refused>");
  Edits::Slots deleting_slots;
  Edits deleting(deleting_slots);  // an insertion at a deleting edit's position is an edit of its own, inside it
  deleting.add(3, 2, "x");
  deleting.add_insertion(3, "y");
  EXPECT_EQ(rewritten(deleting, kIn), "<refused>");
}

// The output's size is the input's less the octets deleted plus those inserted, checked once:
// exactly that capacity is enough, one octet less is refused.
TEST(Edits, CapacityIsCheckedAgainstTheExactOutputSize) {
  Edits::Slots e_slots;
  Edits e(e_slots);
  e.add(3, 2, "four");
  e.add(10, 6);
  e.add(16, 0, "", "tail");  // an empty piece inserts nothing
  const std::string whole = "012four56789tail";
  EXPECT_EQ(rewritten(e, kIn, whole.size()), whole);
  EXPECT_EQ(rewritten(e, kIn, whole.size() - 1), "<refused>");
}

}  // namespace
}  // namespace sipshunt::proxy::test
