// Who may connect, publish and subscribe on the embedded broker (PRODUCT.md §2
// `embedded_broker.users` / `acl`). Pure decisions; embedded.ts adapts them to aedes hooks.
//
// Rules (ARCHITECTURE.md: aedes allows everything by default, so we decide explicitly):
// - `users` empty: anonymous access, no ACL (the default listener is loopback-only).
// - `users` non-empty: a CONNECT must carry a configured username and its password.
// - `acl` empty: an authenticated client may publish and subscribe anywhere.
// - `acl` non-empty: a user may do exactly what its entries list; a user without an entry
//   may do nothing (deny by default, as Mosquitto does with an acl_file).
// - Whatever the ACL says, no client may publish to a `$` topic (the `$SYS` guard, aedes #597).
import { createHash, timingSafeEqual } from 'node:crypto';
import { filterCovers, isValidTopicFilter, topicMatches } from '../pipeline/topic-filter.ts';

export interface BrokerUser {
  username: string;
  password: string;
}

export interface BrokerAclEntry {
  username: string;
  publish: readonly string[];
  subscribe: readonly string[];
}

export type CredentialCheck =
  { ok: true } | { ok: false; reason: 'missing credentials' | 'bad username or password' };

export type Decision = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: Decision = { allowed: true };

function digest(value: string | Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}

export class AccessPolicy {
  readonly #passwordDigests: ReadonlyMap<string, Buffer>;
  readonly #acl: ReadonlyMap<string, { publish: string[]; subscribe: string[] }> | null;

  constructor(users: readonly BrokerUser[], acl: readonly BrokerAclEntry[]) {
    this.#passwordDigests = new Map(users.map((u) => [u.username, digest(u.password)]));
    if (users.length === 0 || acl.length === 0) {
      this.#acl = null;
    } else {
      const merged = new Map<string, { publish: string[]; subscribe: string[] }>();
      for (const entry of acl) {
        const current = merged.get(entry.username) ?? { publish: [], subscribe: [] };
        current.publish.push(...entry.publish);
        current.subscribe.push(...entry.subscribe);
        merged.set(entry.username, current);
      }
      this.#acl = merged;
    }
  }

  /** True when clients must authenticate (some users are configured). */
  get requiresAuthentication(): boolean {
    return this.#passwordDigests.size > 0;
  }

  /** True when an ACL restricts authenticated users. */
  get hasAcl(): boolean {
    return this.#acl !== null;
  }

  /**
   * Compares digests with timingSafeEqual so the time taken says nothing about how much of
   * the password was right; an unknown user costs the same comparison.
   */
  checkCredentials(username: string | undefined, password: Buffer | undefined): CredentialCheck {
    if (!this.requiresAuthentication) return { ok: true };
    if (username === undefined || password === undefined) return { ok: false, reason: 'missing credentials' };
    const expected = this.#passwordDigests.get(username);
    const given = digest(password);
    const equal = timingSafeEqual(expected ?? digest(''), given);
    return expected !== undefined && equal ? { ok: true } : { ok: false, reason: 'bad username or password' };
  }

  /** `username` is the authenticated user, undefined for anonymous clients. */
  mayPublish(username: string | undefined, topic: string): Decision {
    if (topic.startsWith('$'))
      return { allowed: false, reason: `"${topic}": clients may not publish to $ topics` };
    if (this.#acl === null) return ALLOWED;
    const rules = username === undefined ? undefined : this.#acl.get(username);
    if (rules === undefined) return { allowed: false, reason: `"${topic}": no ACL entry for this user` };
    return rules.publish.some((f) => topicMatches(f, topic))
      ? ALLOWED
      : { allowed: false, reason: `"${topic}": not in this user's publish ACL` };
  }

  maySubscribe(username: string | undefined, filter: string): Decision {
    if (!isValidTopicFilter(filter))
      return { allowed: false, reason: `"${filter}": not a valid topic filter` };
    if (this.#acl === null) return ALLOWED;
    const rules = username === undefined ? undefined : this.#acl.get(username);
    if (rules === undefined) return { allowed: false, reason: `"${filter}": no ACL entry for this user` };
    return rules.subscribe.some((allowed) => filterCovers(allowed, filter))
      ? ALLOWED
      : { allowed: false, reason: `"${filter}": not in this user's subscribe ACL` };
  }
}
