// The embedded MQTT broker (docs/contract.md §2 `embedded_broker`), for users without a Mosquitto.
// The only importer of 'aedes' (docs/architecture.md boundaries). The gateway's own messages
// reach it in the process (publishAsGateway, subscribeAsGateway; local-publisher.ts), not
// through an MQTT client and a loopback socket: that path cost 1.48× the gateway and a
// Mosquitto together (docs/performance.md). They pass the same checks as the gateway's login
// would over the network.
//
// aedes allows everything by default and speaks MQTT 3.1.1 only (it refuses protocol level 5
// with CONNACK 1): we replace authenticate/authorizePublish/authorizeSubscribe/authorizeForward
// with AccessPolicy (auth.ts), which keeps the `$SYS` guard and the topic level cap, give each
// client id to one login (client-id-book.ts), and listen exactly where configured (loopback
// by default). The gateway's own messages pass the same policy as an internal per-run login
// (#gatewayLogin), limited to the gateway's own topic roots, or as the configured user it is;
// nobody can connect with the gateway's client id, in any mode.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { Aedes } from 'aedes';
import type { AedesOptions, AedesPublishPacket, AuthenticateError, Client } from 'aedes';
import type { Logger } from '../log/logger.ts';
import type { Service } from '../service.ts';
import { ErrorCodes, GatewayError } from '../errors.ts';
import { WEBSOCKET_WITHOUT_USERS } from '../config/broker-warnings.ts';
import { createRateLimitedLog } from '../log/rate-limited-log.ts';
import type { RateLimitedLog } from '../log/rate-limited-log.ts';
import { AccessPolicy, DEFAULT_MAX_TOPIC_LEVELS } from './auth.ts';
import { ClientIdBook } from './client-id-book.ts';
import { maxGrantedQos } from './granted-qos.ts';
import type { BrokerAclEntry, BrokerUser, Decision } from './auth.ts';
import {
  DEFAULT_MAX_OUTGOING_BYTES,
  PacketSizeGuard,
  PacketSizeLimitError,
  SlowClientError,
} from './guarded-stream.ts';
import { formatListenAddress, parseListenAddress } from '../net/listen-address.ts';
import type { ListenAddress } from '../net/listen-address.ts';
import { listenTcp, listenTls, listenWebSocket } from './listeners.ts';
import type { GuardLimits, Listener, WebSocketListenerOptions } from './listeners.ts';
import { originForLog } from './websocket-origin.ts';

/** Bounds what one client can make the broker buffer (see packet-size.ts). */
export const DEFAULT_MAX_PACKET_SIZE = 1024 * 1024;
/** A client that connects and sends no CONNECT is dropped after this long. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** aedes' hard ceiling (its topic matcher cannot take more); filters above it close the connection. */
const AEDES_MAX_TOPIC_LEVELS = 100;

export interface EmbeddedBrokerTls {
  /** `host:port`, like `listen`. */
  listen: string;
  /** Absolute paths of PEM files. */
  cert: string;
  key: string;
  /** When given, clients must present a certificate it signed. */
  ca: string | null;
}

/** What the broker refused or dropped since start, for logs, metrics and tests. */
export interface EmbeddedBrokerStats {
  refusedLogins: number;
  refusedPublishes: number;
  refusedSubscriptions: number;
  /** Publishes and subscriptions refused for too many topic levels (also counted above). */
  tooManyLevels: number;
  oversizePackets: number;
  slowClientsDropped: number;
  tlsHandshakeFailures: number;
  /** CONNECTs refused because another login owns the client id (client-id-book.ts). */
  refusedClientIds: number;
  /** Messages not delivered because the receiver's read ACL does not cover the topic. */
  refusedForwards: number;
  /** WebSocket upgrades refused (403) for a browser Origin not in websocketOrigins. */
  refusedOrigins: number;
}

export interface EmbeddedBrokerOptions {
  /** `host:port` or `[::1]:port`; port 0 asks the OS for a free port (tests). */
  listen: string;
  /** Same form, or null for no WebSocket listener. */
  websocket: string | null;
  /** Browser origins allowed on the WebSocket listener (websocket-origin.ts); default none. */
  websocketOrigins?: readonly string[];
  tls?: EmbeddedBrokerTls | null;
  /** Secrets already read by the config loader. Non-empty = authentication required. */
  users: readonly BrokerUser[];
  acl: readonly BrokerAclEntry[];
  log: Logger;
  maxPacketSize?: number;
  maxTopicLevels?: number;
  /** Unread outgoing bytes after which a client is dropped (guarded-stream.ts). */
  maxOutgoingBytes?: number;
  connectTimeoutMs?: number;
  tlsHandshakeTimeoutMs?: number;
  /**
   * The topic roots the gateway itself publishes and subscribes under (`<base_topic>/#`, and
   * the discovery prefix): the gateway then acts as an internal login allowed exactly these;
   * null when the gateway acts as a configured user (gatewayUsername) instead.
   */
  gatewayRoots?: readonly string[] | null;
  /**
   * The gateway's MQTT client id. With users set, only the gateway's login may use it (the
   * internal login, or gatewayUsername when the gateway logs in as a configured user).
   */
  gatewayClientId?: string | null;
  /** The configured user the gateway logs in as (mqtt.username), when not the internal login. */
  gatewayUsername?: string | null;
  /** Bound of the client-id ownership book (client-id-book.ts); tests make it small. */
  maxClientIdBookBytes?: number;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function parseOrThrow(text: string, what: string): ListenAddress {
  const address = parseListenAddress(text);
  if (address === undefined) {
    throw new GatewayError(
      ErrorCodes.BROKER_LISTEN_FAILED,
      `embedded broker: ${what} "${text}" is not host:port`,
    );
  }
  return address;
}

export class EmbeddedBroker implements Service {
  readonly name = 'embedded broker';
  readonly #options: EmbeddedBrokerOptions;
  readonly #log: Logger;
  readonly #policy: AccessPolicy;
  /** Who each connected client authenticated as (aedes does not keep the username). */
  readonly #usernames = new WeakMap<Client, string>();
  /** Filter → granted QoS per client, for the QoS downgrade aedes misses (granted-qos.ts). */
  readonly #granted = new WeakMap<Client, Map<string, number>>();
  readonly #gatewayLogin: { username: string; password: string } | null;
  readonly #limited: RateLimitedLog;
  readonly #stats: EmbeddedBrokerStats = {
    refusedLogins: 0,
    refusedPublishes: 0,
    refusedSubscriptions: 0,
    tooManyLevels: 0,
    oversizePackets: 0,
    slowClientsDropped: 0,
    tlsHandshakeFailures: 0,
    refusedClientIds: 0,
    refusedForwards: 0,
    refusedOrigins: 0,
  };
  /** Who owns which client id; null in anonymous mode, where there are no logins to tell apart. */
  readonly #clientIds: ClientIdBook | null;
  #aedes: Aedes | null = null;
  #listeners: Listener[] = [];
  #tcpListener: Listener | null = null;
  #tlsListener: Listener | null = null;
  #wsListener: Listener | null = null;
  #stopping: Promise<void> | null = null;

  /** Throws BROKER_PASSWORD_FILE_INVALID when a user's hashed password_file does not parse. */
  constructor(options: EmbeddedBrokerOptions) {
    this.#options = options;
    this.#log = options.log;
    // Refusals are client-driven: a scanner hammering the port must not flood journald.
    this.#limited = createRateLimitedLog(options.log, { perWindow: 5, windowMs: 60_000 });
    const roots = options.gatewayRoots ?? null;
    // A fresh random login per run, only ever in memory: nothing to configure, store or leak,
    // and the hashed password files never need a plain-text twin for the gateway.
    // Made in anonymous mode too: there it is what proves a CONNECT with the gateway's client
    // id comes from the gateway (see #claimAnonymous).
    this.#gatewayLogin =
      roots !== null
        ? {
            username: `tty2mqtt-gateway-${randomBytes(6).toString('hex')}`,
            password: randomBytes(32).toString('base64url'),
          }
        : null;
    this.#policy = new AccessPolicy(options.users, options.acl, {
      maxTopicLevels: options.maxTopicLevels ?? DEFAULT_MAX_TOPIC_LEVELS,
      ...(this.#gatewayLogin !== null && roots !== null
        ? { internalUser: { ...this.#gatewayLogin, publish: roots, subscribe: roots } }
        : {}),
    });
    // Anonymous mode has no logins to tell owners apart: only the gateway's own id is guarded
    // there (#claimAnonymous), by the per-run login nobody else knows.
    const gatewayClientId = options.gatewayClientId ?? null;
    const gatewayUsername = this.#gatewayLogin?.username ?? options.gatewayUsername ?? null;
    this.#clientIds = this.#policy.requiresAuthentication
      ? new ClientIdBook({
          reserved:
            gatewayClientId !== null && gatewayUsername !== null
              ? { clientId: gatewayClientId, username: gatewayUsername }
              : null,
          ...(options.maxClientIdBookBytes === undefined ? {} : { maxBytes: options.maxClientIdBookBytes }),
        })
      : null;
  }

  /**
   * Publishes one of the gateway's own messages in the process. `done` runs once aedes has
   * it (stored if retained, handed to every subscriber: for QoS 1/2 subscribers that is
   * their session's queue), with the reason when the gateway's login may not publish there.
   * Subscribers' read ACLs still apply (authorizeForward).
   */
  publishAsGateway(message: LocalMessage, done: (refusal: string | null, error?: Error) => void): void {
    const aedes = this.#aedes;
    if (aedes === null) return done(null, new Error('embedded broker is not running'));
    const decision = this.#policy.mayPublish(this.#gatewayIdentity(), message.topic);
    if (!decision.allowed) {
      this.#refused('publish', null, decision);
      return done(decision.reason);
    }
    aedes.publish(
      {
        cmd: 'publish',
        topic: message.topic,
        payload: message.payload,
        qos: message.qos,
        retain: message.retain,
        dup: false,
      },
      (error) => done(null, error ?? undefined),
    );
  }

  /**
   * Delivers what is published on `filter` to `deliver`, in the process, with the retained
   * messages first (as a broker does after SUBSCRIBE, MQTT 3.1.1 §3.3.1.3). Refused
   * (returns null) when the gateway's login may not subscribe there. Returns the removal.
   */
  subscribeAsGateway(filter: string, deliver: (message: LocalMessage) => void): (() => void) | null {
    const aedes = this.#aedes;
    if (aedes === null) return null;
    const identity = this.#gatewayIdentity();
    const decision = this.#policy.maySubscribe(identity, filter);
    if (!decision.allowed) {
      this.#refused('subscription', null, decision);
      return null;
    }
    const readable = (topic: string): boolean => this.#policy.mayRead(identity, topic).allowed;
    const handler = (packet: AedesPublishPacket, callback: () => void): void => {
      if (readable(packet.topic)) deliver(localMessage(packet, false));
      callback();
    };
    aedes.subscribe(filter, handler, () => undefined);
    void (async () => {
      const retained = (aedes as unknown as RetainedSource).persistence.createRetainedStreamCombi([filter]);
      for await (const packet of retained) if (readable(packet.topic)) deliver(localMessage(packet, true));
    })().catch((error: unknown) => this.#log.warn({ filter, err: error }, 'retained messages not delivered'));
    return () => aedes.unsubscribe(filter, handler, () => undefined);
  }

  /** Who the gateway is to the access policy: its internal login, or the configured user. */
  #gatewayIdentity(): string | undefined {
    return this.#gatewayLogin?.username ?? this.#options.gatewayUsername ?? undefined;
  }

  stats(): Readonly<EmbeddedBrokerStats> {
    return { ...this.#stats };
  }

  async start(signal: AbortSignal): Promise<void> {
    const tcp = parseOrThrow(this.#options.listen, 'listen');
    const ws = this.#options.websocket === null ? null : parseOrThrow(this.#options.websocket, 'websocket');
    const tlsOptions = this.#options.tls ?? null;
    const tls = tlsOptions === null ? null : parseOrThrow(tlsOptions.listen, 'tls.listen');
    const limits: GuardLimits = {
      maxPacketSize: this.#options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE,
      maxOutgoingBytes: this.#options.maxOutgoingBytes ?? DEFAULT_MAX_OUTGOING_BYTES,
    };
    signal.throwIfAborted();
    try {
      const pem = tlsOptions === null ? null : await readTlsFiles(tlsOptions);
      const aedes = await Aedes.createBroker(this.#aedesOptions());
      this.#aedes = aedes;
      this.#observe(aedes);
      signal.throwIfAborted();
      const handle = (connection: PacketSizeGuard): void => {
        connection.on('error', (error) => this.#connectionError(connection, error));
        aedes.handle(connection);
      };
      this.#tcpListener = await listenTcp(tcp, limits, handle);
      this.#listeners.push(this.#tcpListener);
      signal.throwIfAborted();
      if (tls !== null && pem !== null) {
        this.#tlsListener = await listenTls(
          tls,
          limits,
          {
            ...pem,
            handshakeTimeoutMs: this.#options.tlsHandshakeTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
            onHandshakeError: (error, peer) => {
              this.#stats.tlsHandshakeFailures++;
              this.#limited.warn(
                'tls',
                { peer, err: error.message },
                'embedded broker: TLS handshake failed',
              );
            },
          },
          handle,
        );
        this.#listeners.push(this.#tlsListener);
      }
      signal.throwIfAborted();
      if (ws !== null) {
        const websocketOptions: WebSocketListenerOptions = {
          allowedOrigins: new Set(this.#options.websocketOrigins ?? []),
          onRefusedOrigin: (origin, peer) => {
            this.#stats.refusedOrigins++;
            this.#limited.warn(
              'websocket-origin',
              { origin: originForLog(origin), peer },
              'embedded broker refused a WebSocket connection from a web page: its Origin is not in embedded_broker.websocket_origins',
            );
          },
        };
        this.#wsListener = await listenWebSocket(ws, limits, websocketOptions, handle);
        this.#listeners.push(this.#wsListener);
      }
      signal.throwIfAborted();
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#announce();
  }

  /** Where the TCP listener actually is (the real port when 0 was asked). */
  address(): ListenAddress {
    if (this.#tcpListener === null) throw new Error('embedded broker is not listening');
    return this.#tcpListener.address;
  }

  /** Where the WebSocket listener is, or null when none is configured. */
  websocketAddress(): ListenAddress | null {
    return this.#wsListener?.address ?? null;
  }

  /** Where the TLS listener is, or null when none is configured. */
  tlsAddress(): ListenAddress | null {
    return this.#tlsListener?.address ?? null;
  }

  #connectionError(connection: PacketSizeGuard, error: Error): void {
    if (error instanceof PacketSizeLimitError) {
      this.#stats.oversizePackets++;
      this.#limited.warn(
        'packet-size',
        { peer: connection.peer },
        `embedded broker dropped a client: ${error.message}`,
      );
    } else if (error instanceof SlowClientError) {
      this.#stats.slowClientsDropped++;
      this.#limited.warn(
        'slow-client',
        { peer: connection.peer },
        `embedded broker dropped a slow client: ${error.message}`,
      );
    } else this.#log.debug({ peer: connection.peer, err: error }, 'connection error');
  }

  /** Counts and rate-limit-logs a refused publish or subscription. */
  #refused(what: 'publish' | 'subscription', client: Client | null, decision: Decision): void {
    if (decision.allowed) return;
    if (what === 'publish') this.#stats.refusedPublishes++;
    else this.#stats.refusedSubscriptions++;
    if (decision.rule === 'levels') this.#stats.tooManyLevels++;
    const username = client === null ? undefined : this.#usernames.get(client);
    this.#limited.warn(
      `${what}:${decision.rule}`,
      { clientId: client?.id, username },
      `embedded broker refused a ${what}: ${decision.reason}`,
    );
  }

  /**
   * A client id belongs to one login (client-id-book.ts); checked at authentication, before
   * aedes touches the session (a clean CONNECT would wipe it) or disconnects the holder.
   */
  #claimClientId(client: Client, username: string | undefined, password: Buffer | undefined): ClientIdClaim {
    if (this.#clientIds === null) return this.#claimAnonymous(client, username, password);
    const book = this.#clientIds;
    // Closed while its password was checked: aedes drops it without registering it, and a
    // 'close' listener added now would never fire to release the claim.
    if (book === null || username === undefined || client.closed || client.conn.destroyed)
      return { ok: true };
    const clientId = client.id;
    const verdict = book.claim(clientId, username, client);
    if (verdict.ok) {
      client.conn.once('close', () => book.released(clientId, client));
      return verdict;
    }
    return this.#refuseClientId(client, username, verdict);
  }

  /**
   * Anonymous mode: anyone may publish and subscribe, but taking over the gateway's client id
   * would still kick the gateway off and hand its session to the newcomer (MQTT 3.1.1
   * [MQTT-3.1.4-2]), so that id needs the gateway's per-run login, compared in constant time.
   */
  #claimAnonymous(client: Client, username: string | undefined, password: Buffer | undefined): ClientIdClaim {
    const login = this.#gatewayLogin;
    const reserved = this.#options.gatewayClientId ?? null;
    if (login === null || reserved === null || client.id !== reserved) return { ok: true };
    if (username === login.username && password !== undefined && sameSecret(password, login.password))
      return { ok: true };
    return this.#refuseClientId(client, username, {
      ok: false,
      returnCode: 2,
      reason: `"${reserved}" is the gateway's client id`,
    });
  }

  #refuseClientId(
    client: Client,
    username: string | undefined,
    verdict: Extract<ClientIdClaim, { ok: false }>,
  ): ClientIdClaim {
    this.#stats.refusedClientIds++;
    this.#limited.warn(
      'client-id',
      { clientId: client.id.slice(0, 64), username, peer: peerOf(client) },
      `embedded broker refused a client id: ${verdict.reason}`,
    );
    return verdict;
  }

  /** Ends every client connection and both listeners at once; safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopNow();
    return this.#stopping;
  }

  async #stopNow(): Promise<void> {
    const listeners = this.#listeners;
    await Promise.all(listeners.map((l) => l.close()));
    const aedes = this.#aedes;
    if (aedes !== null) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (listeners.length > 0) this.#log.info('embedded broker stopped');
  }

  #announce(): void {
    const where = this.#listeners.map((l) => formatListenAddress(l.address)).join(' and ');
    const auth = this.#policy.requiresAuthentication
      ? this.#policy.hasAcl
        ? 'users + ACL'
        : 'users'
      : 'anonymous';
    this.#log.info({ auth }, `embedded broker listening on ${where}`);
    const exposed = this.#listeners.some((l) => !LOOPBACK.test(l.address.host));
    if (exposed && !this.#policy.requiresAuthentication) {
      this.#log.warn(
        `embedded broker accepts anonymous clients on ${where}: anyone who can reach it may publish and subscribe; configure embedded_broker.users`,
      );
    }
    if (this.#wsListener !== null && !this.#policy.requiresAuthentication) {
      this.#log.warn(WEBSOCKET_WITHOUT_USERS);
    }
    if (this.#options.acl.length > 0 && !this.#policy.requiresAuthentication) {
      this.#log.warn('embedded_broker.acl is ignored because embedded_broker.users is empty');
    }
  }

  #aedesOptions(): AedesOptions {
    const policy = this.#policy;
    const usernames = this.#usernames;
    const granted = this.#granted;
    return {
      // A frozen subscriber must not stall delivery to everyone else (aedes docs, drainTimeout).
      // Rarely reached: guarded-stream.ts drops a client that stops reading well before.
      drainTimeout: 30_000,
      connectTimeout: this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      // Our own cap (auth.ts) is lower and answers SUBACK 0x80; aedes' guard, which closes the
      // connection, only ever sees what ours cannot (filters beyond its ceiling).
      maxTopicLevels: AEDES_MAX_TOPIC_LEVELS,
      authenticate: (client, username, password, done) => {
        void policy.checkCredentials(username, password).then(
          (check) => {
            if (check.ok) {
              if (username !== undefined) usernames.set(client, username);
              const claim = this.#claimClientId(client, username, password);
              if (claim.ok) done(null, true);
              else done(Object.assign(new Error(claim.reason), { returnCode: claim.returnCode }), false);
              return;
            }
            this.#stats.refusedLogins++;
            // Username and peer only: never the password, nor how it is stored.
            this.#limited.warn(
              `login:${check.reason}`,
              { clientId: client.id, username, peer: peerOf(client) },
              `embedded broker refused a client: ${check.reason}`,
            );
            // CONNACK 3 = server unavailable, 4 = bad user name or password, 5 = not authorized
            // (MQTT 3.1.1 §3.2.2.3).
            const returnCode: AuthenticateError['returnCode'] =
              check.reason === 'missing credentials' ? 5 : check.reason === 'too many logins waiting' ? 3 : 4;
            done(Object.assign(new Error(check.reason), { returnCode }), false);
          },
          (error: unknown) => done(error as AuthenticateError, false),
        );
      },
      authorizePublish: (client, packet, done) => {
        const decision = policy.mayPublish(client === null ? undefined : usernames.get(client), packet.topic);
        if (decision.allowed) {
          done(null);
          return;
        }
        // MQTT 3.1.1 has no negative PUBACK; §3.3.5 lets the server "close the Network
        // Connection" when it refuses a PUBLISH [MQTT-3.3.5-2], which is what aedes does with
        // this error. The message is neither delivered nor retained.
        this.#refused('publish', client, decision);
        done(new Error(decision.reason));
      },
      authorizeSubscribe: (client, subscription, done) => {
        const decision = policy.maySubscribe(usernames.get(client), subscription.topic);
        if (decision.allowed) {
          const book = granted.get(client) ?? new Map<string, number>();
          book.set(subscription.topic, subscription.qos);
          granted.set(client, book);
          done(null, subscription);
          return;
        }
        // A null subscription makes aedes answer SUBACK 0x80 (failure, MQTT 3.1.1 §3.9.3) and
        // keep the client.
        this.#refused('subscription', client, decision);
        done(null, null);
      },
      authorizeForward: (client, packet) => {
        // Every delivery, live, retained or replayed from a stored session (aedes' emptyQueue
        // asks this hook too), must be readable by the receiving login (auth.ts mayRead).
        const read = policy.mayRead(usernames.get(client), packet.topic);
        if (!read.allowed) {
          this.#stats.refusedForwards++;
          this.#limited.warn(
            `forward:${read.rule}`,
            { clientId: client.id, username: usernames.get(client) },
            `embedded broker refused to forward a message: ${read.reason}`,
          );
          return null;
        }
        // Only 2 → 1 here: QoS 0 subscriptions already go through aedes' deliver0.
        const max = maxGrantedQos(granted.get(client) ?? new Map(), packet.topic);
        if (max !== undefined && max > 0 && packet.qos > max) packet.qos = max as 1;
        return packet;
      },
    };
  }

  #observe(aedes: Aedes): void {
    const log = this.#log;
    aedes.on('clientReady', (client) => {
      this.#clientIds?.connected(client.id, !client.clean);
      log.debug(
        { clientId: client.id, username: this.#usernames.get(client), peer: peerOf(client) },
        'client connected',
      );
    });
    aedes.on('clientDisconnect', (client) => log.debug({ clientId: client.id }, 'client disconnected'));
    aedes.on('unsubscribe', (filters, client) => {
      for (const filter of filters) this.#granted.get(client)?.delete(filter);
    });
    aedes.on('clientError', (client, error) => {
      // aedes' own level guard (beyond AEDES_MAX_TOPIC_LEVELS): count it like ours.
      if (error.message === 'topic has too many levels') {
        this.#stats.tooManyLevels++;
        this.#limited.warn(
          'levels:aedes',
          { clientId: client.id },
          `embedded broker dropped a client: topic with more than ${AEDES_MAX_TOPIC_LEVELS} levels`,
        );
      } else log.debug({ clientId: client.id, err: error }, 'client error');
    });
    aedes.on('connectionError', (client, error) =>
      log.debug({ peer: peerOf(client), err: error }, 'connection error'),
    );
    aedes.on('keepaliveTimeout', (client) => log.debug({ clientId: client.id }, 'client keepalive timeout'));
    // An unhandled 'error' on an EventEmitter would crash the daemon (persistence failure).
    const emitter: EventEmitter = aedes;
    emitter.on('error', (error: unknown) => log.error({ err: error }, 'embedded broker error'));
  }
}

async function readTlsFiles(
  tls: EmbeddedBrokerTls,
): Promise<{ cert: string; key: string; ca: string | null }> {
  const read = async (file: string, what: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw new GatewayError(
        ErrorCodes.BROKER_TLS_INVALID,
        `embedded_broker.tls.${what} ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause: error },
      );
    }
  };
  return {
    cert: await read(tls.cert, 'cert'),
    key: await read(tls.key, 'key'),
    ca: tls.ca === null ? null : await read(tls.ca, 'ca'),
  };
}

/** aedes's persistence, which its types leave out: a Readable of the retained packets. */
interface RetainedSource {
  persistence: { createRetainedStreamCombi(patterns: string[]): AsyncIterable<AedesPublishPacket> };
}

/** A message between the gateway and the broker in the process (publishAsGateway). */
export interface LocalMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
}

function localMessage(packet: AedesPublishPacket, retain: boolean): LocalMessage {
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  return { topic: packet.topic, payload, qos: packet.qos, retain };
}

type ClientIdClaim =
  { ok: true } | { ok: false; returnCode: AuthenticateError['returnCode']; reason: string };

/** Constant-time comparison of a presented password with the gateway's (digests: equal lengths). */
function sameSecret(presented: Buffer, expected: string): boolean {
  const digest = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

function peerOf(client: Client): string | undefined {
  return client.conn instanceof PacketSizeGuard ? client.conn.peer : undefined;
}
