// The MySensors controller's nodes and last values in the queue database (one file to back
// up, one lock). Each save is one synchronous commit through the outbox's transaction runner,
// so an id is on disk before the node is told it.
import { blankNode } from '../mysensors/store.ts';
import type { MySensorsStore, StoredNode, StoredValue } from '../mysensors/store.ts';
import type { Db } from './sqlite-schema.ts';

type Write = (work: () => void) => void;

export class SqliteMySensorsStore implements MySensorsStore {
  private readonly upsertNode;
  private readonly upsertValue;
  private readonly selectNodes;
  private readonly selectValues;

  constructor(
    db: Db,
    private readonly write: Write,
  ) {
    this.upsertNode = db.prepare<[string, number, string]>(
      `INSERT INTO mysensors_nodes (port, node, info) VALUES (?, ?, ?)
       ON CONFLICT (port, node) DO UPDATE SET info = excluded.info`,
    );
    this.upsertValue = db.prepare<[string, number, number, number, string, number]>(
      `INSERT INTO mysensors_values (port, node, child, type, payload, at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (port, node, child, type) DO UPDATE SET payload = excluded.payload, at = excluded.at`,
    );
    this.selectNodes = db.prepare<[string], { node: number; info: string }>(
      'SELECT node, info FROM mysensors_nodes WHERE port = ? ORDER BY node',
    );
    this.selectValues = db.prepare<[string], StoredValue>(
      'SELECT node, child, type, payload, at FROM mysensors_values WHERE port = ?',
    );
  }

  load(port: string): { nodes: StoredNode[]; values: StoredValue[] } {
    const nodes: StoredNode[] = [];
    for (const row of this.selectNodes.all(port)) {
      try {
        nodes.push({ ...(JSON.parse(row.info) as StoredNode), id: row.node });
      } catch {
        // A row this version cannot read still holds its id: keep the id, forget the rest.
        nodes.push(blankNode(row.node));
      }
    }
    return { nodes, values: this.selectValues.all(port) };
  }

  saveNode(port: string, node: StoredNode): void {
    this.write(() => this.upsertNode.run(port, node.id, JSON.stringify(node)));
  }

  saveValue(port: string, value: StoredValue): void {
    this.write(() =>
      this.upsertValue.run(port, value.node, value.child, value.type, value.payload, value.at),
    );
  }
}
