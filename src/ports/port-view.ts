// What one port shows of itself: to gateway/devices and gateway/health (app/status-reporter.ts),
// to /metrics and the status page (ops/). The common part is the same for every port; the
// protocol section says which counters it carries, so readers narrow on `protocol` instead of
// guessing at the counters' shape. The readings below are the one place that knows which
// counter of which protocol means "framed", "queued" or "discarded".
import type { NodeView } from '../mysensors/controller.ts';
import type { LinePortCounters, MqttSnPortCounters } from './port-counters.ts';

export interface PortViewBase {
  name: string;
  path: string;
  device: string;
  description: string;
  format: string;
  state: string;
  /**
   * The device heard from within its availability timeout (line ports) or a client connected
   * (MQTT-SN), and the port not lost; the gateway's own reopens do not change it.
   */
  available: boolean;
  lastSeen: number | null;
  opens: number;
  losses: number;
  fields: string[];
  commands: string[];
}

/** A line profile's port. */
export interface LineSection {
  protocol: 'line';
  counters: LinePortCounters;
}

/** A MySensors serial gateway in controller mode (profile `mysensors: { controller: true }`). */
export interface MySensorsSection {
  protocol: 'mysensors';
  counters: LinePortCounters;
  /** The nodes the port knows. */
  nodes: NodeView[];
}

/** An MQTT-SN port. */
export interface MqttSnSection {
  protocol: 'mqttsn';
  counters: MqttSnPortCounters;
}

export type PortSection = LineSection | MySensorsSection | MqttSnSection;

export type PortView<S extends PortSection = PortSection> = PortViewBase & S;

/** A port's running total of framed input: lines for line ports, packets for MQTT-SN ones. */
export function framedInput(port: PortView): { unit: 'lines' | 'frames'; count: number } {
  return port.protocol === 'mqttsn'
    ? { unit: 'frames', count: port.counters.frames }
    : { unit: 'lines', count: port.counters.lines };
}

/** Messages the port handed to the queue. */
export function queuedMessages(port: PortView): number {
  return port.protocol === 'mqttsn' ? port.counters.published : port.counters.messages;
}

/**
 * Input that went nowhere, by reason. MQTT-SN ports count framing/decoding discards and
 * protocol drops apart (mqttsn/context.ts); both are summed here.
 */
export function discardsByReason(port: PortView): Record<string, number> {
  const sources: Partial<Record<string, number>>[] =
    port.protocol === 'mqttsn' ? [port.counters.discards, port.counters.drops] : [port.counters.discards];
  const out: Record<string, number> = {};
  for (const source of sources)
    for (const [reason, n] of Object.entries(source)) out[reason] = (out[reason] ?? 0) + (n ?? 0);
  return out;
}
