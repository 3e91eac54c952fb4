// sd_notify(3) from Node: READY=1, WATCHDOG=1, STATUS=…, STOPPING=1 to $NOTIFY_SOCKET.
//
// How: by running systemd's own `systemd-notify` tool with the fields as arguments.
// - Node cannot send it itself: $NOTIFY_SOCKET is an AF_UNIX SOCK_DGRAM socket and Node has
//   no Unix datagram sockets (nodejs/node#31414).
// - The `sd-notify` npm addon needs libsystemd-dev and a compiler at install time (bad on a
//   Pi) and binds to one libsystemd ABI.
// - systemd-notify ships with systemd itself, so it is present wherever the unit can run.
//   Since systemd 246 it follows every message with sd_notify_barrier() (systemd NEWS,
//   "systemd-notify will now make use of this call implicitly"; checked on Debian 12's
//   v252): it waits until the manager has processed the message, so the manager can still
//   attribute it to our cgroup. The sender is a child, not the main PID, so the unit needs
//   NotifyAccess=all (deploy/tty2mqtt.service).
// Degrades cleanly: no $NOTIFY_SOCKET, nothing is sent; a failed send is logged once at warn
// (then at debug) and is never fatal. One send at a time; fields asked for meanwhile are
// merged into the next one, so a slow manager never piles up processes.
import { spawn } from 'node:child_process';
import type { Logger } from '../log/logger.ts';

export type NotifyFields = Record<string, string>;

export interface Notifier {
  /** False without $NOTIFY_SOCKET: not started by systemd with Type=notify. */
  readonly enabled: boolean;
  /** Resolves once sent (true) or given up (false); never rejects. */
  notify(fields: NotifyFields): Promise<boolean>;
}

export interface NotifierOptions {
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** The tool to run; default `systemd-notify` from PATH. */
  command?: string;
  /** A send still running after this is killed; systemd-notify's own barrier waits 5 s. */
  timeoutMs?: number;
}

/** systemd reads one assignment per line: a newline in a value would start another field. */
function argument(key: string, value: string): string {
  return `${key}=${value.replace(/[\r\n]+/g, ' ')}`;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const socket = options.env['NOTIFY_SOCKET'];
  if (socket === undefined || socket === '') return { enabled: false, notify: () => Promise.resolve(false) };
  const command = options.command ?? 'systemd-notify';
  const timeoutMs = options.timeoutMs ?? 6000;
  const log = options.log;
  let warned = false;
  let running: Promise<boolean> | null = null;
  let pending: { fields: NotifyFields; done: Promise<boolean> } | null = null;

  const failed = (why: string): boolean => {
    if (!warned) log.warn({ command, socket, err: why }, 'systemd notification failed; continuing without');
    else log.debug({ command, err: why }, 'systemd notification failed again');
    warned = true;
    return false;
  };

  const send = (fields: NotifyFields): Promise<boolean> =>
    new Promise((resolve) => {
      const args = Object.entries(fields).map(([k, v]) => argument(k, v));
      // Only what the tool needs: $NOTIFY_SOCKET, and PATH for its own helpers.
      const env = { NOTIFY_SOCKET: socket, PATH: options.env['PATH'] ?? '/usr/bin:/bin' };
      const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        if (stderr.length < 1000) stderr += text;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        resolve(failed(error.message));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(true);
        else resolve(failed(stderr.trim() || `${command} exited with ${code ?? signal}`));
      });
    });

  const next = (fields: NotifyFields): Promise<boolean> => {
    running = send(fields).finally(() => {
      running = null;
    });
    return running;
  };

  return {
    enabled: true,
    notify(fields) {
      if (running === null) return next(fields);
      if (pending !== null) {
        Object.assign(pending.fields, fields); // merged: the later value of a field wins
        return pending.done;
      }
      const merged = { ...fields };
      const done = running.then(() => {
        pending = null;
        return next(merged);
      });
      pending = { fields: merged, done };
      return done;
    },
  };
}
