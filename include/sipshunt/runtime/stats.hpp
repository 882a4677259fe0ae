// Control plane. The counters of a running Runtime as one JSON object: the `--stats-file` of
// `sipshunt run`, read by the demo and the integration tests (and the model for /metrics).
#pragma once

#include <string>

namespace sipshunt::runtime {

class Runtime;

// {"uptime_s", "ports": [...], "dataplane": {..., "drops": {...}}, "sip": {"reasons", "replies",
//  "backends", "rules"}, "workers": [...], "neighbours": [...]}. Zero-valued entries of the
// sparse maps (replies by status, backends, rules, reasons) are included only for names the
// current snapshot knows, so a test can rely on every backend and rule being present.
[[nodiscard]] std::string stats_json(const Runtime& runtime);

// Writes `text` to `path` atomically (temporary file + rename). False on error.
bool write_file_atomic(const std::string& path, const std::string& text);

}  // namespace sipshunt::runtime
