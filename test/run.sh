#!/usr/bin/env bash
# The README's test command (`npm test`). Self-sufficient on a fresh machine: the
# integration tests need real Mosquitto and socat, the firmware-in-the-loop tests the AVR
# toolchain, the Arduino core and libsimavr; test/system-packages.sh installs them where it
# can (root with apt-get) and otherwise stops with the exact command to run. It never skips.
#   npm test                  every test
#   npm test -- unit          unit tests only (no system tools needed)
#   npm test -- integration   integration tests only
#   npm test -- hil           firmware in the loop only (test/hil: devices/*.ino on an emulated Uno)
set -euo pipefail
cd "$(dirname "$0")/.."

scope="${1:-all}"
# The system tools the tests need: installed when we are root, else the exact command to run.
bash test/system-packages.sh "$scope"

case "$scope" in
  unit) dirs=(test/unit) hil=0 ;;
  integration) dirs=(test/integration) hil=0 ;;
  hil) dirs=() hil=1 ;;
  *) dirs=(test/unit test/integration) hil=1 ;;
esac

# Node 20's --test does not expand globs, hence explicit lists (docs/architecture.md).
tests() {
  local list
  mapfile -t list < <(find "$@" -name '*.test.ts' 2>/dev/null | sort)
  if [ "${#list[@]}" -eq 0 ]; then
    echo "test/run.sh: no test files found in $*" >&2
    return 1
  fi
  printf '%s\n' "${list[@]}"
}
status=0
if [ "${#dirs[@]}" -gt 0 ]; then
  mapfile -t files < <(tests "${dirs[@]}")
  [ "${#files[@]}" -gt 0 ] || exit 1
  # A file's own cases carry their bounds; this one catches a file that hangs. The kill -9
  # crash file runs two cases of ~80 s each (slower on a loaded machine): 180 s was too close.
  node --import tsx --test --test-timeout=420000 --test-concurrency=2 "${files[@]}" || status=$?
fi
if [ "$hil" = 1 ]; then
  # Each emulated Uno takes 20-40% of a core and is paced to real time: the HIL files run
  # one at a time, after the rest, so their boards never compete with each other.
  bash hil/build-harness.sh >/dev/null
  mapfile -t files < <(tests test/hil)
  [ "${#files[@]}" -gt 0 ] || exit 1
  node --import tsx --test --test-timeout=180000 --test-concurrency=1 "${files[@]}" || status=$?
fi
exit "$status"
