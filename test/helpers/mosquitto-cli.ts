// Mosquitto's own command-line clients (Debian's mosquitto-clients) as a user types them:
// the README's examples run as written, against either broker. Each call is bounded in time
// and its child killed by its own PID.
import { spawn } from 'node:child_process';

export interface ClientRun {
  code: number | null;
  /** stdout then stderr, as printed. */
  output: string;
}

export type MosquittoClient = 'mosquitto_pub' | 'mosquitto_sub' | 'mosquitto_rr';

/** Runs a client to its end. `onOutput` sees the output so far at every chunk. */
export function runClient(
  command: MosquittoClient,
  args: string[],
  options: { timeoutMs?: number; onOutput?: (output: string) => void } = {},
): Promise<ClientRun> {
  return new Promise((resolve) => {
    // Into a pipe the clients' stdout is block-buffered: a line that is watched for would
    // show only at their exit, so a watched client runs line-buffered (coreutils' stdbuf).
    const [file, argv] =
      options.onOutput === undefined ? [command, args] : ['stdbuf', ['-oL', command, ...args]];
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const add = (text: string): void => {
      output += text;
      options.onOutput?.(output);
    };
    child.stdout.setEncoding('utf8').on('data', add);
    child.stderr.setEncoding('utf8').on('data', add);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * Starts `mosquitto_sub -d` (debug output shows the SUBACK) and resolves once it is
 * subscribed, with the promise of its end (wrapped: an async function returning a promise
 * would wait for it): a publish after this cannot be missed.
 */
export async function subscribedClient(
  args: string[],
  timeoutMs = 15_000,
): Promise<{ done: Promise<ClientRun> }> {
  let ready: () => void = () => undefined;
  const subscribed = new Promise<void>((resolve) => (ready = resolve));
  const done = runClient('mosquitto_sub', ['-d', ...args], {
    timeoutMs,
    onOutput: (output) => {
      if (output.includes('received SUBACK')) ready();
    },
  });
  await Promise.race([subscribed, done]);
  return { done };
}
