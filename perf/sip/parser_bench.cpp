// Parser throughput on realistic messages: one full parse per iteration (every header indexed,
// Via/CSeq/Call-ID/Max-Forwards/Route/Record-Route/From/To/Content-Length decoded).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "messages.hpp"
#include "sipshunt/sip/message.hpp"

namespace {

using sipshunt::sip::Message;
using sipshunt::sip::Status;

void parse_message(benchmark::State& state, std::string_view text) {
  // The datagram sits in its own buffer, as it would in an mbuf.
  alignas(64) static char buf[2048];
  std::memcpy(buf, text.data(), text.size());
  static Message msg;
  if (sipshunt::sip::parse(buf, text.size(), msg) != Status::kOk) {
    state.SkipWithError("message does not parse");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(buf);
    const Status s = sipshunt::sip::parse(buf, text.size(), msg);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(msg.decoded_vias);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["bytes"] = static_cast<double>(text.size());
}

}  // namespace

BENCHMARK_CAPTURE(parse_message, invite_sdp, sipshunt::sip::bench::kInvite);
BENCHMARK_CAPTURE(parse_message, invite_softphone, sipshunt::sip::bench::kInviteSoftphone);
BENCHMARK_CAPTURE(parse_message, ok200_record_route, sipshunt::sip::bench::kOk200);
BENCHMARK_CAPTURE(parse_message, register, sipshunt::sip::bench::kRegister);
BENCHMARK_CAPTURE(parse_message, ack, sipshunt::sip::bench::kAck);
BENCHMARK_CAPTURE(parse_message, bye, sipshunt::sip::bench::kBye);
BENCHMARK_CAPTURE(parse_message, invite_softphone_ipv6, sipshunt::sip::bench::kInviteSoftphoneIpv6);
BENCHMARK_CAPTURE(parse_message, bye_ipv6, sipshunt::sip::bench::kByeIpv6);
