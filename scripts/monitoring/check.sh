#!/bin/sh
# Checks the shipped alerting rules (syntax, then promtool's rule unit tests). The dashboard's
# expressions are checked against a live Prometheus by tests/integration/test_prometheus.py.
set -e
cd "$(dirname "$0")"
promtool check rules sipshunt-alerts.yml
promtool test rules sipshunt-alerts.test.yml
