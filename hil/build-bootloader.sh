#!/usr/bin/env bash
# Builds the Arduino Uno's bootloader, optiboot for the ATmega328P at 16 MHz and 115200 baud,
# from the source Debian's arduino-core-avr ships (bootloaders/optiboot/optiboot.c), for the
# emulated Uno of hil/harness.c (`--bootloader`).
#
#   bash hil/build-bootloader.sh
#
# Output: hil/build/bootloader/<key>/optiboot_atmega328.hex (and .elf), then the size of its
# code; the last line on stdout is the HEX file's path.
#
# Why not the package's own optiboot_atmega328.hex: it is damaged (docs/decisions/0025). The
# package rebuilt it with its Makefile's flags (LED_START_FLASHES=3) and Debian's avr-gcc
# 5.4, which makes 532 bytes of code for a 512-byte boot section: the code runs to 0x8013,
# past the end of the 32 KiB flash, and the version word at 0x7FFE lands on an instruction
# of watchdogConfig(). The flags here are the Makefile's `atmega328` target with the LED
# flashes off (they are what overflowed) and three more size options, giving 480 bytes:
# - LED_START_FLASHES=0: no blinking of D13 at start; the STK500v1 protocol is unchanged;
# - -fno-inline-small-functions -fno-caller-saves -fno-tree-scev-cprop -ffunction-sections:
#   gcc 5.4 otherwise inlines and spills its way past 512 bytes;
# - .text at 0x7E00 (BOOTSZ = 256 words) and the version word (major 4, minor 4) at 0x7FFE,
#   where avrdude and Arduino's tools look for it (Makefile: LDSECTIONS).
# The build is checked: the code must end below 0x7FFE, or the script fails.
#
# Cached by a key that hashes the flags, the compiler version and the sources; reproducible
# (no debug info, fixed paths); concurrent runs are serialised with flock(1) like
# hil/build-firmware.sh.
set -euo pipefail
export LC_ALL=C
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="$repo/hil/build"

die() {
  echo "hil/build-bootloader.sh: $*" >&2
  exit 1
}
missing() {
  echo "hil/build-bootloader.sh: $1" >&2
  echo "install with:  sudo apt-get install -y --no-install-recommends $2" >&2
  exit 1
}
[ $# -eq 0 ] || die "usage: build-bootloader.sh"

for tool in avr-gcc avr-objcopy avr-size; do
  command -v "$tool" >/dev/null 2>&1 || missing "$tool not found (the AVR toolchain)" "gcc-avr binutils-avr avr-libc"
done
command -v flock >/dev/null 2>&1 || missing "flock not found" "util-linux"
# shellcheck source=hil/arduino-core.sh
. "$repo/hil/arduino-core.sh"
src="$(arduino_core_dir)/bootloaders/optiboot"
[ -f "$src/optiboot.c" ] && [ -f "$src/boot.h" ] ||
  missing "optiboot's source was not found (looked in $src)" "arduino-core-avr"

# Boot section of an ATmega328P with BOOTSZ = 256 words (datasheet §26 Boot Loader Support).
boot_start=$((0x7E00))
version_at=$((0x7FFE))
flags=(-Os -mmcu=atmega328p -DF_CPU=16000000L -DBAUD_RATE=115200 -DLED_START_FLASHES=0
  -fno-inline-small-functions -fno-caller-saves -fno-tree-scev-cprop -ffunction-sections
  -Wl,--section-start=.text=0x7e00 -Wl,--section-start=.version=0x7ffe -Wl,--relax
  -nostartfiles -nostdlib)

mkdir -p "$build"
exec 9>"$build/.lock"
flock 9 # one build at a time (shared with hil/build-firmware.sh)

key="$(
  {
    printf '%s\n' "${flags[@]}"
    avr-gcc --version | head -n1
    cat "$src/optiboot.c" "$src/boot.h" "$src/pin_defs.h" "$src/stk500.h"
  } | sha256sum | cut -c1-16
)"
out="$build/bootloader/$key"
hex="$out/optiboot_atmega328.hex"
if [ ! -f "$hex" ]; then
  echo "building optiboot ($src) into hil/build/bootloader/$key" >&2
  rm -rf "$out"
  mkdir -p "$out"
  # -w: optiboot is third-party code, compiled as shipped (it warns that flash_led() is
  # declared but unused when LED_START_FLASHES is 0).
  avr-gcc -w "${flags[@]}" -I"$src" "$src/optiboot.c" -o "$out/optiboot_atmega328.elf"
  # The Makefile's %.hex rule: .text and the version word, nothing else.
  avr-objcopy -j .text -j .data -j .version --set-section-flags .version=alloc,load \
    -O ihex "$out/optiboot_atmega328.elf" "$out/optiboot_atmega328.hex.tmp"
  text="$(avr-size -A "$out/optiboot_atmega328.elf" | awk '$1 == ".text" { print $2 }')"
  [ -n "$text" ] || die "no .text in the optiboot build"
  if [ $((boot_start + text)) -gt "$version_at" ]; then
    rm -rf "$out"
    die "optiboot's code is $text bytes: it runs past 0x7FFD into the version word (avr-gcc $(avr-gcc -dumpversion))"
  fi
  mv -f "$out/optiboot_atmega328.hex.tmp" "$hex"
fi
text="$(avr-size -A "$out/optiboot_atmega328.elf" | awk '$1 == ".text" { print $2 }')"
printf 'optiboot: %d bytes of code at 0x7E00-0x%04X, version word at 0x7FFE\n' \
  "$text" $((boot_start + text - 1))
echo "$hex"
