// One client's table of normal topic ids (MQTT-SN 1.2 §6.5, §7.3: "topic id tables should
// be per client"). The same table serves both directions: ids the client REGISTERed and
// ids the gateway REGISTERed to it before a PUBLISH (§6.10). Ids are 1..0xFFFE (0x0000 and
// 0xFFFF are reserved, §5.3.11); the table holds at most `max` names.
export class TopicRegistry {
  private readonly byId = new Map<number, string>();
  private readonly byName = new Map<string, number>();
  private next = 1;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.byId.size;
  }

  nameOf(id: number): string | undefined {
    return this.byId.get(id);
  }

  idOf(name: string): number | undefined {
    return this.byName.get(name);
  }

  /** The name's id, assigning the next free one; undefined when the table is full. */
  assign(name: string): number | undefined {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    if (this.byId.size >= this.max) return undefined;
    while (this.byId.has(this.next)) this.next = this.next >= 0xfffe ? 1 : this.next + 1;
    const id = this.next;
    this.next = id >= 0xfffe ? 1 : id + 1;
    this.byId.set(id, name);
    this.byName.set(name, id);
    return id;
  }

  /** Forgets an id (the client answered PUBACK 0x02 or rejected the REGISTER, §6.10). */
  forget(id: number): void {
    const name = this.byId.get(id);
    if (name === undefined) return;
    this.byId.delete(id);
    this.byName.delete(name);
  }

  clear(): void {
    this.byId.clear();
    this.byName.clear();
    this.next = 1;
  }
}
