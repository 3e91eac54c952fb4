// Message ids and per-port sequence numbers that are never reused, across restarts and
// across processes (the stable id `<gateway>/<port>/<portSeq>`). Numbers are
// handed out from blocks reserved in the `counters` table by one atomic upsert, so most
// allocations touch no storage — QoS 0 messages included (docs/contract.md §6) — and a crash only
// leaves a gap. `tty2mqtt queue --requeue` reserves from the same table, so it never
// collides with a running daemon.
import type { Statements } from './sqlite-statements.ts';

export const RESERVE_BLOCK = 4096;
/** `port:<name>` per port, built once (allocation is on the hot path). */
const portNames = new Map<string, string>();

export class SequenceReserver {
  private readonly next = new Map<string, number>();
  private readonly last = new Map<string, number>();

  constructor(
    private readonly statements: Pick<Statements, 'reserve'>,
    private readonly block: number = RESERVE_BLOCK,
  ) {}

  /** The next number of the named sequence; may throw a storage error when a block is reserved. */
  take(name: string): number {
    let next = this.next.get(name);
    const last = this.last.get(name);
    if (next === undefined || last === undefined || next > last) {
      const top = this.statements.reserve.get({ name, block: this.block })?.value;
      if (top === undefined) throw new Error(`could not reserve sequence ${name}`);
      this.last.set(name, top);
      next = top - this.block + 1;
    }
    this.next.set(name, next + 1);
    return next;
  }

  /** Names: the message id sequence, and one per port. */
  static readonly ID = 'id';
  static port(port: string): string {
    let name = portNames.get(port);
    if (name === undefined) portNames.set(port, (name = `port:${port}`));
    return name;
  }
}
