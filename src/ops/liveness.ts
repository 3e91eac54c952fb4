// Whether the daemon is making progress, for the systemd watchdog ("WATCHDOG pings
// only while the serial readers and the publisher make progress"). Pure: the caller passes
// a snapshot and the time, so the rules are unit-tested with a fake clock.
//
// The rule is "restart only what a restart can fix". A broker outage, an unplugged device
// or a silent one are not wedges: the daemon already reconnects, reopens and waits, and a
// restart would only lose the time it takes. What a restart fixes is work that has stopped:
// - the event loop (implicit: this runs on a timer, so a blocked loop sends no pings);
// - an open port whose supervision check (src/serial/port.ts, every 250 ms) no longer
//   completes: its realpath is stuck in a wedged USB stack or libuv thread pool;
// - a publisher that is connected with messages in flight and has seen no acknowledgement
//   for longer than the bound: the broker keeps the TCP connection but answers nothing, or
//   our own bookkeeping lost track of an ack. (MQTT keep-alive normally turns a silent
//   broker into a reconnect first, which is fine; this catches what it does not.)
import type { BrokerClientProgress } from '../mqtt/broker-client.ts';
import type { PortSupervision } from '../serial/port.ts';

export interface LivenessSnapshot {
  ports: readonly PortSupervision[];
  /** Null before the publisher has started. */
  publisher: BrokerClientProgress | null;
}

/** Everything the systemd supervision reads from the gateway (Gateway.liveness()). */
export interface ServiceSnapshot extends LivenessSnapshot {
  /** Ports in gateway.yaml (a port not started yet is missing from `ports`). */
  configuredPorts: number;
  /** Messages waiting in the queue. */
  queued: number;
}

/** The STATUS= line `systemctl status` shows: "3/3 ports open, queue 0, broker connected". */
export function statusLine(s: ServiceSnapshot): string {
  const open = s.ports.filter((p) => p.state === 'open').length;
  const broker =
    s.publisher === null
      ? 'broker not started'
      : s.publisher.connected
        ? 'broker connected'
        : 'broker disconnected';
  return `${open}/${s.configuredPorts} ports open, queue ${s.queued}, ${broker}`;
}

export type Liveness = { alive: true } | { alive: false; reason: string };

/** How long without progress counts as stuck: twice the watchdog interval by default. */
export function stallBoundMs(watchdogMs: number): number {
  return 2 * watchdogMs;
}

export function assessLiveness(snapshot: LivenessSnapshot, now: number, boundMs: number): Liveness {
  for (const port of snapshot.ports) {
    if (port.state !== 'open') continue; // closed, opening, reopening: waiting is its job
    const since = now - port.checkedAt;
    if (since > boundMs)
      return { alive: false, reason: `port ${port.path}: no supervision check for ${seconds(since)}` };
  }
  const p = snapshot.publisher;
  if (p !== null && p.connected && p.inflight > 0) {
    const since = now - p.lastProgressAt;
    if (since > boundMs)
      return {
        alive: false,
        reason: `publisher: ${p.inflight} message(s) in flight and no acknowledgement for ${seconds(since)}`,
      };
  }
  return { alive: true };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
