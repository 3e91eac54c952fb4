#!/usr/bin/env bash
# The README's test command (`npm test`). Self-sufficient on a fresh machine: the
# integration tests need real Mosquitto and socat, so when they are missing this installs
# them where it can (root with apt-get) and otherwise stops with the exact command to run.
# It never skips those tests.
#   npm test            every test
#   npm test -- unit    unit tests only (no system tools needed)
set -euo pipefail
cd "$(dirname "$0")/.."

scope="${1:-all}"
need=()
if [ "$scope" != unit ]; then
  for tool in mosquitto:mosquitto mosquitto_sub:mosquitto-clients mosquitto_pub:mosquitto-clients socat:socat; do
    bin="${tool%%:*}" pkg="${tool##*:}"
    if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ]; then need+=("$pkg"); fi
  done
fi
if [ "${#need[@]}" -gt 0 ]; then
  mapfile -t pkgs < <(printf '%s\n' "${need[@]}" | sort -u)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test/run.sh: installing ${pkgs[*]} (needed by the integration tests)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  else
    echo "test/run.sh: the integration tests need: ${pkgs[*]}" >&2
    echo "install them with:  sudo apt-get install -y --no-install-recommends ${pkgs[*]}" >&2
    exit 1
  fi
fi

case "$scope" in
  unit) dirs=(test/unit) ;;
  integration) dirs=(test/integration) ;;
  *) dirs=(test/unit test/integration) ;;
esac
mapfile -t files < <(find "${dirs[@]}" -name '*.test.ts' 2>/dev/null | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "test/run.sh: no test files found in ${dirs[*]}" >&2
  exit 1
fi
# Node 20's --test does not expand globs, hence the explicit list (ARCHITECTURE.md).
exec node --import tsx --test --test-timeout=180000 --test-concurrency=2 "${files[@]}"
