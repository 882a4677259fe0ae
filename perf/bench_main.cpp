// Debian ships no benchmark_main pkg-config, so every benchmark program links this.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
