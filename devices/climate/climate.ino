// climate.ino — reference firmware for devices/climate/profile.yaml (tty2mqtt).
//
// A DHT22 (AM2302) is read every 10 s and printed as one key=value line
// (docs/contract.md §4.1, format kv, checksum optional):
//
//   temp=23.5,hum=40.2*52
//
// '*HH' is the XOR of every byte before '*', as two uppercase hex digits (NMEA style).
// A failed reading (no answer, bad DHT22 checksum) is simply skipped: any other line
// would be counted as a discard by the gateway.
//
// Wiring (Arduino Uno):
//   DHT22 (AM2302)  pin 1 VCC  -> 5V
//                   pin 2 DATA -> D2, with a 10 kOhm pull-up to 5V (breakout boards have one)
//                   pin 3      -> not connected
//                   pin 4 GND  -> GND
//   LED             D13: the built-in LED (or an LED and a 220 Ohm resistor from D13 to GND)
//   USB             to the machine running tty2mqtt; 115200 baud, 8N1
//
// Boot: the sketch prints one comment line, '# climate booting'. Opening the USB port
// resets an Uno, so that line is the first one the gateway reads after opening the port.
// It is never a reading: arriving at once it is discarded as a line the open may have cut
// (partial_first_line), arriving later (after the bootloader's wait) or anywhere else as a
// counted parse discard (it is not key=value).
//
// Commands arrive on the serial input, one per line ending in '\n'; each is answered with
// one line (the profile's `reply:` patterns), which the gateway does not read as data:
//   LED on | LED off   switch the LED (profile command `led`) -> 'OK LED on' / 'OK LED off'
//   anything else                                              -> 'ERR unknown command'
//   a line longer than 63 bytes                                -> 'ERR line too long'
// A reply has no '=' or ':', so should one arrive while no command is waiting for it
// (e.g. after the gateway's reply timeout) it is a counted parse discard, not a reading.
// While the real DHT22 is read, interrupts are off for ~5 ms; a command arriving exactly
// then may lose bytes and go unanswered (the gateway reports `failed: timeout`).
//
// #define FAKE_SENSORS 1 (or build with -DFAKE_SENSORS=1) replaces the DHT22 by a fixed-seed
// sequence of plausible readings, the same on every run, and never touches D2: for
// emulators and tests that have no sensor attached.
//
// Variants (for firmware-update tests, which must tell one build from another):
//   -DREAD_INTERVAL_MS=2000    a reading every 2 s instead of every 10 s
//   -DFIRMWARE_VERSION=2.1     the banner becomes '# climate 2.1 booting'
// Without them the sketch is exactly the reference firmware.
//
// Needs only the Arduino AVR core: no libraries, every function declared before use.

#include <Arduino.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKE_SENSORS
#define FAKE_SENSORS 0 // 1: no DHT22, deterministic fake readings
#endif
#ifndef READ_INTERVAL_MS
#define READ_INTERVAL_MS 10000UL // profile: interval: 10s
#endif

// The banner's text: '# climate booting', or '# climate <FIRMWARE_VERSION> booting'.
#define CLIMATE_STRINGIFY(x) #x
#define CLIMATE_TEXT(x) CLIMATE_STRINGIFY(x)
#ifdef FIRMWARE_VERSION
#define BANNER "# climate " CLIMATE_TEXT(FIRMWARE_VERSION) " booting"
#else
#define BANNER "# climate booting"
#endif

static const uint8_t DHT_PIN = 2;
static const uint8_t LED_PIN = LED_BUILTIN;            // D13 on an Uno
static const unsigned long BAUD_RATE = 115200UL;       // gateway.yaml default baud_rate
static const uint8_t RX_MAX = 63;                      // longest command line we keep

static char rxLine[RX_MAX + 1];
static uint8_t rxLength = 0;
static bool rxOverflow = false; // drop the rest of an overlong line
static unsigned long lastReadMs = 0;

// ---------------------------------------------------------------- sensor

#if FAKE_SENSORS
static uint16_t fakeState = 0xACE1; // fixed seed: the same readings on every run

// 16-bit Galois LFSR (taps 0xB400, period 65535).
static uint16_t fakeNext() {
  uint16_t lsb = (uint16_t)(fakeState & 1U);
  fakeState >>= 1;
  if (lsb != 0) fakeState ^= 0xB400;
  return fakeState;
}

// 20.0 .. 24.0 °C and 40.0 .. 50.0 %, well inside the profile's ranges.
static bool readSensor(float *temperature, float *humidity) {
  *temperature = (float)(200 + (int16_t)(fakeNext() % 41U)) * 0.1f;
  *humidity = (float)(400 + (int16_t)(fakeNext() % 101U)) * 0.1f;
  return true;
}
#else
// Counts loop passes while the pin stays at `level`; 0 means it never left (timeout).
// Counting passes instead of reading micros() keeps working with interrupts disabled.
static uint16_t dhtPulse(uint8_t level) {
  uint16_t count = 1;
  while (digitalRead(DHT_PIN) == level) {
    if (count++ >= 2000) return 0;
  }
  return count;
}

// One DHT22 transaction (datasheet: host pulls low >= 1 ms, sensor answers 80 us low +
// 80 us high, then 40 bits: 50 us low + 26-28 us high (0) or 70 us high (1)).
static bool readSensor(float *temperature, float *humidity) {
  uint16_t cycles[80];
  uint8_t data[5] = {0, 0, 0, 0, 0};

  pinMode(DHT_PIN, INPUT_PULLUP);
  delay(1);
  pinMode(DHT_PIN, OUTPUT);
  digitalWrite(DHT_PIN, LOW);
  delayMicroseconds(1100);

  noInterrupts(); // ~5 ms; serial bytes arriving meanwhile may be lost
  pinMode(DHT_PIN, INPUT_PULLUP);
  delayMicroseconds(55);
  bool ok = dhtPulse(LOW) != 0 && dhtPulse(HIGH) != 0;
  for (uint8_t i = 0; ok && i < 80; i += 2) {
    cycles[i] = dhtPulse(LOW);
    cycles[i + 1] = dhtPulse(HIGH);
    if (cycles[i] == 0 || cycles[i + 1] == 0) ok = false;
  }
  interrupts();
  if (!ok) return false;

  // A bit is 1 when its high part lasted longer than the 50 us low part before it.
  for (uint8_t bit = 0; bit < 40; bit++) {
    data[bit / 8] <<= 1;
    if (cycles[2 * bit + 1] > cycles[2 * bit]) data[bit / 8] |= 1;
  }
  if ((uint8_t)(data[0] + data[1] + data[2] + data[3]) != data[4]) return false;

  *humidity = (float)(((uint16_t)data[0] << 8) | data[1]) * 0.1f;
  float t = (float)(((uint16_t)(data[2] & 0x7F) << 8) | data[3]) * 0.1f;
  *temperature = (data[2] & 0x80) ? -t : t;
  return true;
}
#endif

// ---------------------------------------------------------------- output

static uint8_t xorChecksum(const char *text) {
  uint8_t sum = 0;
  while (*text != '\0') sum ^= (uint8_t)*text++;
  return sum;
}

// Prints `body*HH\n`.
static void printWithChecksum(const char *body) {
  static const char HEX_DIGITS[] = "0123456789ABCDEF";
  uint8_t sum = xorChecksum(body);
  char tail[5] = {'*', HEX_DIGITS[sum >> 4], HEX_DIGITS[sum & 0x0F], '\n', '\0'};
  Serial.print(body);
  Serial.print(tail);
}

static void printReading(float temperature, float humidity) {
  char line[48];
  char number[12];
  strcpy(line, "temp=");
  dtostrf(temperature, 1, 1, number); // AVR printf has no %f
  strcat(line, number);
  strcat(line, ",hum=");
  dtostrf(humidity, 1, 1, number);
  strcat(line, number);
  printWithChecksum(line);
}

// ---------------------------------------------------------------- commands

static void handleCommand(const char *line) {
  if (line[0] == '\0') return; // an empty line is no command
  if (strcmp(line, "LED on") == 0) {
    digitalWrite(LED_PIN, HIGH);
    Serial.print(F("OK LED on\n"));
  } else if (strcmp(line, "LED off") == 0) {
    digitalWrite(LED_PIN, LOW);
    Serial.print(F("OK LED off\n"));
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
  pinMode(LED_PIN, OUTPUT);
  digitalWrite(LED_PIN, LOW);
#if !FAKE_SENSORS
  pinMode(DHT_PIN, INPUT_PULLUP);
#endif
  Serial.begin(BAUD_RATE);
#if FAKE_SENSORS
  Serial.print(F(BANNER " (fake sensors)\n"));
#else
  Serial.print(F(BANNER "\n"));
#endif
  lastReadMs = millis() - READ_INTERVAL_MS + 2000UL; // first reading 2 s after boot (DHT22 warm-up)
}

void loop() {
  readCommands();
  unsigned long now = millis();
  if (now - lastReadMs >= READ_INTERVAL_MS) {
    lastReadMs = now;
    float temperature;
    float humidity;
    if (readSensor(&temperature, &humidity)) printReading(temperature, humidity);
  }
}
