// Maglev table build (control plane) and lookup cost (hot path), with realistic Call-IDs.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sipshunt/balance/maglev.hpp"

namespace {

using sipshunt::balance::call_id_hash;
using sipshunt::balance::kDefaultTableSize;
using sipshunt::balance::MaglevTable;
using sipshunt::balance::WeightedBackend;

struct Backends {
  std::vector<std::string> ids;
  std::vector<WeightedBackend> list;
  explicit Backends(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) ids.push_back("backend-" + std::to_string(i));
    for (const auto& id : ids) list.push_back(WeightedBackend{id, 1, true});
  }
};

// Call-IDs as phones and sipp send them: a UUID-like local part at a host, a sipp counter, or a
// long random token; 4096 distinct values so the table is hit all over.
std::vector<std::string> call_ids() {
  std::mt19937_64 rng(42);
  std::vector<std::string> out;
  char buf[96];
  for (int i = 0; i < 4096; ++i) {
    const std::uint64_t a = rng(), b = rng();
    switch (i % 3) {
      case 0:
        std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx@198.18.0.2", static_cast<unsigned>(a),
                      static_cast<unsigned>(a >> 32) & 0xffff, static_cast<unsigned>(a >> 48),
                      static_cast<unsigned>(b) & 0xffff, static_cast<unsigned long long>(b >> 16));
        break;
      case 1:
        std::snprintf(buf, sizeof buf, "%d-%u@198.18.0.2", i + 1, static_cast<unsigned>(a % 30000) + 1000);
        break;
      default:
        std::snprintf(buf, sizeof buf, "%016llx%08x@pc33.atlanta.example.com", static_cast<unsigned long long>(a),
                      static_cast<unsigned>(b));
        break;
    }
    out.emplace_back(buf);
  }
  return out;
}

void BM_Build(benchmark::State& state) {
  const Backends b(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    MaglevTable t = MaglevTable::build(b.list, kDefaultTableSize);
    benchmark::DoNotOptimize(t.entries().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kDefaultTableSize);  // slots/s
}
BENCHMARK(BM_Build)->Arg(3)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

// Same, with one backend down: the fallback layer re-homes its slots.
void BM_BuildOneDown(benchmark::State& state) {
  Backends b(static_cast<std::size_t>(state.range(0)));
  b.list[0].up = false;
  for (auto _ : state) {
    MaglevTable t = MaglevTable::build(b.list, kDefaultTableSize);
    benchmark::DoNotOptimize(t.entries().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kDefaultTableSize);
}
BENCHMARK(BM_BuildOneDown)->Arg(3)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

// A large outage: every other backend down, half the slots re-homed over the other half.
void BM_BuildHalfDown(benchmark::State& state) {
  Backends b(static_cast<std::size_t>(state.range(0)));
  for (std::size_t i = 0; i < b.list.size(); i += 2) b.list[i].up = false;
  for (auto _ : state) {
    MaglevTable t = MaglevTable::build(b.list, kDefaultTableSize);
    benchmark::DoNotOptimize(t.entries().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kDefaultTableSize);
}
BENCHMARK(BM_BuildHalfDown)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_CallIdHash(benchmark::State& state) {
  const auto ids = call_ids();
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& id = ids[i++ & (ids.size() - 1)];
    bytes += id.size();
    benchmark::DoNotOptimize(call_id_hash(id));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_CallIdHash);

// The hot-path cost the issue targets (<= 10 ns): hash a Call-ID, then look it up.
void BM_HashAndLookup(benchmark::State& state) {
  const Backends b(static_cast<std::size_t>(state.range(0)));
  const MaglevTable t = MaglevTable::build(b.list, kDefaultTableSize);
  const auto ids = call_ids();
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(t.lookup(call_id_hash(ids[i++ & (ids.size() - 1)])));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_HashAndLookup)->Arg(3)->Arg(100)->Arg(1000);

// Latency rather than throughput: each Call-ID depends on the previous result, so the CPU cannot
// overlap consecutive hash + lookup pairs (a worker handling one message at a time). The Call-ID
// sits in L1 as it would right after parsing; one character and a counter change every time, so
// every lookup lands on a different slot of the table.
void BM_HashAndLookupLatency(benchmark::State& state) {
  const Backends b(static_cast<std::size_t>(state.range(0)));
  const MaglevTable t = MaglevTable::build(b.list, kDefaultTableSize);
  char id[] = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6@198.18.0.2";
  std::uint32_t n = 0;
  for (auto _ : state) {
    const std::int32_t r = t.lookup(call_id_hash(std::string_view(id, sizeof id - 1)));
    ++n;
    id[0] = static_cast<char>('a' + ((static_cast<std::uint32_t>(r) + n) & 15));
    id[1] = static_cast<char>('a' + ((n >> 4) & 15));
    id[2] = static_cast<char>('a' + ((n >> 8) & 15));
  }
  benchmark::DoNotOptimize(id);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_HashAndLookupLatency)->Arg(3)->Arg(1000);

void BM_Lookup(benchmark::State& state) {
  const Backends b(static_cast<std::size_t>(state.range(0)));
  const MaglevTable t = MaglevTable::build(b.list, kDefaultTableSize);
  std::vector<std::uint64_t> hashes;
  for (const auto& id : call_ids()) hashes.push_back(call_id_hash(id));
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(t.lookup(hashes[i++ & (hashes.size() - 1)]));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Lookup)->Arg(3)->Arg(100)->Arg(1000);

}  // namespace
