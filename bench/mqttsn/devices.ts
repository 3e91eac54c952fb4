// The two simulated devices of the round-trip part of bench/mqttsn.ts, each on the device
// end of a socat pty, opened with the real serialport bindings as a firmware's host side
// would be:
//   SnDevice    speaks raw-framed MQTT-SN v1.2 with the project's codec (the sn-weather
//               profile): CONNECT → CONNACK, then PUBLISH QoS 1 on predefined topic id 1,
//               many in flight, each answered by a PUBACK with its MsgId;
//   LineDevice  the power-meter line protocol: `#<seq> {json}*HH` lines, each answered by
//               `ACK <seq>` once durably queued (the baseline).
// Both record the send time per MsgId / seq and the round trip when the answer arrives.
import { SerialPort } from 'serialport';
import { createPacketFramer } from '../../src/framing/packet-framers.ts';
import { decodePacket } from '../../src/mqttsn/decode.ts';
import { encodePacket } from '../../src/mqttsn/encode.ts';
import type { MqttSnPacket } from '../../src/mqttsn/packet-types.ts';
import { readingLine } from '../../test/helpers/ack-device.ts';
import { sleep } from './stats.ts';

const NONE = 0;
const WARMUP = 1;
const MEASURED = 2;
const MAX_ID = 65535;

/** Send times by MsgId/seq (1..65535; 0 for the line protocol's first line). */
export class RoundTrips {
  private readonly sentAt = new Float64Array(MAX_ID + 1);
  private readonly state = new Uint8Array(MAX_ID + 1);
  /** Round trips (ms) of measured messages answered within lostAfterMs. */
  samples: number[] = [];
  measuredSent = 0;
  measuredAcked = 0;
  /** Measured messages answered after lostAfterMs (counted as lost too). */
  late = 0;
  /** Answers for an id not in flight. */
  unexpected = 0;
  totalSent = 0;
  totalAcked = 0;
  private outstanding = 0;

  constructor(private readonly lostAfterMs: number) {}

  /** A new measuring window: earlier measured ids still in flight are no longer counted. */
  reset(): void {
    for (let i = 0; i <= MAX_ID; i += 1) if (this.state[i] === MEASURED) this.state[i] = WARMUP;
    this.samples = [];
    this.measuredSent = 0;
    this.measuredAcked = 0;
    this.late = 0;
    this.outstanding = 0;
  }

  sent(id: number, measured: boolean, now: number): void {
    if (this.state[id] === MEASURED) this.outstanding -= 1; // reused id: the old one is lost
    this.sentAt[id] = now;
    this.state[id] = measured ? MEASURED : WARMUP;
    this.totalSent += 1;
    if (measured) {
      this.measuredSent += 1;
      this.outstanding += 1;
    }
  }

  acked(id: number, now: number): void {
    const state = this.state[id] ?? NONE;
    if (state === NONE) {
      this.unexpected += 1;
      return;
    }
    this.state[id] = NONE;
    this.totalAcked += 1;
    if (state !== MEASURED) return;
    this.outstanding -= 1;
    const rtt = now - (this.sentAt[id] ?? now);
    if (rtt > this.lostAfterMs) {
      this.late += 1;
      return;
    }
    this.measuredAcked += 1;
    this.samples.push(rtt);
  }

  inFlight(): number {
    return this.outstanding;
  }
}

export interface BenchDevice {
  readonly name: string;
  readonly trips: RoundTrips;
  /** Sends the next `n` messages in one write, stamped now. */
  send(n: number, measured: boolean): void;
  /** Problems worth printing: rejected PUBACKs, NAKs, undecodable replies. */
  problems(): Record<string, number>;
  close(): Promise<void>;
}

async function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false, hupcl: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  port.on('error', () => undefined); // a pair torn down under us at the end
  return port;
}

function closePort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) return resolve();
    port.close(() => resolve());
  });
}

/** Repeats `attempt` every second until `done()` (checked every 10 ms), at most timeoutMs. */
async function handshake(attempt: () => void, done: () => boolean, what: string, timeoutMs = 15_000) {
  const deadline = performance.now() + timeoutMs;
  let next = 0;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`${what}: no answer within ${timeoutMs} ms`);
    if (performance.now() >= next) {
      attempt();
      next = performance.now() + 1000;
    }
    await sleep(10);
  }
}

export async function openSnDevice(path: string, lostAfterMs: number): Promise<BenchDevice> {
  const port = await openPort(path);
  const framer = createPacketFramer('raw');
  const trips = new RoundTrips(lostAfterMs);
  const problems = { rejectedPubacks: 0, undecodable: 0, framingDiscards: 0 };
  let connack: number | undefined;
  let nextMsgId = 1;
  port.on('data', (chunk: Buffer) => {
    const now = performance.now();
    for (const event of framer.push(chunk, now)) {
      if (event.kind !== 'packet') {
        if (event.reason !== 'padding') problems.framingDiscards += 1;
        continue;
      }
      const decoded = decodePacket(event.packet);
      if (!decoded.ok) {
        problems.undecodable += 1;
        continue;
      }
      const p = decoded.packet;
      if (p.type === 'PUBACK') {
        if (p.returnCode !== 0) problems.rejectedPubacks += 1;
        trips.acked(p.msgId, now);
      } else if (p.type === 'CONNACK') connack = p.returnCode;
    }
  });
  const write = (packet: MqttSnPacket): void => {
    port.write(encodePacket(packet));
  };
  await handshake(
    () =>
      write({
        type: 'CONNECT',
        will: false,
        cleanSession: true,
        protocolId: 1,
        duration: 60,
        clientId: 'bench',
      }),
    () => connack !== undefined,
    'MQTT-SN CONNECT',
  );
  if (connack !== 0) throw new Error(`MQTT-SN CONNACK return code ${connack}`);
  // Keep-alive 60 s: a PINGREQ now and then keeps the session while the other port is measured.
  const ping = setInterval(() => write({ type: 'PINGREQ' }), 20_000);
  return {
    name: 'mqtt-sn',
    trips,
    send(n, measured) {
      const packets: Buffer[] = [];
      const ids: number[] = [];
      for (let i = 0; i < n; i += 1) {
        const msgId = nextMsgId;
        nextMsgId = msgId >= MAX_ID ? 1 : msgId + 1;
        ids.push(msgId);
        const payload = Buffer.from((18 + (msgId % 100) / 10).toFixed(1)); // "18.0".."27.9" °C
        packets.push(
          encodePacket({
            type: 'PUBLISH',
            dup: false,
            qos: 1,
            retain: false,
            topic: { kind: 'predefined', id: 1 },
            msgId,
            payload,
          }),
        );
      }
      const now = performance.now();
      for (const id of ids) trips.sent(id, measured, now);
      port.write(packets.length === 1 ? (packets[0] as Buffer) : Buffer.concat(packets));
    },
    problems: () => ({ ...problems, unexpectedPubacks: trips.unexpected }),
    async close() {
      clearInterval(ping);
      await closePort(port);
    },
  };
}

export async function openLineDevice(path: string, lostAfterMs: number): Promise<BenchDevice> {
  const port = await openPort(path);
  const trips = new RoundTrips(lostAfterMs);
  const problems = { naks: 0, otherReplies: 0 };
  let partial = '';
  let nextSeq = 1;
  let nextId = 1;
  port.on('data', (chunk: Buffer) => {
    const now = performance.now();
    partial += chunk.toString('latin1');
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl).replace(/\r$/, '');
      partial = partial.slice(nl + 1);
      const ack = /^ACK (\d+)$/.exec(line);
      if (ack !== null) trips.acked(Number(ack[1]), now);
      else if (line.startsWith('NAK ')) problems.naks += 1;
      else problems.otherReplies += 1;
    }
    if (partial.length > 256) partial = '';
  });
  // The gateway discards the first, possibly partial, line after it opens a port; seq 0
  // (a device that just started) goes alone and is acknowledged before the others.
  port.write('# warm-up\n');
  const first = readingLine(0, nextId);
  nextId += 1;
  await handshake(
    () => {
      trips.sent(0, false, performance.now());
      port.write(first);
    },
    () => trips.totalAcked > 0,
    'power-meter seq 0',
  );
  trips.totalSent = 1; // resends of seq 0 are one line
  return {
    name: 'line-ack',
    trips,
    send(n, measured) {
      let text = '';
      const seqs: number[] = [];
      for (let i = 0; i < n; i += 1) {
        const seq = nextSeq;
        nextSeq = seq >= MAX_ID ? 1 : seq + 1;
        seqs.push(seq);
        text += readingLine(seq, nextId);
        nextId += 1;
      }
      const now = performance.now();
      for (const seq of seqs) trips.sent(seq, measured, now);
      port.write(text);
    },
    problems: () => ({ ...problems, unexpectedAcks: trips.unexpected }),
    close: () => closePort(port),
  };
}
