// Opening a port the way docs/contract.md §2 asks: 8N1, no flow control, exclusive (serialport's
// flock, `lock: true`), raw termios (bindings-cpp always sets it), and DTR/HUPCL settled per
// `reset_on_open` (see modem-lines.ts for why that decides whether an Arduino reboots).
import { realpath } from 'node:fs/promises';
import type { BindingInterface, BindingPortInterface } from '@serialport/bindings-cpp';
import { describeHolders, findLockHolders } from '../os/lock-holder.ts';
import { clearHupcl, pulseDtr } from './modem-lines.ts';
import { PortLockedError } from './open-failure.ts';
import { fdOfBinding } from './reader.ts';
import { errorMessage } from '../errors.ts';

export interface OpenRequest {
  path: string;
  baudRate: number;
  resetOnOpen: boolean;
}

export interface OpenedPort {
  port: BindingPortInterface;
  /** What the configured path resolved to (real ttys only): the path watch compares to it. */
  device: string | null;
  /** Why DTR/HUPCL could not be set (a pty has no modem lines; stty may be missing). */
  modemLinesProblem: string | null;
}

/** Throws what the binding throws when the port cannot be opened. */
export async function openPort(binding: BindingInterface, request: OpenRequest): Promise<OpenedPort> {
  const { path, baudRate, resetOnOpen } = request;
  // bindings-cpp sets termios (tcsetattr) before it tries its flock, so opening a port that
  // someone else holds rewrites the holder's settings (HUPCL included) on every retry. When
  // /proc/locks already shows the lock, do not call it (lock-holder.ts).
  const holders = findLockHolders(path);
  if (holders.length > 0) throw new PortLockedError(path, describeHolders(holders));
  const port = await binding.open({
    path,
    baudRate,
    dataBits: 8,
    stopBits: 1,
    parity: 'none',
    lock: true,
    rtscts: false,
    // false: our own close must not drop DTR. Not enough on its own (modem-lines.ts).
    hupcl: resetOnOpen,
  });
  const device = fdOfBinding(port) === null ? null : await realpath(path).catch(() => path);
  let modemLinesProblem: string | null = null;
  try {
    if (resetOnOpen) await pulseDtr(port);
    else if (device !== null) await clearHupcl(device);
  } catch (error) {
    const what = resetOnOpen ? 'pulse DTR to reset the board' : 'clear HUPCL (closing may reset the board)';
    modemLinesProblem = `could not ${what}: ${errorMessage(error)}`;
  }
  return { port, device, modemLinesProblem };
}
