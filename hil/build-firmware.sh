#!/usr/bin/env bash
# Compiles reference firmware for an Arduino Uno (ATmega328P, 16 MHz) the way the Arduino
# IDE does, against Debian's packaged Arduino AVR core, for the emulated board in
# hil/harness.c — or for flashing.
#
#   bash hil/build-firmware.sh <device-id> [--fake] [-D NAME=VALUE]...
#
#   <device-id>     builds devices/<id>/<id>.ino
#   --fake          -DFAKE_SENSORS=1 on the sketch: its fixed-seed fake sensor mode
#   -D NAME=VALUE   a define for the sketch and the core (like the IDE's build.extra_flags,
#                   e.g. -D SERIAL_RX_BUFFER_SIZE=128)
#
# Output: hil/build/<id>[-fake].elf (with -D: hil/build/<id>[-fake]-<hash of the defines>.elf),
# then avr-size's report; the last line on stdout is the ELF's path.
#
# - The IDE's flags (platform.txt of the core): -Os, LTO, function/data sections,
#   --gc-sections. Plus -DDECIMAL_DIG=__DECIMAL_DIG__: Debian's avr-libc and gcc-avr
#   disagree about DECIMAL_DIG, which otherwise breaks the core's WString.cpp.
# - The sketch is compiled as C++ with Arduino.h included first (as the IDE does) but
#   without generated prototypes, so functions must be declared before use, and with
#   -Wall -Wextra -Werror: a warning in a sketch fails the build. The core is the core,
#   compiled with -w like the IDE does, and its headers are system headers for the sketch.
# - The core is compiled once per set of flags into hil/build/core/<key>/core.a; the key
#   hashes the flags, the compiler version and the core's sources.
# - Reproducible: the same sources and flags give a byte-identical ELF (fixed paths for
#   intermediate files, debug paths mapped, deterministic archives, sorted inputs).
# - Concurrent runs are serialised with flock(1), so parallel tests can call it.
set -euo pipefail
export LC_ALL=C
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="$repo/hil/build"

die() {
  echo "hil/build-firmware.sh: $*" >&2
  exit 1
}
missing() {
  echo "hil/build-firmware.sh: $1" >&2
  echo "install with:  sudo apt-get install -y --no-install-recommends $2" >&2
  exit 1
}
usage() { die "usage: build-firmware.sh <device-id> [--fake] [-D NAME=VALUE]..."; }

# ---------------------------------------------------------------- arguments
id=""
fake=0
defines=()
while [ $# -gt 0 ]; do
  case "$1" in
    --fake) fake=1 ;;
    -D) [ $# -ge 2 ] || usage; defines+=("$2"); shift ;;
    -D*) defines+=("${1#-D}") ;;
    -*) usage ;;
    *) [ -z "$id" ] || usage; id="$1" ;;
  esac
  shift
done
[ -n "$id" ] || usage
[[ "$id" =~ ^[a-z0-9][a-z0-9_-]*$ ]] || die "not a device id: $id"
sketch="$repo/devices/$id/$id.ino"
[ -f "$sketch" ] || die "no reference firmware: devices/$id/$id.ino"
for d in "${defines[@]+"${defines[@]}"}"; do
  [[ "$d" =~ ^[A-Za-z_][A-Za-z0-9_]*(=.*)?$ ]] || die "not a define (NAME=VALUE): $d"
done

# ---------------------------------------------------------------- tools
for tool in avr-gcc avr-g++ avr-gcc-ar avr-size; do
  command -v "$tool" >/dev/null 2>&1 || missing "$tool not found (the AVR toolchain)" "gcc-avr avr-libc"
done
echo '#include <avr/io.h>' | avr-gcc -mmcu=atmega328p -E -o /dev/null - 2>/dev/null ||
  missing "avr-libc's headers not found (avr/io.h)" "avr-libc"
command -v flock >/dev/null 2>&1 || missing "flock not found" "util-linux"

# The Arduino AVR core: $ARDUINO_AVR_CORE, else where Debian's package put it.
# shellcheck source=hil/arduino-core.sh
. "$repo/hil/arduino-core.sh"
core="$(arduino_core_dir)"
[ -f "$core/cores/arduino/Arduino.h" ] && [ -f "$core/variants/standard/pins_arduino.h" ] ||
  missing "the Arduino AVR core was not found (looked in $core)" "arduino-core-avr"

# ---------------------------------------------------------------- flags (platform.txt)
mcu=(-mmcu=atmega328p)
board=(-DF_CPU=16000000L -DARDUINO=10819 -DARDUINO_AVR_UNO -DARDUINO_ARCH_AVR -DDECIMAL_DIG=__DECIMAL_DIG__)
for d in "${defines[@]+"${defines[@]}"}"; do board+=("-D$d"); done
# Debug info names source paths: map them to fixed names so the ELF does not depend on
# where the repository or the core live.
paths=("-fdebug-prefix-map=$core=/arduino-avr-core" "-fdebug-prefix-map=$repo=/tty2mqtt")
c_flags=(-c -g -Os -std=gnu11 -ffunction-sections -fdata-sections -flto -fno-fat-lto-objects)
cpp_flags=(-c -g -Os -std=gnu++11 -fpermissive -fno-exceptions -ffunction-sections -fdata-sections
  -fno-threadsafe-statics -Wno-error=narrowing -flto)
s_flags=(-c -g -x assembler-with-cpp -flto)
ld_flags=(-Os -g -flto -fuse-linker-plugin -Wl,--gc-sections)
core_inc=("$core/cores/arduino" "$core/variants/standard")

mkdir -p "$build"
exec 9>"$build/.lock"
flock 9 # one build at a time: the core cache and intermediate paths are shared

# ---------------------------------------------------------------- core, cached
mapfile -t core_sources < <(find "$core/cores/arduino" -maxdepth 1 -type f \
  \( -name '*.c' -o -name '*.cpp' -o -name '*.S' \) | sort)
key="$(
  {
    printf '%s\n' "${mcu[@]}" "${board[@]}" "${paths[@]}" "${c_flags[@]}" "${cpp_flags[@]}" "${s_flags[@]}"
    avr-gcc --version | head -n1
    cat "${core_sources[@]}" "$core"/cores/arduino/*.h "$core/variants/standard/pins_arduino.h"
  } | sha256sum | cut -c1-16
)"
core_dir="$build/core/$key"
if [ ! -f "$core_dir/core.a" ]; then
  echo "building the Arduino core ($core) into hil/build/core/$key" >&2
  rm -rf "$core_dir"
  mkdir -p "$core_dir/obj"
  objects=()
  for src in "${core_sources[@]}"; do
    obj="$core_dir/obj/$(basename "$src").o"
    inc=("${core_inc[@]/#/-I}")
    case "$src" in
      *.c) avr-gcc "${c_flags[@]}" -w "${mcu[@]}" "${board[@]}" "${paths[@]}" "${inc[@]}" "$src" -o "$obj" ;;
      *.cpp) avr-g++ "${cpp_flags[@]}" -w "${mcu[@]}" "${board[@]}" "${paths[@]}" "${inc[@]}" "$src" -o "$obj" ;;
      *.S) avr-gcc "${s_flags[@]}" "${mcu[@]}" "${board[@]}" "${paths[@]}" "${inc[@]}" "$src" -o "$obj" ;;
    esac
    objects+=("$obj")
  done
  avr-gcc-ar rcsD "$core_dir/core.a.tmp" "${objects[@]}"
  mv -f "$core_dir/core.a.tmp" "$core_dir/core.a"
fi

# ---------------------------------------------------------------- sketch and link
name="$id"
[ "$fake" = 0 ] || name="$name-fake"
if [ "${#defines[@]}" -gt 0 ]; then
  name="$name-$(printf '%s\n' "${defines[@]}" | sort | sha256sum | cut -c1-8)"
fi
sketch_defines=()
[ "$fake" = 0 ] || sketch_defines+=(-DFAKE_SENSORS=1)
obj_dir="$build/obj/$name" # fixed, so the link (and its debug info) is the same every time
rm -rf "$obj_dir"
mkdir -p "$obj_dir"
echo "compiling devices/$id/$id.ino${sketch_defines[*]:+ (${sketch_defines[*]})}" >&2
avr-g++ "${cpp_flags[@]}" -Wall -Wextra -Werror "${mcu[@]}" "${board[@]}" \
  "${sketch_defines[@]+"${sketch_defines[@]}"}" "${paths[@]}" "${core_inc[@]/#/-I}" \
  -x c++ -include Arduino.h "$sketch" -o "$obj_dir/sketch.o" ||
  die "devices/$id/$id.ino did not compile (warnings count as errors)"
(
  cd "$obj_dir" # the link step records its working directory in the debug info
  avr-gcc -w -save-temps "${ld_flags[@]}" "${mcu[@]}" "${paths[@]}" "-fdebug-prefix-map=$obj_dir=/obj" \
    -o "$obj_dir/$name.elf" sketch.o "$core_dir/core.a" -lm
)
mv -f "$obj_dir/$name.elf" "$build/$name.elf"

avr-size "$build/$name.elf"
avr-size -C --mcu=atmega328p "$build/$name.elf" 2>/dev/null | grep -E '^(Program|Data):' || true
echo "$build/$name.elf"
