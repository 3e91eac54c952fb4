// Per-port counters: what came in, what went on, and why anything did not. They are the
// numbers in gateway/health, the shutdown log line and (later) /metrics, so every path
// through a line runner ends in exactly one of them.
import type { DiscardReason } from '../pipeline/types.ts';
import type { CommandCounters } from '../device-commands/command-pacer.ts';
import type { ControllerCounters } from '../mysensors/controller.ts';
import type { MySensorsCommandCounters } from '../device-commands/mysensors-runner.ts';

export interface PortCounters {
  /** Bytes read from the port. */
  bytes: number;
  /** Complete lines framed (before any check). */
  lines: number;
  /** Lines that became a reading with at least one valid field. */
  readings: number;
  /** Messages handed to the queue. */
  messages: number;
  /** Well-formed lines that carry no reading (MySensors presentation, internal messages). */
  ignored: number;
  /** Fields dropped by their schema; the rest of the reading is published. */
  fieldRejects: number;
  /** Keys the profile does not declare. */
  unknownKeys: number;
  /** Lines repeated by a device (same #seq and body): acknowledged again, not republished. */
  duplicates: number;
  acks: number;
  naks: number;
  /** Discarded input by reason. */
  discards: Partial<Record<DiscardReason, number>>;
  /** `…/set` commands by outcome (received, written, rejected, …); only with `commands:`. */
  commands?: CommandCounters;
  /** MySensors controller mode: ids, answers and refusals (see mysensors/controller.ts). */
  mysensors?: ControllerCounters;
  /** MySensors controller mode: `<node>/<child>/<V_TYPE>/set` commands by outcome. */
  mysensorsCommands?: MySensorsCommandCounters;
}

export function createPortCounters(): PortCounters {
  return {
    bytes: 0,
    lines: 0,
    readings: 0,
    messages: 0,
    ignored: 0,
    fieldRejects: 0,
    unknownKeys: 0,
    duplicates: 0,
    acks: 0,
    naks: 0,
    discards: {},
  };
}

export function countDiscard(counters: PortCounters, reason: DiscardReason, n = 1): void {
  counters.discards[reason] = (counters.discards[reason] ?? 0) + n;
}

export function totalDiscards(counters: PortCounters): number {
  return Object.values(counters.discards).reduce((a, b) => a + b, 0);
}
