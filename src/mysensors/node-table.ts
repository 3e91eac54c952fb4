// The nodes one MySensors port knows, with their presented children and last values. Bounded
// in count and bytes: at most 254 nodes (ids 1–254), `maxChildren` children per node and
// MAX_VALUES_PER_NODE last values per node, each at most 25 bytes (MAX_PAYLOAD) — about
// 254 × 64 × 25 B ≈ 400 KB of values at the very most.
import { FIRST_NODE_ID, LAST_NODE_ID } from './protocol.ts';
import { blankNode } from './store.ts';
import type { StoredNode, StoredValue } from './store.ts';

/** Last values one node may keep (a child reports one or a few V_ types). */
export const MAX_VALUES_PER_NODE = 64;

export interface KnownNode extends StoredNode {
  /** Children that sent a C_SET before presenting: asked to present once (I_PRESENTATION). */
  askedToPresent: boolean;
}

export class NodeTable {
  private readonly nodes = new Map<number, KnownNode>();
  /** `${child}/${type}` → value, per node. */
  private readonly values = new Map<number, Map<string, StoredValue>>();

  constructor(loaded: { nodes: StoredNode[]; values: StoredValue[] }) {
    for (const n of loaded.nodes)
      if (n.id >= FIRST_NODE_ID && n.id <= LAST_NODE_ID)
        this.nodes.set(n.id, { ...n, askedToPresent: false });
    for (const v of loaded.values)
      if (this.nodes.has(v.node)) this.valuesOf(v.node).set(`${v.child}/${v.type}`, v);
  }

  get size(): number {
    return this.nodes.size;
  }

  get(id: number): KnownNode | undefined {
    return this.nodes.get(id);
  }

  all(): KnownNode[] {
    return [...this.nodes.values()].sort((a, b) => a.id - b.id);
  }

  /** The lowest id 1–254 no known node has, or null when all are taken. */
  lowestFreeId(): number | null {
    for (let id = FIRST_NODE_ID; id <= LAST_NODE_ID; id += 1) if (!this.nodes.has(id)) return id;
    return null;
  }

  /** A new node record (not yet in the table: add() it once it is stored). */
  fresh(id: number): KnownNode {
    return { ...blankNode(id), askedToPresent: false };
  }

  add(node: KnownNode): void {
    this.nodes.set(node.id, node);
  }

  lastValue(node: number, child: number, type: number): StoredValue | undefined {
    return this.values.get(node)?.get(`${child}/${type}`);
  }

  /** False when the node already keeps MAX_VALUES_PER_NODE other values. */
  canKeep(value: StoredValue): boolean {
    const map = this.values.get(value.node);
    return map === undefined || map.has(`${value.child}/${value.type}`) || map.size < MAX_VALUES_PER_NODE;
  }

  keep(value: StoredValue): void {
    this.valuesOf(value.node).set(`${value.child}/${value.type}`, value);
  }

  private valuesOf(node: number): Map<string, StoredValue> {
    let map = this.values.get(node);
    if (map === undefined) this.values.set(node, (map = new Map<string, StoredValue>()));
    return map;
  }
}
