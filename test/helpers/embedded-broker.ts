// The embedded broker in-process on a free loopback port, its log lines collected, for the
// broker's integration tests (clients are mosquitto_pub/mosquitto_sub or raw sockets).
import { Writable } from 'node:stream';
import { EmbeddedBroker } from '../../src/broker/embedded.ts';
import type { EmbeddedBrokerOptions } from '../../src/broker/embedded.ts';
import { createLogger } from '../../src/log/logger.ts';

export interface StartedBroker {
  broker: EmbeddedBroker;
  host: string;
  port: number;
  /** Every JSON log line the broker wrote (debug and up), in order. */
  logLines: string[];
}

/** Starts a broker; `cleanups` gets its stop(). Defaults: anonymous, no ACL, no WebSocket. */
export async function startTestBroker(
  cleanups: (() => Promise<void> | void)[],
  options: Partial<EmbeddedBrokerOptions> = {},
): Promise<StartedBroker> {
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      callback();
    },
  });
  const broker = new EmbeddedBroker({
    listen: '127.0.0.1:0',
    websocket: null,
    users: [],
    acl: [],
    log: createLogger({ level: 'debug', destination }),
    ...options,
  });
  await broker.start(new AbortController().signal);
  cleanups.push(() => broker.stop());
  const { host, port } = broker.address();
  return { broker, host, port, logLines };
}
