// What HEP mirroring costs a worker per message (src/mirror/README.md): the sampling decision and
// the copy of a datagram into its Tap, with the control side draining it between batches (not
// timed), for an 899-octet INVITE and a 400-octet response.
#include <benchmark/benchmark.h>

#include <string>

#include "sipshunt/balance/maglev.hpp"
#include "sipshunt/mirror/tap.hpp"

namespace {

using sipshunt::Endpoint;
using sipshunt::IpAddress;
using sipshunt::mirror::Direction;
using sipshunt::mirror::Tap;

const Endpoint kClient{IpAddress::v4(0xc612000a), 5060};
const Endpoint kSelf{IpAddress::v4(0xc6120001), 5060};

void BM_TapPush(benchmark::State& state) {
  Tap tap(1024, 1.0);
  const std::string message(static_cast<std::size_t>(state.range(0)), 'x');
  std::size_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tap.push(Direction::kIn, kClient, kSelf, n, message.data(), message.size()));
    if (++n % 512 == 0) {
      state.PauseTiming();
      while (tap.peek() != nullptr) tap.pop();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TapPush)->Arg(400)->Arg(899);

// sample < 1: the Call-ID hash decides (the balancer's XXH3 over a typical Call-ID).
void BM_TapSampleDecision(benchmark::State& state) {
  Tap tap(2, 0.1);
  const std::string call_id = "a84b4c76e66710@pc33.atlanta.example.com";
  for (auto _ : state) benchmark::DoNotOptimize(tap.wants(sipshunt::balance::call_id_hash(call_id)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TapSampleDecision);

}  // namespace
