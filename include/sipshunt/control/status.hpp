// Control plane. The body of GET /status: pools, backends with their health and admin states,
// the rule set and the reload history, as one JSON object built from the published snapshot.
#pragma once

#include <string>

#include "sipshunt/control/metrics.hpp"

namespace sipshunt::control {

// `prober` may be null (no health checks). Shape:
// {"version":N, "generation":G, "config":"path", "rules":{"count":R,"files":[..]},
//  "pools":[{"name":..,"usable":U,"backends":[{"name":..,"address":"ip:port","weight":W,
//            "up":true,"admin":"enabled","usable":true,
//            "health":{"checked":true,"last_status":200,"rtt_ms":0.4,"consecutive_failures":0,
//                      "consecutive_successes":5,"probes_sent":9,"timeouts":0}}]}],
//  "reloads":{"succeeded":S,"failed":F,"last_error":null|{"file","line","column","message","text"}}}
[[nodiscard]] std::string render_status(const proxy::Snapshot& snapshot, const health::Prober* prober,
                                        const ReloadMetrics& reloads);

}  // namespace sipshunt::control
