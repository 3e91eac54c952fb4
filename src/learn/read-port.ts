// A live serial port as a Sample (sample.ts): opened by the daemon's own code (serial/open.ts:
// 8N1, exclusive lock, HUPCL cleared so the open does not reset an Arduino) and read by its
// reader (serial/reader.ts), for a fixed time, then closed. learn writes nothing to the
// device — no ACK either, so a device that waits for one resends its line (the report says so).
import { performance } from 'node:perf_hooks';
import { ErrorCodes, GatewayError } from '../errors.ts';
import { platformBinding } from '../serial/binding.ts';
import type { BindingInterface } from '../serial/binding.ts';
import { arrivedInFlight } from '../serial/in-flight.ts';
import { openPort } from '../serial/open.ts';
import { classifyOpenFailure, describeOpenFailure } from '../serial/open-failure.ts';
import { startReader } from '../serial/reader.ts';
import { waitAtMost } from '../serial/settle.ts';
import { createSampler, type Sample } from './sample.ts';

const CLOSE_DEADLINE_MS = 500;

export interface PortSampleOptions {
  path: string;
  baudRate: number;
  /** How long to listen. */
  durationMs: number;
  /** Stops listening early (Ctrl-C): what was read so far is kept. */
  signal: AbortSignal;
  /** Default: the platform's bindings (bindings-cpp). */
  binding?: BindingInterface;
}

export async function samplePort(options: PortSampleOptions): Promise<Sample> {
  const binding = options.binding ?? platformBinding();
  let opened;
  try {
    opened = await openPort(binding, { path: options.path, baudRate: options.baudRate, resetOnOpen: false });
  } catch (error) {
    throw new GatewayError(
      ErrorCodes.PORT_OPEN_FAILED,
      describeOpenFailure(options.path, classifyOpenFailure(error)),
      { cause: error },
    );
  }
  const sampler = createSampler({ keepFirstLine: false });
  const openedAt = performance.now();
  let first = true;
  const loss: { reason: string | null } = { reason: null };
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const timer = setTimeout(stop, options.durationMs);
  options.signal.addEventListener('abort', stop, { once: true });
  const reader = startReader(opened.port, {
    onData(chunk) {
      const at = performance.now();
      // As the daemon does: the first line is whole when its bytes came after the open settled.
      if (first && !arrivedInFlight(openedAt, at)) sampler.keepFirst();
      first = false;
      sampler.push(chunk, at);
      if (sampler.full()) stop();
    },
    onLoss(reason) {
      loss.reason = reason;
      stop();
    },
  });
  try {
    await stopped;
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', stop);
    await reader.close();
    await waitAtMost(opened.port.close(), CLOSE_DEADLINE_MS);
  }
  const listenedMs = performance.now() - openedAt;
  if (loss.reason !== null && sampler.result().lines.length === 0)
    throw new GatewayError(ErrorCodes.PORT_LOST, `${options.path}: ${loss.reason}`);
  return { ...sampler.result(), source: options.path, listenedMs };
}
