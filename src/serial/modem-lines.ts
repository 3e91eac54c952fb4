// DTR and HUPCL, the two things that decide whether opening a port reboots an Arduino.
// An Uno (and most boards with a USB-serial chip) wires DTR through a 100 nF capacitor to
// RESET: a falling DTR edge resets the board. The kernel raises DTR when a tty is opened and,
// with HUPCL set, drops it when the last descriptor closes — so every close/reopen cycle
// would reset the board and lose its state. docs/contract.md §2 `reset_on_open`.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BindingPortInterface } from '@serialport/bindings-cpp';

const execFileAsync = promisify(execFile);

/** How long DTR is held low for a deliberate reset (the Arduino IDE uses 50–250 ms). */
export const DTR_PULSE_MS = 100;

/**
 * Clears HUPCL on an open tty so that closing it does not drop DTR.
 * Needed even though the port is opened with `hupcl: false`: bindings-cpp only ever *sets*
 * HUPCL (serialport_unix.cpp `if (data->hupcl) c_cflag |= HUPCL;`) and leaves it on when the
 * tty already had it — and Linux turns it on by default for USB serial devices. Node has no
 * termios API, so this runs `stty`, which changes that one flag (tcgetattr → tcsetattr).
 */
export async function clearHupcl(devicePath: string): Promise<void> {
  await execFileAsync('stty', ['-F', devicePath, '-hupcl'], { timeout: 2000 });
}

/** A deliberate reset: DTR (and RTS, which some boards use) low for a moment, then high. */
export async function pulseDtr(port: BindingPortInterface, ms: number = DTR_PULSE_MS): Promise<void> {
  // `set` writes every modem flag on each call, so all are given explicitly.
  await port.set({ dtr: false, rts: false, brk: false });
  await new Promise((resolve) => setTimeout(resolve, ms));
  await port.set({ dtr: true, rts: true, brk: false });
}
