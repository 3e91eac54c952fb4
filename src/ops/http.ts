// `http.listen` (docs/contract.md §2): one node:http server for /metrics (Prometheus
// text), /healthz, the status page at / with its /status.json and live /events
// (Server-Sent Events). Read-only: GET and HEAD only, everything else 405; unknown paths
// 404. It listens where the config says — loopback unless the user opens it.
//
// Every request must name this gateway in its Host header (host-check.ts: DNS rebinding);
// others get 421 Misdirected Request (RFC 9110 §15.5.20), are counted and logged.
//
// Live updates are Server-Sent Events rather than polling: one long-lived response per
// open page instead of a request every 2 s, the browser reconnects by itself (EventSource),
// and a snapshot is built once per tick for all viewers. close() ends those responses at
// once (closeAllConnections) so the gateway's 5 s stop deadline holds (docs/contract.md §6).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { Counter } from 'prom-client';
import { createRateLimitedLog } from '../log/rate-limited-log.ts';
import { formatListenAddress, parseListenAddress } from '../net/listen-address.ts';
import { listenOn } from '../net/listen-on.ts';
import type { ListenAddress } from '../net/listen-address.ts';
import { ErrorCodes, GatewayError, errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { createHistory } from './history.ts';
import { createHostPolicy } from './host-check.ts';
import type { History } from './history.ts';
import { createMetrics } from './metrics.ts';
import type { Metrics } from './metrics.ts';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './status-page.ts';
import { buildSnapshot } from './status-snapshot.ts';
import { judgeHealth } from './status-health.ts';
import { framedInput } from '../ports/port-view.ts';
import type { OpsSource } from './status-source.ts';

export interface OpsServerOptions {
  /** `host:port` as written in gateway.yaml (`http.listen`). */
  listen: string;
  /** `http.allowed_hosts`: Host names served besides the listen address and localhost. */
  allowedHosts?: readonly string[];
  source: OpsSource;
  log: Logger;
  /** How often each open page gets a snapshot (default 2 s). */
  eventIntervalMs?: number;
  /** Open pages at most; more get 503 (every buffer and connection set is bounded). */
  maxEventClients?: number;
}

export interface OpsServer {
  address: ListenAddress;
  metrics: Metrics;
  close(): Promise<void>;
}

function listen(server: Server, address: ListenAddress): Promise<ListenAddress> {
  return listenOn(
    server,
    address,
    'is another tty2mqtt or exporter running? change http.listen',
    ({ address: at, why, cause }) =>
      new GatewayError(ErrorCodes.HTTP_LISTEN_FAILED, `http.listen: cannot listen on ${at}: ${why}`, {
        cause,
      }),
  );
}

/** An event stream this far behind is dropped; EventSource reconnects when it can. */
const MAX_UNREAD_BYTES = 1024 * 1024;

const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

function send(response: ServerResponse, status: number, type: string, body: string, extra = {}): void {
  response.writeHead(status, { ...NO_STORE, 'content-type': type, ...extra }).end(body);
}

function json(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`);
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { source, log } = options;
  const address = parseListenAddress(options.listen);
  // The schema checked the shape; this is the range (port ≤ 65535).
  if (address === undefined)
    throw new GatewayError(ErrorCodes.HTTP_LISTEN_FAILED, `http.listen: not a host:port: ${options.listen}`);
  const metrics = createMetrics(source);
  const history: History = createHistory({
    take: () => ({
      depth: source.queue().depth,
      lines: Object.fromEntries(source.ports().map((p) => [p.name, framedInput(p).count])),
    }),
  });
  const snapshot = (): string => JSON.stringify(buildSnapshot(source, history, Date.now()));
  const events = new Set<ServerResponse>();
  const maxClients = options.maxEventClients ?? 32;
  let ticker: NodeJS.Timeout | undefined;

  const broadcast = (): void => {
    if (events.size === 0) return;
    const frame = `event: status\ndata: ${snapshot()}\n\n`;
    for (const response of events) {
      // A viewer that stops reading (a suspended phone) would make its buffer grow forever.
      if (response.writableLength > MAX_UNREAD_BYTES) response.destroy();
      else response.write(frame);
    }
  };

  const openEvents = (request: IncomingMessage, response: ServerResponse): void => {
    if (events.size >= maxClients) {
      send(response, 503, 'text/plain; charset=utf-8', 'too many open status pages\n', {
        'retry-after': '10',
      });
      return;
    }
    response.writeHead(200, {
      ...NO_STORE,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // a reverse proxy must not hold events back
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    // `retry`: how long EventSource waits before reconnecting after the gateway restarts.
    response.write(`retry: 2000\n\nevent: status\ndata: ${snapshot()}\n\n`);
    events.add(response);
    response.once('close', () => events.delete(response));
  };

  const health = (response: ServerResponse): void => {
    const queue = source.queue();
    const broker = source.broker();
    const verdict = judgeHealth({
      started: source.started(),
      queue,
      limits: source.queueLimits,
      brokerConnected: broker?.connected === true,
    });
    json(response, verdict.ok ? 200 : 503, {
      status: verdict.ok ? 'ok' : 'unhealthy',
      reasons: verdict.reasons,
      broker_connected: broker?.connected === true,
      queue_depth: queue.depth,
      queue_storage_error: queue.storageError,
    });
  };

  const refusedHosts = new Counter({
    name: 'tty2mqtt_http_refused_hosts_total',
    help: 'HTTP requests refused because their Host header does not name this gateway (DNS rebinding).',
    registers: [metrics.registry],
  });
  const hostLog = createRateLimitedLog(log);
  // Assigned once the server listens: the policy needs the address actually bound.
  let allowsHost: (host: string | undefined) => boolean = () => false;

  /** A request for another host: 421 with a short text, counted, logged at a limited rate. */
  const refuseHost = (request: IncomingMessage, response: ServerResponse): void => {
    const host = (request.headers.host ?? '').slice(0, 100);
    refusedHosts.inc();
    hostLog.warn(
      'http-host',
      { host, path: (request.url ?? '').slice(0, 100), remote: request.socket.remoteAddress },
      'http request for a foreign host refused (DNS rebinding?); add the name to http.allowed_hosts if it is yours',
    );
    send(
      response,
      421,
      'text/plain; charset=utf-8',
      `misdirected request: this gateway does not answer to host ${JSON.stringify(host)}; see http.allowed_hosts\n`,
    );
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!allowsHost(request.headers.host)) {
      refuseHost(request, response);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { allow: 'GET, HEAD' });
      return;
    }
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    switch (path) {
      case '/':
        send(response, 200, 'text/html; charset=utf-8', STATUS_PAGE_HTML, {
          'content-security-policy': STATUS_PAGE_CSP,
          'referrer-policy': 'no-referrer',
        });
        return;
      case '/status.json':
        send(response, 200, 'application/json; charset=utf-8', `${snapshot()}\n`);
        return;
      case '/events':
        openEvents(request, response);
        return;
      case '/metrics': {
        const { contentType, body } = await metrics.render();
        send(response, 200, contentType, body);
        return;
      }
      case '/healthz':
        health(response);
        return;
      default:
        send(response, 404, 'text/plain; charset=utf-8', 'not found: try /, /metrics, /healthz\n');
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error({ err: errorMessage(error), url: request.url }, 'http request failed');
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  const actual = await listen(server, address);
  allowsHost = createHostPolicy({
    listenHost: actual.host,
    allowedHosts: options.allowedHosts ?? [],
    hostname: hostname(),
    interfaceAddresses: Object.values(networkInterfaces()).flatMap((list) =>
      (list ?? []).map((i) => i.address),
    ),
  });
  history.start();
  ticker = setInterval(broadcast, options.eventIntervalMs ?? 2000);
  ticker.unref();
  log.info(
    { listen: formatListenAddress(actual) },
    `status page, /metrics and /healthz on http://${formatListenAddress(actual)}/`,
  );

  return {
    address: actual,
    metrics,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(ticker);
        ticker = undefined;
        history.stop();
        for (const response of events) response.end();
        events.clear();
        server.close(() => resolve());
        // Open pages keep their event streams (and browsers their keep-alive sockets) open.
        server.closeAllConnections();
      }),
  };
}
