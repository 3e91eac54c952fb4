// Subscriptions against a stand-in for MQTT.js's client (this module alone): what it asks
// the broker for, and what it says, when an UNSUBSCRIBE is left unanswered by a connection
// that ends. The persistent session keeps that subscription, so the gateway must keep
// counting it and unsubscribe again at the next connect — and say nothing louder than
// debug about it (the connection's loss has its own warning).
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { createLogger } from '../../../src/log/logger.ts';
import { Subscriptions } from '../../../src/mqtt/subscriptions.ts';

type Callback = (error?: Error, granted?: { topic: string; qos: number }[]) => void;

/** What the module uses of MQTT.js's client: its events, state and the two requests. */
class FakeClient extends EventEmitter {
  connected = false;
  stream = { destroyed: false };
  readonly sent: { kind: 'subscribe' | 'unsubscribe'; filter: string; answer: Callback }[] = [];

  subscribe(filter: string, options: { qos: number }, answer: Callback): void {
    this.sent.push({
      kind: 'subscribe',
      filter,
      answer: (error) => answer(error, error ? undefined : [{ topic: filter, qos: options.qos }]),
    });
  }

  unsubscribe(filter: string, answer: Callback): void {
    this.sent.push({ kind: 'unsubscribe', filter, answer });
  }

  connect(sessionPresent: boolean): void {
    this.connected = true;
    this.stream = { destroyed: false };
    this.emit('connect', { sessionPresent });
  }

  /** The socket closes: MQTT.js answers what is pending with an error, then clears `connected`. */
  close(): void {
    this.stream.destroyed = true;
    for (const request of this.sent.splice(0)) request.answer(new Error('Connection closed'));
    this.connected = false;
  }

  /** The broker answers everything sent so far. */
  answerAll(): void {
    for (const request of this.sent.splice(0)) request.answer();
  }

  requests(): string[] {
    return this.sent.map((r) => `${r.kind} ${r.filter}`);
  }
}

function setUp(): {
  client: FakeClient;
  subscriptions: Subscriptions;
  lines: () => { level: string; msg: string }[];
} {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const subscriptions = new Subscriptions(createLogger({ level: 'debug', destination }));
  const client = new FakeClient();
  subscriptions.attach(client as unknown as MqttClient);
  const lines = (): { level: string; msg: string }[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { level: string; msg: string });
  return { client, subscriptions, lines };
}

/** Levels a user sees by default as something wrong. */
const LOUD = new Set(['warn', 'error', 'fatal']);

void describe('Subscriptions', () => {
  void it('unsubscribes again at the next connect when the connection ended before the UNSUBACK', () => {
    const { client, subscriptions, lines } = setUp();
    client.connect(false);
    const remove = subscriptions.add('gw/cmd/#', 1, () => {});
    assert.deepEqual(client.requests(), ['subscribe gw/cmd/#']);
    client.answerAll();
    assert.equal(subscriptions.filters().get('gw/cmd/#'), 1);

    remove();
    assert.deepEqual(client.requests(), ['unsubscribe gw/cmd/#']);
    client.close();
    // The broker's session still holds it, so the gateway still counts it…
    assert.equal(subscriptions.filters().get('gw/cmd/#'), 1);
    assert.ok(subscriptions.covers('gw/cmd/led'));
    // …and says so at debug, not as a failure.
    assert.deepEqual(
      lines().filter((l) => LOUD.has(l.level)),
      [],
    );
    assert.ok(lines().some((l) => l.msg === 'unsubscribe unanswered; again at the next connect'));

    client.connect(true);
    assert.deepEqual(client.requests(), ['unsubscribe gw/cmd/#']);
    client.answerAll();
    assert.equal(subscriptions.filters().has('gw/cmd/#'), false);
    assert.equal(subscriptions.covers('gw/cmd/led'), false);
  });

  void it('forgets it at a connect without the session: the broker holds nothing then', () => {
    const { client, subscriptions } = setUp();
    client.connect(false);
    const remove = subscriptions.add('gw/cmd/#', 1, () => {});
    client.answerAll();
    remove();
    client.close();
    client.connect(false);
    assert.deepEqual(client.requests(), []);
    assert.equal(subscriptions.filters().size, 0);
  });

  void it('subscribes again after the UNSUBACK when a handler came back meanwhile', () => {
    const { client, subscriptions } = setUp();
    client.connect(false);
    const remove = subscriptions.add('gw/cmd/#', 1, () => {});
    client.answerAll();
    remove();
    subscriptions.add('gw/cmd/#', 0, () => {});
    // Not before the broker has answered the UNSUBSCRIBE: it would drop the new one.
    assert.deepEqual(client.requests(), ['unsubscribe gw/cmd/#']);
    client.answerAll();
    assert.deepEqual(client.requests(), ['subscribe gw/cmd/#']);
    client.answerAll();
    assert.equal(subscriptions.filters().get('gw/cmd/#'), 0);
  });

  void it('warns when the broker connection is up and the UNSUBSCRIBE still failed', () => {
    const { client, subscriptions, lines } = setUp();
    client.connect(false);
    const remove = subscriptions.add('gw/cmd/#', 1, () => {});
    client.answerAll();
    remove();
    for (const request of client.sent.splice(0)) request.answer(new Error('refused'));
    assert.deepEqual(
      lines()
        .filter((l) => LOUD.has(l.level))
        .map((l) => l.msg),
      ['unsubscribe failed'],
    );
    // Still held by the broker: counted, and unsubscribed again at the next connect.
    assert.equal(subscriptions.filters().get('gw/cmd/#'), 1);
  });
});
