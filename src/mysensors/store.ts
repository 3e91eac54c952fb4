// Where a MySensors controller keeps what must survive a restart: the nodes it knows (so an
// id is never handed out twice) and each child's last value (so C_REQ is answered after a
// restart). The daemon keeps them in the queue database (queue/sqlite-mysensors-store.ts);
// MemoryMySensorsStore is for tests and tools without one.

export interface StoredChild {
  child: number;
  /** The S_* type it was presented with. */
  sensor: number;
  description: string;
}

export interface StoredNode {
  id: number;
  sketchName: string | null;
  sketchVersion: string | null;
  libraryVersion: string | null;
  battery: number | null;
  lastHeartbeat: number | null;
  lastSeen: number | null;
  children: StoredChild[];
}

/** A node known only by its id: nothing heard from it yet (or nothing this version can read). */
export function blankNode(id: number): StoredNode {
  return {
    id,
    sketchName: null,
    sketchVersion: null,
    libraryVersion: null,
    battery: null,
    lastHeartbeat: null,
    lastSeen: null,
    children: [],
  };
}

export interface StoredValue {
  node: number;
  child: number;
  type: number;
  payload: string;
  at: number;
}

export interface MySensorsStore {
  load(port: string): { nodes: StoredNode[]; values: StoredValue[] };
  /** Durable when it returns; throws when it could not be stored. */
  saveNode(port: string, node: StoredNode): void;
  saveValue(port: string, value: StoredValue): void;
}

export class MemoryMySensorsStore implements MySensorsStore {
  private readonly nodes = new Map<string, StoredNode>();
  private readonly values = new Map<string, StoredValue>();

  load(port: string): { nodes: StoredNode[]; values: StoredValue[] } {
    const prefix = `${port}\u0000`;
    const pick = <T>(m: Map<string, T>): T[] =>
      [...m].filter(([k]) => k.startsWith(prefix)).map(([, v]) => structuredClone(v));
    return { nodes: pick(this.nodes), values: pick(this.values) };
  }

  saveNode(port: string, node: StoredNode): void {
    this.nodes.set(`${port}\u0000${node.id}`, structuredClone(node));
  }

  saveValue(port: string, value: StoredValue): void {
    this.values.set(`${port}\u0000${value.node}/${value.child}/${value.type}`, { ...value });
  }
}
