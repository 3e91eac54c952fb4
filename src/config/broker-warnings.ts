// What `tty2mqtt check` warns about in a valid configuration of the embedded broker: settings
// that work but leave it open wider than a user would guess. Warnings, not problems: the
// configuration still loads (a loopback-only test setup may be meant that way).
import type { GatewayConfig } from './schema.ts';

/**
 * What `check` and the broker's start-up say about a WebSocket listener without `users`: the
 * Origin check keeps foreign web pages out, but nothing else keeps anyone out.
 */
export const WEBSOCKET_WITHOUT_USERS =
  'embedded_broker.websocket is on without embedded_broker.users: any program that can reach it, ' +
  'and any web page from embedded_broker.websocket_origins, may publish and subscribe anonymously ' +
  '(e.g. to …/set); configure embedded_broker.users';

export function embeddedBrokerWarnings(config: Pick<GatewayConfig, 'mqtt' | 'embedded_broker'>): string[] {
  if (config.mqtt.broker !== 'embedded') return [];
  const b = config.embedded_broker;
  return b.websocket !== null && b.users.length === 0 ? [WEBSOCKET_WITHOUT_USERS] : [];
}
