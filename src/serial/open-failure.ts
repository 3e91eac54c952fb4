// Why opening a port failed, in words a user can act on. serialport's bindings report open
// failures as plain messages (`Error: No such file or directory, cannot open /dev/ttyACM0`,
// `Error Resource temporarily unavailable Cannot lock port`) without an errno code, and
// MockBinding has its own wording, so the kind is recognised from the message.
// The kind is what ManagedPort compares to log a failure once per change, not once per retry.
import { errorMessage } from '../errors.ts';

export type OpenFailureKind = 'missing' | 'busy' | 'permission' | 'other';

export interface OpenFailure {
  kind: OpenFailureKind;
  /** The binding's own message, for status() and debug logs. */
  detail: string;
  /** Who holds the port's lock (`pid 1234: minicom …`), when /proc/locks says. */
  holders?: string;
}

/** Thrown by openPort when /proc/locks shows the port locked: the binding was not called. */
export class PortLockedError extends Error {
  constructor(
    path: string,
    readonly holders: string,
  ) {
    super(`Cannot lock port ${path}: locked by ${holders}`);
    this.name = 'PortLockedError';
  }
}

const PATTERNS: readonly (readonly [OpenFailureKind, RegExp])[] = [
  ['missing', /ENOENT|no such file|does not exist|ENODEV|no such device/i],
  ['busy', /EBUSY|EAGAIN|cannot lock|is locked|resource temporarily unavailable|device or resource busy/i],
  ['permission', /EACCES|EPERM|permission denied|operation not permitted/i],
];

export function classifyOpenFailure(error: unknown): OpenFailure {
  if (error instanceof PortLockedError)
    return { kind: 'busy', detail: error.message, holders: error.holders };
  const detail = errorMessage(error);
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const text = `${code} ${detail}`;
  for (const [kind, pattern] of PATTERNS) if (pattern.test(text)) return { kind, detail };
  return { kind: 'other', detail };
}

/** The sentence logged (once) when a port cannot be opened, without the retry clause. */
export function describeOpenFailure(path: string, failure: OpenFailure): string {
  switch (failure.kind) {
    case 'missing':
      return `${path} does not exist (is the device plugged in?)`;
    case 'busy':
      return `${path} is in use by another program (${failure.holders ?? 'locked or busy'})`;
    case 'permission':
      return `no permission to open ${path} (is the user in the dialout group?)`;
    case 'other':
      return `cannot open ${path}: ${failure.detail}`;
  }
}
