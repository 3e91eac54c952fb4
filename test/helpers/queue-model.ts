// The plain in-memory model of the durable outbox that test/unit/queue/model.test.ts checks
// SqliteOutbox against: an array in id order, the when_full rules on QoS 1/2 messages, a
// ring bound on unleased QoS 0 messages, and what a crash keeps (committed rows, attempts,
// seq marks, stored packets) and forgets (leases, retry delays, the ring, the counters).
// An ack deletes its row with the next commit (group commit), so a crash before any commit
// brings acked rows back: at-least-once, a redelivery rather than a loss. The when_full rule
// is the one src/queue/limits.ts roomFor states for every outbox; the rest is written out here.
import { roomFor } from '../../src/queue/limits.ts';
import type { WhenFull } from '../../src/queue/limits.ts';
import type { OutMessage, QoS } from '../../src/queue/outbox.ts';

export interface ModelLine {
  port: string;
  qos: QoS[];
  size: number;
  seq: number | undefined;
}

interface Entry {
  order: number;
  topic: string;
  qos: QoS;
  size: number;
  leased: boolean;
  notBefore: number;
  attempts: number;
}

export class QueueModel {
  private entries: Entry[] = [];
  private readonly packets = new Map<number, string>();
  private readonly marks = new Map<string, number>();
  /** Acked rows whose delete is not committed yet. */
  private unflushed: Entry[] = [];
  private nextOrder = 1;
  private nextPacketId = 1;
  private books = { received: 0, published: 0, deadLettered: 0, rejected: 0 };
  private dropped: Record<string, number> = {};

  constructor(
    private readonly limits: { maxMessages: number; maxBytes: number; ringMax: number; whenFull: WhenFull },
  ) {}

  topicsOf(line: ModelLine, serial: number): string[] {
    return line.qos.map((_, i) => `${line.port}/${serial}/${i}`);
  }

  submit(line: ModelLine, messages: OutMessage[]): 'queued' | 'full' {
    const fresh = messages.map((m) => ({
      order: this.nextOrder++,
      topic: m.topic,
      qos: m.qos,
      size: m.payload.length + Buffer.byteLength(m.topic),
      leased: false,
      notBefore: 0,
      attempts: 0,
    }));
    const durable = fresh.filter((e) => e.qos > 0);
    const bytes = durable.reduce((n, e) => n + e.size, 0);
    if (durable.length > 0 && !this.makeRoom(durable.length, bytes)) {
      this.books.received += fresh.length;
      this.books.rejected += fresh.length;
      return 'full';
    }
    this.entries.push(...fresh);
    this.books.received += fresh.length;
    this.trimRing();
    if (line.seq !== undefined)
      this.marks.set(line.port, Math.min(256, (this.marks.get(line.port) ?? 0) + 1));
    if (durable.length > 0 || line.seq !== undefined) this.commit(); // waited for the batch
    return 'queued';
  }

  lease(max: number, now: number): string[] {
    const out: string[] = [];
    for (const e of this.entries) {
      if (out.length >= max) break;
      if (e.leased || e.notBefore > now || this.referenced(e.topic)) continue;
      e.leased = true;
      e.notBefore = 0;
      out.push(`${e.topic}#${e.attempts}`);
    }
    return out;
  }

  /** A message the publisher may ack or dead-letter: leased, or carried by a stored packet. */
  pickActive(pick: number): string | undefined {
    const active = this.entries.filter((e) => e.leased || this.referenced(e.topic));
    return active[pick % Math.max(1, active.length)]?.topic;
  }

  pickLeased(pick: number, durableOnly = false): string | undefined {
    const leased = this.entries.filter((e) => e.leased && (!durableOnly || e.qos > 0));
    return leased[pick % Math.max(1, leased.length)]?.topic;
  }

  remove(topic: string, why: 'published' | 'deadLettered'): void {
    const entry = this.entries.find((e) => e.topic === topic);
    this.entries = this.entries.filter((e) => e !== entry);
    this.books[why] += 1;
    if (entry !== undefined && entry.qos > 0 && why === 'published') this.unflushed.push(entry);
    if (why === 'deadLettered') this.commit();
  }

  /** Something committed (a batch, a packet write, a dead letter, an attempt count). */
  commit(): void {
    this.unflushed = [];
  }

  release(topic: string, notBefore: number, attempted: boolean): void {
    const e = this.entries.find((x) => x.topic === topic);
    if (e === undefined) return;
    e.leased = false;
    e.notBefore = notBefore;
    if (attempted) e.attempts += 1;
    if (attempted && e.qos > 0) this.commit();
    this.trimRing();
  }

  put(topic: string): number {
    const id = this.nextPacketId++;
    this.packets.set(id, topic);
    this.commit();
    return id;
  }

  unput(pick: number): number | undefined {
    const ids = [...this.packets.keys()];
    const id = ids[pick % Math.max(1, ids.length)];
    if (id !== undefined) {
      this.packets.delete(id);
      this.commit();
    }
    return id;
  }

  crash(): void {
    this.entries = [...this.entries.filter((e) => e.qos > 0), ...this.unflushed].sort(
      (a, b) => a.order - b.order,
    );
    this.unflushed = [];
    for (const e of this.entries) {
      e.leased = false;
      e.notBefore = 0;
    }
    this.books = { received: this.entries.length, published: 0, deadLettered: 0, rejected: 0 };
    this.dropped = {};
  }

  stats(): Record<string, unknown> {
    return {
      depth: this.entries.length,
      inflight: this.entries.filter((e) => e.leased).length,
      ...this.books,
      dropped: this.dropped,
      marks: [this.marks.get('a') ?? 0, this.marks.get('b') ?? 0],
      packets: [...this.packets.keys()],
    };
  }

  private referenced(topic: string): boolean {
    return [...this.packets.values()].includes(topic);
  }

  private drop(reason: string, victims: Entry[]): void {
    if (victims.length === 0) return;
    this.entries = this.entries.filter((e) => !victims.includes(e));
    this.dropped[reason] = (this.dropped[reason] ?? 0) + victims.length;
  }

  private trimRing(): void {
    const ring = this.entries.filter((e) => e.qos === 0 && !e.leased);
    this.drop('ring_overflow', ring.slice(0, Math.max(0, ring.length - this.limits.ringMax)));
  }

  /** when_full on the durable messages (the QoS 0 ring has its own bound): src/queue/limits.ts. */
  private makeRoom(count: number, bytes: number): boolean {
    const durable = this.entries.filter((e) => e.qos > 0);
    const held = { count: durable.length, bytes: durable.reduce((sum, e) => sum + e.size, 0) };
    const droppable = durable
      .filter((e) => !e.leased && !this.referenced(e.topic))
      .map((e) => ({ key: e, size: e.size }));
    const victims = roomFor(this.limits, held, { count, bytes }, droppable);
    if (victims === undefined) return false;
    this.drop(
      'dropped_oldest',
      victims.map((v) => v.key),
    );
    return true;
  }
}
