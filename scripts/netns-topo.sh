#!/usr/bin/env bash
# The test topology from the command line (the integration tests and benchmarks call it):
#   scripts/netns-topo.sh up SUFFIX NBACKENDS    create (see scripts/lib/netns.sh)
#   scripts/netns-topo.sh down SUFFIX            delete the namespaces named *-SUFFIX that up made
set -euo pipefail
source "$(dirname "$0")/lib/netns.sh"
case "${1:-}" in
  up)
    [ $# -eq 3 ] || { echo "usage: $0 up SUFFIX NBACKENDS" >&2; exit 2; }
    trap 'topo_down' ERR
    topo_up "$2" "$3"
    ;;
  down)
    [ $# -eq 2 ] || { echo "usage: $0 down SUFFIX" >&2; exit 2; }
    for ns in $(ip netns list | awk '{print $1}'); do
      case "$ns" in
        sw-"$2" | cli-"$2" | px-"$2" | be[0-9]-"$2" | be[0-9][0-9]-"$2") ip netns del "$ns" 2>/dev/null || true ;;
      esac
    done
    ;;
  *) echo "usage: $0 up SUFFIX NBACKENDS | down SUFFIX" >&2; exit 2 ;;
esac
