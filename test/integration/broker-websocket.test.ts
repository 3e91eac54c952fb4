// MQTT over WebSocket on the embedded broker (docs/contract.md §2 `embedded_broker.websocket`).
// mosquitto_sub/pub cannot speak WebSocket, so the WebSocket side uses MQTT.js; the TCP side
// stays mosquitto_sub/pub, so each direction crosses from one client library to another.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { EmbeddedBroker } from '../../src/broker/embedded.ts';
import { createLogger } from '../../src/log/logger.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';

void describe('embedded broker: WebSocket listener', () => {
  const broker = new EmbeddedBroker({
    listen: '127.0.0.1:0',
    websocket: '127.0.0.1:0',
    users: [{ username: 'web', password: 'web-pass' }],
    acl: [],
    log: createLogger({ level: 'silent' }),
  });
  after(() => broker.stop());

  void it('carries MQTT both ways between a WebSocket client and a TCP client, with authentication', async () => {
    await broker.start(new AbortController().signal);
    const tcp = broker.address();
    const ws = broker.websocketAddress();
    assert.ok(ws !== null && ws.port > 0 && ws.port !== tcp.port);
    assert.equal(ws.host, '127.0.0.1');
    const url = `ws://127.0.0.1:${ws.port}`;

    await assert.rejects(
      mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, username: 'web', password: 'wrong' }),
    );

    const client = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      username: 'web',
      password: 'web-pass',
    });
    try {
      const received = new Promise<string>((resolve) =>
        client.on('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)),
      );
      await client.subscribeAsync('to-ws/#', { qos: 1 });
      const sub = await subscribe({
        host: tcp.host,
        port: tcp.port,
        topics: ['from-ws/#'],
        qos: 1,
        username: 'web',
        password: 'web-pass',
      });
      try {
        await client.publishAsync('from-ws/x', 'hello over websocket', { qos: 1 });
        const m = await sub.waitFor((x) => x.topic === 'from-ws/x');
        assert.equal(m.payload, 'hello over websocket');
      } finally {
        await sub.stop();
      }
      await publish({
        host: tcp.host,
        port: tcp.port,
        topic: 'to-ws/y',
        payload: 'hello over tcp',
        qos: 1,
        username: 'web',
        password: 'web-pass',
      });
      assert.equal(await received, 'to-ws/y hello over tcp');
    } finally {
      await client.endAsync(true);
    }
  });

  void it('answers plain HTTP with 426 and stops the WebSocket listener with the broker', async () => {
    const ws = broker.websocketAddress();
    assert.ok(ws !== null);
    const response = await fetch(`http://127.0.0.1:${ws.port}/`);
    assert.equal(response.status, 426);
    await response.text();
    await broker.stop();
    await assert.rejects(fetch(`http://127.0.0.1:${ws.port}/`));
  });
});
