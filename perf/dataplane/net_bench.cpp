// Micro-benchmarks of the data plane's own per-packet work (no DPDK): the software checksums a
// worker pays twice per forwarded datagram (verify in, compute out) on a typical INVITE size, and
// the header writes.
#include <benchmark/benchmark.h>

#include <vector>

#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/net/neighbour.hpp"
#include "sipshunt/net/route.hpp"

using namespace sipshunt::net;

static void BM_UdpChecksum(benchmark::State& state) {
  std::vector<unsigned char> udp(static_cast<std::size_t>(state.range(0)), 0x5a);
  const unsigned char src[4] = {198, 18, 0, 10}, dst[4] = {198, 18, 0, 1};
  for (auto _ : state) {
    benchmark::DoNotOptimize(udp_checksum(src, dst, udp.data(), udp.size()));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UdpChecksum)->Arg(64)->Arg(900)->Arg(1472);

static void BM_Headers(benchmark::State& state) {
  alignas(64) unsigned char frame[64] = {};
  const MacAddress a = *MacAddress::parse("02:00:00:00:00:01"), b = *MacAddress::parse("02:00:00:00:00:02");
  Ipv4Out h;
  h.src = sipshunt::IpAddress::v4(0xc6120001);
  h.dst = sipshunt::IpAddress::v4(0xc6120015);
  h.total_len = 928;
  for (auto _ : state) {
    write_ethernet(frame, a, b, kEtherTypeIpv4);
    write_ipv4(frame + 14, h);
    write_udp(frame + 34, 5060, 5060, 908);
    ++h.id;
    benchmark::DoNotOptimize(frame);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Headers);

static void BM_RouteAndNeighbour(benchmark::State& state) {
  using sipshunt::IpAddress;
  const std::vector<sipshunt::config::Network> nets = {
      {"a", 0, 0, IpAddress::v4(0xc6120001), 24, IpAddress::v4(0xc61200fe), std::nullopt},
      {"b", 1, 0, IpAddress::v4(0xc6130001), 24, std::nullopt, std::nullopt}};
  const auto built = RouteTable::build(nets, {});
  const RouteTable& routes = *built;
  NeighbourTable n(4096);
  for (std::uint32_t i = 0; i < 64; ++i) n.confirm(0, sipshunt::IpAddress::v4(0xc6120000 + i), MacAddress::from_u64(0x020000000000ull + i), 0);
  std::uint32_t d = 0;
  for (auto _ : state) {
    const auto nh = routes.lookup(sipshunt::IpAddress::v4(0xc6120000 + (d++ & 63)));
    MacAddress m;
    benchmark::DoNotOptimize(n.lookup(nh->network, nh->address, m));
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteAndNeighbour);
