// climate.ino — reference firmware for devices/climate/profile.yaml (tty2mqtt).
//
// A DHT22 (AM2302) on pin D2 is read every 10 s and printed as one key=value line
// (PRODUCT.md §4.1, format kv, checksum optional):
//
//   temp=23.5,hum=40.2*52
//
// '*HH' is the XOR of every byte before '*', as two uppercase hex digits (NMEA style).
// A failed reading (no answer, bad DHT22 checksum) is simply skipped: any other line
// would be counted as a discard by the gateway.
//
// Commands arrive on the serial input, one per line ending in '\n':
//   LED on | LED off   switch the built-in LED (profile command `led`)
//
// Needs only the Arduino AVR core: no libraries, every function declared before use.

#include <Arduino.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t DHT_PIN = 2;
static const unsigned long READ_INTERVAL_MS = 10000UL; // profile: interval: 10s
static const unsigned long BAUD_RATE = 115200UL;       // gateway.yaml default baud_rate
static const uint8_t RX_MAX = 63;                      // longest command line we keep

static char rxLine[RX_MAX + 1];
static uint8_t rxLength = 0;
static bool rxOverflow = false; // drop the rest of an overlong line
static unsigned long lastReadMs = 0;

// ---------------------------------------------------------------- DHT22, bit-banged

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
static bool dhtRead(float *temperature, float *humidity) {
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
  if (strcmp(line, "LED on") == 0) digitalWrite(LED_BUILTIN, HIGH);
  else if (strcmp(line, "LED off") == 0) digitalWrite(LED_BUILTIN, LOW);
  // anything else is ignored: printing a reply would only add discards on the gateway
}

// Collects bytes into a bounded line buffer; a line longer than RX_MAX is dropped whole.
static void readCommands() {
  while (Serial.available() > 0) {
    char c = (char)Serial.read();
    if (c == '\n') {
      if (!rxOverflow) {
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
  pinMode(LED_BUILTIN, OUTPUT);
  digitalWrite(LED_BUILTIN, LOW);
  pinMode(DHT_PIN, INPUT_PULLUP);
  Serial.begin(BAUD_RATE);
  lastReadMs = millis() - READ_INTERVAL_MS + 2000UL; // first reading 2 s after boot (DHT22 warm-up)
}

void loop() {
  readCommands();
  unsigned long now = millis();
  if (now - lastReadMs >= READ_INTERVAL_MS) {
    lastReadMs = now;
    float temperature;
    float humidity;
    if (dhtRead(&temperature, &humidity)) printReading(temperature, humidity);
  }
}
