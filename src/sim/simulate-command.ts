// `tty2mqtt simulate --device ID --path TTY` (docs/contract.md §1): plays a profile's reference
// device on a real tty — typically one end of a socat pty pair whose other end a gateway
// reads — and echoes the traffic: `> temp=23.5,hum=40.2` sent, `< ACK 3` received.
// The port is opened by serial/open-stream.ts (hupcl: false).
import type { DeviceProfile } from '../config/schema.ts';
import { errorMessage } from '../errors.ts';
import { closeSerialStream, openSerialStream, type SerialStream } from '../serial/open-stream.ts';
import { SimulatedDevice } from './device.ts';
import type { Rng } from './values.ts';

export interface SimulateOptions {
  profile: DeviceProfile;
  path: string;
  baudRate: number;
  /** Default: the profile's `interval`. */
  intervalMs?: number;
  /** Stop after this many readings, once they are all sent (and acknowledged, with ack). */
  count?: number;
  /** mysensors: the simulated node ids (default [1]). */
  nodeIds?: readonly (number | string)[];
  rng?: Rng;
  signal: AbortSignal;
  /** One line of human-readable traffic, no newline. */
  out: (line: string) => void;
}

export async function runSimulate(options: SimulateOptions): Promise<void> {
  const { profile, path, baudRate, count, signal, out } = options;
  if (signal.aborted) return;
  const port = await openSerialStream(path, baudRate);
  try {
    await new Promise<void>((resolve, reject) => {
      const device: SimulatedDevice = new SimulatedDevice({
        profile,
        write: (data) => writeTo(port, data),
        ...(options.intervalMs !== undefined && { intervalMs: options.intervalMs }),
        ...(options.nodeIds !== undefined && { nodeIds: options.nodeIds }),
        ...(options.rng !== undefined && { rng: options.rng }),
        onSend: (line) => out(`> ${line}`),
        onReceive: (line) => out(`< ${line}`),
        onSettled: () => {
          if (count !== undefined && device.stats.readings >= count) finish();
        },
        onError: (error) => fail(new Error(`writing to ${path} failed: ${errorMessage(error)}`)),
      });
      const onData = (chunk: Buffer): void => device.onInput(chunk);
      const onPortError = (error: Error): void => fail(new Error(`${path}: ${error.message}`));
      const onClose = (): void => fail(new Error(`${path} was closed (hang-up or unplugged)`));
      const cleanup = async (): Promise<void> => {
        signal.removeEventListener('abort', finish);
        port.off('data', onData);
        port.off('error', onPortError);
        port.off('close', onClose);
        await device.stop();
      };
      let done = false;
      function finish(): void {
        if (done) return;
        done = true;
        cleanup().then(resolve, reject);
      }
      function fail(error: Error): void {
        if (done) return;
        done = true;
        cleanup().then(() => reject(error), reject);
      }
      signal.addEventListener('abort', finish, { once: true });
      port.on('data', onData);
      port.on('error', onPortError);
      port.on('close', onClose);
      device.start();
    });
  } finally {
    await closeSerialStream(port);
  }
}

function writeTo(port: SerialStream, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    port.write(data, (error) => (error === null || error === undefined ? resolve() : reject(error)));
  });
}
