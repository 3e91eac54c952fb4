// Persistence for the MQTT session's in-flight packets (MQTT 5 §4.4, MQTT 3.1.1 §4.4):
// the PUBLISH a QoS 1/2 message was sent as, with its packet id, and for QoS 2 the PUBREL
// that replaced it once PUBREC arrived. Stored before the packet is written to the socket
// and kept in the same database as the queue, so that after a crash the publisher resends
// exactly what the broker may have seen — PUBLISH with DUP, or PUBREL — and QoS 2 stays
// exactly-once. mqtt/ adapts this to MQTT.js's Store interface; the packet
// bytes are opaque here.

export interface StoredPacket {
  /** The MQTT packet identifier (1–65535). */
  messageId: number;
  /** The queue message it carries, or null (a PUBREL after the message row is gone). */
  queueId: number | null;
  /** Serialized packet, opaque to the store. */
  packet: Buffer;
}

export interface PacketStore {
  /** Insert or replace by messageId; durable when it returns (one synchronous commit). */
  put(entry: StoredPacket): void;
  get(messageId: number): StoredPacket | undefined;
  delete(messageId: number): void;
  /** Every stored packet, in the order first put (replay order after a reconnect). */
  all(): StoredPacket[];
  /** Forget everything (the broker reported no session: nothing can be resumed). */
  clear(): void;
}
