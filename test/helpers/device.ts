// The device side of a socat pty pair, opened with the real serialport bindings: tests
// write what an Arduino would print and read what the gateway writes back (ACK/NAK).
import { SerialPort } from 'serialport';
import { formatEnvelope } from '../../src/line/envelope.ts';

export interface DeviceEnd {
  write(text: string): Promise<void>;
  /** Everything the gateway wrote to the device so far. */
  received(): string;
  waitForReceived(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function openDevice(path: string): Promise<DeviceEnd> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false, hupcl: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  let got = '';
  const waiters = new Set<() => void>();
  port.on('data', (d: Buffer) => {
    got += d.toString('utf8');
    for (const w of [...waiters]) w();
  });
  port.on('error', () => undefined); // a killed socat pair surfaces here; tests look at data
  return {
    write: (text) =>
      new Promise((resolve, reject) => {
        port.write(text, (e) => (e ? reject(e) : port.drain((d) => (d ? reject(d) : resolve()))));
      }),
    received: () => got,
    waitForReceived(pattern, timeoutMs = 10_000) {
      const ok = (): boolean => (typeof pattern === 'string' ? got.includes(pattern) : pattern.test(got));
      if (ok()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `device did not receive ${String(pattern)} within ${timeoutMs} ms; got: ${JSON.stringify(got)}`,
            ),
          );
        }, timeoutMs);
        const check = (): void => {
          if (!ok()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    close: () =>
      new Promise((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}

/** `<body>*HH` with HH the XOR of the body's bytes (docs/contract.md §4.1). */
export function withChecksum(body: string): string {
  return formatEnvelope(body, { checksum: true });
}
