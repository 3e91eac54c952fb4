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
  # crash file runs two cases of ~45 s each (~60 s on a loaded machine, ~80 s each when it
  # ran 50,000 lines): 180 s was too close then, and a larger TTY2MQTT_CRASH_LINES still fits.
  node --import tsx --test --test-timeout=420000 --test-concurrency=2 "${files[@]}" || status=$?
fi
if [ "$hil" = 1 ]; then
  # Each emulated Uno takes 20-40% of a core and is paced to real time, so the HIL files
  # run after the rest, never beside the unit and integration files that fill both cores.
  # Two at a time: each file runs one board at a time (test/helpers/hil.ts allows two per
  # file), so two files keep two to four boards, under 1.6 of the two cores; the harness
  # catches up when the host leaves it briefly behind (hil/harness.c MAX_LAG_NS), and
  # hil/build-firmware.sh serialises builds with flock. Most of a HIL case is waiting for
  # the sketch's own intervals: the phase takes ~110 s instead of ~190 s, and passed
  # this way on a 2-core machine that other test runs kept at load 4-7.
  bash hil/build-harness.sh >/dev/null
  mapfile -t files < <(tests test/hil)
  [ "${#files[@]}" -gt 0 ] || exit 1
  node --import tsx --test --test-timeout=180000 --test-concurrency=2 "${files[@]}" || status=$?
fi
exit "$status"
