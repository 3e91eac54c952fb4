#!/usr/bin/env bash
# The one list of system packages the tests need, by scope, used by `npm test` (test/run.sh)
# and by CI (.ci/run). Tests never skip: a missing tool is installed here when we are root
# with apt-get, and otherwise the run stops with the exact command to type.
#   bash test/system-packages.sh [unit|integration|hil|all]
#     prints nothing and exits 0 when everything is there (after installing it if it can).
set -euo pipefail

scope="${1:-all}"
need=()

# A binary on PATH (or in /usr/sbin, where Debian puts mosquitto) or a file, else a package.
want_bin() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || need+=("$2"); }
want_file() { [ -f "$1" ] || need+=("$2"); }

if [ "$scope" != unit ]; then
  # Integration and HIL: a real broker and clients independent of ours, socat pty pairs.
  want_bin mosquitto mosquitto
  want_bin mosquitto_sub mosquitto-clients
  want_bin mosquitto_pub mosquitto-clients
  want_bin socat socat
  # avrdude: one of the two firmware programmers, run against the optiboot model
  # (test/integration/firmware-programmers.test.ts).
  want_bin avrdude avrdude
  # Production operation: a test CA for the TLS tests, systemd-analyze for the unit file,
  # headless Chromium for the status page, python3 for the sd_notify receiver.
  want_bin openssl openssl
  want_bin systemd-analyze systemd
  want_bin chromium chromium
  want_bin python3 python3
  # Prometheus's promtool lints /metrics (test/integration/http-status.test.ts).
  want_bin promtool prometheus
  # The unit's system-call filter applied to the real daemon (test/helpers/seccomp-exec.c).
  want_file /usr/include/seccomp.h libseccomp-dev
  want_bin cc gcc
  want_file /usr/include/stdio.h libc6-dev
fi
if [ "$scope" != unit ] && [ "$scope" != integration ]; then
  # Firmware in the loop (test/hil): avr-gcc, avr-libc, the Arduino AVR core (with optiboot's
  # source), libsimavr (linked statically, hence libelf), a C compiler for hil/harness.c, and
  # avrdude to flash the emulated Uno through its bootloader.
  want_bin avr-gcc gcc-avr
  want_bin avrdude avrdude
  want_file /usr/lib/avr/include/avr/io.h avr-libc
  want_file /usr/share/arduino/hardware/arduino/avr/cores/arduino/Arduino.h arduino-core-avr
  want_file /usr/include/simavr/sim_avr.h libsimavr-dev
  want_file /usr/include/libelf.h libelf-dev
  want_bin cc gcc
  want_file /usr/include/pty.h libc6-dev
fi

[ "${#need[@]}" -eq 0 ] && exit 0
mapfile -t pkgs < <(printf '%s\n' "${need[@]}" | sort -u)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test/system-packages.sh: installing ${pkgs[*]} (needed by the $scope tests)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
else
  echo "test/system-packages.sh: the $scope tests need: ${pkgs[*]}" >&2
  echo "install them with:  sudo apt-get install -y --no-install-recommends ${pkgs[*]}" >&2
  exit 1
fi
