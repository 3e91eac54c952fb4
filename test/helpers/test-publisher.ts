// A BrokerClient over an in-memory outbox, for tests of the publisher against a real broker:
// a long keepalive (a stopped or blackholed broker is not noticed by it), a will, 32 in flight.
import { pino } from 'pino';
import { BrokerClient } from '../../src/mqtt/broker-client.ts';
import { MemoryOutbox } from '../../src/queue/memory-outbox.ts';

export interface TestPublisherOptions {
  url: string;
  clientId: string;
  protocolVersion: 4 | 5;
  /** Topic of the will, which the broker publishes when a test kills the link. */
  willTopic: string;
  qos0WindowBytes?: number;
  outboxBytes?: number;
}

export function makeTestPublisher(options: TestPublisherOptions): {
  outbox: MemoryOutbox;
  publisher: BrokerClient;
} {
  const outbox = new MemoryOutbox({
    maxMessages: 100_000,
    maxBytes: options.outboxBytes ?? 64 * 1024 * 1024,
    maxAgeMs: 86_400_000,
    whenFull: 'drop_oldest',
  });
  const publisher = new BrokerClient({
    link: {
      url: options.url,
      clientId: options.clientId,
      protocolVersion: options.protocolVersion,
      keepaliveMs: 120_000,
      tls: null,
      will: { topic: options.willTopic, payload: 'offline', qos: 1, retain: false },
    },
    outbox,
    inflight: 32,
    gatewayId: 'test',
    log: pino({ level: 'silent' }),
    ...(options.qos0WindowBytes === undefined ? {} : { qos0WindowBytes: options.qos0WindowBytes }),
  });
  return { outbox, publisher };
}
