// mysensors-gateway.ino — test firmware for devices/mysensors-gateway/profile.yaml (tty2mqtt).
//
// A real installation flashes the MySensors library's serial gateway (GatewaySerial
// example, an nRF24/RFM69 radio on the Arduino) and the radio nodes report through it.
// This sketch needs no radio: it prints the same MySensors serial API for two simulated
// nodes with static ids (12 and 13) and one that asks the controller for its id, so the
// profile, the topics and the commands can be tried on a bare Arduino. The profile runs in
// controller mode: what a node presents is what gets published, at
// <port>/<node>/<child>/<V_TYPE>. Lines are node;child;command;ack;type;payload (mysensors):
//
//   0;255;3;0;14;Gateway startup complete.   internal I_GATEWAY_READY (not published)
//   12;255;0;0;17;2.3.2                      presentation S_ARDUINO_NODE, library version
//   12;255;3;0;11;Room Node                  I_SKETCH_NAME, then I_SKETCH_VERSION 1.0
//   12;1;0;0;6;Temperature                   presentation S_TEMP   of child 1
//   12;2;0;0;7;Humidity                      presentation S_HUM    of child 2
//   12;3;0;0;3;Light                         presentation S_BINARY of child 3
//   12;1;1;0;0;21.5                          set V_TEMP   (0)  of child 1 → <port>/12/1/V_TEMP
//   12;2;1;0;1;45.0                          set V_HUM    (1)  of child 2 → <port>/12/2/V_HUM
//   12;3;1;0;2;0                             set V_STATUS (2)  of child 3 → <port>/12/3/V_STATUS
// Nodes 12 and 13 present at boot and again whenever the controller asks (I_PRESENTATION,
// 12;255;3;0;19; — a controller that missed the boot presentation, e.g. because it started
// later, asks when it hears a child it does not know).
//
// Wiring (Arduino Uno): nothing but USB to the machine running tty2mqtt; 115200 baud, 8N1.
// (The real GatewaySerial wires an nRF24L01+ to D9 CE, D10 CSN, D11-D13 SPI, 3.3 V.)
//
// Boot: like the real gateway, the sketch first prints 0;255;3;0;14;Gateway startup
// complete. Opening the USB port resets an Uno, so that line is the first one the gateway
// reads after opening the port. Arriving at once it is discarded as a line the open may
// have cut; arriving later or anywhere else it is an internal message: ignored, not published.
//
// Input (from the controller), one message per line:
//   12;3;1;1;2;1     set V_STATUS of node 12's child 3 (its light) to 1, echo requested
//                    (ack 1) — what tty2mqtt writes for <port>/12/3/V_STATUS/set. The node
//                    switches and, as MySensors does, echoes the message back with ack 1
//                    (12;3;1;1;2;1: the command's answer, not data), then reports its new
//                    state, 12;3;1;0;2;1, published at <port>/12/3/V_STATUS.
//   12;3;1;0;2;1     the same without an echo: only the state report follows.
//   12;255;3;0;19;   I_PRESENTATION: node 12 presents itself and its children again.
//   0;255;3;0;2;     I_VERSION request; answered with 0;255;3;0;2;2.3.2
//
// A third simulated node has no id (MY_NODE_ID AUTO) and needs a controller — tty2mqtt with
// the profile's `mysensors: { controller: true }`:
//   255;255;3;0;3;            I_ID_REQUEST at boot, and again every report until answered
//   ← 255;255;3;0;4;1         I_ID_RESPONSE: the node takes id 1, then presents itself
//   1;255;0;0;17;2.3.2        (S_ARDUINO_NODE, sketch "Attic Node" 1.0) and its children
//   1;5;0;0;6;Attic           5 S_TEMP, 6 S_BINARY "Fan", 7 S_INFO "Clock", and asks
//   1;255;3;0;1;              for the time (I_TIME)
//   ← 1;255;3;0;1;1796300000  the controller's Unix time: reported as V_TEXT of child 7,
//   1;7;1;0;47;t=1796300000   so the answer can be seen on MQTT
//   1;5;1;0;0;19.5            V_TEMP every report; 1;6;1;0;2;0 the fan's state
//   ← 1;6;1;1;2;1             a generic command (…/1/6/V_STATUS/set): echoed with ack 1,
//                             then the new state is reported
// It keeps its id in RAM only: a board reset makes it ask again (a real node keeps its id
// in EEPROM), and a controller that still knows id 1 gives it the next free one.
//
// A message for a node that does not exist gets no answer (a real radio send would fail):
// a command waiting for its echo then ends `failed: timeout`. Should an echo arrive when
// no command waits for it, it is a set message like any other and is published as the
// light's state — the same state as the report that follows it.
//
// #define FAKE_SENSORS 1 (or build with -DFAKE_SENSORS=1) seeds the nodes' random walks with
// a fixed seed instead of analogRead(A0) of a floating pin: the same readings on every
// run, and no ADC access — for emulators and tests.
//
// Needs only the Arduino AVR core: no libraries, every function declared before use.

#include <Arduino.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKE_SENSORS
#define FAKE_SENSORS 0 // 1: a fixed random seed, no analogRead()
#endif

static const unsigned long BAUD_RATE = 115200UL;
static const unsigned long INTERVAL_MS = 30000UL; // profile: interval: 30s
static const uint8_t RX_MAX = 63;
static const uint8_t NODE_COUNT = 2;
#if FAKE_SENSORS
static const unsigned long FAKE_SEED = 0xACE1UL; // any non-zero value: randomSeed(0) is ignored
#endif

// MySensors serial API numbers (MyMessage.h).
static const uint8_t C_PRESENTATION = 0;
static const uint8_t C_SET = 1;
static const uint8_t C_INTERNAL = 3;
static const uint8_t S_BINARY = 3, S_TEMP = 6, S_HUM = 7, S_ARDUINO_NODE = 17, S_INFO = 36;
static const uint8_t V_TEMP = 0, V_HUM = 1, V_STATUS = 2, V_TEXT = 47;
static const uint8_t I_TIME = 1, I_VERSION = 2, I_ID_REQUEST = 3, I_ID_RESPONSE = 4;
static const uint8_t I_SKETCH_NAME = 11, I_SKETCH_VERSION = 12, I_GATEWAY_READY = 14;
static const uint8_t I_PRESENTATION = 19;
static const uint8_t CHILD_TEMP = 1, CHILD_HUM = 2, CHILD_LIGHT = 3, NODE_SENSOR = 255;
static const uint8_t AUTO_ID = 255; // no id yet (MY_NODE_ID AUTO)
static const uint8_t AUTO_CHILD_TEMP = 5, AUTO_CHILD_FAN = 6, AUTO_CHILD_CLOCK = 7;

struct SimNode {
  uint8_t id;
  float temperature;
  float humidity;
  bool light;
};

static SimNode nodes[NODE_COUNT] = {{12, 21.5f, 45.0f, false}, {13, 18.0f, 60.0f, false}};
// The node without an id: AUTO_ID until the controller answers its I_ID_REQUEST.
static uint8_t autoId = AUTO_ID;
static float autoTemperature = 19.5f;
static bool autoFan = false;
static unsigned long lastReportMs = 0;
static char rxLine[RX_MAX + 1];
static uint8_t rxLength = 0;
static bool rxOverflow = false;

// ---------------------------------------------------------------- output

// Prints node;child;command;ack;type; — the payload follows.
static void printHeader(uint8_t node, uint8_t child, uint8_t command, uint8_t ack, uint8_t type) {
  Serial.print(node);
  Serial.print(';');
  Serial.print(child);
  Serial.print(';');
  Serial.print(command);
  Serial.print(';');
  Serial.print(ack);
  Serial.print(';');
  Serial.print(type);
  Serial.print(';');
}

static void printText(uint8_t node, uint8_t child, uint8_t command, uint8_t type, const char *payload) {
  printHeader(node, child, command, 0, type);
  Serial.print(payload);
  Serial.print('\n');
}

static void printNumber(uint8_t node, uint8_t child, uint8_t type, float value) {
  printHeader(node, child, C_SET, 0, type);
  Serial.print(value, 1);
  Serial.print('\n');
}

static void presentNode(const SimNode *node) {
  printText(node->id, NODE_SENSOR, C_PRESENTATION, S_ARDUINO_NODE, "2.3.2");
  printText(node->id, NODE_SENSOR, C_INTERNAL, I_SKETCH_NAME, "Room Node");
  printText(node->id, NODE_SENSOR, C_INTERNAL, I_SKETCH_VERSION, "1.0");
  printText(node->id, CHILD_TEMP, C_PRESENTATION, S_TEMP, "Temperature");
  printText(node->id, CHILD_HUM, C_PRESENTATION, S_HUM, "Humidity");
  printText(node->id, CHILD_LIGHT, C_PRESENTATION, S_BINARY, "Light");
}

static void reportLight(const SimNode *node) {
  printText(node->id, CHILD_LIGHT, C_SET, V_STATUS, node->light ? "1" : "0");
}

// A small random walk inside the profile's bounds stands in for the nodes' sensors.
static float wander(float value, float step, float low, float high) {
  value += step * (float)(random(-100, 101)) / 100.0f;
  if (value < low) value = low;
  if (value > high) value = high;
  return value;
}

static void reportNode(SimNode *node) {
  node->temperature = wander(node->temperature, 0.3f, -10.0f, 35.0f);
  node->humidity = wander(node->humidity, 1.0f, 20.0f, 90.0f);
  printNumber(node->id, CHILD_TEMP, V_TEMP, node->temperature);
  printNumber(node->id, CHILD_HUM, V_HUM, node->humidity);
  reportLight(node);
}

static void presentAutoNode() {
  printText(autoId, NODE_SENSOR, C_PRESENTATION, S_ARDUINO_NODE, "2.3.2");
  printText(autoId, NODE_SENSOR, C_INTERNAL, I_SKETCH_NAME, "Attic Node");
  printText(autoId, NODE_SENSOR, C_INTERNAL, I_SKETCH_VERSION, "1.0");
  printText(autoId, AUTO_CHILD_TEMP, C_PRESENTATION, S_TEMP, "Attic");
  printText(autoId, AUTO_CHILD_FAN, C_PRESENTATION, S_BINARY, "Fan");
  printText(autoId, AUTO_CHILD_CLOCK, C_PRESENTATION, S_INFO, "Clock");
}

// Each report: an id request while it has none, else its temperature and fan state.
static void reportAutoNode() {
  if (autoId == AUTO_ID) {
    printText(AUTO_ID, NODE_SENSOR, C_INTERNAL, I_ID_REQUEST, "");
    return;
  }
  autoTemperature = wander(autoTemperature, 0.3f, -10.0f, 35.0f);
  printNumber(autoId, AUTO_CHILD_TEMP, V_TEMP, autoTemperature);
  printText(autoId, AUTO_CHILD_FAN, C_SET, V_STATUS, autoFan ? "1" : "0");
}

// A message for the node without an id: its id, the time, or a command to its fan.
static void handleAutoNode(int node, int child, int command, int ack, int type, const char *payload) {
  if (node == AUTO_ID && command == C_INTERNAL && type == I_ID_RESPONSE) {
    int id = atoi(payload);
    if (autoId != AUTO_ID || id < 1 || id > 254) return;
    autoId = (uint8_t)id;
    presentAutoNode();
    printText(autoId, NODE_SENSOR, C_INTERNAL, I_TIME, "");
    return;
  }
  if (autoId == AUTO_ID || node != autoId) return;
  if (command == C_INTERNAL && type == I_TIME) {
    char text[26] = "t=";
    strncat(text, payload, sizeof(text) - 3);
    printText(autoId, AUTO_CHILD_CLOCK, C_SET, V_TEXT, text);
  } else if (command == C_SET && child == AUTO_CHILD_FAN && type == V_STATUS) {
    autoFan = strcmp(payload, "1") == 0;
    if (ack == 1) {
      printHeader(autoId, AUTO_CHILD_FAN, C_SET, 1, V_STATUS);
      Serial.print(payload);
      Serial.print('\n');
    }
    printText(autoId, AUTO_CHILD_FAN, C_SET, V_STATUS, autoFan ? "1" : "0");
  }
}

// ---------------------------------------------------------------- input

// Splits `line` (modified in place) at ';' into exactly 6 fields.
static bool splitMessage(char *line, char *fields[6]) {
  uint8_t count = 0;
  fields[count++] = line;
  for (char *p = line; *p != '\0'; p++) {
    if (*p == ';') {
      if (count == 6) return false;
      *p = '\0';
      fields[count++] = p + 1;
    }
  }
  return count == 6;
}

static void handleMessage(char *line) {
  char *f[6];
  if (!splitMessage(line, f)) return;
  int node = atoi(f[0]), child = atoi(f[1]), command = atoi(f[2]), ack = atoi(f[3]), type = atoi(f[4]);
  if (node == 0 && command == C_INTERNAL && type == I_VERSION) {
    printText(0, NODE_SENSOR, C_INTERNAL, I_VERSION, "2.3.2");
    return;
  }
  handleAutoNode(node, child, command, ack, type, f[5]);
  if (command == C_INTERNAL && type == I_PRESENTATION) {
    for (uint8_t i = 0; i < NODE_COUNT; i++)
      if (nodes[i].id == node) presentNode(&nodes[i]);
    return;
  }
  if (command != C_SET || child != CHILD_LIGHT || type != V_STATUS) return;
  for (uint8_t i = 0; i < NODE_COUNT; i++) {
    if (nodes[i].id != node) continue;
    nodes[i].light = strcmp(f[5], "1") == 0;
    if (ack == 1) {
      // The echo the controller asked for: the message as received, ack 1.
      printHeader(nodes[i].id, CHILD_LIGHT, C_SET, 1, V_STATUS);
      Serial.print(f[5]);
      Serial.print('\n');
    }
    reportLight(&nodes[i]); // a MySensors node reports the state it switched to
  }
}

// Collects bytes into a bounded line buffer; a line longer than RX_MAX is dropped whole.
static void readInput() {
  while (Serial.available() > 0) {
    char c = (char)Serial.read();
    if (c == '\n') {
      if (!rxOverflow) {
        if (rxLength > 0 && rxLine[rxLength - 1] == '\r') rxLength--;
        rxLine[rxLength] = '\0';
        handleMessage(rxLine);
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
  randomSeed(FAKE_SEED); // the same walks on every boot
#else
  randomSeed(analogRead(A0)); // a floating pin: different walks on each boot
#endif
  printText(0, NODE_SENSOR, C_INTERNAL, I_GATEWAY_READY, "Gateway startup complete.");
  for (uint8_t i = 0; i < NODE_COUNT; i++) presentNode(&nodes[i]);
  printText(AUTO_ID, NODE_SENSOR, C_INTERNAL, I_ID_REQUEST, "");
  lastReportMs = millis() - INTERVAL_MS + 2000UL; // first report 2 s after boot
}

void loop() {
  readInput();
  unsigned long now = millis();
  if (now - lastReportMs >= INTERVAL_MS) {
    lastReportMs = now;
    for (uint8_t i = 0; i < NODE_COUNT; i++) reportNode(&nodes[i]);
    reportAutoNode();
  }
}
