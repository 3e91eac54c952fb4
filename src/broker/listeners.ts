// The sockets the embedded broker listens on: plain TCP, and optionally MQTT over TLS and MQTT
// over WebSocket (docs/contract.md §2 `embedded_broker.listen` / `tls` / `websocket`). Each accepted
// connection is wrapped in a PacketSizeGuard and handed to `onConnection`; every open
// connection is tracked so that close() can end them at once instead of waiting for clients
// to hang up. A client that sends no CONNECT is dropped by aedes' connectTimeout
// (embedded.ts); for TLS, the handshake before it has its own timeout here.
import { createServer as createTcpServer } from 'node:net';
import type { Server as TcpServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTlsServer } from 'node:tls';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { ErrorCodes, GatewayError, errorMessage } from '../errors.ts';
import { PacketSizeGuard } from './guarded-stream.ts';
import { listenOn } from '../net/listen-on.ts';
import { refusedOrigin } from './websocket-origin.ts';
import type { ListenAddress } from '../net/listen-address.ts';

export type ConnectionHandler = (connection: PacketSizeGuard, request?: IncomingMessage) => void;

/** What bounds one connection's buffers (packet-size.ts, guarded-stream.ts). */
export interface GuardLimits {
  maxPacketSize: number;
  maxOutgoingBytes: number;
}

export interface TlsListenerOptions {
  /** PEM contents, already read. */
  cert: string;
  key: string;
  /** When given, clients must present a certificate signed by it. */
  ca: string | null;
  handshakeTimeoutMs: number;
  onHandshakeError: (error: Error, peer: string) => void;
}

export interface WebSocketListenerOptions {
  /** Exact browser origins that may connect (websocket-origin.ts); empty = none. */
  allowedOrigins: ReadonlySet<string>;
  /** Called for each upgrade refused for its Origin (the caller counts and logs). */
  onRefusedOrigin: (origin: string, peer: string) => void;
}

export interface Listener {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

function listen(
  server: TcpServer | HttpServer | TlsServer,
  address: ListenAddress,
  what: string,
): Promise<ListenAddress> {
  return listenOn(
    server,
    address,
    'is another MQTT broker running? change embedded_broker.listen or use mqtt.broker: external',
    ({ address: at, why, cause }) =>
      new GatewayError(
        ErrorCodes.BROKER_LISTEN_FAILED,
        `embedded broker cannot listen${what} on ${at}: ${why}`,
        {
          cause,
        },
      ),
  );
}

function closeServer(server: TcpServer | HttpServer | TlsServer, connections: Set<Duplex>): Promise<void> {
  return new Promise((resolve) => {
    for (const connection of connections) connection.destroy();
    connections.clear();
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

function peerOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

export async function listenTcp(
  address: ListenAddress,
  limits: GuardLimits,
  onConnection: ConnectionHandler,
): Promise<Listener> {
  const connections = new Set<Duplex>();
  const server = createTcpServer((socket) => {
    socket.setNoDelay(true);
    const guarded = new PacketSizeGuard(
      socket,
      limits.maxPacketSize,
      peerOf(socket),
      limits.maxOutgoingBytes,
    );
    connections.add(guarded);
    guarded.once('close', () => connections.delete(guarded));
    onConnection(guarded);
  });
  try {
    const actual = await listen(server, address, '');
    return { address: actual, close: () => closeServer(server, connections) };
  } catch (error) {
    await closeServer(server, connections);
    throw error;
  }
}

/**
 * MQTT over TLS (`mqtts://`, port 8883 by convention). The handshake must finish within
 * handshakeTimeoutMs (node:tls `handshakeTimeout`) so a silent TCP client cannot hold a slot;
 * failures go to onHandshakeError (the caller rate-limits the log).
 */
export async function listenTls(
  address: ListenAddress,
  limits: GuardLimits,
  options: TlsListenerOptions,
  onConnection: ConnectionHandler,
): Promise<Listener> {
  const connections = new Set<Duplex>();
  let server: TlsServer;
  try {
    server = createTlsServer({
      cert: options.cert,
      key: options.key,
      ...(options.ca === null ? {} : { ca: options.ca, requestCert: true, rejectUnauthorized: true }),
      handshakeTimeout: options.handshakeTimeoutMs,
      minVersion: 'TLSv1.2',
    });
  } catch (error) {
    throw new GatewayError(
      ErrorCodes.BROKER_TLS_INVALID,
      `embedded broker cannot use embedded_broker.tls: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  // Raw sockets are tracked from accept, so close() also ends clients mid-handshake.
  server.on('connection', (socket: Duplex) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  server.on('tlsClientError', (error, socket) => {
    options.onHandshakeError(error, peerOf(socket));
    socket.destroy();
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.setNoDelay(true);
    const guarded = new PacketSizeGuard(
      socket,
      limits.maxPacketSize,
      `${peerOf(socket)} (tls)`,
      limits.maxOutgoingBytes,
    );
    connections.add(guarded);
    guarded.once('close', () => connections.delete(guarded));
    onConnection(guarded);
  });
  try {
    const actual = await listen(server, address, ' (tls)');
    return { address: actual, close: () => closeServer(server, connections) };
  } catch (error) {
    await closeServer(server, connections);
    throw error;
  }
}

const FORBIDDEN_BODY = 'Origin not allowed (embedded_broker.websocket_origins)\n';
const FORBIDDEN = [
  'HTTP/1.1 403 Forbidden',
  'Connection: close',
  'Content-Type: text/plain',
  `Content-Length: ${Buffer.byteLength(FORBIDDEN_BODY)}`,
  '',
  FORBIDDEN_BODY,
].join('\r\n');

/**
 * MQTT over WebSocket (subprotocol `mqtt`), as MQTT.js `ws://host:port` speaks it. Upgrades
 * are handled here rather than by `ws` itself so that a browser page's request with an Origin
 * that is not allowed is answered 403 before any WebSocket or MQTT state exists for it.
 */
export async function listenWebSocket(
  address: ListenAddress,
  limits: GuardLimits,
  options: WebSocketListenerOptions,
  onConnection: ConnectionHandler,
): Promise<Listener> {
  const { maxPacketSize } = limits;
  const connections = new Set<Duplex>();
  const server = createHttpServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxPacketSize });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const origin = refusedOrigin(request.headers, options.allowedOrigins);
    if (origin === undefined) {
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
      return;
    }
    options.onRefusedOrigin(origin, peerOf(request.socket));
    socket.on('error', () => socket.destroy()); // a peer reset mid-answer is no concern of ours
    socket.end(FORBIDDEN);
  });
  wss.on('connection', (socket, request) => {
    const stream = createWebSocketStream(socket);
    const peer = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'} (websocket)`;
    const guarded = new PacketSizeGuard(stream, maxPacketSize, peer, limits.maxOutgoingBytes);
    connections.add(guarded);
    guarded.once('close', () => connections.delete(guarded));
    onConnection(guarded, request);
  });
  const close = async (): Promise<void> => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    server.closeAllConnections();
    await closeServer(server, connections);
  };
  try {
    const actual = await listen(server, address, ' (websocket)');
    return { address: actual, close };
  } catch (error) {
    await close();
    throw error;
  }
}
