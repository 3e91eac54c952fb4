// The test helpers themselves: a real Mosquitto started/stopped/restarted by PID, and the
// mosquitto_sub/mosquitto_pub client the other integration tests assert with.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import { freePort, waitForPort } from '../helpers/ports.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

void describe('startMosquitto', () => {
  let broker: Mosquitto | undefined;
  after(async () => broker?.stop());

  void it('starts on the asked port, restarts on the same port, stops by PID', async () => {
    const port = await freePort();
    broker = await startMosquitto({ port, config: 'max_keepalive 120' });
    assert.equal(broker.port, port);
    assert.equal(broker.url, `mqtt://127.0.0.1:${port}`);
    const firstPid = broker.pid;
    assert.ok(alive(firstPid));
    await waitForPort('127.0.0.1', port, 1_000);

    await broker.restart();
    assert.equal(broker.port, port);
    assert.notEqual(broker.pid, firstPid);
    assert.equal(alive(firstPid), false);
    const sub = await subscribe({ host: broker.host, port, topics: ['after/restart'] });
    await publish({ host: broker.host, port, topic: 'after/restart', payload: 'ok' });
    await sub.waitFor((m) => m.payload === 'ok');
    await sub.stop();
    assert.match(broker.log(), /mosquitto version/);

    const pid = broker.pid;
    await broker.kill9();
    assert.equal(alive(pid), false);
    await assert.rejects(waitForPort('127.0.0.1', port, 300));
    await broker.restart();
    await waitForPort('127.0.0.1', port, 1_000);

    await broker.stop();
    await broker.stop();
    assert.equal(alive(broker.pid), false);
  });

  void it('picks a free port when none is given and removes its temp dir on stop', async () => {
    const b = await startMosquitto();
    try {
      assert.ok(b.port > 0);
      assert.ok(existsSync(b.dir));
    } finally {
      await b.stop();
    }
    assert.equal(existsSync(b.dir), false);
  });
});

void describe('mqtt-sub helpers on Mosquitto', () => {
  let broker: Mosquitto | undefined;
  after(async () => broker?.stop());

  void it('receives what publish sends: spaces, newlines, empty, unicode, QoS and retain', async () => {
    broker = await startMosquitto();
    const { host, port } = broker;
    const sub = await subscribe({ host, port, topics: ['h/#'], qos: 2 });
    try {
      await publish({ host, port, topic: 'h/text', payload: 'two words\nand a second line\n', qos: 1 });
      await publish({ host, port, topic: 'h/empty', payload: '', qos: 0 });
      await publish({ host, port, topic: 'h/unicode', payload: 'température 21,5 °C', qos: 2 });
      await publish({ host, port, topic: 'h/with space', payload: 'x', qos: 0 });
      await sub.waitForCount(4);
      const byTopic = new Map(sub.messages.map((m) => [m.topic, m]));
      assert.equal(byTopic.get('h/text')?.payload, 'two words\nand a second line\n');
      assert.equal(byTopic.get('h/text')?.qos, 1);
      assert.equal(byTopic.get('h/empty')?.payload, '');
      assert.equal(byTopic.get('h/unicode')?.payload, 'température 21,5 °C');
      assert.equal(byTopic.get('h/unicode')?.qos, 2);
      assert.equal(byTopic.get('h/with space')?.payload, 'x');
      assert.ok(
        sub.messages.every((m) => !m.topic.startsWith('tty2mqtt-test-probe')),
        'probe messages are hidden',
      );
    } finally {
      await sub.stop();
    }

    await publish({ host, port, topic: 'h/retained', payload: 'kept', qos: 1, retain: true, v5: true });
    const late = await subscribe({ host, port, topics: ['h/retained'], qos: 1, protocolV5: true });
    try {
      const m = await late.waitFor((x) => x.topic === 'h/retained');
      assert.deepEqual([m.payload, m.retain], ['kept', true]);
      await assert.rejects(
        late.waitFor((x) => x.payload === 'never', 200),
        /no matching message on h\/retained; received 1 message\(s\):\n {2}h\/retained q1 r "kept"/,
      );
      await assert.rejects(late.waitForCount(5, 200), /expected 5 message\(s\)/);
    } finally {
      await late.stop();
    }
  });

  void it('rejects with the reason when publishing or subscribing fails', async () => {
    const closed = await freePort();
    await assert.rejects(
      publish({ host: '127.0.0.1', port: closed, topic: 'x', payload: 'y' }),
      /mosquitto_pub to x failed .*Connection refused/s,
    );
    await assert.rejects(
      subscribe({ host: '127.0.0.1', port: closed, topics: ['x'] }),
      /mosquitto_sub exited|did not become ready/,
    );
  });
});

void describe('subscribe({ persistent: true })', () => {
  let broker: Mosquitto | undefined;
  after(async () => broker?.stop());

  void it('restarts a mosquitto_sub that died and receives what the broker queued meanwhile', async () => {
    broker = await startMosquitto({});
    const { host, port } = broker;
    const sub = await subscribe({ host, port, topics: ['persist/#'], qos: 1, persistent: true });
    try {
      await publish({ host, port, topic: 'persist/a', payload: '1', qos: 1 });
      await sub.waitFor((m) => m.payload === '1');
      const first = sub.pid();
      assert.ok(first !== undefined);
      process.kill(first, 'SIGKILL'); // the subscriber's own process, started by this helper
      // Published while no subscriber process exists: only the persistent session keeps them.
      for (const n of ['2', '3', '4']) await publish({ host, port, topic: 'persist/a', payload: n, qos: 1 });
      await sub.waitForCount(4, 10_000);
      assert.deepEqual(
        sub.messages.map((m) => m.payload),
        ['1', '2', '3', '4'],
      );
      assert.notEqual(sub.pid(), first);
      console.log(`subscriber events: ${sub.events.join(' | ')}`);
      assert.equal(sub.events.length, 1);
      assert.match(sub.events[0] ?? '', /signal SIGKILL.*restarted \(1\/10\)/);
    } finally {
      await sub.stop();
    }
  });
});
