// `tty2mqtt demo` (docs/contract.md §1) runs the real gateway on serialport's MockBinding with
// simulated devices on the other side of each mock port, so it needs nothing but Node.
//
// createDemoBinding() is a BindingInterface the gateway's serial layer can be given in
// place of the real one: list() and open() go to MockBinding, and every open() hands the
// caller-supplied `attach` a small handle to that open port — feed bytes in (what the
// device prints) and hear what the gateway writes (ACKs, commands). startDemoDevices()
// does the wiring for a set of profiles.
import type { BindingInterface } from '../serial/binding.ts';
import { MockBinding } from '../serial/mock-binding.ts';
import type { DeviceProfile } from '../config/schema.ts';
import { SimulatedDevice } from '../sim/device.ts';
import type { Rng } from '../sim/values.ts';

type MockPortBinding = Awaited<ReturnType<typeof MockBinding.open>>;

/** One opened mock port, seen from the device's side. */
export interface DemoPortHandle {
  /** Bytes the device sends; dropped once the gateway has closed this port (like a real wire). */
  emitData(data: Buffer): void;
  /** Bytes the gateway writes to the port. */
  onWrite(listener: (data: Buffer) => void): void;
}

/** Called on every open() of a demo port, reopens included (each gets a fresh handle). */
export type AttachDevice = (path: string, port: DemoPortHandle) => void;

/**
 * Registers mock ports at these paths. MockBinding keeps its ports in its own module
 * state, so this is process-wide; resetDemoPorts() forgets them all.
 */
export function createDemoPorts(paths: Iterable<string>): void {
  for (const path of paths) MockBinding.createPort(path, { echo: false, record: false });
}

export function resetDemoPorts(): void {
  MockBinding.reset();
}

export function createDemoBinding(attach: AttachDevice): BindingInterface {
  return {
    list: () => MockBinding.list(),
    open: async (options) => {
      const port = await MockBinding.open(options);
      attach(options.path, handleFor(port));
      return port;
    },
  };
}

function handleFor(port: MockPortBinding): DemoPortHandle {
  const listeners: ((data: Buffer) => void)[] = [];
  const write = port.write.bind(port);
  port.write = async (buffer: Buffer): Promise<void> => {
    await write(buffer);
    const copy = Buffer.from(buffer);
    for (const listener of listeners) listener(copy);
  };
  return {
    emitData: (data) => {
      if (port.isOpen) port.emitData(data);
    },
    onWrite: (listener) => {
      listeners.push(listener);
    },
  };
}

export interface DemoDevicesOptions {
  /** Default: each profile's `interval`. */
  intervalMs?: number;
  rng?: Rng;
  /** mysensors profiles: the simulated node ids (default [1]). */
  nodeIds?: readonly (number | string)[];
  onSend?: (path: string, line: string) => void;
  onReceive?: (path: string, line: string) => void;
}

export interface DemoDevices {
  /** Give this to the gateway's serial layer instead of the real binding. */
  readonly binding: BindingInterface;
  readonly devices: ReadonlyMap<string, SimulatedDevice>;
  /** Stops every device (their timers) and waits for their pending writes. */
  stop(): Promise<void>;
}

/**
 * Creates a mock port per path and a running SimulatedDevice behind each. A device prints
 * whether or not the gateway has its port open (output with nobody listening is lost, as on
 * a real wire); each time the gateway opens the port the device sends its warm-up line, so
 * the first line the gateway discards (docs/contract.md §4.1) is not a reading.
 */
export function startDemoDevices(
  profiles: ReadonlyMap<string, DeviceProfile>,
  options: DemoDevicesOptions = {},
): DemoDevices {
  createDemoPorts(profiles.keys());
  const openPorts = new Map<string, DemoPortHandle>();
  const devices = new Map<string, SimulatedDevice>();
  for (const [path, profile] of profiles) {
    const device = new SimulatedDevice({
      profile,
      write: (data) => openPorts.get(path)?.emitData(Buffer.from(data, 'utf8')),
      ...(options.intervalMs !== undefined && { intervalMs: options.intervalMs }),
      ...(options.rng !== undefined && { rng: options.rng }),
      ...(options.nodeIds !== undefined && { nodeIds: options.nodeIds }),
      ...(options.onSend !== undefined && { onSend: (line: string) => options.onSend?.(path, line) }),
      ...(options.onReceive !== undefined && {
        onReceive: (line: string) => options.onReceive?.(path, line),
      }),
    });
    devices.set(path, device);
  }
  const binding = createDemoBinding((path, port) => {
    const device = devices.get(path);
    if (device === undefined) return;
    openPorts.set(path, port);
    port.onWrite((data) => device.onInput(data));
    device.sendWarmup();
  });
  for (const device of devices.values()) device.start();
  return {
    binding,
    devices,
    stop: async () => {
      await Promise.all([...devices.values()].map((device) => device.stop()));
    },
  };
}
