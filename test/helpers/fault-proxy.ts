// A loopback TCP proxy between the gateway and Mosquitto that a test controls:
// it can cut, blackhole and restore the link. Two failure modes, because clients detect them differently:
//   - cut():       connections are closed and new ones refused (ECONNREFUSED) — a broker
//                  that crashed or a host that is down;
//   - blackhole(): connections are accepted and kept open but every byte is dropped in
//                  both directions — a hung broker or a silent network; only keepalive
//                  and connect timeouts notice it.
// Memory is bounded: forwarding uses backpressure (the reader pauses while the writer's
// buffer is full) and a blackholed connection drops what it reads, it never queues it.
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export type FaultMode = 'forward' | 'cut' | 'blackhole';

export interface FaultProxyStats {
  mode: FaultMode;
  /** Connections accepted since start (refused ones are not accepted). */
  connections: number;
  /** Connections open right now. */
  active: number;
  /** Bytes forwarded client → target and target → client. */
  bytesToTarget: number;
  bytesToClient: number;
  /** Bytes read and thrown away while blackholed (both directions). */
  bytesDropped: number;
}

export interface FaultProxy {
  host: '127.0.0.1';
  port: number;
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  /** Destroys every connection and stops listening: new connects are refused. */
  cut(): Promise<void>;
  /** Keeps connections open (and accepts new ones) but drops every byte both ways. */
  blackhole(): Promise<void>;
  /** Forwards again, for new connections; connections blackholed so far are destroyed. */
  restore(): Promise<void>;
  stats(): FaultProxyStats;
  /** Destroys everything and releases the port. Safe to call twice. */
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  target: { host: string; port: number };
  /** Listen on this port (default: any free one, kept for the proxy's whole life). */
  port?: number;
  /** Sees every chunk forwarded client → target, with the number of its connection (1, 2, …). */
  tapToTarget?: (connection: number, chunk: Buffer) => void;
}

interface Link {
  number: number;
  client: Socket;
  target: Socket | null;
  blackholed: boolean;
}

const HOST = '127.0.0.1';

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  if (!['127.0.0.1', 'localhost', '::1'].includes(options.target.host))
    throw new Error(`fault proxy targets loopback only, not ${options.target.host}`);
  const links = new Set<Link>();
  const counters = { connections: 0, bytesToTarget: 0, bytesToClient: 0, bytesDropped: 0 };
  let mode: FaultMode = 'forward';
  let closed = false;

  const destroy = (link: Link): void => {
    links.delete(link);
    link.client.destroy();
    link.target?.destroy();
  };

  /** From now on everything this link reads is dropped; nothing is written. */
  const blackholeLink = (link: Link): void => {
    link.blackholed = true;
    // Resume both readers: a paused socket would push back on the peer (its writes would
    // stall, which is observable); a hung broker reads and never answers.
    link.client.resume();
    link.target?.resume();
  };

  const pump = (
    from: Socket,
    link: Link,
    to: () => Socket | null,
    count: 'bytesToTarget' | 'bytesToClient',
  ): void => {
    from.on('data', (chunk: Buffer) => {
      const dest = to();
      if (link.blackholed || dest === null) {
        counters.bytesDropped += chunk.length;
        return;
      }
      counters[count] += chunk.length;
      if (count === 'bytesToTarget') options.tapToTarget?.(link.number, chunk);
      if (!dest.write(chunk)) {
        from.pause();
        dest.once('drain', () => {
          if (!link.blackholed) from.resume();
        });
      }
    });
  };

  const onConnection = (client: Socket): void => {
    counters.connections += 1;
    client.setNoDelay(true);
    const link: Link = { number: counters.connections, client, target: null, blackholed: false };
    links.add(link);
    client.on('error', () => undefined);
    client.on('close', () => destroy(link));
    pump(client, link, () => link.target, 'bytesToTarget');
    if (mode === 'blackhole') {
      blackholeLink(link);
      return;
    }
    const target = connect({ host: options.target.host, port: options.target.port });
    target.setNoDelay(true);
    link.target = target;
    target.on('error', () => undefined);
    // The target went away: the client sees that too — unless blackholed, where the
    // client must keep seeing a silent, open connection.
    target.on('close', () => {
      if (!link.blackholed) destroy(link);
    });
    pump(target, link, () => link.client, 'bytesToClient');
  };

  const server: Server = createServer({ pauseOnConnect: false }, onConnection);
  server.on('error', () => undefined);
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once('error', onError);
      server.listen({ host: HOST, port, exclusive: true }, () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  const port = await listen(options.port ?? 0);

  return {
    host: HOST,
    port,
    url: `mqtt://${HOST}:${port}`,
    async cut() {
      mode = 'cut';
      const closing = stopListening();
      for (const link of [...links]) destroy(link);
      await closing;
    },
    async blackhole() {
      mode = 'blackhole';
      for (const link of links) blackholeLink(link);
      if (!server.listening && !closed) await listen(port);
    },
    async restore() {
      mode = 'forward';
      for (const link of [...links]) if (link.blackholed) destroy(link);
      if (!server.listening && !closed) await listen(port);
    },
    stats: () => ({ mode, ...counters, active: links.size }),
    async close() {
      closed = true;
      mode = 'cut';
      const closing = stopListening();
      for (const link of [...links]) destroy(link);
      await closing;
    },
  };
}
