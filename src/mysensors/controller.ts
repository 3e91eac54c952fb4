// A MySensors controller for one serial-gateway port (MySensors serial API v2.x): the part
// of Home Assistant's MySensors integration, Domoticz or MyController that talks to nodes.
// Pure protocol logic: messages in, replies and readings out; the clock and the store are
// injected, the port writes the replies and queues the readings (ports/mysensors-part.ts).
//
// - I_ID_REQUEST → I_ID_RESPONSE with the lowest free id 1–254, stored before it is sent,
//   never reused while the node is known; a full table answers nothing (counted).
// - I_TIME → Unix time in seconds; I_CONFIG → `M` or `I` (the profile's mysensors.config).
// - C_REQ → the child's last value (kept across restarts); none known: no answer (counted).
// - C_PRESENTATION records the node (S_ARDUINO_NODE: library version) and its children;
//   a C_SET of a presented child becomes a reading, checked by its V_ type's rule.
//   A child that reports before presenting is not published; its node is asked once to
//   present again (I_PRESENTATION), as Home Assistant's integration does.
// - I_BATTERY_LEVEL, I_HEARTBEAT_RESPONSE, I_SKETCH_NAME/VERSION are recorded.
import type { MySensorsSpec } from '../config/schema.ts';
import { vTypeName } from '../line/mysensors.ts';
import type { MySensorsMessage } from '../line/mysensors.ts';
import { NodeTable } from './node-table.ts';
import type { KnownNode } from './node-table.ts';
import {
  AUTO_NODE,
  C_INTERNAL,
  C_PRESENTATION,
  C_REQ,
  C_SET,
  FIRST_NODE_ID,
  I_BATTERY_LEVEL,
  I_CONFIG,
  I_HEARTBEAT_RESPONSE,
  I_ID_REQUEST,
  I_ID_RESPONSE,
  I_PRESENTATION,
  I_SKETCH_NAME,
  I_SKETCH_VERSION,
  I_TIME,
  LAST_NODE_ID,
  NODE_CHILD,
  S_ARDUINO_NODE,
  S_ARDUINO_REPEATER_NODE,
  sTypeName,
} from './protocol.ts';
import type { MySensorsStore, StoredValue } from './store.ts';
import { checkValue } from './v-rules.ts';
import { errorMessage } from '../errors.ts';

export interface ControllerCounters {
  /** Node ids handed out (I_ID_RESPONSE). */
  idsAssigned: number;
  /** I_ID_REQUESTs left unanswered: all 254 ids are taken. */
  idTableFull: number;
  timeAnswered: number;
  configAnswered: number;
  /** C_REQs answered from a kept value / left unanswered (no value known). */
  reqAnswered: number;
  reqUnknown: number;
  presentations: number;
  /** Presentations refused: the node has mysensors.max_children children already. */
  childrenRefused: number;
  /** C_SETs of children never presented (not published; the node is asked to present). */
  unpresented: number;
  /** C_SET values failing their V_ type's rule. */
  valuesRejected: number;
  /** Values not kept: the node keeps MAX_VALUES_PER_NODE already. */
  valuesRefused: number;
  /** The store failed (disk full, I/O error): nothing was answered for that message. */
  storeErrors: number;
}

export interface ControllerReading {
  node: number;
  child: number;
  type: number;
  /** `V_TEMP`, or the number for a type this version does not name. */
  vName: string;
  /** The checked value as published (`21.5`, `1`, `cloudy`). */
  text: string;
}

export interface ControllerOutcome {
  replies: MySensorsMessage[];
  reading: ControllerReading | null;
  /** A node was added or what gateway/devices shows of it changed. */
  nodesChanged: boolean;
}

export type Refusal = keyof ControllerCounters;

export interface ControllerOptions {
  port: string;
  spec: MySensorsSpec;
  store: MySensorsStore;
  now: () => number;
  /** A refusal, for the port's rate-limited log. */
  onRefusal?: (kind: Refusal, detail: string) => void;
}

export interface NodeView {
  node: number;
  sketch_name: string | null;
  sketch_version: string | null;
  library_version: string | null;
  battery: number | null;
  last_heartbeat: string | null;
  last_seen: string | null;
  /** Heard from (any message, heartbeats included) within mysensors.node_timeout. */
  available: boolean;
  children: { child: number; type: string; description: string }[];
}

export class MySensorsController {
  readonly counters: ControllerCounters = {
    idsAssigned: 0,
    idTableFull: 0,
    timeAnswered: 0,
    configAnswered: 0,
    reqAnswered: 0,
    reqUnknown: 0,
    presentations: 0,
    childrenRefused: 0,
    unpresented: 0,
    valuesRejected: 0,
    valuesRefused: 0,
    storeErrors: 0,
  };
  private readonly table: NodeTable;

  constructor(private readonly options: ControllerOptions) {
    this.table = new NodeTable(options.store.load(options.port));
  }

  nodes(): NodeView[] {
    const now = this.options.now();
    return this.table.all().map((n) => ({
      node: n.id,
      sketch_name: n.sketchName,
      sketch_version: n.sketchVersion,
      library_version: n.libraryVersion,
      battery: n.battery,
      last_heartbeat: iso(n.lastHeartbeat),
      last_seen: iso(n.lastSeen),
      available: n.lastSeen !== null && now - n.lastSeen <= this.options.spec.node_timeout,
      children: n.children.map((c) => ({
        child: c.child,
        type: sTypeName(c.sensor),
        description: c.description,
      })),
    }));
  }

  /** Is this node known and has it presented this child? */
  hasChild(node: number, child: number): boolean {
    return this.table.get(node)?.children.some((c) => c.child === child) === true;
  }

  handle(m: MySensorsMessage): ControllerOutcome {
    const out: ControllerOutcome = { replies: [], reading: null, nodesChanged: false };
    if (m.command === C_INTERNAL && m.type === I_ID_REQUEST) {
      this.allocate(out);
      return out;
    }
    if (m.node < FIRST_NODE_ID || m.node > LAST_NODE_ID) return out; // the gateway (0) or AUTO (255)
    const node = this.nodeFor(m.node, out);
    if (node === null) return out;
    const now = this.options.now();
    node.lastSeen = now;
    switch (m.command) {
      case C_PRESENTATION:
        this.present(node, m, out);
        break;
      case C_SET:
        if (m.ack === 0) this.set(node, m, out);
        break;
      case C_REQ:
        this.request(m, out);
        break;
      case C_INTERNAL:
        this.internal(node, m, now, out);
        break;
    }
    return out;
  }

  private allocate(out: ControllerOutcome): void {
    const id = this.table.lowestFreeId();
    if (id === null) {
      this.refuse('idTableFull', 'I_ID_REQUEST: all node ids 1–254 are taken');
      return;
    }
    const node = this.table.fresh(id);
    node.lastSeen = this.options.now();
    if (!this.save(node)) return; // never hand out an id that is not on disk
    this.table.add(node);
    this.counters.idsAssigned += 1;
    out.nodesChanged = true;
    out.replies.push({
      node: AUTO_NODE,
      child: NODE_CHILD,
      command: C_INTERNAL,
      ack: 0,
      type: I_ID_RESPONSE,
      payload: String(id),
    });
  }

  /** A node with a static id, or one allocated by an earlier controller, is known on first sight. */
  private nodeFor(id: number, out: ControllerOutcome): KnownNode | null {
    const known = this.table.get(id);
    if (known !== undefined) return known;
    const node = this.table.fresh(id);
    if (!this.save(node)) return null;
    this.table.add(node);
    out.nodesChanged = true;
    return node;
  }

  private present(node: KnownNode, m: MySensorsMessage, out: ControllerOutcome): void {
    this.counters.presentations += 1;
    if (m.child === NODE_CHILD && (m.type === S_ARDUINO_NODE || m.type === S_ARDUINO_REPEATER_NODE)) {
      if (node.libraryVersion !== m.payload) this.update(node, out, () => (node.libraryVersion = m.payload));
      return;
    }
    const existing = node.children.find((c) => c.child === m.child);
    if (existing !== undefined) {
      if (existing.sensor !== m.type || existing.description !== m.payload)
        this.update(node, out, () => {
          existing.sensor = m.type;
          existing.description = m.payload;
        });
      return;
    }
    if (node.children.length >= this.options.spec.max_children) {
      this.refuse(
        'childrenRefused',
        `node ${node.id} child ${m.child}: already ${node.children.length} children`,
      );
      return;
    }
    this.update(node, out, () =>
      node.children.push({ child: m.child, sensor: m.type, description: m.payload }),
    );
  }

  private set(node: KnownNode, m: MySensorsMessage, out: ControllerOutcome): void {
    if (!node.children.some((c) => c.child === m.child)) {
      this.refuse('unpresented', `node ${node.id} child ${m.child} reports before presenting`);
      if (!node.askedToPresent) {
        node.askedToPresent = true;
        out.replies.push({
          node: node.id,
          child: NODE_CHILD,
          command: C_INTERNAL,
          ack: 0,
          type: I_PRESENTATION,
          payload: '',
        });
      }
      return;
    }
    const checked = checkValue(m.type, m.payload);
    if (!checked.ok) {
      this.refuse(
        'valuesRejected',
        `node ${node.id} child ${m.child} ${vTypeName(m.type)}: ${checked.reason}`,
      );
      return;
    }
    const value: StoredValue = {
      node: node.id,
      child: m.child,
      type: m.type,
      payload: checked.text,
      at: this.options.now(),
    };
    if (!this.table.canKeep(value))
      this.refuse('valuesRefused', `node ${node.id} keeps its maximum of values`);
    else if (this.saveValue(value)) this.table.keep(value);
    out.reading = {
      node: node.id,
      child: m.child,
      type: m.type,
      vName: vTypeName(m.type),
      text: checked.text,
    };
  }

  private request(m: MySensorsMessage, out: ControllerOutcome): void {
    const value = this.table.lastValue(m.node, m.child, m.type);
    if (value === undefined) {
      this.counters.reqUnknown += 1;
      return;
    }
    this.counters.reqAnswered += 1;
    out.replies.push({
      node: m.node,
      child: m.child,
      command: C_SET,
      ack: 0,
      type: m.type,
      payload: value.payload,
    });
  }

  private internal(node: KnownNode, m: MySensorsMessage, now: number, out: ControllerOutcome): void {
    const reply = (payload: string): void => {
      out.replies.push({ node: m.node, child: m.child, command: C_INTERNAL, ack: 0, type: m.type, payload });
    };
    switch (m.type) {
      case I_TIME:
        this.counters.timeAnswered += 1;
        reply(String(Math.floor(now / 1000)));
        return;
      case I_CONFIG:
        this.counters.configAnswered += 1;
        reply(this.options.spec.config);
        return;
      case I_BATTERY_LEVEL: {
        const level = Number(m.payload);
        if (!/^\d{1,3}$/.test(m.payload) || level > 100) {
          this.refuse('valuesRejected', `node ${node.id} battery level is not 0–100`);
          return;
        }
        if (node.battery !== level) this.update(node, out, () => (node.battery = level));
        return;
      }
      case I_SKETCH_NAME:
        if (node.sketchName !== m.payload) this.update(node, out, () => (node.sketchName = m.payload));
        return;
      case I_SKETCH_VERSION:
        if (node.sketchVersion !== m.payload) this.update(node, out, () => (node.sketchVersion = m.payload));
        return;
      case I_HEARTBEAT_RESPONSE:
        // Heartbeats are frequent: recorded in memory (gateway/devices shows them), stored with
        // the next change of the node rather than written on every beat.
        node.lastHeartbeat = now;
        return;
    }
  }

  /** Applies a change to a node and stores it; the change is undone when it cannot be stored. */
  private update(node: KnownNode, out: ControllerOutcome, change: () => void): void {
    const before = structuredClone(node);
    change();
    if (this.save(node)) {
      out.nodesChanged = true;
      return;
    }
    Object.assign(node, before);
  }

  private save(node: KnownNode): boolean {
    const { askedToPresent: _asked, ...stored } = node;
    return this.tryStore(() => this.options.store.saveNode(this.options.port, stored));
  }

  private saveValue(value: StoredValue): boolean {
    return this.tryStore(() => this.options.store.saveValue(this.options.port, value));
  }

  private tryStore(work: () => void): boolean {
    try {
      work();
      return true;
    } catch (error) {
      this.refuse('storeErrors', `could not store: ${errorMessage(error)}`);
      return false;
    }
  }

  private refuse(kind: Refusal, detail: string): void {
    this.counters[kind] += 1;
    this.options.onRefusal?.(kind, detail);
  }
}

function iso(t: number | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}
