// Which WebSocket upgrade requests may reach the embedded broker (`embedded_broker.
// websocket_origins`). A browser lets any web page open a WebSocket to 127.0.0.1 and cannot
// be told not to; what it does do is send the page's origin with the handshake (RFC 6455
// §4.1 step 8 and §10.2: "servers that are not intended to process input from any web page
// but only for certain sites SHOULD verify the |Origin| field"). So a request that carries an
// Origin must name an allow-listed one exactly; a request without one does not come from a
// browser page (MQTT.js in Node, mosquitto clients, scripts) and is judged by login alone.
// Pure.
import type { IncomingHttpHeaders } from 'node:http';

/** Longest origin quoted in a log line: the header is the client's to make huge. */
const MAX_LOGGED_ORIGIN = 200;

/**
 * The origin to refuse, or undefined when the request may proceed. `sec-websocket-origin` is
 * where the handshake of protocol version 8 (draft hybi-08, still accepted by `ws`) puts it.
 */
export function refusedOrigin(
  headers: IncomingHttpHeaders,
  allowed: ReadonlySet<string>,
): string | undefined {
  for (const name of ['origin', 'sec-websocket-origin'] as const) {
    const value = headers[name];
    if (value === undefined) continue;
    const origin = Array.isArray(value) ? value.join(', ') : value;
    if (!allowed.has(origin)) return origin;
  }
  return undefined;
}

/** The origin as a log field: at most MAX_LOGGED_ORIGIN characters. */
export function originForLog(origin: string): string {
  return origin.length > MAX_LOGGED_ORIGIN ? `${origin.slice(0, MAX_LOGGED_ORIGIN)}…` : origin;
}
