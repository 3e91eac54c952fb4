// What `tty2mqtt check` warns about in a valid configuration of the embedded broker: settings
// that work but leave it open wider than a user would guess. Warnings, not problems: the
// configuration still loads (a loopback-only test setup may be meant that way).
import { WEBSOCKET_WITHOUT_USERS } from '../broker/websocket-origin.ts';
import type { GatewayConfig } from './schema.ts';

export function embeddedBrokerWarnings(config: Pick<GatewayConfig, 'mqtt' | 'embedded_broker'>): string[] {
  if (config.mqtt.broker !== 'embedded') return [];
  const b = config.embedded_broker;
  return b.websocket !== null && b.users.length === 0 ? [WEBSOCKET_WITHOUT_USERS] : [];
}
