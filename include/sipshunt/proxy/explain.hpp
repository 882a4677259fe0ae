// What `sipshunt explain` prints for one datagram: a JSON object on one line.
// Shared by the command and the tests, so the RFC 4475 disposition test runs the same code.
// Control plane: allocates.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::proxy {

// A JSON string literal (with its quotes) for arbitrary bytes: ", \ and control characters are
// escaped (\r \n \t \b \f short forms, others \u00XX); valid UTF-8 passes through unchanged; each
// octet that is not part of valid UTF-8 is written as \u00XX (so it reads back as U+00XX).
[[nodiscard]] std::string json_string(std::string_view bytes);

// {"kind":..,"verdict":..,"status":..,"reason":..,"rule":..,"pool":..,"backend":..,"next_hop":..,"output":..}
// `output` is the `out` buffer process() wrote (its first result.length octets are used).
// A probe reply is not forwarded: its verdict prints as "drop" (reason "probe-reply").
// With several networks, before "output": "arrival" (the network name of `arrival`), "network"
// (the one it leaves by), "via" (the address of the Via we added) and "record_route" (the
// addresses of our Record-Route entries, top first); a config with one network prints as before.
[[nodiscard]] std::string explain_json(const Snapshot& snapshot, const Outcome& result, const char* output,
                                       std::uint16_t arrival = 0);

// What explain does before the first datagram: load and validate the config file, compile its
// rule files, and build a snapshot in which the backends named in `down` are down and all others
// up, with `local_call_id_prefix` as `sipshunt run` would pass it (see Snapshot). The error is
// "file:line:col: message" for config and rule errors.
[[nodiscard]] sipshunt::Result<std::shared_ptr<const Snapshot>> explain_setup(const std::filesystem::path& config_file,
                                                                             const std::vector<std::string>& down,
                                                                             std::string_view local_call_id_prefix);

}  // namespace sipshunt::proxy
