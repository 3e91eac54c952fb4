// The counting subscriber: mosquitto_sub (C, so the counter is never the bottleneck) on
// the data topics only, printing `<arrival epoch s.ns> <topic> <payload>` per message.
// Latency = arrival − the `ts=` epoch milliseconds the writer put into the line.
import { spawn } from 'node:child_process';

export interface Subscriber {
  /** Messages received so far. */
  count(): number;
  /** Arrival time (epoch ms) of the latest message. */
  lastArrivalMs(): number;
  /** Latency (ms) and write time (epoch ms) of messages whose line was written at or after `sinceMs`, in arrival order. */
  samples(sinceMs: number): { writtenMs: number; latencyMs: number }[];
  stop(): Promise<void>;
}

/** Topic filters matching only the benchmark's data messages (not status topics). */
const FILTERS = ['bench/+/+/temp', 'bench/+/+/hum', 'bench/+/+/ts', 'bench/+/+/line'];
const MAX_LATENCIES = 2_000_000;

export async function startSubscriber(port: number, withLatency: boolean): Promise<Subscriber> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-q', '0', '-F', '%U %t %p'];
  for (const filter of FILTERS) args.push('-t', filter);
  const child = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let count = 0;
  let last = 0;
  let partial = '';
  const samples: { writtenMs: number; latencyMs: number }[] = [];
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    count += lines.length;
    if (lines.length === 0) return;
    const lastLine = lines[lines.length - 1] ?? '';
    last = Number(lastLine.slice(0, lastLine.indexOf(' '))) * 1000;
    if (!withLatency) return;
    for (const line of lines) {
      const writtenMs = writtenAt(line);
      if (writtenMs === undefined || samples.length >= MAX_LATENCIES) continue;
      const arrivalMs = Number(line.slice(0, line.indexOf(' '))) * 1000;
      samples.push({ writtenMs, latencyMs: arrivalMs - writtenMs });
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // mosquitto_sub says nothing when subscribed; give it a moment (loopback: ~ms).
  await new Promise((resolve) => setTimeout(resolve, 400));
  if (child.exitCode !== null) throw new Error('mosquitto_sub exited at start');
  return {
    count: () => count,
    lastArrivalMs: () => last,
    samples: (sinceMs) => samples.filter((s) => s.writtenMs >= sinceMs),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** `… bench/x/p0/ts 1764…123.456` or `… bench/mp/p0/line temp=23.5,ts=1764…` */
function writtenAt(line: string): number | undefined {
  const first = line.indexOf(' ');
  const second = line.indexOf(' ', first + 1);
  const topic = line.slice(first + 1, second);
  const payload = line.slice(second + 1);
  if (topic.endsWith('/ts')) return Number(payload);
  if (topic.endsWith('/line')) {
    const at = payload.indexOf('ts=');
    return at < 0 ? undefined : Number(payload.slice(at + 3));
  }
  return undefined;
}
