// How a command reaches the running daemon: through the broker it uses, on its request topics
// (src/requests/gateway-requests.ts). The external broker with the gateway's own login from
// gateway.yaml (its ACL already lets that login use the gateway's topics); the embedded
// broker on its plain listener, as whoever --username/--password-file say (its `acl` decides
// what they may ask, as for any client), or anonymously when it has no users.
import { readFile } from 'node:fs/promises';
import type { LoadedConfig } from '../config/load.ts';
import { ErrorCodes, GatewayError, errorMessage } from '../errors.ts';
import type { BrokerLink } from '../mqtt/connect-options.ts';
import { formatListenAddress, parseListenAddress } from '../net/listen-address.ts';

export interface ControlLinkOverrides {
  url?: string | undefined;
  username?: string | undefined;
  passwordFile?: string | undefined;
  pid: number;
}

/** A wildcard listen address is reached on loopback. */
function reachable(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

export async function controlLink(
  loaded: LoadedConfig,
  overrides: ControlLinkOverrides,
): Promise<BrokerLink> {
  const { config } = loaded;
  // Never the daemon's own client id: the broker would disconnect the daemon (MQTT 5 §3.1.4-3).
  const clientId = `${config.mqtt.client_id}-cli-${overrides.pid}`;
  const embedded = config.mqtt.broker === 'embedded';
  let url = overrides.url;
  if (url === undefined && embedded) {
    const address = parseListenAddress(config.embedded_broker.listen);
    if (address === undefined)
      throw new GatewayError(
        ErrorCodes.USAGE,
        'the embedded broker has no plain MQTT listener (embedded_broker.listen); give --url',
      );
    url = `mqtt://${formatListenAddress({ host: reachable(address.host), port: address.port })}`;
  }
  url ??= config.mqtt.url ?? '';
  let username = overrides.username ?? (embedded ? undefined : config.mqtt.username);
  let password = embedded ? undefined : config.mqtt.password;
  if (overrides.passwordFile !== undefined) {
    try {
      password = (await readFile(overrides.passwordFile, 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      throw new GatewayError(
        ErrorCodes.SECRET_UNREADABLE,
        `cannot read --password-file ${overrides.passwordFile}: ${errorMessage(error)}`,
      );
    }
    username ??= config.mqtt.username;
  }
  return {
    url,
    clientId,
    username,
    password,
    // aedes speaks MQTT 3.1.1 only (docs/decisions/0004).
    protocolVersion: embedded ? 4 : config.mqtt.protocol_version,
    keepaliveMs: config.mqtt.keepalive,
    tls: embedded ? null : config.mqtt.tls,
  };
}
