// The bytes of a PUBLISH packet (MQTT 5 §3.3, MQTT 3.1.1 §3.3), written by the publisher
// itself for the readings it sends at QoS 0 and 1: all PUBLISHes of one pump step go into
// one buffer and leave in one socket write. Through MQTT.js each took an options object, a
// deep copy for its store, a dozen debug calls and six small writes to the socket
// (mqtt-packet's writeToStream); that was about a third of the gateway's CPU per reading
// (docs/performance.md). The bytes are the same as mqtt-packet's, which a property test
// keeps (test/unit/mqtt/publish-packet.test.ts).

export interface PublishFields {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Packet Identifier (§2.2.1), 1–65535; ignored at QoS 0, which has none. */
  messageId: number;
  /** MQTT 5 only: one User Property (§3.3.2.3.7), the gateway's message id. */
  userProperty?: readonly [name: string, value: string] | undefined;
}

/** Property identifier of a User Property (MQTT 5 §2.2.2.2). */
const USER_PROPERTY = 0x26;
/** The largest Remaining Length a Variable Byte Integer can say (MQTT 5 §1.5.5). */
const MAX_REMAINING_LENGTH = 268_435_455;

/** Bytes of a Variable Byte Integer (MQTT 5 §1.5.5, MQTT 3.1.1 §2.2.3). */
function varIntLength(value: number): number {
  if (value < 128) return 1;
  if (value < 16_384) return 2;
  if (value < 2_097_152) return 3;
  return 4;
}

function writeVarInt(buffer: Buffer, offset: number, value: number): number {
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    buffer[offset] = byte;
    offset += 1;
  } while (rest > 0);
  return offset;
}

/** The Property Length's value: the bytes of the properties after it (MQTT 5 §3.3.2.3.1). */
function propertiesLength(fields: PublishFields): number {
  const pair = fields.userProperty;
  if (pair === undefined) return 0;
  return 1 + 2 + Buffer.byteLength(pair[0]) + 2 + Buffer.byteLength(pair[1]);
}

/** Remaining Length (§3.3.1.4): everything after the fixed header. */
function remainingLength(fields: PublishFields, protocolVersion: 4 | 5): number {
  let length = 2 + Buffer.byteLength(fields.topic) + fields.payload.length;
  if (fields.qos > 0) length += 2;
  if (protocolVersion === 5) {
    const properties = propertiesLength(fields);
    length += varIntLength(properties) + properties;
  }
  return length;
}

/** The whole packet's size in bytes: what a broker's Maximum Packet Size limits (MQTT 5 §3.1.2.11.4). */
export function publishLength(fields: PublishFields, protocolVersion: 4 | 5): number {
  const remaining = remainingLength(fields, protocolVersion);
  return 1 + varIntLength(remaining) + remaining;
}

/** Writes a UTF-8 Encoded String (§1.5.4): two bytes of length, then the bytes. */
function writeString(buffer: Buffer, offset: number, text: string): number {
  const written = buffer.write(text, offset + 2, 'utf8');
  buffer.writeUInt16BE(written, offset);
  return offset + 2 + written;
}

/**
 * PUBLISH packets appended to one growing buffer, taken out as one Buffer per socket write.
 * Its size is bounded by what the caller adds between two takes (one pump step, at most
 * PUMP_BATCH messages, each within the queue's message limits).
 */
export class PublishBatch {
  private buffer: Buffer;
  private used = 0;

  constructor(private readonly initialBytes = 16 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  get bytes(): number {
    return this.used;
  }

  /** Appends one PUBLISH with DUP clear (a first delivery, §3.3.1.1). */
  add(fields: PublishFields, protocolVersion: 4 | 5): void {
    const remaining = remainingLength(fields, protocolVersion);
    if (remaining > MAX_REMAINING_LENGTH)
      throw new RangeError(`PUBLISH of ${remaining} bytes is over MQTT's limit`);
    this.reserve(1 + varIntLength(remaining) + remaining);
    const buffer = this.buffer;
    let offset = this.used;
    // Fixed header (§3.3.1): packet type 3, DUP 0, QoS, RETAIN.
    buffer[offset] = 0x30 | (fields.qos << 1) | (fields.retain ? 1 : 0);
    offset = writeVarInt(buffer, offset + 1, remaining);
    offset = writeString(buffer, offset, fields.topic);
    if (fields.qos > 0) offset = buffer.writeUInt16BE(fields.messageId, offset);
    if (protocolVersion === 5) {
      offset = writeVarInt(buffer, offset, propertiesLength(fields));
      const pair = fields.userProperty;
      if (pair !== undefined) {
        buffer[offset] = USER_PROPERTY;
        offset = writeString(buffer, offset + 1, pair[0]);
        offset = writeString(buffer, offset, pair[1]);
      }
    }
    offset += fields.payload.copy(buffer, offset);
    this.used = offset;
  }

  /** The packets added since the last take, as one Buffer of their own; undefined if none. */
  take(): Buffer | undefined {
    if (this.used === 0) return undefined;
    const packets = Buffer.from(this.buffer.subarray(0, this.used));
    this.used = 0;
    // A rare large step does not keep its buffer for the life of the process.
    if (this.buffer.length > 4 * this.initialBytes) this.buffer = Buffer.allocUnsafe(this.initialBytes);
    return packets;
  }

  private reserve(bytes: number): void {
    const needed = this.used + bytes;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.buffer.length));
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
  }
}
