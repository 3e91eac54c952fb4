// power-meter.ino — reference firmware for devices/power-meter/profile.yaml (tty2mqtt).
//
// Measures mains power EmonLib-style: a current transformer clamped around one mains
// conductor and a low-voltage AC transformer, both biased to mid-rail and sampled by the
// ADC. Every 10 s it prints one JSON line with at-least-once delivery (docs/contract.md §4.1,
// format json, ack: true, checksum: required):
//
//   #12 {"power":123.4,"voltage":230.1,"current":0.54,"energy":12.345}*58
//
// - '#<seq> ': seq is 0 for the first line after boot, then 1..65535 and wraps to 1,
//   never back to 0 — seq 0 tells the gateway the device restarted.
// - '*HH': XOR of every byte before '*' (including the '#<seq> ' prefix), two uppercase
//   hex digits.
// - The line is kept until the gateway answers 'ACK <seq>' and resent every 2 s until then.
//   'NAK <seq> full' (the gateway's queue is full): resend with a doubling delay, up to 30 s.
//   'NAK <seq> <other reason>': the gateway rejected the line for good; drop it.
//   No new reading is taken while a line is unacknowledged (energy keeps counting).
//
// Wiring (Arduino Uno; never connect mains to the Arduino directly):
//   Bias        two 10 kOhm resistors from 5V to GND, their midpoint (2.5 V) decoupled by
//               10 uF to GND: the mid-rail both inputs swing around
//   CT clamp    SCT-013-030 (30 A : 1 V, burden built in) around ONE conductor; its two
//               leads to A0 and to the bias midpoint
//   Voltage     9 V AC plug-in transformer -> 100 kOhm / 10 kOhm divider; the divider's
//               midpoint to A1, its bottom to the bias midpoint (calibrate VOLTAGE_CAL)
//   USB         to the machine running tty2mqtt; 115200 baud, 8N1
//
// Boot: the sketch prints one comment line, '# power-meter booting'. Opening the USB port
// resets an Uno, so that line is the first one the gateway reads after opening the port.
// It is never a reading: arriving at once it is discarded as a line the open may have cut
// (partial_first_line); arriving later (after the bootloader's wait) or anywhere else it has
// neither '#<seq> ' nor '*HH', so it is a counted checksum discard (no seq, so no NAK).
//
// Commands (one per line ending in '\n'), each answered with one line (the profile's
// `reply:` patterns), which the gateway does not read as data:
//   RESET energy        set the energy counter to 0 (command `reset_energy`) -> 'OK RESET'
//   anything else       -> 'ERR unknown command'; a line over 63 bytes -> 'ERR line too long'
// 'ACK ...' and 'NAK ...' lines from the gateway are never answered. A reply has no '*HH',
// so one arriving while no command waits for it is a counted checksum discard, never a
// reading and never NAKed.
//
// #define FAKE_SENSORS 1 (or build with -DFAKE_SENSORS=1) replaces the ADC sampling by a
// fixed-seed sequence of plausible measurements (about 230 V, 0.5-12 A), the same on every
// run, without any analogRead(): for emulators and tests with nothing on A0/A1.
//
// -DREPORT_INTERVAL_MS=1000 prints a reading every second instead of every 10 s (tests that
// count readings); without it the sketch is exactly the reference firmware.
//
// Needs only the Arduino AVR core: no libraries, every function declared before use.

#include <Arduino.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKE_SENSORS
#define FAKE_SENSORS 0 // 1: no ADC, deterministic fake measurements
#endif
#ifndef REPORT_INTERVAL_MS
#define REPORT_INTERVAL_MS 10000UL // profile: interval: 10s
#endif

static const uint8_t CURRENT_PIN = A0;
static const uint8_t VOLTAGE_PIN = A1;
static const float CURRENT_CAL = 30.0f;  // amps per volt at the ADC pin (SCT-013-030)
static const float VOLTAGE_CAL = 234.26f; // mains volts per volt at the ADC pin; calibrate
static const float ADC_VOLTS = 5.0f / 1024.0f;
static const uint16_t SAMPLES = 400; // ~90 ms: a few mains cycles

static const unsigned long BAUD_RATE = 115200UL;
static const unsigned long MEASURE_MS = 1000UL;   // energy is integrated every second
static const unsigned long INTERVAL_MS = REPORT_INTERVAL_MS;
static const unsigned long ACK_TIMEOUT_MS = 2000UL;
static const unsigned long MAX_BACKOFF_MS = 30000UL;
static const uint8_t RX_MAX = 63; // longest line we accept from the gateway

static float power = 0.0f;
static float voltage = 0.0f;
static float current = 0.0f;
static float energyKwh = 0.0f;

static char pending[112];     // the unacknowledged line, '*HH' included, no newline
static bool hasPending = false;
static uint16_t seq = 0;      // the seq of the next (or pending) line
static unsigned long retryMs = ACK_TIMEOUT_MS;
static unsigned long lastSendMs = 0;
static unsigned long lastMeasureMs = 0;
static unsigned long lastReadingMs = 0;

static char rxLine[RX_MAX + 1];
static uint8_t rxLength = 0;
static bool rxOverflow = false;

// ---------------------------------------------------------------- measuring

#if FAKE_SENSORS
static uint16_t fakeState = 0xACE1; // fixed seed: the same measurements on every run
static float fakeAmps = 2.0f;       // the simulated load, wandering between 0.5 and 12 A

// 16-bit Galois LFSR (taps 0xB400, period 65535).
static uint16_t fakeNext() {
  uint16_t lsb = (uint16_t)(fakeState & 1U);
  fakeState >>= 1;
  if (lsb != 0) fakeState ^= 0xB400;
  return fakeState;
}

// Sets voltage, current and power as the ADC would: 228-232 V, a load that wanders between
// 0.5 and 12 A (at most ±0.5 A a second) at a power factor of 0.90-1.00. That keeps power
// below 2800 W, inside the profile's 0-4000 W.
static void sampleMains() {
  fakeAmps += (float)((int16_t)(fakeNext() % 101U) - 50) * 0.01f;
  if (fakeAmps < 0.5f) fakeAmps = 0.5f;
  if (fakeAmps > 12.0f) fakeAmps = 12.0f;
  voltage = 228.0f + (float)(fakeNext() % 41U) * 0.1f;
  current = fakeAmps;
  float powerFactor = 0.90f + (float)(fakeNext() % 11U) * 0.01f;
  power = voltage * current * powerFactor;
}
#else
static float offsetI = 512.0f;
static float offsetV = 512.0f;

// Samples voltage and current together; real power is the mean of v*i. The DC offset of
// each input follows a slow low-pass filter, as EmonLib does.
static void sampleMains() {
  float sumV2 = 0.0f, sumI2 = 0.0f, sumP = 0.0f;
  for (uint16_t n = 0; n < SAMPLES; n++) {
    int rawV = analogRead(VOLTAGE_PIN);
    int rawI = analogRead(CURRENT_PIN);
    offsetV += ((float)rawV - offsetV) / 1024.0f;
    offsetI += ((float)rawI - offsetI) / 1024.0f;
    float v = ((float)rawV - offsetV) * ADC_VOLTS * VOLTAGE_CAL;
    float i = ((float)rawI - offsetI) * ADC_VOLTS * CURRENT_CAL;
    sumV2 += v * v;
    sumI2 += i * i;
    sumP += v * i;
  }
  voltage = sqrt(sumV2 / SAMPLES);
  current = sqrt(sumI2 / SAMPLES);
  power = sumP / SAMPLES;
}
#endif

// One measurement; the energy counter integrates power over the `elapsedMs` since the last.
static void measure(unsigned long elapsedMs) {
  sampleMains();
  if (power < 0.0f) power = 0.0f;       // a reversed clamp reads negative: fix the wiring
  if (power > 99999.0f) power = 99999.0f; // keeps the printed line short
  energyKwh += power * (float)elapsedMs / 3.6e9f;
  if (energyKwh >= 1.0e6f) energyKwh = 0.0f; // wraps like a meter; total_increasing allows resets
}

// ---------------------------------------------------------------- output

static uint8_t xorChecksum(const char *text) {
  uint8_t sum = 0;
  while (*text != '\0') sum ^= (uint8_t)*text++;
  return sum;
}

static void appendNumber(char *line, const char *name, float value, uint8_t decimals) {
  char number[16];
  strcat(line, name);
  dtostrf(value, 1, decimals, number); // AVR printf has no %f
  strcat(line, number);
}

// Builds `#<seq> {json}*HH` into `pending`.
static void buildLine() {
  static const char HEX_DIGITS[] = "0123456789ABCDEF";
  char number[8];
  strcpy(pending, "#");
  utoa(seq, number, 10);
  strcat(pending, number);
  appendNumber(pending, " {\"power\":", power, 1);
  appendNumber(pending, ",\"voltage\":", voltage, 1);
  appendNumber(pending, ",\"current\":", current, 2);
  appendNumber(pending, ",\"energy\":", energyKwh, 3);
  strcat(pending, "}");
  uint8_t sum = xorChecksum(pending);
  char tail[4] = {'*', HEX_DIGITS[sum >> 4], HEX_DIGITS[sum & 0x0F], '\0'};
  strcat(pending, tail);
}

static void sendPending() {
  Serial.print(pending);
  Serial.print('\n');
  lastSendMs = millis();
}

// The line was acknowledged or rejected for good: the next line gets the next seq.
static void finishPending() {
  hasPending = false;
  retryMs = ACK_TIMEOUT_MS;
  seq = (seq == 65535U) ? 1U : (uint16_t)(seq + 1U);
}

// ---------------------------------------------------------------- input

// Parses the decimal seq at `text`; `*rest` points after it.
static bool parseSeq(const char *text, uint16_t *value, const char **rest) {
  char *end;
  unsigned long v = strtoul(text, &end, 10);
  if (end == text || v > 65535UL) return false;
  *value = (uint16_t)v;
  *rest = end;
  return true;
}

static void handleLine(const char *line) {
  uint16_t n;
  const char *rest;
  if (strncmp(line, "ACK ", 4) == 0) {
    if (parseSeq(line + 4, &n, &rest) && *rest == '\0' && hasPending && n == seq) finishPending();
  } else if (strncmp(line, "NAK ", 4) == 0) {
    if (!parseSeq(line + 4, &n, &rest) || *rest != ' ' || !hasPending || n != seq) return;
    if (strcmp(rest + 1, "full") == 0) {
      retryMs = (retryMs * 2 > MAX_BACKOFF_MS) ? MAX_BACKOFF_MS : retryMs * 2;
      lastSendMs = millis(); // resend after the longer delay
    } else {
      finishPending(); // rejected (bad checksum, parse error, ...): resending would not help
    }
  } else if (strcmp(line, "RESET energy") == 0) {
    energyKwh = 0.0f;
    Serial.print(F("OK RESET\n"));
  } else if (line[0] != '\0') {
    Serial.print(F("ERR unknown command\n"));
  }
}

// Collects bytes into a bounded line buffer; a line longer than RX_MAX is dropped whole.
static void readInput() {
  while (Serial.available() > 0) {
    char c = (char)Serial.read();
    if (c == '\n') {
      if (rxOverflow) {
        Serial.print(F("ERR line too long\n")); // no gateway line is this long
      } else {
        if (rxLength > 0 && rxLine[rxLength - 1] == '\r') rxLength--;
        rxLine[rxLength] = '\0';
        handleLine(rxLine);
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
  Serial.begin(BAUD_RATE);
#if FAKE_SENSORS
  Serial.print(F("# power-meter booting (fake sensors)\n"));
#else
  Serial.print(F("# power-meter booting\n"));
#endif
  lastMeasureMs = millis();
  lastReadingMs = lastMeasureMs - INTERVAL_MS + 2000UL; // first reading 2 s after boot
}

void loop() {
  readInput();
  unsigned long now = millis();
  if (now - lastMeasureMs >= MEASURE_MS) {
    measure(now - lastMeasureMs);
    lastMeasureMs = now;
  }
  if (hasPending) {
    if (now - lastSendMs >= retryMs) sendPending();
  } else if (now - lastReadingMs >= INTERVAL_MS) {
    lastReadingMs = now;
    buildLine();
    hasPending = true;
    sendPending();
  }
}
