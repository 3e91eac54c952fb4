// soil-csv.ino — reference firmware for devices/soil-csv/profile.yaml (tty2mqtt).
//
// A capacitive soil-moisture probe (v1.2 style, analog output) and a battery through a
// 1:1 divider. Every 60 s it prints one CSV line in the profile's column order
// (docs/contract.md §4.1, format csv, columns: [moisture, raw, battery]):
//
//   41.7,612,3.91
//
// The probe reads high when dry: calibrate DRY_RAW (probe in air) and WET_RAW (probe in
// water) for yours. A watering pump can be switched from MQTT (profile command `pump`).
//
// Wiring (Arduino Uno):
//   Soil probe   AOUT -> A0, VCC -> 5V, GND -> GND
//   Battery      + -> 100 kOhm -> A1 -> 100 kOhm -> GND (the 1:1 divider; common GND)
//   Pump         D7 -> a relay module's IN, or the gate of a logic-level MOSFET (100 Ohm in
//                series, 10 kOhm to GND) switching the pump; a flyback diode across the
//                pump. D7 HIGH = pump on. Set PUMP_ACTIVE_HIGH to 0 for relay modules that
//                switch on a LOW input.
//   USB          to the machine running tty2mqtt; 115200 baud, 8N1
//
// Boot: the sketch prints one comment line, '# soil-csv booting'. Opening the USB port
// resets an Uno, so that line is the first one the gateway reads after opening the port.
// It is never a reading: arriving at once it is discarded as a line the open may have cut
// (partial_first_line), arriving later (after the bootloader's wait) or anywhere else it is
// one value where the profile has three columns: a counted parse discard.
//
// Commands arrive on the serial input, one per line ending in '\n'; each is answered with
// one line (the profile's `reply:` patterns), which the gateway does not read as data:
//   PUMP on | PUMP off   switch the pump (profile command `pump`) -> 'OK PUMP on' / 'OK PUMP off'
//   anything else        -> 'ERR unknown command'; a line over 63 bytes -> 'ERR line too long'
// A reply has no ',' so should one arrive while no command is waiting for it (e.g. after
// the gateway's reply timeout) it is a counted parse discard, not a reading.
// Safety: the pump switches itself off after PUMP_MAX_ON_MS (10 min) even if 'PUMP off'
// never comes (gateway or broker down) — a forgotten pump floods the pot. That is silent:
// send 'PUMP on' again to water longer.
//
// #define FAKE_SENSORS 1 (or build with -DFAKE_SENSORS=1) replaces the ADC readings by a
// fixed-seed sequence of plausible ones (probe 450-800 counts, battery 3.70-4.20 V), the
// same on every run, without any analogRead(): for emulators and tests with nothing on
// A0/A1. The pump pin still switches.
//
// Needs only the Arduino AVR core: no libraries, every function declared before use.

#include <Arduino.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKE_SENSORS
#define FAKE_SENSORS 0 // 1: no ADC, deterministic fake readings
#endif

static const uint8_t PROBE_PIN = A0;
static const uint8_t BATTERY_PIN = A1;
static const uint8_t PUMP_PIN = 7;
static const uint8_t PUMP_ACTIVE_HIGH = 1; // 0 for relay modules that switch on LOW
static const int DRY_RAW = 850;
static const int WET_RAW = 400;
static const float BATTERY_VOLTS_PER_COUNT = 2.0f * 5.0f / 1024.0f; // 1:1 divider, 5 V reference
static const unsigned long BAUD_RATE = 115200UL;
static const unsigned long INTERVAL_MS = 60000UL;     // profile: interval: 60s
static const unsigned long PUMP_MAX_ON_MS = 600000UL; // 10 min: the pump's safety cut-off
static const uint8_t RX_MAX = 63;                     // longest command line we keep

static unsigned long lastReadingMs = 0;
static bool pumpOn = false;
static unsigned long pumpOnMs = 0; // when the pump was last switched on

static char rxLine[RX_MAX + 1];
static uint8_t rxLength = 0;
static bool rxOverflow = false; // drop the rest of an overlong line

// ---------------------------------------------------------------- sensors

#if FAKE_SENSORS
static uint16_t fakeState = 0xACE1; // fixed seed: the same readings on every run

// 16-bit Galois LFSR (taps 0xB400, period 65535).
static uint16_t fakeNext() {
  uint16_t lsb = (uint16_t)(fakeState & 1U);
  fakeState >>= 1;
  if (lsb != 0) fakeState ^= 0xB400;
  return fakeState;
}

// What the ADC would average to: the probe 450..800 counts (moist to fairly dry soil), the
// battery 379..430 counts (3.70..4.20 V, a Li-ion cell).
static int readAverage(uint8_t pin) {
  if (pin == PROBE_PIN) return 450 + (int)(fakeNext() % 351U);
  return 379 + (int)(fakeNext() % 52U);
}
#else
// Averages 16 conversions: the probe output is noisy.
static int readAverage(uint8_t pin) {
  long sum = 0;
  for (uint8_t i = 0; i < 16; i++) sum += analogRead(pin);
  return (int)(sum / 16);
}
#endif

static float moisturePercent(int raw) {
  float percent = (float)(DRY_RAW - raw) * 100.0f / (float)(DRY_RAW - WET_RAW);
  if (percent < 0.0f) percent = 0.0f;
  if (percent > 100.0f) percent = 100.0f;
  return percent;
}

static void printReading() {
  char line[32];
  char number[12];
  int raw = readAverage(PROBE_PIN);
  float battery = (float)readAverage(BATTERY_PIN) * BATTERY_VOLTS_PER_COUNT;
  if (battery > 5.0f) battery = 5.0f; // the profile's max; above it the divider is wrong
  dtostrf(moisturePercent(raw), 1, 1, line); // AVR printf has no %f
  strcat(line, ",");
  itoa(raw, number, 10);
  strcat(line, number);
  strcat(line, ",");
  dtostrf(battery, 1, 2, number);
  strcat(line, number);
  Serial.print(line);
  Serial.print('\n');
}

// ---------------------------------------------------------------- pump and commands

static void setPump(bool on) {
  pumpOn = on;
  if (on) pumpOnMs = millis();
  digitalWrite(PUMP_PIN, (on == (PUMP_ACTIVE_HIGH != 0)) ? HIGH : LOW);
}

static void handleCommand(const char *line) {
  if (line[0] == '\0') return; // an empty line is no command
  if (strcmp(line, "PUMP on") == 0) {
    setPump(true);
    Serial.print(F("OK PUMP on\n"));
  } else if (strcmp(line, "PUMP off") == 0) {
    setPump(false);
    Serial.print(F("OK PUMP off\n"));
  } else {
    Serial.print(F("ERR unknown command\n"));
  }
}

// Collects bytes into a bounded line buffer; a line longer than RX_MAX is dropped whole.
static void readCommands() {
  while (Serial.available() > 0) {
    char c = (char)Serial.read();
    if (c == '\n') {
      if (rxOverflow) {
        Serial.print(F("ERR line too long\n"));
      } else {
        if (rxLength > 0 && rxLine[rxLength - 1] == '\r') rxLength--;
        rxLine[rxLength] = '\0';
        handleCommand(rxLine);
      }
      rxLength = 0;
      rxOverflow = false;
    } else if (rxLength < RX_MAX) {
      rxLine[rxLength++] = c;
    } else {
      rxOverflow = true;
    }
  }
}

// ---------------------------------------------------------------- Arduino entry points

void setup() {
  setPump(false); // before pinMode: a LOW-active relay must not click on at boot
  pinMode(PUMP_PIN, OUTPUT);
  Serial.begin(BAUD_RATE);
#if FAKE_SENSORS
  Serial.print(F("# soil-csv booting (fake sensors)\n"));
#else
  Serial.print(F("# soil-csv booting\n"));
#endif
  lastReadingMs = millis() - INTERVAL_MS + 2000UL; // first reading 2 s after boot
}

void loop() {
  readCommands();
  unsigned long now = millis();
  if (pumpOn && now - pumpOnMs >= PUMP_MAX_ON_MS) setPump(false);
  if (now - lastReadingMs >= INTERVAL_MS) {
    lastReadingMs = now;
    printReading();
  }
}
