// soil-csv.ino — reference firmware for devices/soil-csv/profile.yaml (tty2mqtt).
//
// A capacitive soil-moisture probe (v1.2 style, analog output) on A0 and a battery on A1
// through a 1:1 divider. Every 60 s it prints one CSV line in the profile's column order
// (PRODUCT.md §4.1, format csv, columns: [moisture, raw, battery]):
//
//   41.7,612,3.91
//
// The probe reads high when dry: calibrate DRY_RAW (probe in air) and WET_RAW (probe in
// water) for yours. Needs only the Arduino AVR core; every function declared before use.

#include <Arduino.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t PROBE_PIN = A0;
static const uint8_t BATTERY_PIN = A1;
static const int DRY_RAW = 850;
static const int WET_RAW = 400;
static const float BATTERY_VOLTS_PER_COUNT = 2.0f * 5.0f / 1024.0f; // 1:1 divider, 5 V reference
static const unsigned long BAUD_RATE = 115200UL;
static const unsigned long INTERVAL_MS = 60000UL; // profile: interval: 60s

static unsigned long lastReadingMs = 0;

// Averages 16 conversions: the probe output is noisy.
static int readAverage(uint8_t pin) {
  long sum = 0;
  for (uint8_t i = 0; i < 16; i++) sum += analogRead(pin);
  return (int)(sum / 16);
}

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

void setup() {
  Serial.begin(BAUD_RATE);
  lastReadingMs = millis() - INTERVAL_MS + 2000UL; // first reading 2 s after boot
}

void loop() {
  unsigned long now = millis();
  if (now - lastReadingMs >= INTERVAL_MS) {
    lastReadingMs = now;
    printReading();
  }
}
