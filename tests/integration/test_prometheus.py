#!/usr/bin/env python3
"""The shipped monitoring (scripts/monitoring/) against a real Prometheus (Debian's `prometheus`)
scraping a running sipshunt every second while calls flow: every expression of every panel of
the Grafana dashboard returns data, and every alerting rule evaluates without error (none of
the failure alerts fires on this healthy instance)."""
import json
import os
import shutil
import sys
import time
import urllib.parse

from harness import ROOT, SKIP, check, main
from health_lib import ADMIN_PORT, Admin, HealthEnv, wait_until

MONITORING = os.path.join(ROOT, "scripts", "monitoring")
PROM_PORT = 19090
CALLS, RATE = 1500, 150  # 9000 SIP datagrams: ~9 timed by the 1-in-1024 processing histogram


def dashboard_queries():
    with open(os.path.join(MONITORING, "sipshunt-dashboard.json")) as f:
        d = json.load(f)
    return [(p["title"], t["expr"]) for p in d["panels"] for t in p["targets"]]


def test(sipshunt):
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        print("SKIP: prometheus not installed (Debian package prometheus)")
        sys.exit(SKIP)
    with HealthEnv(sipshunt, "prom") as env:
        env.start_backends()
        admin = env.start_proxy_until_up()
        with open(env.path("prometheus.yml"), "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {os.path.join(MONITORING, "sipshunt-alerts.yml")}
scrape_configs:
  - job_name: sipshunt
    static_configs:
      - targets: ["127.0.0.1:{ADMIN_PORT}"]
""")
        env.popen(env.ns("proxy"), [prometheus, f"--config.file={env.path('prometheus.yml')}",
                                    f"--storage.tsdb.path={env.path('tsdb')}",
                                    f"--web.listen-address=127.0.0.1:{PROM_PORT}", "--log.level=warn"], "prometheus.log")
        prom = Admin(env.ns("proxy"), port=PROM_PORT)

        def query(expr):
            status, body, _ = prom.request("GET", "/api/v1/query?query=" + urllib.parse.quote(expr), timeout=10)
            if status != 200:
                return None, body
            return json.loads(body)["data"]["result"], body

        def scraped():
            r, _ = query('up{job="sipshunt"} == 1')
            return bool(r)
        check(wait_until(scraped, 60, interval=0.5) is not None, "Prometheus scrapes sipshunt (up == 1)")

        rc, created, ok, failed = env.run_caller("uac.xml", CALLS, RATE, cid="prom-%u@%s")
        check(ok == CALLS and failed == 0, f"all {CALLS} calls succeeded")
        time.sleep(3)  # a few scrapes after the last call

        empty = []
        queries = dashboard_queries()
        for title, expr in queries:
            result, body = query(expr)
            if not result:
                empty.append(f"{title}: {expr} -> {body[:200]}")
        check(not empty, f"each of the {len(queries)} dashboard expressions returns data" +
              ("" if not empty else ":\n  " + "\n  ".join(empty)))
        result, _ = query("sipshunt_network_tx_packets_total > 0")
        check(len(result) == 1, f"the port's one network counts its traffic ({result})")
        result, _ = query("histogram_quantile(0.99, sum by (le) (rate(sipshunt_sip_processing_seconds_bucket[1m])))")
        p99 = float(result[0]["value"][1])
        check(0 < p99 < 0.002, f"SIP processing p99 {p99 * 1e6:.1f} us (a number, not NaN: datagrams were timed)")

        status, body, _ = prom.request("GET", "/api/v1/rules")
        groups = json.loads(body)["data"]["groups"] if status == 200 else []
        rules = [r for g in groups for r in g["rules"]]
        bad = [f"{r['name']}: {r.get('lastError')}" for r in rules if r.get("health") != "ok"]
        check(len(rules) >= 8 and not bad, f"the {len(rules)} alerting rules evaluate ({bad or 'no error'})")
        firing = [r["name"] for r in rules if r.get("state") == "firing"]
        check(not firing, f"no alert fires on a healthy instance ({firing or 'none'})")
        prom.close()
        admin.close()
        env.stop_proxy()


if __name__ == "__main__":
    sys.exit(main(test))
