// sn-weather.ino — reference firmware for devices/sn-weather/profile.yaml (tty2mqtt).
//
// A DHT22 weather node that speaks MQTT-SN v1.2 to the tty2mqtt gateway over its USB serial
// line (docs/contract.md §4.2, protocol: mqttsn, framing: raw): every packet goes on the wire as
// it is, its own 1-octet Length first (MQTT-SN 1.2 §5.2). No start byte, no CRC.
//
// Wiring (Arduino Uno):
//   DHT22 (AM2302)  pin 1 VCC  -> 5V
//                   pin 2 DATA -> D2, with a 10 kOhm pull-up to 5V (breakout boards have one)
//                   pin 3      -> not connected
//                   pin 4 GND  -> GND
//   LED             D13: the built-in LED (or an LED and a 220 Ohm resistor from D13 to GND)
//   USB             to the machine running tty2mqtt; 115200 baud, 8N1
//
// Topics: predefined topic ids (MQTT-SN 1.2 §6.7), as listed under `mqttsn.predefined` in
// the profile, so the sketch never REGISTERs a topic name:
//   id 1  temperature  PUBLISH QoS 1, text "21.5" (°C)   -> <base_topic>/<port>/temperature
//   id 2  humidity     PUBLISH QoS 1, text "45.0" (%)    -> <base_topic>/<port>/humidity
//   id 3  led/set      SUBSCRIBE QoS 1, "on" / "off"     <- <base_topic>/<port>/led/set
//
// Behaviour:
// - Boot: CONNECT (ClientId "sn-weather", CleanSession, keep-alive 60 s, no Will) every 5 s
//   until CONNACK, then SUBSCRIBE to predefined id 3 until SUBACK.
// - Every 10 s: read the DHT22, PUBLISH temperature then humidity. One QoS 1 PUBLISH is
//   outstanding at a time; without a PUBACK within 3 s it is resent with DUP=1 and the same
//   MsgId, up to 5 times, then the sketch reconnects. No new reading is taken while one is
//   still unacknowledged.
// - DISCONNECT from the gateway (it restarted and forgot this client) or PUBACK 0x02:
//   reconnect, subscribe again, and resend the pending PUBLISH with DUP=1 and the same
//   MsgId. The gateway recognises a resend of a message it has already queued (MsgId, DUP,
//   same content) and acknowledges it without publishing it twice: nothing is lost. A
//   second PUBACK 0x02 for the same reading drops it: the gateway's profile does not know
//   that predefined id, and resending cannot fix that (§6.7). PUBACK 0x03 (value refused)
//   drops it too; PUBACK 0x01 (congestion) holds it for T_WAIT, then resends it.
// - A PINGREQ every 45 s, busy or not: one within each 60 s keep-alive period (§6.11).
// - PUBLISH on id 3 with "on" / "off": switch the LED; PUBACK it when it is QoS 1.
//
// The serial line carries MQTT-SN only: never Serial.print() debug text here, the gateway
// would take it for packets (and count it as framing errors).
//
// #define FAKE_SENSORS 1 (or build with -DFAKE_SENSORS=1) replaces the DHT22 by a fixed-seed
// sequence of plausible readings, the same on every run: for emulators and tests.
//
// Needs only the Arduino AVR core: no libraries, every function declared before use.

#include <Arduino.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKE_SENSORS
#define FAKE_SENSORS 0 // 1: no DHT22, deterministic fake readings
#endif

// ---------------------------------------------------------------- settings

static const uint8_t DHT_PIN = 2;
static const uint8_t LED_PIN = LED_BUILTIN; // D13 on an Uno
static const unsigned long BAUD_RATE = 115200UL; // gateway.yaml default baud_rate

static const char CLIENT_ID[] = "sn-weather";
static const uint16_t KEEP_ALIVE_S = 60;              // CONNECT Duration (§5.4.4, §6.11)
static const unsigned long PING_INTERVAL_MS = 45000UL; // a PINGREQ within each keep-alive period
static const unsigned long READ_INTERVAL_MS = 10000UL; // profile: interval: 10s
static const unsigned long CONNECT_RETRY_MS = 5000UL; // CONNECT again until CONNACK
// §6.13 retransmission: T_retry and N_retry. The spec suggests 10-15 s for radio networks;
// a USB line answers within milliseconds, so 3 s is plenty.
static const unsigned long T_RETRY_MS = 3000UL;
static const uint8_t N_RETRY = 5;
// §6.6: after PUBACK "rejected: congestion" the client waits T_WAIT (§7.2: > 5 min).
static const unsigned long T_WAIT_MS = 300000UL;

// Predefined topic ids (§6.7): the profile's mqttsn.predefined.
static const uint16_t TOPIC_TEMPERATURE = 1;
static const uint16_t TOPIC_HUMIDITY = 2;
static const uint16_t TOPIC_LED_SET = 3;

// Raw framing receiver (docs/contract.md §4.2): packets up to PACKET_MAX octets; a packet must be
// complete within RX_TIMEOUT_MS; after a framing error everything is dropped until the line
// has been silent for RX_IDLE_MS (the profile's `idle: 100ms`, the gateway's own rule).
static const uint8_t PACKET_MAX = 64;
static const unsigned long RX_TIMEOUT_MS = 100UL;
static const unsigned long RX_IDLE_MS = 100UL;

// ---------------------------------------------------------------- MQTT-SN 1.2 constants

// Message types (§5.2.2, Table 3). Note PUBCOMP < PUBREC < PUBREL numerically.
static const uint8_t MT_CONNECT = 0x04;
static const uint8_t MT_CONNACK = 0x05;
static const uint8_t MT_PUBLISH = 0x0C;
static const uint8_t MT_PUBACK = 0x0D;
static const uint8_t MT_SUBSCRIBE = 0x12;
static const uint8_t MT_SUBACK = 0x13;
static const uint8_t MT_PINGREQ = 0x16;
static const uint8_t MT_PINGRESP = 0x17;
static const uint8_t MT_DISCONNECT = 0x18;

// Flags octet (§5.3.4, Table 4): DUP | QoS(2) | Retain | Will | CleanSession | TopicIdType(2).
static const uint8_t FLAG_DUP = 0x80;
static const uint8_t FLAG_QOS1 = 0x20;
static const uint8_t FLAG_RETAIN = 0x10;
static const uint8_t FLAG_CLEAN_SESSION = 0x04;
static const uint8_t TOPIC_ID_TYPE_MASK = 0x03;
static const uint8_t TOPIC_ID_PREDEFINED = 0x01;

static const uint8_t PROTOCOL_ID = 0x01; // §5.3.8: always 0x01

// Return codes (§5.3.10, Table 5).
static const uint8_t RC_ACCEPTED = 0x00;
static const uint8_t RC_CONGESTION = 0x01;
static const uint8_t RC_INVALID_TOPIC_ID = 0x02;

// ---------------------------------------------------------------- state

// The client's view of its session (§6.2, §6.14): connecting, subscribing, then active.
enum SessionState : uint8_t { ST_CONNECTING, ST_SUBSCRIBING, ST_ACTIVE };

// The one request waiting for its answer (§6.13: every unicast request is supervised by
// T_retry/N_retry). The client never has two outstanding at once.
enum Request : uint8_t { REQ_NONE, REQ_CONNECT, REQ_SUBSCRIBE, REQ_PUBLISH, REQ_PING };

static SessionState session = ST_CONNECTING;
static Request request = REQ_NONE;
static uint8_t requestTries = 0;        // transmissions of the current request so far
static unsigned long requestSentMs = 0; // time of the last transmission
static uint16_t subscribeMsgId = 0;     // MsgId of the SUBSCRIBE in flight

// A reading waiting to be published. outbox[0] is the PUBLISH in flight (§6.6: only one
// QoS 1 PUBLISH outstanding at a time); its MsgId stays the same across every resend.
struct Reading {
  uint16_t topicId;
  uint16_t msgId;
  char text[8]; // "-40.0" .. "100.0"
};
static Reading outbox[2];
static uint8_t outboxCount = 0;
static bool headSent = false;     // outbox[0] went out before: every resend carries DUP=1
static uint8_t headRejects = 0;   // PUBACK 0x02 answers to outbox[0]
static bool congested = false;    // PUBACK 0x01: hold publishing for T_WAIT (§6.6)
static unsigned long congestedMs = 0;

static uint16_t lastMsgId = 0;
static unsigned long lastPingMs = 0; // last PINGREQ or CONNECT: starts a keep-alive period
static unsigned long lastReadMs = 0;

static uint8_t txBuf[PACKET_MAX];
static uint8_t txLen = 0;

enum RxState : uint8_t { RX_LENGTH, RX_BODY, RX_DISCARD };
static uint8_t rxBuf[PACKET_MAX];
static uint8_t rxLen = 0;
static RxState rxState = RX_LENGTH;
static unsigned long rxStartMs = 0; // first octet of the packet being collected
static unsigned long rxLastMs = 0;  // last octet received

// ---------------------------------------------------------------- small helpers

static uint16_t get16(const uint8_t *p) {
  return (uint16_t)(((uint16_t)p[0] << 8) | p[1]); // §5.2: multi-octet integers are big-endian
}

// MsgId (§5.3.7): 1..0xFFFF, never 0x0000 (which means "no MsgId" in a QoS 0 PUBLISH).
static uint16_t nextMsgId() {
  lastMsgId = (lastMsgId == 0xFFFF) ? 1 : (uint16_t)(lastMsgId + 1);
  return lastMsgId;
}

// A per-boot starting MsgId (noise of a floating analog input), so that after a reset the
// first MsgIds are unlikely to repeat ones the gateway remembers from the previous run.
static uint16_t bootMsgId() {
  uint16_t seed = (uint16_t)micros();
  for (uint8_t i = 0; i < 16; i++) seed = (uint16_t)((seed << 1) ^ (uint16_t)analogRead(A5));
  return seed;
}

// Writes tenths as decimal text with one decimal ("21.5", "-0.5"); `out` holds 8 chars.
static void formatTenths(int16_t tenths, char *out) {
  uint16_t magnitude = (tenths < 0) ? (uint16_t)(-(int32_t)tenths) : (uint16_t)tenths;
  char *p = out;
  if (tenths < 0) *p++ = '-';
  utoa(magnitude / 10U, p, 10);
  p += strlen(p);
  *p++ = '.';
  *p++ = (char)('0' + magnitude % 10U);
  *p = '\0';
}

// ---------------------------------------------------------------- sending (raw framing)

// Packets are built in txBuf: Length (filled in by txSend), MsgType, then the fields.
static void txBegin(uint8_t msgType) {
  txLen = 1;
  txBuf[txLen++] = msgType;
}

static void txByte(uint8_t octet) {
  if (txLen < PACKET_MAX) txBuf[txLen++] = octet; // every packet here is far below 64 octets
}

static void txWord(uint16_t value) {
  txByte((uint8_t)(value >> 8));
  txByte((uint8_t)(value & 0xFF));
}

static void txText(const char *text) {
  while (*text != '\0') txByte((uint8_t)*text++);
}

// Raw framing: the packet itself, its 1-octet Length first (§5.2.1).
static void txSend() {
  txBuf[0] = txLen;
  Serial.write(txBuf, txLen);
}

// CONNECT (§5.4.4): Flags, ProtocolId, Duration (keep-alive), ClientId. No Will.
static void sendConnect() {
  txBegin(MT_CONNECT);
  txByte(FLAG_CLEAN_SESSION);
  txByte(PROTOCOL_ID);
  txWord(KEEP_ALIVE_S);
  txText(CLIENT_ID);
  txSend();
  lastPingMs = millis();
}

// SUBSCRIBE (§5.4.15) to the predefined topic id of led/set at QoS 1.
static void sendSubscribe(bool dup) {
  txBegin(MT_SUBSCRIBE);
  txByte((uint8_t)((dup ? FLAG_DUP : 0) | FLAG_QOS1 | TOPIC_ID_PREDEFINED));
  txWord(subscribeMsgId);
  txWord(TOPIC_LED_SET);
  txSend();
}

// PUBLISH (§5.4.12) of outbox[0], QoS 1, retained (the profile's fields are state).
// DUP=1 on every transmission after the first (§5.3.4), also after a reconnect.
static void sendHeadPublish() {
  const Reading &r = outbox[0];
  txBegin(MT_PUBLISH);
  txByte((uint8_t)((headSent ? FLAG_DUP : 0) | FLAG_QOS1 | FLAG_RETAIN | TOPIC_ID_PREDEFINED));
  txWord(r.topicId);
  txWord(r.msgId);
  txText(r.text);
  txSend();
  headSent = true;
}

static void sendPingReq() {
  txBegin(MT_PINGREQ); // §5.4.19: no ClientId while active
  txSend();
  lastPingMs = millis();
}

static void sendPingResp() {
  txBegin(MT_PINGRESP); // §6.11: the gateway may PINGREQ us too
  txSend();
}

// PUBACK (§5.4.13): TopicId, MsgId, ReturnCode.
static void sendPubAck(uint16_t topicId, uint16_t msgId, uint8_t returnCode) {
  txBegin(MT_PUBACK);
  txWord(topicId);
  txWord(msgId);
  txByte(returnCode);
  txSend();
}

// ---------------------------------------------------------------- requests (§6.13)

// (Re)transmits the current request.
static void transmitRequest() {
  switch (request) {
    case REQ_CONNECT: sendConnect(); break;
    case REQ_SUBSCRIBE: sendSubscribe(requestTries > 0); break;
    case REQ_PUBLISH: sendHeadPublish(); break;
    case REQ_PING: sendPingReq(); break;
    case REQ_NONE: return;
  }
  requestTries++;
  requestSentMs = millis();
}

static void startRequest(Request r) {
  request = r;
  requestTries = 0;
  transmitRequest();
}

// §6.2: (re)connect. A reading in flight stays in the outbox and is resent, DUP=1 and the
// same MsgId, once the session is back.
static void startConnect() {
  session = ST_CONNECTING;
  startRequest(REQ_CONNECT);
}

// Drops outbox[0]: acknowledged, or refused for good.
static void popReading() {
  outbox[0] = outbox[1];
  if (outboxCount > 0) outboxCount--;
  headSent = false;
  headRejects = 0;
}

// Called every loop: resend an unanswered request after T_retry (CONNECT: every 5 s, for
// ever); after N_retry resends the gateway is taken as gone and the client reconnects.
static void superviseRequest(unsigned long now) {
  if (request == REQ_NONE) return;
  unsigned long timeout = (request == REQ_CONNECT) ? CONNECT_RETRY_MS : T_RETRY_MS;
  if (now - requestSentMs < timeout) return;
  if (request != REQ_CONNECT && requestTries > N_RETRY) {
    startConnect();
    return;
  }
  transmitRequest();
}

// ---------------------------------------------------------------- received packets

static void onConnAck(uint8_t returnCode) {
  if (request != REQ_CONNECT) return;
  if (returnCode != RC_ACCEPTED) return; // refused (e.g. congestion): CONNECT again in 5 s
  session = ST_SUBSCRIBING;
  subscribeMsgId = nextMsgId();
  startRequest(REQ_SUBSCRIBE);
}

// SUBACK's ReturnCode is not needed: a refusal (e.g. 0x02, the profile has no id 3) only
// costs the LED commands, and subscribing again would be refused again.
static void onSubAck(uint16_t msgId) {
  if (request != REQ_SUBSCRIBE || msgId != subscribeMsgId) return;
  request = REQ_NONE;
  session = ST_ACTIVE; // loop() now sends the pending reading, if any
}

static void onPubAck(uint16_t msgId, uint8_t returnCode) {
  if (request != REQ_PUBLISH || outboxCount == 0 || msgId != outbox[0].msgId) return;
  request = REQ_NONE;
  if (returnCode == RC_ACCEPTED) {
    popReading();
  } else if (returnCode == RC_CONGESTION) {
    congested = true; // §6.6: wait T_WAIT, then resend (DUP=1, same MsgId)
    congestedMs = millis();
  } else if (returnCode == RC_INVALID_TOPIC_ID && ++headRejects < 2) {
    startConnect(); // the gateway lost our session: reconnect, then resend
  } else {
    // 0x03 (the gateway refused the value), or 0x02 again after a fresh session: a
    // predefined id the gateway does not know cannot be fixed by resending (§6.7).
    popReading();
  }
}

// An incoming PUBLISH (§5.4.12): Flags, TopicId, MsgId, Data.
static void onPublish(const uint8_t *p, uint8_t len) {
  uint8_t flags = p[2];
  uint16_t topicId = get16(p + 3);
  uint16_t msgId = get16(p + 5);
  const char *data = (const char *)(p + 7);
  uint8_t dataLen = (uint8_t)(len - 7);
  uint8_t qos = (uint8_t)((flags >> 5) & 0x03);
  bool ours = (flags & TOPIC_ID_TYPE_MASK) == TOPIC_ID_PREDEFINED && topicId == TOPIC_LED_SET;
  if (ours) {
    // A resend (DUP) of a command we already applied just applies it again.
    if (dataLen == 2 && memcmp(data, "on", 2) == 0) digitalWrite(LED_PIN, HIGH);
    else if (dataLen == 3 && memcmp(data, "off", 3) == 0) digitalWrite(LED_PIN, LOW);
    if (qos == 1) sendPubAck(topicId, msgId, RC_ACCEPTED);
  } else if (qos != 3) {
    sendPubAck(topicId, msgId, RC_INVALID_TOPIC_ID); // §6.10: unknown topic id, any QoS
  }
}

// One complete packet from the gateway. Sizes are checked per type; unknown or unexpected
// types (ADVERTISE, GWINFO, REGISTER, ...) are ignored.
static void handlePacket(const uint8_t *p, uint8_t len) {
  switch (p[1]) {
    case MT_CONNACK:
      if (len == 3) onConnAck(p[2]);
      break;
    case MT_SUBACK: // Flags, TopicId, MsgId, ReturnCode
      if (len == 8) onSubAck(get16(p + 5));
      break;
    case MT_PUBACK: // TopicId, MsgId, ReturnCode
      if (len == 7) onPubAck(get16(p + 4), p[6]);
      break;
    case MT_PUBLISH:
      if (len >= 7) onPublish(p, len);
      break;
    case MT_PINGREQ:
      sendPingResp();
      break;
    case MT_PINGRESP:
      if (len == 2 && request == REQ_PING) request = REQ_NONE;
      break;
    case MT_DISCONNECT:
      // §6.12/§6.14: the gateway does not know us as connected (it restarted, or took us
      // for lost): reconnect. During CONNECT the retries carry on anyway.
      if (session != ST_CONNECTING) startConnect();
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- receiving (raw framing)

// Collects octets into rxBuf by the Length octet. An impossible Length (0, 0x01 = the
// 3-octet form, or more than PACKET_MAX) or a packet not complete within RX_TIMEOUT_MS
// is dropped, and so is everything after it until RX_IDLE_MS of silence: never slide one
// octet at a time looking for a Length, that turns payload into fake packets.
static void pollSerial() {
  unsigned long now = millis();
  if (rxState == RX_BODY && now - rxStartMs >= RX_TIMEOUT_MS) rxState = RX_DISCARD;
  if (rxState == RX_DISCARD && now - rxLastMs >= RX_IDLE_MS) rxState = RX_LENGTH;
  while (Serial.available() > 0) {
    uint8_t octet = (uint8_t)Serial.read();
    rxLastMs = millis();
    if (rxState == RX_DISCARD) continue;
    if (rxState == RX_LENGTH) {
      if (octet < 2 || octet > PACKET_MAX) {
        rxState = RX_DISCARD;
      } else {
        rxBuf[0] = octet;
        rxLen = 1;
        rxStartMs = rxLastMs;
        rxState = RX_BODY;
      }
      continue;
    }
    rxBuf[rxLen++] = octet;
    if (rxLen == rxBuf[0]) {
      rxState = RX_LENGTH;
      handlePacket(rxBuf, rxLen);
    }
  }
}

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

// 20.5 .. 22.5 °C and 43.0 .. 47.0 %, in tenths.
static bool readSensor(int16_t *temperature, int16_t *humidity) {
  *temperature = (int16_t)(205 + (int16_t)(fakeNext() % 21U));
  *humidity = (int16_t)(430 + (int16_t)(fakeNext() % 41U));
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
// 80 us high, then 40 bits: 50 us low + 26-28 us high (0) or 70 us high (1)). Values in
// tenths, as the sensor sends them. Interrupts are off for ~5 ms: a packet arriving
// meanwhile may lose octets, which the raw receiver drops and the gateway resends.
static bool readSensor(int16_t *temperature, int16_t *humidity) {
  uint16_t cycles[80];
  uint8_t data[5] = {0, 0, 0, 0, 0};

  pinMode(DHT_PIN, INPUT_PULLUP);
  delay(1);
  pinMode(DHT_PIN, OUTPUT);
  digitalWrite(DHT_PIN, LOW);
  delayMicroseconds(1100);

  noInterrupts();
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

  uint16_t rh = (uint16_t)(((uint16_t)data[0] << 8) | data[1]);
  int16_t t = (int16_t)(((uint16_t)(data[2] & 0x7F) << 8) | data[3]);
  if (rh > 1000 || t > 850) return false; // outside what the profile accepts
  *humidity = (int16_t)rh;
  *temperature = (data[2] & 0x80) ? (int16_t)-t : t;
  return true;
}
#endif

// Queues temperature then humidity, each with a fresh MsgId.
static void takeReading() {
  int16_t temperature;
  int16_t humidity;
  if (!readSensor(&temperature, &humidity)) return; // no answer / bad checksum: skip
  outbox[0].topicId = TOPIC_TEMPERATURE;
  outbox[0].msgId = nextMsgId();
  formatTenths(temperature, outbox[0].text);
  outbox[1].topicId = TOPIC_HUMIDITY;
  outbox[1].msgId = nextMsgId();
  formatTenths(humidity, outbox[1].text);
  outboxCount = 2;
  headSent = false;
  headRejects = 0;
}

// ---------------------------------------------------------------- Arduino entry points

void setup() {
  pinMode(LED_PIN, OUTPUT);
  digitalWrite(LED_PIN, LOW);
  pinMode(DHT_PIN, INPUT_PULLUP);
  lastMsgId = bootMsgId();
  Serial.begin(BAUD_RATE);
  lastReadMs = millis() - READ_INTERVAL_MS + 2000UL; // first reading 2 s after boot (DHT22 warm-up)
  startConnect();
}

void loop() {
  pollSerial();
  unsigned long now = millis();
  superviseRequest(now);
  if (session != ST_ACTIVE || request != REQ_NONE) return;

  // Active and nothing outstanding. §6.11: the client sends a PINGREQ within each keep-alive
  // period, also while it is busy publishing; 2 octets every 45 s, and the session does not
  // depend on the gateway counting PUBLISHes as signs of life.
  if (now - lastPingMs >= PING_INTERVAL_MS) {
    startRequest(REQ_PING);
    return;
  }
  // Then the next reading, or the pending one.
  // (Not while a packet is arriving: the DHT22 read turns interrupts off for ~5 ms.)
  if (outboxCount == 0 && rxState == RX_LENGTH && now - lastReadMs >= READ_INTERVAL_MS) {
    lastReadMs = now;
    takeReading();
  }
  if (congested && now - congestedMs >= T_WAIT_MS) congested = false;
  if (outboxCount > 0 && !congested) startRequest(REQ_PUBLISH);
}
