// Which login owns which client id on the embedded broker (used only when `users` is set).
//
// MQTT 3.1.1 §3.1.4 [MQTT-3.1.4-2]: a CONNECT with the client id of a connected client makes
// the server disconnect the existing one, and with CleanSession = 0 (§3.1.2.4) the newcomer
// resumes the stored session: its subscriptions and the QoS 1/2 messages queued for it. Left
// at that, any logged-in user could kick any other client off and read its queue. So a client
// id belongs to one login:
// - the gateway's own id belongs to the gateway's login, from the start;
// - any other id to the first login that claims it, while that login has a connection with
//   it or a stored session under it (the last connection used CleanSession = 0: aedes keeps
//   such sessions for the broker's lifetime);
// - another login claiming an owned id is refused with CONNACK 2, "identifier rejected"
//   (§3.2.2.3: "the Client identifier is correct UTF-8 but not allowed by the Server");
//   the same login may take over its own id, as [MQTT-3.1.4-2] requires for reconnects.
// The book is bounded in bytes: when full, owners without a live connection are forgotten
// oldest first (their stored session may then be resumed by another login, which still reads
// only what its own ACL allows: embedded.ts checks every forward); when only live owners
// remain, new ids are refused with CONNACK 3, "server unavailable". Pure.

/** Map entry, key and bookkeeping, as counted against the byte bound. */
const ENTRY_OVERHEAD_BYTES = 64;

/** Enough for ~10 000 typical ids; each one costs aedes a session of far more. */
export const DEFAULT_MAX_CLIENT_ID_BOOK_BYTES = 1024 * 1024;

export type ClaimVerdict = { ok: true } | { ok: false; returnCode: 2 | 3; reason: string };

interface Entry {
  username: string;
  /** Connections that claimed the id and have not closed yet. */
  live: Set<object>;
  /** The last connection to complete used CleanSession = 0: a session stays stored. */
  persistent: boolean;
  bytes: number;
}

export interface ClientIdBookOptions {
  /** The gateway's client id and the only login that may use it. */
  reserved: { clientId: string; username: string } | null;
  maxBytes?: number;
}

export class ClientIdBook {
  readonly #reserved: { clientId: string; username: string } | null;
  readonly #maxBytes: number;
  /** Insertion order = claim order: the oldest owners are forgotten first. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(options: ClientIdBookOptions) {
    this.#reserved = options.reserved;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_CLIENT_ID_BOOK_BYTES;
  }

  /** Bytes the book accounts for now (bounded by maxBytes). */
  get bytes(): number {
    return this.#bytes;
  }

  /** `connection` identifies one client connection until released() is called for it. */
  claim(clientId: string, username: string, connection: object): ClaimVerdict {
    const reserved = this.#reserved;
    if (reserved !== null && clientId === reserved.clientId) {
      return username === reserved.username
        ? { ok: true }
        : { ok: false, returnCode: 2, reason: `"${clientId}" is the gateway's client id` };
    }
    const entry = this.#entries.get(clientId);
    if (entry !== undefined) {
      if (entry.username !== username)
        return { ok: false, returnCode: 2, reason: `"${shorten(clientId)}" is in use by another login` };
      entry.live.add(connection);
      return { ok: true };
    }
    const bytes = ENTRY_OVERHEAD_BYTES + Buffer.byteLength(clientId) + Buffer.byteLength(username);
    this.#makeRoom(bytes);
    if (this.#bytes + bytes > this.#maxBytes)
      return {
        ok: false,
        returnCode: 3,
        reason: `client ids in use fill the broker's ${this.#maxBytes}-byte book`,
      };
    this.#entries.set(clientId, { username, live: new Set([connection]), persistent: false, bytes });
    this.#bytes += bytes;
    return { ok: true };
  }

  /** The connection completed its CONNECT; `persistent` = it used CleanSession = 0. */
  connected(clientId: string, persistent: boolean): void {
    const entry = this.#entries.get(clientId);
    if (entry !== undefined) entry.persistent = persistent;
  }

  /** The connection closed (or never completed its CONNECT). */
  released(clientId: string, connection: object): void {
    const entry = this.#entries.get(clientId);
    if (entry === undefined || !entry.live.delete(connection)) return;
    if (entry.live.size === 0 && !entry.persistent) this.#forget(clientId, entry);
  }

  #makeRoom(bytes: number): void {
    for (const [clientId, entry] of this.#entries) {
      if (this.#bytes + bytes <= this.#maxBytes) return;
      if (entry.live.size === 0) this.#forget(clientId, entry);
    }
  }

  #forget(clientId: string, entry: Entry): void {
    this.#entries.delete(clientId);
    this.#bytes -= entry.bytes;
  }
}

/** A client id may be up to a packet long: quote its start only. */
function shorten(clientId: string): string {
  return clientId.length > 64 ? `${clientId.slice(0, 64)}…` : clientId;
}
