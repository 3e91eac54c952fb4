// Turns the `mqtt:` section of gateway.yaml into MQTT.js client options. Kept apart from
// the publisher so that TLS file handling and the will are testable on their own.
import { readFileSync } from 'node:fs';
import { tlsMaterialProblems } from '../config/tls-material.ts';
import type { IClientOptions } from 'mqtt';
import { ErrorCodes, GatewayError, errorMessage } from '../errors.ts';

export interface BrokerLink {
  url: string;
  clientId: string;
  username?: string | undefined;
  password?: string | undefined;
  protocolVersion: 4 | 5;
  keepaliveMs: number;
  tls: { ca: string | null; cert: string | null; key: string | null; insecure: boolean } | null;
  /** The gateway's `offline` will; a command-line client (`tty2mqtt flash`) has none. */
  will?: { topic: string; payload: string; qos: 0 | 1 | 2; retain: boolean };
}

function readPem(kind: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new GatewayError(
      ErrorCodes.SECRET_UNREADABLE,
      `cannot read TLS ${kind} ${path}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
}

function unusable(message: string, cause: unknown): GatewayError {
  // Exit 78 like an unreadable file: the fix is in the same place, the TLS files.
  return new GatewayError(ErrorCodes.SECRET_UNREADABLE, message, { cause });
}

/** The shared rules (config/tls-material.ts), on the bytes already read. */
function checkTlsMaterial(tls: NonNullable<BrokerLink['tls']>, options: IClientOptions): void {
  const bytes = new Map<string | null, Buffer | undefined>([
    [tls.ca, options.ca as Buffer | undefined],
    [tls.cert, options.cert as Buffer | undefined],
    [tls.key, options.key as Buffer | undefined],
  ]);
  const [first] = tlsMaterialProblems(tls, (path) => bytes.get(path) ?? Buffer.alloc(0));
  if (first !== undefined) throw unusable(`mqtt.tls.${first.key}: ${first.message}`, null);
}

export function toClientOptions(link: BrokerLink): IClientOptions {
  const options: IClientOptions = {
    clientId: link.clientId,
    protocolVersion: link.protocolVersion,
    keepalive: Math.max(1, Math.round(link.keepaliveMs / 1000)),
    // The publisher reconnects by itself with jittered backoff (1 s → 60 s).
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    clean: true,
    // QoS 0 messages are never queued inside MQTT.js: the outbox owns queueing.
    queueQoSZero: false,
    resubscribe: true,
    // Keepalive pings go out on their own interval instead of being re-armed by every ack:
    // re-arming cost a clearTimeout + setTimeout per message (profiled), and one PINGREQ per
    // interval on a busy link costs nothing (a packet within each interval [MQTT-3.1.2-23]).
    reschedulePings: false,
  };
  if (link.will !== undefined)
    options.will = {
      topic: link.will.topic,
      payload: Buffer.from(link.will.payload),
      qos: link.will.qos,
      retain: link.will.retain,
    };
  if (link.username !== undefined) options.username = link.username;
  if (link.password !== undefined) options.password = link.password;
  if (link.tls !== null) {
    if (link.tls.ca !== null) options.ca = readPem('CA', link.tls.ca);
    if (link.tls.cert !== null) options.cert = readPem('certificate', link.tls.cert);
    if (link.tls.key !== null) options.key = readPem('key', link.tls.key);
    checkTlsMaterial(link.tls, options);
  }
  // Certificates are verified unless the user said `insecure: true` in so many words (issue
  // 8); set explicitly even without a tls: section, so no library default decides it. The
  // host name check needs nothing here: for a named host MQTT.js passes it as servername
  // (SNI), and Node checks the certificate against it (tls.checkServerIdentity).
  options.rejectUnauthorized = link.tls?.insecure !== true;
  // MQTT.js traces every packet through `debug` (several calls per PUBLISH, ~2 % of the CPU
  // per message even when disabled): silenced unless DEBUG asks for mqttjs.
  if (!/\bmqttjs\b/.test(process.env['DEBUG'] ?? '')) options.log = () => undefined;
  return options;
}
