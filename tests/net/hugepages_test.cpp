// The hugepage check run before rte_eal_init: read from a fake /sys/kernel/mm/hugepages tree.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sipshunt/net/hugepages.hpp"
#include "support/temp_dir.hpp"

namespace sipshunt::net {
namespace {

using test_support::TempDir;

TEST(Hugepages, ReadsEveryPoolBySize) {
  TempDir d;
  d.write("hugepages-2048kB/nr_hugepages", "512\n");
  d.write("hugepages-2048kB/free_hugepages", "100\n");
  d.write("hugepages-1048576kB/nr_hugepages", "0\n");
  d.write("hugepages-1048576kB/free_hugepages", "0\n");
  d.write("not-a-pool/nr_hugepages", "7\n");
  const auto pools = read_hugepage_pools(d.path());
  ASSERT_EQ(pools.size(), 2u);
  EXPECT_EQ(pools[0].page_kb, 2048u);
  EXPECT_EQ(pools[0].total, 512u);
  EXPECT_EQ(pools[0].free, 100u);
  EXPECT_EQ(pools[1].page_kb, 1048576u);
  EXPECT_EQ(describe(pools), "2048 kB pages: 100 of 512 free, 1048576 kB pages: 0 of 0 free");
}

TEST(Hugepages, NoneFreeIsAnErrorThatSaysHowToGetThem) {
  TempDir d;
  d.write("hugepages-2048kB/nr_hugepages", "0\n");
  d.write("hugepages-2048kB/free_hugepages", "0\n");
  const auto pools = read_hugepage_pools(d.path());
  const std::vector<std::string> args{"sipshunt", "-l", "0-1", "--in-memory"};
  const Result<void> r = check_hugepages(args, pools);
  ASSERT_FALSE(r);
  const std::string m = r.error().to_string();
  EXPECT_NE(m.find("DPDK needs hugepages and none is free (2048 kB pages: 0 of 0 free)"), std::string::npos) << m;
  EXPECT_NE(m.find("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"), std::string::npos) << m;
  EXPECT_NE(m.find("--no-huge"), std::string::npos) << m;
}

TEST(Hugepages, NoHugeOrAFreePageIsEnough) {
  const std::vector<HugepagePool> none{{2048, 0, 0}};
  const std::vector<std::string> no_huge{"sipshunt", "--no-huge", "-m", "256"};
  EXPECT_TRUE(check_hugepages(no_huge, none));
  const std::vector<HugepagePool> one_free{{2048, 4, 0}, {1048576, 1, 1}};
  const std::vector<std::string> args{"sipshunt"};
  EXPECT_TRUE(check_hugepages(args, one_free));
  // A kernel without hugetlb support has no pools at all.
  const Result<void> r = check_hugepages(args, std::vector<HugepagePool>{});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().to_string().find("no hugepage pools"), std::string::npos);
}

}  // namespace
}  // namespace sipshunt::net
