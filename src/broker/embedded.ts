// The embedded MQTT broker (PRODUCT.md §2 `embedded_broker`), for users without a Mosquitto.
// The only importer of 'aedes' (ARCHITECTURE.md boundaries). The gateway talks to it over
// loopback with MQTT.js like to any broker, so there is deliberately no in-process publish().
//
// aedes allows everything by default and speaks MQTT 3.1.1 only (it refuses protocol level 5
// with CONNACK 1): we replace authenticate/authorizePublish/authorizeSubscribe with
// AccessPolicy (auth.ts), which keeps the `$SYS` guard, and listen exactly where configured.
import type { EventEmitter } from 'node:events';
import { Aedes } from 'aedes';
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { Logger } from '../log.ts';
import type { Service } from '../service.ts';
import { ErrorCodes, GatewayError } from '../errors.ts';
import { AccessPolicy } from './auth.ts';
import { maxGrantedQos } from './granted-qos.ts';
import type { BrokerAclEntry, BrokerUser } from './auth.ts';
import { PacketSizeGuard, PacketSizeLimitError } from './guarded-stream.ts';
import { formatListenAddress, parseListenAddress } from './listen-address.ts';
import type { ListenAddress } from './listen-address.ts';
import { listenTcp, listenWebSocket } from './listeners.ts';
import type { Listener } from './listeners.ts';

/** Bounds what one client can make the broker buffer (see packet-size.ts). */
export const DEFAULT_MAX_PACKET_SIZE = 1024 * 1024;

export interface EmbeddedBrokerOptions {
  /** `host:port` or `[::1]:port`; port 0 asks the OS for a free port (tests). */
  listen: string;
  /** Same form, or null for no WebSocket listener. */
  websocket: string | null;
  /** Secrets already read by the config loader. Non-empty = authentication required. */
  users: readonly BrokerUser[];
  acl: readonly BrokerAclEntry[];
  log: Logger;
  maxPacketSize?: number;
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
  #aedes: Aedes | null = null;
  #listeners: Listener[] = [];
  #stopping: Promise<void> | null = null;

  constructor(options: EmbeddedBrokerOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#policy = new AccessPolicy(options.users, options.acl);
  }

  async start(signal: AbortSignal): Promise<void> {
    const tcp = parseOrThrow(this.#options.listen, 'listen');
    const ws = this.#options.websocket === null ? null : parseOrThrow(this.#options.websocket, 'websocket');
    const maxPacketSize = this.#options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    signal.throwIfAborted();
    try {
      const aedes = await Aedes.createBroker(this.#aedesOptions());
      this.#aedes = aedes;
      this.#observe(aedes);
      signal.throwIfAborted();
      const handle = (connection: PacketSizeGuard): void => {
        connection.on('error', (error) => {
          if (error instanceof PacketSizeLimitError) {
            this.#log.warn({ peer: connection.peer }, `embedded broker dropped a client: ${error.message}`);
          } else this.#log.debug({ peer: connection.peer, err: error }, 'connection error');
        });
        aedes.handle(connection);
      };
      this.#listeners.push(await listenTcp(tcp, maxPacketSize, handle));
      signal.throwIfAborted();
      if (ws !== null) this.#listeners.push(await listenWebSocket(ws, maxPacketSize, handle));
      signal.throwIfAborted();
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#announce();
  }

  /** Where the TCP listener actually is (the real port when 0 was asked). */
  address(): ListenAddress {
    const listener = this.#listeners[0];
    if (listener === undefined) throw new Error('embedded broker is not listening');
    return listener.address;
  }

  /** Where the WebSocket listener is, or null when none is configured. */
  websocketAddress(): ListenAddress | null {
    return this.#listeners[1]?.address ?? null;
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
    if (this.#options.acl.length > 0 && !this.#policy.requiresAuthentication) {
      this.#log.warn('embedded_broker.acl is ignored because embedded_broker.users is empty');
    }
  }

  #aedesOptions(): AedesOptions {
    const policy = this.#policy;
    const log = this.#log;
    const usernames = this.#usernames;
    const granted = this.#granted;
    return {
      // A frozen subscriber must not stall delivery to everyone else (aedes docs, drainTimeout).
      drainTimeout: 30_000,
      connectTimeout: 10_000,
      authenticate: (client, username, password, done) => {
        const check = policy.checkCredentials(username, password);
        if (check.ok) {
          if (username !== undefined) usernames.set(client, username);
          done(null, true);
          return;
        }
        log.warn(
          { clientId: client.id, username, peer: peerOf(client) },
          `embedded broker refused a client: ${check.reason}`,
        );
        // CONNACK 4 = bad user name or password, 5 = not authorized (MQTT 3.1.1 §3.2.2.3).
        const returnCode: AuthenticateError['returnCode'] = check.reason === 'missing credentials' ? 5 : 4;
        done(Object.assign(new Error(check.reason), { returnCode }), false);
      },
      authorizePublish: (client, packet, done) => {
        const decision = policy.mayPublish(client === null ? undefined : usernames.get(client), packet.topic);
        if (decision.allowed) {
          done(null);
          return;
        }
        // MQTT-3.3.5-2: with no way to tell a 3.1.1 client, the broker closes its connection;
        // the message is not delivered nor retained.
        log.warn(
          { clientId: client?.id, username: client === null ? undefined : usernames.get(client) },
          `embedded broker refused a publish: ${decision.reason}`,
        );
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
        // A null subscription makes aedes answer SUBACK 0x80 (failure) and keep the client.
        log.warn(
          { clientId: client.id, username: usernames.get(client) },
          `embedded broker refused a subscription: ${decision.reason}`,
        );
        done(null, null);
      },
      authorizeForward: (client, packet) => {
        // Only 2 → 1 here: QoS 0 subscriptions already go through aedes' deliver0.
        const max = maxGrantedQos(granted.get(client) ?? new Map(), packet.topic);
        if (max !== undefined && max > 0 && packet.qos > max) packet.qos = max as 1;
        return packet;
      },
    };
  }

  #observe(aedes: Aedes): void {
    const log = this.#log;
    aedes.on('clientReady', (client) =>
      log.debug(
        { clientId: client.id, username: this.#usernames.get(client), peer: peerOf(client) },
        'client connected',
      ),
    );
    aedes.on('clientDisconnect', (client) => log.debug({ clientId: client.id }, 'client disconnected'));
    aedes.on('unsubscribe', (filters, client) => {
      for (const filter of filters) this.#granted.get(client)?.delete(filter);
    });
    aedes.on('clientError', (client, error) =>
      log.debug({ clientId: client.id, err: error }, 'client error'),
    );
    aedes.on('connectionError', (client, error) =>
      log.debug({ peer: peerOf(client), err: error }, 'connection error'),
    );
    aedes.on('keepaliveTimeout', (client) => log.debug({ clientId: client.id }, 'client keepalive timeout'));
    // An unhandled 'error' on an EventEmitter would crash the daemon (persistence failure).
    const emitter: EventEmitter = aedes;
    emitter.on('error', (error: unknown) => log.error({ err: error }, 'embedded broker error'));
  }
}

function peerOf(client: Client): string | undefined {
  return client.conn instanceof PacketSizeGuard ? client.conn.peer : undefined;
}
