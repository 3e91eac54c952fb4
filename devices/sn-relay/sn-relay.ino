// sn-relay.ino — reference firmware for devices/sn-relay/profile.yaml (tty2mqtt).
//
// A relay board that speaks MQTT-SN v1.2 to the tty2mqtt gateway over its USB serial line
// (docs/contract.md §4.2, protocol: mqttsn, framing: slip). Every packet travels in its own SLIP
// frame with a CRC-16, so line noise costs one frame, never a fake packet:
//
//   C0 · SLIP(packet ‖ CRC-16) · C0
//
// - SLIP (RFC 1055): C0 ends a frame; inside, C0 is sent as DB DC and DB as DB DD.
// - CRC-16/CCITT-FALSE over the packet: poly 0x1021, init 0xFFFF, not reflected, xorout 0,
//   appended big-endian (check value: "123456789" -> 0x29B1).
// - A frame with a bad escape, a bad CRC, a Length that does not match, or more than
//   PACKET_MAX + 2 octets is dropped whole; the next C0 starts afresh.
//
// Wiring (Arduino Uno):
//   Relay module  IN -> D7, VCC -> 5V, GND -> GND (many modules switch on a LOW input:
//                 set RELAY_ACTIVE_HIGH to 0 for those)
//   LED           D13: the built-in LED, lit while the relay is on
//   USB           to the machine running tty2mqtt; 115200 baud, 8N1
//
// Topics: names relative to <base_topic>/<port>/, REGISTERed after each CONNECT (§6.5);
// the gateway assigns the topic ids and the sketch keeps them in topicIds[]:
//   relay       PUBLISH QoS 1 "on" / "off": on every change and every 30 s
//   uptime      PUBLISH QoS 1, seconds since boot as integer text, every 30 s
//   radio/rssi  PUBLISH QoS 0 (a lost sample is replaced by the next), e.g. "-60" (dBm), every 30 s (simulated: a USB board has no
//               radio; replace readRssi() with your radio's reading)
//   relay/set   SUBSCRIBE QoS 1 by name; the SUBACK carries its topic id. "on" / "off"
//               switch the relay; the PUBLISH is PUBACKed and the new state published.
// The Will (§6.3): topic "relay", QoS 1, retained, message "off" — published by the gateway
// when the board goes silent for 1.5 × its 60 s keep-alive.
//
// Behaviour:
// - CONNECT (ClientId "sn-relay", CleanSession on the first CONNECT after power-up, keep-
//   alive 60 s, Will) every 5 s until CONNACK; the gateway asks for the Will in between:
//   WILLTOPICREQ -> WILLTOPIC, WILLMSGREQ -> WILLMSG. Later reconnects keep the session
//   (CleanSession=0), so the gateway keeps the subscription and messages for the board.
// - REGISTER "relay", "uptime", "radio/rssi", one at a time, then SUBSCRIBE "relay/set".
// - One request is outstanding at a time (REGISTER, SUBSCRIBE, PUBLISH, PINGREQ, ...):
//   unanswered after 3 s it is resent (DUP=1 where the packet has the flag, same MsgId),
//   up to 5 times; then the gateway is taken as gone and the sketch reconnects.
// - DISCONNECT from the gateway (it restarted and forgot the board): reconnect, register
//   and subscribe again, then resend the pending PUBLISH with DUP=1 and its MsgId. The
//   gateway recognises a resend of what it already queued, so nothing is lost or doubled.
// - A PINGREQ every 45 s while connected, busy or not: one within each 60 s keep-alive
//   period (§6.11).
//
// Sleeping (§6.14): #define SLEEP_SECONDS N (N > 0) makes the board sleep between reports:
// after each report it sends DISCONNECT(Duration N) and waits for the gateway's DISCONNECT,
// sleeps N seconds (delay() here; a battery board would power down), wakes with
// PINGREQ(ClientId), takes the messages the gateway kept for it (switching the relay as
// told) until PINGRESP, then reconnects to publish its next report. Keep N well below the
// port's `idle_timeout` in gateway.yaml (default 120 s), or set that to 0: a port silent
// for that long is reopened.
//
// The serial line carries MQTT-SN only: never Serial.print() debug text here.
//
// #define FAKE_SENSORS 1 (or build with -DFAKE_SENSORS=1) makes radio/rssi a fixed-seed
// sequence (the same on every run) instead of the constant -60: for emulators and tests.
//
// Needs only the Arduino AVR core: no libraries, every function declared before use.

#include <Arduino.h>
#include <stdlib.h>
#include <string.h>

#ifndef FAKE_SENSORS
#define FAKE_SENSORS 0 // 1: radio/rssi from a deterministic fake sequence
#endif
#ifndef SLEEP_SECONDS
#define SLEEP_SECONDS 0 // > 0: sleep this long between reports (§6.14)
#endif
#ifndef RELAY_ACTIVE_HIGH
#define RELAY_ACTIVE_HIGH 1 // 0 for relay modules that switch on a LOW input
#endif

// ---------------------------------------------------------------- settings

static const uint8_t RELAY_PIN = 7;
static const uint8_t LED_PIN = LED_BUILTIN; // D13 on an Uno
static const unsigned long BAUD_RATE = 115200UL; // gateway.yaml default baud_rate

static const char CLIENT_ID[] = "sn-relay";
static const uint16_t KEEP_ALIVE_S = 60;               // CONNECT Duration (§5.4.4, §6.11)
static const unsigned long PING_INTERVAL_MS = 45000UL; // a PINGREQ within each keep-alive period
static const unsigned long REPORT_INTERVAL_MS = 30000UL; // profile: interval: 30s
static const unsigned long CONNECT_RETRY_MS = 5000UL;  // CONNECT again until CONNACK
// §6.13 retransmission: T_retry and N_retry. The spec suggests 10-15 s for radio networks;
// a USB line answers within milliseconds, so 3 s is plenty.
static const unsigned long T_RETRY_MS = 3000UL;
static const uint8_t N_RETRY = 5;
// §6.5/§6.6: after "rejected: congestion" the client waits T_WAIT (§7.2: > 5 min).
static const unsigned long T_WAIT_MS = 300000UL;

// The Will (§6.3): retained "off" on the relay topic.
static const char WILL_TOPIC[] = "relay";
static const char WILL_MESSAGE[] = "off";

// Topic names this board publishes (fields of the profile), REGISTERed after each CONNECT.
enum Topic : uint8_t { T_RELAY, T_UPTIME, T_RSSI, TOPIC_COUNT };
static const char *const TOPIC_NAMES[TOPIC_COUNT] = {"relay", "uptime", "radio/rssi"};
static const char COMMAND_TOPIC[] = "relay/set"; // SUBSCRIBEd by name

// Framing: packets up to PACKET_MAX octets, each with its 2-octet CRC.
static const uint8_t PACKET_MAX = 64;

// ---------------------------------------------------------------- MQTT-SN 1.2 constants

// Message types (§5.2.2, Table 3). Note PUBCOMP < PUBREC < PUBREL numerically.
static const uint8_t MT_CONNECT = 0x04;
static const uint8_t MT_CONNACK = 0x05;
static const uint8_t MT_WILLTOPICREQ = 0x06;
static const uint8_t MT_WILLTOPIC = 0x07;
static const uint8_t MT_WILLMSGREQ = 0x08;
static const uint8_t MT_WILLMSG = 0x09;
static const uint8_t MT_REGISTER = 0x0A;
static const uint8_t MT_REGACK = 0x0B;
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
static const uint8_t FLAG_WILL = 0x08;
static const uint8_t FLAG_CLEAN_SESSION = 0x04;
static const uint8_t TOPIC_ID_TYPE_MASK = 0x03;
static const uint8_t TOPIC_ID_NORMAL = 0x00; // a registered id; in SUBSCRIBE: a topic name

static const uint8_t PROTOCOL_ID = 0x01; // §5.3.8: always 0x01

// Return codes (§5.3.10, Table 5).
static const uint8_t RC_ACCEPTED = 0x00;
static const uint8_t RC_CONGESTION = 0x01;
static const uint8_t RC_INVALID_TOPIC_ID = 0x02;
static const uint8_t RC_NOT_SUPPORTED = 0x03;

// SLIP (RFC 1055).
static const uint8_t SLIP_END = 0xC0;
static const uint8_t SLIP_ESC = 0xDB;
static const uint8_t SLIP_ESC_END = 0xDC;
static const uint8_t SLIP_ESC_ESC = 0xDD;

// ---------------------------------------------------------------- state

// The client's side of the session (§6.14, Fig. 4): connecting (with the Will handshake of
// §6.3), registering (§6.5), subscribing (§6.9), active; with SLEEP_SECONDS also going to
// sleep (DISCONNECT with a Duration sent) and awake (PINGREQ with the ClientId sent).
enum SessionState : uint8_t {
  ST_CONNECTING,
  ST_REGISTERING,
  ST_SUBSCRIBING,
  ST_ACTIVE,
  ST_GOING_TO_SLEEP,
  ST_AWAKE,
};

// The one request waiting for its answer (§6.13: every unicast request is supervised by
// T_retry/N_retry). The client never has two outstanding at once.
enum Request : uint8_t {
  REQ_NONE,
  REQ_CONNECT,   // CONNECT -> CONNACK (the Will packets in between are answers, not requests)
  REQ_REGISTER,  // REGISTER -> REGACK
  REQ_SUBSCRIBE, // SUBSCRIBE -> SUBACK
  REQ_PUBLISH,   // PUBLISH QoS 1 -> PUBACK
  REQ_PING,      // PINGREQ -> PINGRESP (keep-alive)
  REQ_SLEEP,     // DISCONNECT(Duration) -> DISCONNECT
  REQ_WAKE,      // PINGREQ(ClientId) -> buffered messages, then PINGRESP
};

static SessionState session = ST_CONNECTING;
static Request request = REQ_NONE;
static uint8_t requestTries = 0;        // transmissions of the current request so far
static unsigned long requestSentMs = 0; // time of the last transmission
static uint16_t requestMsgId = 0;       // MsgId of the REGISTER / SUBSCRIBE in flight
static bool congested = false;          // "rejected: congestion": wait T_WAIT (§6.5, §6.6)
static unsigned long congestedMs = 0;

static bool cleanSession = true;        // only the first CONNECT after power-up
static uint16_t topicIds[TOPIC_COUNT];  // from REGACK; 0 = none (0x0000 is reserved, §5.3.11)
static uint8_t refusedTopics = 0;       // bit per Topic: the gateway refused its REGISTER
static uint8_t registering = 0;         // the Topic whose REGISTER is in flight
static bool subscribed = false;         // SUBSCRIBE answered on this connection
static uint16_t commandTopicId = 0;     // relay/set: from SUBACK (or the gateway's REGISTER)

// What to publish: a bit per Topic whose current value is due; the PUBLISH in flight is
// built once (§6.6: one QoS 1 PUBLISH outstanding) and resent unchanged, same MsgId.
static uint8_t dirty = 0;
static bool pubHeld = false;  // a PUBLISH is built and not yet acknowledged
static bool pubSent = false;  // ... and went out before: every resend carries DUP=1
static uint8_t pubRejects = 0; // PUBACK 0x02 answers to it
static uint8_t pubTopic = 0;
static uint16_t pubMsgId = 0;
static char pubText[12];
static bool sleepAfterReport = false;

static bool relayOn = false;
static uint16_t lastMsgId = 0;
static unsigned long lastPingMs = 0; // last PINGREQ or CONNECT: starts a keep-alive period
static unsigned long lastReportMs = 0;
static uint32_t uptimeSeconds = 0;
static unsigned long uptimeMarkMs = 0;

static uint8_t txBuf[PACKET_MAX];
static uint8_t txLen = 0;

static uint8_t rxBuf[PACKET_MAX + 2]; // packet ‖ CRC
static uint8_t rxLen = 0;
static bool rxEscaped = false; // the previous octet was SLIP_ESC
static bool rxBad = false;     // bad escape or oversize: drop up to the next SLIP_END

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

// CRC-16/CCITT-FALSE, one octet at a time (bitwise: no 512-octet table in RAM).
static uint16_t crc16Update(uint16_t crc, uint8_t octet) {
  crc ^= (uint16_t)octet << 8;
  for (uint8_t bit = 0; bit < 8; bit++) {
    crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
  }
  return crc;
}

static uint16_t crc16(const uint8_t *data, uint8_t len) {
  uint16_t crc = 0xFFFF;
  for (uint8_t i = 0; i < len; i++) crc = crc16Update(crc, data[i]);
  return crc;
}

// Seconds since boot, counted from millis() deltas so it does not wrap after 49 days.
static void updateUptime(unsigned long now) {
  while (now - uptimeMarkMs >= 1000UL) {
    uptimeMarkMs += 1000UL;
    uptimeSeconds++;
  }
}

#if FAKE_SENSORS
static uint16_t fakeState = 0xACE1; // fixed seed: the same values on every run

// 16-bit Galois LFSR (taps 0xB400, period 65535).
static uint16_t fakeNext() {
  uint16_t lsb = (uint16_t)(fakeState & 1U);
  fakeState >>= 1;
  if (lsb != 0) fakeState ^= 0xB400;
  return fakeState;
}

static int16_t readRssi() {
  return (int16_t)(-75 + (int16_t)(fakeNext() % 21U)); // -75 .. -55 dBm
}
#else
// A USB board has no radio: report a plausible constant. Put your radio's RSSI here.
static int16_t readRssi() {
  return -60;
}
#endif

static void setRelay(bool on) {
  relayOn = on;
  digitalWrite(RELAY_PIN, (on == (RELAY_ACTIVE_HIGH != 0)) ? HIGH : LOW);
  digitalWrite(LED_PIN, on ? HIGH : LOW);
}

// ---------------------------------------------------------------- sending (SLIP + CRC)

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

static void slipWrite(uint8_t octet) {
  if (octet == SLIP_END) {
    Serial.write(SLIP_ESC);
    Serial.write(SLIP_ESC_END);
  } else if (octet == SLIP_ESC) {
    Serial.write(SLIP_ESC);
    Serial.write(SLIP_ESC_ESC);
  } else {
    Serial.write(octet);
  }
}

// C0 · SLIP(packet ‖ CRC-16 big-endian) · C0. The leading END flushes any line noise.
static void txSend() {
  txBuf[0] = txLen; // §5.2.1: the 1-octet Length form, the whole packet
  uint16_t crc = crc16(txBuf, txLen);
  Serial.write(SLIP_END);
  for (uint8_t i = 0; i < txLen; i++) slipWrite(txBuf[i]);
  slipWrite((uint8_t)(crc >> 8));
  slipWrite((uint8_t)(crc & 0xFF));
  Serial.write(SLIP_END);
}

// CONNECT (§5.4.4): Flags (Will, CleanSession), ProtocolId, Duration (keep-alive), ClientId.
static void sendConnect() {
  txBegin(MT_CONNECT);
  txByte((uint8_t)(FLAG_WILL | (cleanSession ? FLAG_CLEAN_SESSION : 0)));
  txByte(PROTOCOL_ID);
  txWord(KEEP_ALIVE_S);
  txText(CLIENT_ID);
  txSend();
  lastPingMs = millis();
}

// WILLTOPIC (§5.4.7): Flags (Will QoS 1, Will Retain), WillTopic.
static void sendWillTopic() {
  txBegin(MT_WILLTOPIC);
  txByte((uint8_t)(FLAG_QOS1 | FLAG_RETAIN));
  txText(WILL_TOPIC);
  txSend();
}

// WILLMSG (§5.4.9): WillMsg.
static void sendWillMsg() {
  txBegin(MT_WILLMSG);
  txText(WILL_MESSAGE);
  txSend();
}

// REGISTER (§5.4.10) from a client: TopicId 0x0000, MsgId, TopicName.
static void sendRegister() {
  txBegin(MT_REGISTER);
  txWord(0x0000);
  txWord(requestMsgId);
  txText(TOPIC_NAMES[registering]);
  txSend();
}

// SUBSCRIBE (§5.4.15) to relay/set by name (TopicIdType 0b00), QoS 1.
static void sendSubscribe(bool dup) {
  txBegin(MT_SUBSCRIBE);
  txByte((uint8_t)((dup ? FLAG_DUP : 0) | FLAG_QOS1 | TOPIC_ID_NORMAL));
  txWord(requestMsgId);
  txText(COMMAND_TOPIC);
  txSend();
}

// PUBLISH (§5.4.12) of the held message, QoS 1, retained, on the topic's current id (it
// may have changed with a new registration). DUP=1 on every resend (§5.3.4).
static void sendHeldPublish() {
  txBegin(MT_PUBLISH);
  txByte((uint8_t)((pubSent ? FLAG_DUP : 0) | FLAG_QOS1 | FLAG_RETAIN | TOPIC_ID_NORMAL));
  txWord(topicIds[pubTopic]);
  txWord(pubMsgId);
  txText(pubText);
  txSend();
  pubSent = true;
}

// PUBLISH QoS 0 (§6.6): sent once, not acknowledged, MsgId 0x0000 (§5.3.7) — for a value
// where the next sample replaces a lost one.
static void sendQos0Publish(uint8_t topic, const char *text) {
  txBegin(MT_PUBLISH);
  txByte((uint8_t)(FLAG_RETAIN | TOPIC_ID_NORMAL));
  txWord(topicIds[topic]);
  txWord(0);
  txText(text);
  txSend();
}

// PINGREQ (§5.4.19): with the ClientId only when waking from sleep (§6.14).
static void sendPingReq(bool withClientId) {
  txBegin(MT_PINGREQ);
  if (withClientId) txText(CLIENT_ID);
  txSend();
  lastPingMs = millis();
}

static void sendPingResp() {
  txBegin(MT_PINGRESP); // §6.11: the gateway may PINGREQ us too
  txSend();
}

// DISCONNECT (§5.4.21) with a Duration: the client goes to sleep (§6.14).
static void sendSleepDisconnect() {
  txBegin(MT_DISCONNECT);
  txWord((uint16_t)SLEEP_SECONDS);
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

// REGACK (§5.4.11): TopicId, MsgId, ReturnCode.
static void sendRegAck(uint16_t topicId, uint16_t msgId, uint8_t returnCode) {
  txBegin(MT_REGACK);
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
    case REQ_REGISTER: sendRegister(); break; // REGISTER has no DUP flag: same MsgId
    case REQ_SUBSCRIBE: sendSubscribe(requestTries > 0); break;
    case REQ_PUBLISH: sendHeldPublish(); break;
    case REQ_PING: sendPingReq(false); break;
    case REQ_SLEEP: sendSleepDisconnect(); break;
    case REQ_WAKE: sendPingReq(true); break;
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

// §6.2: (re)connect. Topic ids are registered afresh on every connection; a PUBLISH in
// flight stays held and is resent, DUP=1 and the same MsgId, once the session is back.
static void startConnect() {
  session = ST_CONNECTING;
  for (uint8_t i = 0; i < TOPIC_COUNT; i++) topicIds[i] = 0;
  refusedTopics = 0;
  subscribed = false;
  commandTopicId = 0;
  congested = false;
  startRequest(REQ_CONNECT);
}

// Publish every field now (the 30 s report); with SLEEP_SECONDS, sleep once it is out.
static void reportAll() {
  dirty = (uint8_t)((1U << TOPIC_COUNT) - 1U);
  lastReportMs = millis();
  sleepAfterReport = (SLEEP_SECONDS > 0);
}

// The next step of a fresh connection: REGISTER each topic name still without an id, one
// at a time (§6.5), SUBSCRIBE once (§6.9), then active.
static void advanceSession() {
  for (uint8_t i = 0; i < TOPIC_COUNT; i++) {
    if (topicIds[i] == 0 && (refusedTopics & (1U << i)) == 0) {
      session = ST_REGISTERING;
      registering = i;
      requestMsgId = nextMsgId();
      startRequest(REQ_REGISTER);
      return;
    }
  }
  if (!subscribed) {
    session = ST_SUBSCRIBING;
    requestMsgId = nextMsgId();
    startRequest(REQ_SUBSCRIBE);
    return;
  }
  session = ST_ACTIVE;
}

// Takes the lowest due field and builds its PUBLISH from the current value.
static void holdNextPublish() {
  for (uint8_t i = 0; i < TOPIC_COUNT; i++) {
    if ((dirty & (1U << i)) == 0) continue;
    dirty = (uint8_t)(dirty & ~(1U << i));
    if (topicIds[i] == 0) continue; // the gateway refused this name: nothing to publish on
    if (i == T_RSSI) {
      char text[8];
      itoa(readRssi(), text, 10);
      sendQos0Publish(T_RSSI, text);
      continue;
    }
    if (i == T_RELAY) strcpy(pubText, relayOn ? "on" : "off");
    else ultoa(uptimeSeconds, pubText, 10);
    pubTopic = i;
    pubMsgId = nextMsgId();
    pubHeld = true;
    pubSent = false;
    pubRejects = 0;
    return;
  }
}

// Active and nothing outstanding: the next PUBLISH, going to sleep, or a keep-alive.
static void activeStep(unsigned long now) {
  if (now - lastReportMs >= REPORT_INTERVAL_MS) reportAll();
  if (!pubHeld) holdNextPublish();
  if (pubHeld && topicIds[pubTopic] == 0) pubHeld = false; // its name was refused meanwhile
  if (pubHeld) {
    if (!congested) startRequest(REQ_PUBLISH);
  } else if (sleepAfterReport && dirty == 0) {
    sleepAfterReport = false;
    session = ST_GOING_TO_SLEEP;
    startRequest(REQ_SLEEP);
  }
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

// §6.14: the gateway acknowledged the DISCONNECT(Duration): sleep, then wake and ask for
// what was kept for us.
static void sleepNow() {
  request = REQ_NONE;
  Serial.flush(); // let the last octets leave before "powering down"
  // A battery board would power the MCU and radio down here (sleep_mode(), a watchdog or
  // RTC wake-up); delay() keeps this demo simple. millis() goes on counting meanwhile.
  delay((unsigned long)SLEEP_SECONDS * 1000UL);
  session = ST_AWAKE;
  startRequest(REQ_WAKE);
}

// ---------------------------------------------------------------- received packets

static void onConnAck(uint8_t returnCode) {
  if (request != REQ_CONNECT) return;
  if (returnCode != RC_ACCEPTED) return; // refused (e.g. congestion): CONNECT again in 5 s
  request = REQ_NONE;
  cleanSession = false; // from now on reconnects keep the session (subscription, buffer)
  reportAll();          // fresh session: publish every field once registered
  advanceSession();
}

static void onRegAck(uint16_t topicId, uint16_t msgId, uint8_t returnCode) {
  if (request != REQ_REGISTER || msgId != requestMsgId) return;
  request = REQ_NONE;
  if (returnCode == RC_ACCEPTED && topicId != 0x0000 && topicId != 0xFFFF) {
    topicIds[registering] = topicId;
  } else if (returnCode == RC_CONGESTION) {
    congested = true; // §6.5: wait T_WAIT, then REGISTER again (loop() does it)
    congestedMs = millis();
    return;
  } else {
    refusedTopics = (uint8_t)(refusedTopics | (1U << registering)); // e.g. 0x03: not a field
  }
  advanceSession();
}

static void onSubAck(uint16_t topicId, uint16_t msgId, uint8_t returnCode) {
  if (request != REQ_SUBSCRIBE || msgId != requestMsgId) return;
  request = REQ_NONE;
  if (returnCode == RC_CONGESTION) {
    congested = true; // wait T_WAIT, then SUBSCRIBE again (loop() does it)
    congestedMs = millis();
    return;
  }
  // §6.9: a topic name without wildcards gets its topic id in the SUBACK. A refusal only
  // costs the commands.
  if (returnCode == RC_ACCEPTED) commandTopicId = topicId;
  subscribed = true;
  advanceSession();
}

static void onPubAck(uint16_t msgId, uint8_t returnCode) {
  if (request != REQ_PUBLISH || !pubHeld || msgId != pubMsgId) return;
  request = REQ_NONE;
  if (returnCode == RC_ACCEPTED) {
    pubHeld = false;
  } else if (returnCode == RC_CONGESTION) {
    congested = true; // §6.6: wait T_WAIT, then resend (DUP=1, same MsgId)
    congestedMs = millis();
  } else if (returnCode == RC_INVALID_TOPIC_ID && ++pubRejects < 2) {
    // §6.6: the gateway does not know the id: register the name again, then resend.
    topicIds[pubTopic] = 0;
    advanceSession();
  } else {
    pubHeld = false; // 0x03: the gateway refused the value for good
  }
}

// The gateway's REGISTER (§6.10), before it PUBLISHes on a name this client has no id for.
static void onGatewayRegister(const uint8_t *p, uint8_t len) {
  uint16_t topicId = get16(p + 2);
  uint16_t msgId = get16(p + 4);
  uint8_t nameLen = (uint8_t)(len - 6);
  bool ours = nameLen == strlen(COMMAND_TOPIC) && memcmp(p + 6, COMMAND_TOPIC, nameLen) == 0;
  if (ours) commandTopicId = topicId;
  // Refusing a name acts as an unsubscribe from it (§6.10): only relay/set is wanted.
  sendRegAck(topicId, msgId, ours ? RC_ACCEPTED : RC_NOT_SUPPORTED);
}

// An incoming PUBLISH (§5.4.12): Flags, TopicId, MsgId, Data. Also while awake (§6.14):
// the messages the gateway kept while the board slept.
static void onPublish(const uint8_t *p, uint8_t len) {
  uint8_t flags = p[2];
  uint16_t topicId = get16(p + 3);
  uint16_t msgId = get16(p + 5);
  const char *data = (const char *)(p + 7);
  uint8_t dataLen = (uint8_t)(len - 7);
  uint8_t qos = (uint8_t)((flags >> 5) & 0x03);
  bool ours = (flags & TOPIC_ID_TYPE_MASK) == TOPIC_ID_NORMAL && commandTopicId != 0 &&
              topicId == commandTopicId;
  if (!ours) {
    if (qos != 3) sendPubAck(topicId, msgId, RC_INVALID_TOPIC_ID); // §6.10, any QoS
    return;
  }
  // A resend (DUP) of a command already applied just applies it again.
  if (dataLen == 2 && memcmp(data, "on", 2) == 0) setRelay(true);
  else if (dataLen == 3 && memcmp(data, "off", 3) == 0) setRelay(false);
  if (qos == 1) sendPubAck(topicId, msgId, RC_ACCEPTED);
  dirty = (uint8_t)(dirty | (1U << T_RELAY)); // publish the state it is in now
}

static void onPingResp() {
  if (request == REQ_PING) {
    request = REQ_NONE;
  } else if (request == REQ_WAKE) {
    // §6.14: PINGRESP ends the delivery of kept messages and the gateway takes the
    // client as asleep again. To publish, the client has to CONNECT.
    request = REQ_NONE;
    startConnect();
  }
}

static void onDisconnect() {
  if (request == REQ_SLEEP) {
    sleepNow(); // §6.14: the gateway's answer to DISCONNECT(Duration)
  } else if (session != ST_CONNECTING) {
    // §6.12/§6.14: the gateway does not know us as connected (it restarted, or took us
    // for lost): reconnect. During CONNECT the retries carry on anyway.
    startConnect();
  }
}

// One packet from a good frame. Sizes are checked per type; unknown or unexpected types
// (ADVERTISE, GWINFO, PUBREL, ...) are ignored.
static void handlePacket(const uint8_t *p, uint8_t len) {
  switch (p[1]) {
    case MT_CONNACK:
      if (len == 3) onConnAck(p[2]);
      break;
    case MT_WILLTOPICREQ: // §6.3: the Will handshake between CONNECT and CONNACK
      if (len == 2 && session == ST_CONNECTING) sendWillTopic();
      break;
    case MT_WILLMSGREQ:
      if (len == 2 && session == ST_CONNECTING) sendWillMsg();
      break;
    case MT_REGISTER: // TopicId, MsgId, TopicName
      if (len >= 7) onGatewayRegister(p, len);
      break;
    case MT_REGACK: // TopicId, MsgId, ReturnCode
      if (len == 7) onRegAck(get16(p + 2), get16(p + 4), p[6]);
      break;
    case MT_PUBLISH:
      if (len >= 7) onPublish(p, len);
      break;
    case MT_PUBACK: // TopicId, MsgId, ReturnCode
      if (len == 7) onPubAck(get16(p + 4), p[6]);
      break;
    case MT_SUBACK: // Flags, TopicId, MsgId, ReturnCode
      if (len == 8) onSubAck(get16(p + 3), get16(p + 5), p[7]);
      break;
    case MT_PINGREQ:
      sendPingResp();
      break;
    case MT_PINGRESP:
      if (len == 2) onPingResp();
      break;
    case MT_DISCONNECT:
      onDisconnect();
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- receiving (SLIP + CRC)

// A SLIP_END closed a frame: check it and hand its packet on, or drop it whole.
static void endFrame() {
  bool good = !rxBad && !rxEscaped && rxLen >= 4  // Length, MsgType, 2 CRC octets
              && crc16(rxBuf, rxLen) == 0           // the CRC over packet ‖ CRC is 0
              && rxBuf[0] == rxLen - 2;             // 1-octet Length == the frame's packet
  if (good) handlePacket(rxBuf, (uint8_t)(rxLen - 2));
  rxLen = 0; // empty frames (the leading END of each frame) just end here
  rxEscaped = false;
  rxBad = false;
}

static void pollSerial() {
  while (Serial.available() > 0) {
    uint8_t octet = (uint8_t)Serial.read();
    if (octet == SLIP_END) {
      endFrame();
      continue;
    }
    if (rxBad) continue;
    if (rxEscaped) {
      rxEscaped = false;
      if (octet == SLIP_ESC_END) octet = SLIP_END;
      else if (octet == SLIP_ESC_ESC) octet = SLIP_ESC;
      else {
        rxBad = true; // an invalid escape: drop this frame
        continue;
      }
    } else if (octet == SLIP_ESC) {
      rxEscaped = true;
      continue;
    }
    if (rxLen == sizeof(rxBuf)) {
      rxBad = true; // oversize: drop this frame
      continue;
    }
    rxBuf[rxLen++] = octet;
  }
}

// ---------------------------------------------------------------- Arduino entry points

void setup() {
  setRelay(false); // set the level before enabling the outputs: no glitch at boot
  pinMode(RELAY_PIN, OUTPUT);
  pinMode(LED_PIN, OUTPUT);
  lastMsgId = bootMsgId();
  Serial.begin(BAUD_RATE);
  uptimeMarkMs = millis();
  startConnect();
}

void loop() {
  pollSerial();
  unsigned long now = millis();
  updateUptime(now);
  superviseRequest(now);
  if (request != REQ_NONE) return;
  if (congested && now - congestedMs >= T_WAIT_MS) congested = false;

  // §6.11: the client sends a PINGREQ within each keep-alive period, also while it is busy
  // publishing or waiting out a congestion; 2 octets every 45 s, and the session does not
  // depend on the gateway counting other packets as signs of life. Silent for 1.5 × 60 s,
  // the board would be taken for lost and its Will published.
  bool connected = session == ST_REGISTERING || session == ST_SUBSCRIBING || session == ST_ACTIVE;
  if (connected && now - lastPingMs >= PING_INTERVAL_MS) {
    startRequest(REQ_PING);
    return;
  }
  if (session == ST_ACTIVE) activeStep(now);
  else if ((session == ST_REGISTERING || session == ST_SUBSCRIBING) && !congested) advanceSession();
}
