// Per-port counters: what came in, what went on, and why anything did not. They are the
// numbers in gateway/health, the shutdown log line and /metrics, so every path through a
// protocol part ends in exactly one of them. Their keys are part of gateway/health
// (docs/contract.md §5): renaming one changes the contract.
import type { DiscardReason } from '../pipeline/types.ts';
import type { CommandCounters } from '../device-commands/command-pacer.ts';
import type { ControllerCounters } from '../mysensors/controller.ts';
import type { MySensorsCommandCounters } from '../device-commands/mysensors-runner.ts';
import type { SnCounters } from '../mqttsn/context.ts';

/** A line port's counters (line profiles, and MySensors serial gateways). */
export interface LinePortCounters {
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

export function createLinePortCounters(): LinePortCounters {
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

/** An MQTT-SN port's counters: its framing, then its gateway's (mqttsn/context.ts). */
export interface MqttSnPortCounters extends SnCounters {
  bytes: number;
  /** Packets the framer delivered (before decoding). */
  frames: number;
  /** Framing and decoding discards, by reason. */
  discards: Partial<Record<string, number>>;
}

/** Counts a discard by its reason, in either kind of port's `discards`. */
export function countDiscard<R extends string>(discards: Partial<Record<R, number>>, reason: R): void {
  discards[reason] = (discards[reason] ?? 0) + 1;
}
