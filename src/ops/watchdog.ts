// The daemon's side of systemd's Type=notify contract (deploy/tty2mqtt.service):
// READY=1 once the gateway is up, WATCHDOG=1 at half of WatchdogSec while it makes progress
// (src/ops/liveness.ts), STATUS= lines for `systemctl status`, STOPPING=1 on a graceful stop.
// Without $NOTIFY_SOCKET nothing here runs (the notifier is disabled).
import type { Logger } from '../log/logger.ts';
import { assessLiveness, stallBoundMs, statusLine } from './liveness.ts';
import type { ServiceSnapshot } from './liveness.ts';
import type { Notifier } from './systemd-notify.ts';

/** Timers, injected so tests drive them with test/helpers/fake-clock.ts. */
export interface Scheduler {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * sd_watchdog_enabled(3): WATCHDOG_USEC is the interval; WATCHDOG_PID, when set, names the
 * process that must ping — if that is not us (a child that inherited the environment),
 * we must not. Null: no watchdog.
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | null {
  const usec = Number(env['WATCHDOG_USEC'] ?? '');
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  const owner = env['WATCHDOG_PID'];
  if (owner !== undefined && owner !== '' && Number(owner) !== pid) return null;
  return usec / 1000;
}

export interface SupervisorOptions {
  notifier: Notifier;
  env: NodeJS.ProcessEnv;
  pid: number;
  log: Logger;
  snapshot: () => ServiceSnapshot;
  /** Same clock as the snapshot's times (performance.now() in the daemon). */
  now: () => number;
  scheduler: Scheduler;
  /** STATUS= refresh without a watchdog. */
  statusIntervalMs?: number;
  /** READY=1 waits at most this long for every port's first open attempt. */
  readyWaitMs?: number;
}

const STOPPING_WAIT_MS = 1000;

export class SystemdSupervisor {
  private readonly watchdogMs: number | null;
  private timer: unknown = null;
  private lastStatus = '';
  private stall: string | null = null;
  private stopped = false;

  constructor(private readonly options: SupervisorOptions) {
    this.watchdogMs = options.notifier.enabled ? watchdogIntervalMs(options.env, options.pid) : null;
  }

  /**
   * READY=1 after the gateway started (queue open, broker listening, publisher connecting)
   * and every port has made its first open attempt — opened, or failed and now retrying in
   * the background: an unplugged device must not keep the service from starting.
   */
  async ready(signal: AbortSignal): Promise<void> {
    const { notifier, log } = this.options;
    if (!notifier.enabled) return;
    await this.portsSettled(signal);
    if (signal.aborted || this.stopped) return;
    const status = statusLine(this.options.snapshot());
    this.lastStatus = status;
    await notifier.notify({ READY: '1', STATUS: status });
    log.info(
      { watchdogMs: this.watchdogMs, status },
      this.watchdogMs === null ? 'told systemd we are ready' : 'told systemd we are ready; watchdog on',
    );
    this.schedule();
  }

  /** STOPPING=1 and no more pings; waits a little for it to be delivered. */
  async stopping(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.options.scheduler.clearTimeout(this.timer);
    this.timer = null;
    if (!this.options.notifier.enabled) return;
    const sent = this.options.notifier.notify({ STOPPING: '1', STATUS: 'stopping' });
    await new Promise<void>((resolve) => {
      const t = this.options.scheduler.setTimeout(resolve, STOPPING_WAIT_MS);
      void sent.then(() => {
        this.options.scheduler.clearTimeout(t);
        resolve();
      });
    });
  }

  private portsSettled(signal: AbortSignal): Promise<void> {
    const { scheduler, snapshot } = this.options;
    const deadline = this.options.now() + (this.options.readyWaitMs ?? 10_000);
    return new Promise((resolve) => {
      const check = (): void => {
        const s = snapshot();
        const settled = s.ports.length >= s.configuredPorts && s.ports.every((p) => p.settled);
        if (settled || signal.aborted || this.options.now() >= deadline) resolve();
        else scheduler.setTimeout(check, 50);
      };
      check();
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    const every = this.watchdogMs === null ? (this.options.statusIntervalMs ?? 5000) : this.watchdogMs / 2;
    this.timer = this.options.scheduler.setTimeout(() => this.tick(), every);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Runs on a timer: if the event loop is blocked, this is what stops. */
  tick(): void {
    const { log, notifier, snapshot, now } = this.options;
    const s = snapshot();
    const fields: Record<string, string> = {};
    let status = statusLine(s);
    if (this.watchdogMs !== null) {
      const liveness = assessLiveness(s, now(), stallBoundMs(this.watchdogMs));
      if (liveness.alive) {
        fields['WATCHDOG'] = '1';
        if (this.stall !== null) log.info({ was: this.stall }, 'progress again: watchdog pings resume');
        this.stall = null;
      } else {
        if (this.stall === null)
          log.error(
            { reason: liveness.reason, watchdogMs: this.watchdogMs },
            'no progress: withholding watchdog pings, systemd will restart the service',
          );
        this.stall = liveness.reason;
        status = `stalled: ${liveness.reason}`;
      }
    }
    if (status !== this.lastStatus) fields['STATUS'] = status;
    this.lastStatus = status;
    if (Object.keys(fields).length > 0) void notifier.notify(fields);
    this.schedule();
  }
}
