// Converting between queue messages and rows of the messages table.
import type { QueuedMessage, QoS } from './outbox.ts';
import type { MessageColumns, MessageRow, Statements } from './sqlite-statements.ts';
import { errorMessage } from '../errors.ts';

/** A message the outbox holds, with its cost against max_bytes and where it lives. */
export interface Held {
  message: QueuedMessage;
  size: number;
  /** True for a QoS 0 message of the memory ring (no row in the database). */
  ring: boolean;
}

export function fromRow(row: MessageRow): Held {
  return {
    message: {
      id: row.id,
      port: row.port,
      portSeq: row.port_seq,
      topic: row.topic,
      payload: row.payload,
      qos: row.qos as QoS,
      retain: row.retain !== 0,
      createdAt: row.created_at,
      attempts: row.attempts,
    },
    size: row.size,
    ring: false,
  };
}

/** The values of MESSAGE_COLUMNS (sqlite-statements.ts) for `m`, in that order: the way back from fromRow. */
export function messageColumns(m: QueuedMessage): MessageColumns {
  return [m.id, m.port, m.portSeq, m.topic, m.payload, m.qos, m.retain ? 1 : 0, m.createdAt];
}

export function insertRow(statements: Statements, held: Held): void {
  statements.insertMessage.run(...messageColumns(held.message), held.message.attempts, held.size);
}

/** `CODE: message` of a storage error, for QueueStats.storageError. */
export function describeStorageError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = errorMessage(error);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
