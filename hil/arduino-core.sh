# Sourced by hil/build-firmware.sh and hil/build-bootloader.sh: where the Arduino AVR core is.
#   arduino_core_dir   prints $ARDUINO_AVR_CORE, else where Debian's arduino-core-avr put
#                      it, else the usual /usr/share path (the caller checks what it needs).
arduino_core_dir() {
  local core="${ARDUINO_AVR_CORE:-}"
  if [ -z "$core" ] && command -v dpkg >/dev/null 2>&1; then
    core="$(dpkg -L arduino-core-avr 2>/dev/null | grep -m1 '/hardware/arduino/avr$' || true)"
  fi
  [ -n "$core" ] || core=/usr/share/arduino/hardware/arduino/avr
  printf '%s\n' "$core"
}
