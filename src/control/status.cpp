#include "sipshunt/control/status.hpp"

#include "sipshunt/control/json.hpp"
#include "sipshunt/health/prober.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::control {

std::string render_status(const proxy::Snapshot& s, const health::Prober* prober, const ReloadMetrics& reloads) {
  JsonWriter j;
  j.begin_object();
  j.key("version").value(s.version);
  j.key("generation").value(reloads.generation);
  j.key("config").value(s.config ? s.config->path.string() : std::string());
  j.key("rules").begin_object();
  j.key("count").value(std::uint64_t{s.rule_views.size()});
  j.key("files").begin_array();
  if (s.config)
    for (const auto& f : s.config->rule_files) j.value(f.string());
  j.end_array();
  j.key("names").begin_array();
  for (const auto& r : s.rule_views) j.value(r.name);
  j.end_array();
  j.end_object();

  j.key("pools").begin_array();
  for (std::size_t p = 0; p < s.pools.size(); ++p) {
    const auto& pool = s.pools[p];
    const config::Pool* cp = s.config && p < s.config->pools.size() ? &s.config->pools[p] : nullptr;
    j.begin_object();
    j.key("name").value(pool.name);
    j.key("usable").value(std::uint64_t{pool.usable.size()});
    j.key("backends").begin_array();
    for (std::size_t k = 0; k < pool.members.size(); ++k) {
      const auto& b = s.backends[pool.members[k]];
      j.begin_object();
      j.key("name").value(b.name);
      j.key("address").value(b.endpoint.to_string());
      std::uint32_t weight = 1;
      if (cp != nullptr)
        for (const auto& cb : cp->backends)
          if (cb.name == b.name) weight = cb.weight;
      j.key("weight").value(weight);
      j.key("up").value(b.up);
      j.key("admin").value(to_string(b.admin));
      j.key("usable").value(b.usable());
      j.key("health").begin_object();
      const health::BackendHealth* h = nullptr;
      if (prober != nullptr)
        if (auto i = prober->find(b.name)) h = &prober->backends()[*i];
      j.key("checked").value(h != nullptr && h->check.enabled);
      if (h != nullptr) {
        j.key("last_status").value(std::uint64_t{h->last_status});
        j.key("rtt_ms");
        if (h->replies_alive > 0) {
          j.value(static_cast<double>(h->last_rtt_ns) / 1e6);
        } else {
          j.null();
        }
        j.key("consecutive_failures").value(h->failures);
        j.key("consecutive_successes").value(h->successes);
        j.key("probes_sent").value(h->probes_sent);
        j.key("timeouts").value(h->timeouts);
      }
      j.end_object();
      j.end_object();
    }
    j.end_array();
    j.end_object();
  }
  j.end_array();

  j.key("reloads").begin_object();
  j.key("succeeded").value(reloads.succeeded);
  j.key("failed").value(reloads.failed);
  j.key("last_error");
  if (reloads.last_error) {
    const auto& e = *reloads.last_error;
    j.begin_object();
    j.key("file").value(e.file);
    j.key("line").value(e.line);
    j.key("column").value(e.column);
    j.key("message").value(e.message);
    j.key("text").value(e.to_string());
    j.end_object();
  } else {
    j.null();
  }
  j.end_object();
  j.end_object();
  return j.take();
}

}  // namespace sipshunt::control
