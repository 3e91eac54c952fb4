// What a shipped firmware's simulator (src/sim/device.ts) prints over `readings` intervals,
// on a hand-driven clock: each line with the time it was sent, the warm-up line included.
// ACK profiles get their ACKs (as the gateway would answer), so every reading is a new line.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { profileSchema, type DeviceProfile } from '../../src/config/schema.ts';
import { SimulatedDevice } from '../../src/sim/device.ts';
import { FakeClock } from './fake-clock.ts';
import { seededRandom } from './seeded-random.ts';

export const SHIPPED_DEVICES = join(import.meta.dirname, '..', '..', 'devices');

export async function shippedProfile(id: string): Promise<DeviceProfile> {
  return profileSchema.parse(parse(await readFile(join(SHIPPED_DEVICES, id, 'profile.yaml'), 'utf8')));
}

export interface CapturedLine {
  text: string;
  /** ms on the simulator's clock. */
  at: number;
}

export async function captureSimulator(
  profile: DeviceProfile,
  options: { readings: number; seed?: number; ack?: boolean },
): Promise<CapturedLine[]> {
  const clock = new FakeClock();
  const lines: CapturedLine[] = [];
  const answer = options.ack ?? true;
  const device: SimulatedDevice = new SimulatedDevice({
    profile,
    write: () => undefined,
    scheduler: clock,
    rng: seededRandom(options.seed ?? 1),
    nodeIds: [12, 13],
    onSend: (text) => {
      lines.push({ text, at: clock.now });
      const seq = /^#(\d+) /.exec(text)?.[1];
      if (answer && seq !== undefined) queueMicrotask(() => device.onInput(`ACK ${seq}\n`));
    },
  });
  device.start();
  for (let i = 0; i < options.readings; i++) {
    // Let queued writes and ACKs settle before the clock moves on.
    for (let j = 0; j < 5; j++) await new Promise((resolve) => setImmediate(resolve));
    clock.advance(profile.interval);
  }
  await device.stop();
  return lines;
}
