// Defaults that depend on the machine, the environment or the config file's location
// (docs/contract.md §2), applied after validation: every path absolute, ids filled in.
import { isAbsolute, join, resolve } from 'node:path';
import { toTopicLevel } from '../topics/level.ts';
import type { GatewayConfig } from './schema.ts';

export interface ResolvedUser {
  username: string;
  /** Absolute. */
  password_file: string;
  /** Read from password_file. */
  password: string;
}

/** gateway.yaml as the daemon uses it: GatewayConfig with every default resolved. */
export type ResolvedConfig = Omit<GatewayConfig, 'gateway' | 'mqtt' | 'embedded_broker' | 'queue'> & {
  gateway: GatewayConfig['gateway'] & { id: string };
  mqtt: GatewayConfig['mqtt'] & { client_id: string };
  embedded_broker: Omit<GatewayConfig['embedded_broker'], 'users'> & { users: ResolvedUser[] };
  queue: GatewayConfig['queue'] & { path: string };
};

export interface ResolveContext {
  /** The config file's directory: relative paths are relative to it. */
  dir: string;
  env: NodeJS.ProcessEnv;
  hostname: string;
  /** Passwords read from password_file, by the key path (`mqtt.password_file`). */
  passwords: ReadonlyMap<string, string>;
}

/** A hostname as one topic level (docs/contract.md §5). */
export function hostnameLevel(hostname: string): string {
  const level = toTopicLevel(hostname);
  return level === '' ? 'tty2mqtt' : level;
}

function queuePath(config: GatewayConfig, ctx: ResolveContext): string {
  if (config.queue.path !== undefined) return resolve(ctx.dir, config.queue.path);
  // systemd's StateDirectory= may list several directories, separated by ':'.
  const state = ctx.env['STATE_DIRECTORY']?.split(':')[0];
  return state !== undefined && state !== ''
    ? join(resolve(state), 'queue.db')
    : join(ctx.dir, 'data', 'queue.db');
}

const abs = (dir: string, p: string | null): string | null => (p === null ? null : resolve(dir, p));

export function resolveConfig(config: GatewayConfig, ctx: ResolveContext): ResolvedConfig {
  const id = config.gateway.id ?? hostnameLevel(ctx.hostname);
  const { mqtt } = config;
  const password = ctx.passwords.get('mqtt.password_file') ?? mqtt.password;
  return {
    ...config,
    gateway: { ...config.gateway, id },
    mqtt: {
      ...mqtt,
      client_id: mqtt.client_id ?? `tty2mqtt-${id}`,
      ...(password !== undefined ? { password } : {}),
      ...(mqtt.password_file !== undefined ? { password_file: resolve(ctx.dir, mqtt.password_file) } : {}),
      tls:
        mqtt.tls === null
          ? null
          : {
              ...mqtt.tls,
              ca: abs(ctx.dir, mqtt.tls.ca),
              cert: abs(ctx.dir, mqtt.tls.cert),
              key: abs(ctx.dir, mqtt.tls.key),
            },
    },
    embedded_broker: {
      ...config.embedded_broker,
      users: config.embedded_broker.users.map((u, i) => ({
        username: u.username,
        password_file: resolve(ctx.dir, u.password_file),
        password: ctx.passwords.get(`embedded_broker.users[${i}].password_file`) ?? '',
      })),
    },
    queue: { ...config.queue, path: queuePath(config, ctx) },
    devices_dir: resolve(ctx.dir, config.devices_dir),
    ports: config.ports.map((p) => ({ ...p, path: isAbsolute(p.path) ? p.path : resolve(ctx.dir, p.path) })),
  };
}

/** Freezes objects, arrays and Maps all the way down (a frozen Map still has set(); replace it). */
export function deepFreeze<T>(value: T): T {
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v);
    const readOnly = (): never => {
      throw new TypeError('the loaded configuration is read-only');
    };
    for (const method of ['set', 'delete', 'clear'])
      Object.defineProperty(value, method, { value: readOnly });
    return Object.freeze(value);
  }
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
