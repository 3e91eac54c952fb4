// Who may connect, publish and subscribe on the embedded broker (docs/contract.md §2
// `embedded_broker.users` / `acl` / `max_topic_levels`). Decisions only; embedded.ts adapts
// them to aedes hooks.
//
// Rules (docs/architecture.md: aedes allows everything by default, so we decide explicitly):
// - `users` empty: anonymous access, no ACL (the default listener is loopback-only).
// - `users` non-empty: a CONNECT must carry a configured username and its password. A
//   password_file may hold the plain password or a mosquitto_passwd hash (src/secrets/password-hash.ts).
// - `acl` empty: an authenticated client may publish and subscribe anywhere.
// - `acl` non-empty: a user may do exactly what its entries list; a user without an entry
//   may do nothing (deny by default, as Mosquitto does with an acl_file).
// - The gateway's own internal login (when `users` is set and mqtt.username is not) always has
//   exactly its implicit entry: its own topic roots, whatever `acl` says.
// - Whatever the ACL says, no client may publish to a `$` topic (the `$SYS` guard, aedes #597),
//   and no topic or filter may have more than `maxTopicLevels` levels.
import { ErrorCodes, GatewayError } from '../errors.ts';
import { filterCovers, isValidTopicFilter, topicMatches } from '../topics/filter.ts';
import { BoundedRunner } from './bounded-runner.ts';
import { decoyFor, parseStoredPassword, verifyPassword } from '../secrets/password-hash.ts';
import type { StoredPassword } from '../secrets/password-hash.ts';

export interface BrokerUser {
  username: string;
  /** What the user's password_file holds: the plain password or a mosquitto_passwd hash. */
  password: string;
}

export interface BrokerAclEntry {
  username: string;
  publish: readonly string[];
  subscribe: readonly string[];
}

export type CredentialCheck =
  | { ok: true }
  | { ok: false; reason: 'missing credentials' | 'bad username or password' | 'too many logins waiting' };

/** `rule` says which rule refused, for counters: ACL, the `$` guard, or the level cap. */
export type Decision =
  { allowed: true } | { allowed: false; rule: 'acl' | 'dollar' | 'levels' | 'invalid'; reason: string };

export interface AccessPolicyOptions {
  /** Caps levels of PUBLISH topics and SUBSCRIBE filters (aedes' own ceiling is 100). */
  maxTopicLevels?: number;
  /** The gateway's internal login: a per-run secret and the roots it may use. */
  internalUser?: BrokerUser & { publish: readonly string[]; subscribe: readonly string[] };
}

export const DEFAULT_MAX_TOPIC_LEVELS = 32;

/** PBKDF2 checks at once (thread-pool threads), and CONNECTs allowed to wait for one. */
const VERIFY_CONCURRENCY = 2;
const VERIFY_MAX_WAITING = 32;

const ALLOWED: Decision = { allowed: true };

function levels(topic: string): number {
  let n = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) n++;
  return n;
}

function storedPassword(user: BrokerUser): StoredPassword {
  const parsed = parseStoredPassword(user.username, user.password);
  if (!parsed.ok)
    throw new GatewayError(
      ErrorCodes.BROKER_PASSWORD_FILE_INVALID,
      `embedded_broker.users "${user.username}": password_file ${parsed.reason}`,
    );
  return parsed.stored;
}

export class AccessPolicy {
  readonly #passwords: ReadonlyMap<string, StoredPassword>;
  readonly #decoy: StoredPassword;
  readonly #verifier = new BoundedRunner(VERIFY_CONCURRENCY, VERIFY_MAX_WAITING);
  readonly #requiresAuthentication: boolean;
  /** Per-user rules; a user missing here is unrestricted when #restricted is false. */
  readonly #acl = new Map<string, { publish: string[]; subscribe: string[] }>();
  readonly #restricted: boolean;
  readonly #maxTopicLevels: number;

  /** Throws BROKER_PASSWORD_FILE_INVALID when a hashed password_file does not parse. */
  constructor(
    users: readonly BrokerUser[],
    acl: readonly BrokerAclEntry[],
    options: AccessPolicyOptions = {},
  ) {
    this.#requiresAuthentication = users.length > 0;
    this.#maxTopicLevels = options.maxTopicLevels ?? DEFAULT_MAX_TOPIC_LEVELS;
    const passwords = new Map(users.map((u) => [u.username, storedPassword(u)]));
    this.#decoy = decoyFor([...passwords.values()]);
    this.#restricted = users.length > 0 && acl.length > 0;
    if (this.#restricted) {
      for (const entry of acl) {
        const current = this.#acl.get(entry.username) ?? { publish: [], subscribe: [] };
        current.publish.push(...entry.publish);
        current.subscribe.push(...entry.subscribe);
        this.#acl.set(entry.username, current);
      }
    }
    const internal = options.internalUser;
    if (internal !== undefined && this.#requiresAuthentication) {
      passwords.set(internal.username, storedPassword(internal));
      this.#acl.set(internal.username, {
        publish: [...internal.publish],
        subscribe: [...internal.subscribe],
      });
    }
    this.#passwords = passwords;
  }

  /** True when clients must authenticate (some users are configured). */
  get requiresAuthentication(): boolean {
    return this.#requiresAuthentication;
  }

  /** True when an ACL restricts authenticated users. */
  get hasAcl(): boolean {
    return this.#restricted;
  }

  /**
   * Verifies against the stored digest/hash in constant time; an unknown user is checked
   * against a decoy of the same cost, so timing does not reveal which usernames exist. At most
   * VERIFY_CONCURRENCY checks run at once; past VERIFY_MAX_WAITING waiting, refused at once.
   */
  async checkCredentials(
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<CredentialCheck> {
    if (!this.#requiresAuthentication) return { ok: true };
    if (username === undefined || password === undefined) return { ok: false, reason: 'missing credentials' };
    const stored = this.#passwords.get(username);
    const verdict = this.#verifier.run(() => verifyPassword(stored ?? this.#decoy, password));
    if (verdict === undefined) return { ok: false, reason: 'too many logins waiting' };
    const equal = await verdict;
    return stored !== undefined && equal ? { ok: true } : { ok: false, reason: 'bad username or password' };
  }

  /** `username` is the authenticated user, undefined for anonymous clients. */
  mayPublish(username: string | undefined, topic: string): Decision {
    if (topic.startsWith('$'))
      return { allowed: false, rule: 'dollar', reason: `"${topic}": clients may not publish to $ topics` };
    const tooDeep = this.#levelCheck(topic);
    if (tooDeep !== undefined) return tooDeep;
    const rules = this.#rulesOf(username);
    if (rules === null) return ALLOWED;
    if (rules === undefined)
      return { allowed: false, rule: 'acl', reason: `"${topic}": no ACL entry for this user` };
    return rules.publish.some((f) => topicMatches(f, topic))
      ? ALLOWED
      : { allowed: false, rule: 'acl', reason: `"${topic}": not in this user's publish ACL` };
  }

  maySubscribe(username: string | undefined, filter: string): Decision {
    if (!isValidTopicFilter(filter))
      return { allowed: false, rule: 'invalid', reason: `"${filter}": not a valid topic filter` };
    const tooDeep = this.#levelCheck(filter);
    if (tooDeep !== undefined) return tooDeep;
    const rules = this.#rulesOf(username);
    if (rules === null) return ALLOWED;
    if (rules === undefined)
      return { allowed: false, rule: 'acl', reason: `"${filter}": no ACL entry for this user` };
    return rules.subscribe.some((allowed) => filterCovers(allowed, filter))
      ? ALLOWED
      : { allowed: false, rule: 'acl', reason: `"${filter}": not in this user's subscribe ACL` };
  }

  /**
   * May a message on the concrete `topic` be delivered to this user? The read side of the ACL,
   * asked for every forward (embedded.ts authorizeForward): subscriptions restored with a
   * stored session and messages queued in it were checked against whoever made them, not
   * against the login that resumes the session. Mosquitto likewise checks read access per
   * delivered message.
   */
  mayRead(username: string | undefined, topic: string): Decision {
    const rules = this.#rulesOf(username);
    if (rules === null) return ALLOWED;
    // A topic may be up to a packet long: the reason (logged) quotes its start only.
    const quoted = topic.length > 128 ? `${topic.slice(0, 128)}…` : topic;
    if (rules === undefined)
      return { allowed: false, rule: 'acl', reason: `"${quoted}": no ACL entry for this user` };
    return rules.subscribe.some((f) => topicMatches(f, topic))
      ? ALLOWED
      : { allowed: false, rule: 'acl', reason: `"${quoted}": not in this user's subscribe ACL` };
  }

  /** null: unrestricted; undefined: restricted with no entry (deny). */
  #rulesOf(username: string | undefined): { publish: string[]; subscribe: string[] } | null | undefined {
    if (!this.#requiresAuthentication) return null;
    const rules = username === undefined ? undefined : this.#acl.get(username);
    if (rules !== undefined) return rules;
    return this.#restricted ? undefined : null;
  }

  #levelCheck(topic: string): Decision | undefined {
    const n = levels(topic);
    if (n <= this.#maxTopicLevels) return undefined;
    // The topic itself may be huge: quote its start only.
    return {
      allowed: false,
      rule: 'levels',
      reason: `"${topic.slice(0, 64)}…": ${n} topic levels, more than the maximum of ${this.#maxTopicLevels}`,
    };
  }
}
