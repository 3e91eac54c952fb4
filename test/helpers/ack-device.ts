// A power meter under load: speaks the `#seq`/ACK protocol of devices/power-meter (docs/contract.md
// §4.1) on the device end of a socat pty, through the real serialport bindings, the way
// power-meter.ino does — but fast, and with an optional window of lines in flight.
//
//   #<seq> {"power":<p>,"voltage":230,"current":1,"energy":<id>}*HH
//
// Every reading has a unique, increasing id. It travels in `energy`, not `power`: the
// profile caps power at 4000 W and drops an out-of-range field, so ids above 4000 would
// vanish from `power` (energy has no maximum). `power` carries id mod 4000.
//
// Seq rule (must match the gateway's seq window): 0 for the first line after start, then
// 1..65535, wrapping to 1. Seq 0 means "device restarted" and clears the gateway's window,
// so it is sent alone: the window opens only after seq 0 is acknowledged. Seqs in flight
// are always distinct. A line is kept until `ACK <seq>`; it is resent after resendAfterMs
// without an answer (a lost line, a gateway that reopened the port and dropped the first
// line, a gateway that is down), and after fullBackoffMs on `NAK <seq> full`. Any other
// NAK means the gateway rejected a line this simulator built correctly: it is recorded
// (tests assert there are none) and the line is resent like a lost one.
//
// Memory is bounded by `window` lines in flight and one partial reply line; `acked` holds
// one number per acknowledged reading (the ground truth the delivery check needs).
import { SerialPort } from 'serialport';
import { withChecksum } from './device.ts';

export interface AckDeviceOptions {
  /** The device end of a socat pair. */
  path: string;
  /** New lines per second (resends come on top, bounded by the window). */
  rate: number;
  /** Readings to send in total. */
  count: number;
  /** Sliding window: lines in flight, at most this many ids apart (default 1, like the firmware). */
  window?: number;
  resendAfterMs?: number;
  /** Delay before resending a line answered `NAK <seq> full`. */
  fullBackoffMs?: number;
  /** The id of the first reading (default 1); ids are firstId … firstId+count-1. */
  firstId?: number;
  /** Called for every line the gateway writes (ACK/NAK), for diagnostics. */
  onReply?: (line: string) => void;
}

export interface AckDevice {
  /** Reading ids the gateway acknowledged. */
  readonly acked: Set<number>;
  /** Readings written so far, first sends only (ids firstId … firstId+sent-1). */
  readonly sent: number;
  readonly resends: number;
  /** `NAK <seq> full` answers (expected under when_full: reject_new). */
  readonly fullNaks: number;
  /** Every other NAK line, as received (a test failure). */
  readonly naks: readonly string[];
  /** ACKs for a seq not in flight (the answer to a resend whose first copy was ACKed). */
  readonly staleAcks: number;
  readonly inflight: number;
  /** Readings to send in total (count, plus what extend() added). */
  readonly total: number;
  /** Sends `n` more readings after the current ones (live traffic that goes on). */
  extend(n: number): void;
  /** Resolves once all `total` readings are acknowledged; rejects after timeoutMs. */
  done(timeoutMs?: number): Promise<void>;
  /** Stops sending and closes the port. Safe to call twice. */
  stop(): Promise<void>;
  /** One line of figures for logs and failure messages. */
  describe(): string;
}

interface InFlight {
  id: number;
  seq: number;
  line: string;
  resendAt: number;
}

const TICK_MS = 5;
const MAX_REPLY_LINE = 256;
const MAX_SEQ = 65535;

export function readingLine(seq: number, id: number): string {
  const body = `{"power":${id % 4000},"voltage":230,"current":1,"energy":${id}}`;
  return `${withChecksum(`#${seq} ${body}`)}\n`;
}

export async function startAckDevice(options: AckDeviceOptions): Promise<AckDevice> {
  const window = options.window ?? 1;
  const resendAfterMs = options.resendAfterMs ?? 2000;
  const fullBackoffMs = options.fullBackoffMs ?? 500;
  const firstId = options.firstId ?? 1;
  if (!(options.rate > 0) || !Number.isInteger(options.count) || options.count < 0)
    throw new RangeError('rate must be > 0 and count a non-negative integer');
  if (!Number.isInteger(window) || window < 1 || window > 1024)
    throw new RangeError('window must be 1..1024');

  const port = new SerialPort({ path: options.path, baudRate: 115200, autoOpen: false, hupcl: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  port.on('error', () => undefined); // socat killed under us: resends keep going, done() times out

  const acked = new Set<number>();
  const inflight = new Map<number, InFlight>(); // by seq
  const naks: string[] = [];
  const counts = { sent: 0, resends: 0, fullNaks: 0, staleAcks: 0 };
  let nextId = firstId;
  let nextSeq = 0;
  let zeroAcked = false;
  let writing = false;
  let stopped = false;
  let partial = '';
  const doneWaiters = new Set<() => void>();
  const startedAt = Date.now();

  let total = options.count;
  const allAcked = (): boolean => acked.size >= total;

  const onReplyLine = (line: string): void => {
    options.onReply?.(line);
    const ack = /^ACK (\d+)$/.exec(line);
    const nak = /^NAK (\d+) (\S+)$/.exec(line);
    const seq = Number((ack ?? nak)?.[1] ?? NaN);
    const entry = inflight.get(seq);
    if (ack !== null) {
      if (entry === undefined) {
        counts.staleAcks += 1;
        return;
      }
      inflight.delete(seq);
      acked.add(entry.id);
      if (seq === 0) zeroAcked = true;
      if (allAcked()) for (const w of [...doneWaiters]) w();
      return;
    }
    if (nak !== null && nak[2] === 'full') counts.fullNaks += 1;
    else naks.push(line);
    if (entry !== undefined)
      entry.resendAt = Date.now() + (nak?.[2] === 'full' ? fullBackoffMs : resendAfterMs);
  };

  port.on('data', (chunk: Buffer) => {
    partial += chunk.toString('latin1');
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      onReplyLine(partial.slice(0, nl).replace(/\r$/, ''));
      partial = partial.slice(nl + 1);
    }
    if (partial.length > MAX_REPLY_LINE) partial = ''; // garbage: resync at the next newline
  });

  /**
   * The id of the oldest line not yet acknowledged (Map order is send order; resends keep
   * their place), or the next id when nothing is in flight. New lines stay within `window`
   * of it — a sliding window, not a count — so a line whose ACK was lost is resent before
   * more than `window` newer lines were committed: the gateway recognises a resend only
   * within the last 256 (docs/contract.md §4.1), and a count-only window let the others stream
   * on past that while one line waited for its resend across a gateway restart.
   */
  const oldestInFlight = (): number => {
    for (const entry of inflight.values()) return entry.id;
    return nextId;
  };

  const write = (text: string): void => {
    writing = true;
    // One write at a time: while the pty is full (nobody reads the gateway end) nothing
    // piles up here; the in-flight lines are simply resent later.
    port.write(text, () => {
      writing = false;
    });
  };

  // The gateway discards the first, possibly partial, line after it opens a port.
  write('# warm-up\n');

  // Token bucket: new lines at `rate` per second; a late timer catches up by at most 50 ms.
  let tokens = 0;
  let lastTick = performance.now();
  const timer = setInterval(() => {
    if (stopped || writing) return;
    const nowMono = performance.now();
    tokens = Math.min(
      tokens + ((nowMono - lastTick) * options.rate) / 1000,
      Math.max(1, options.rate * 0.05),
    );
    lastTick = nowMono;
    const now = Date.now();
    let out = '';
    for (const entry of inflight.values())
      if (entry.resendAt <= now) {
        out += entry.line;
        entry.resendAt = now + resendAfterMs;
        counts.resends += 1;
      }
    const limit = zeroAcked ? window : 1;
    while (tokens >= 1 && nextId - oldestInFlight() < limit && nextId < firstId + total) {
      const seq = nextSeq;
      const id = nextId;
      nextSeq = nextSeq >= MAX_SEQ ? 1 : nextSeq + 1;
      nextId += 1;
      const entry: InFlight = { id, seq, line: readingLine(seq, id), resendAt: now + resendAfterMs };
      inflight.set(seq, entry);
      out += entry.line;
      counts.sent += 1;
      tokens -= 1;
    }
    if (out !== '') write(out);
  }, TICK_MS);

  const describe = (): string =>
    `ack device: ${acked.size}/${total} acked, sent ${counts.sent}, resends ${counts.resends}, ` +
    `in flight ${inflight.size}, NAK full ${counts.fullNaks}, other NAKs ${naks.length}` +
    `${naks.length > 0 ? ` (${naks.slice(0, 5).join(' | ')})` : ''}, stale ACKs ${counts.staleAcks}, ` +
    `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;

  return {
    acked,
    get sent() {
      return counts.sent;
    },
    get resends() {
      return counts.resends;
    },
    get fullNaks() {
      return counts.fullNaks;
    },
    get naks() {
      return naks;
    },
    get staleAcks() {
      return counts.staleAcks;
    },
    get inflight() {
      return inflight.size;
    },
    get total() {
      return total;
    },
    extend(n) {
      if (!Number.isInteger(n) || n < 0) throw new RangeError('extend(n): n must be a non-negative integer');
      total += n;
    },
    describe,
    done(timeoutMs = 60_000) {
      if (allAcked()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const finish = (): void => {
          clearTimeout(t);
          doneWaiters.delete(finish);
          resolve();
        };
        const t = setTimeout(() => {
          doneWaiters.delete(finish);
          reject(new Error(`not all readings acknowledged within ${timeoutMs} ms: ${describe()}`));
        }, timeoutMs);
        doneWaiters.add(finish);
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}
