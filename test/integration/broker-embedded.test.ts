// The real embedded broker (aedes) on 127.0.0.1, exercised only with mosquitto_sub / mosquitto_pub
// so that nothing of the gateway's own MQTT client is involved (docs/contract.md §2 embedded_broker).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { EmbeddedBroker } from '../../src/broker/embedded.ts';
import type { EmbeddedBrokerOptions } from '../../src/broker/embedded.ts';
import { ErrorCodes, isGatewayError } from '../../src/errors.ts';
import { createLogger } from '../../src/log/logger.ts';
import { startTestBroker } from '../helpers/embedded-broker.ts';
import type { StartedBroker } from '../helpers/embedded-broker.ts';
import { publish, subscribe } from '../helpers/mqtt-sub.ts';
import type { Subscription } from '../helpers/mqtt-sub.ts';
import { freePort } from '../helpers/ports.ts';

const PROBE = 'tty2mqtt-test-probe/#'; // mqtt-sub's readiness probe topic

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function startBroker(options: Partial<EmbeddedBrokerOptions> = {}): Promise<StartedBroker> {
  return startTestBroker(cleanups, options);
}

async function track(sub: Promise<Subscription>): Promise<Subscription> {
  const s = await sub;
  cleanups.push(() => s.stop());
  return s;
}

/** mosquitto_sub -d -E: subscribes, prints the SUBACK's granted QoS list, exits. */
function grantedQos(
  port: number,
  topic: string,
  user: { username: string; password: string },
): Promise<string> {
  return new Promise((resolve) => {
    const args = [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      topic,
      '-d',
      '-E',
      '-u',
      user.username,
      '-P',
      user.password,
    ];
    const child = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (output += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (output += t));
    child.once('exit', () => resolve(output));
  });
}

void describe('embedded broker: delivery', () => {
  void it('delivers at QoS 0, 1 and 2 with the QoS downgraded to the subscription', async () => {
    const { host, port } = await startBroker();
    const q2 = await track(subscribe({ host, port, topics: ['t/#'], qos: 2 }));
    const q1 = await track(subscribe({ host, port, topics: ['t/#'], qos: 1 }));
    for (const qos of [0, 1, 2] as const)
      await publish({ host, port, topic: `t/q${qos}`, payload: `payload ${qos}`, qos });
    await q2.waitForCount(3);
    await q1.waitForCount(3);
    const seen = (s: Subscription): string[] =>
      s.messages.map((m) => `${m.topic} ${m.qos} ${m.payload}`).sort();
    assert.deepEqual(seen(q2), ['t/q0 0 payload 0', 't/q1 1 payload 1', 't/q2 2 payload 2']);
    assert.deepEqual(seen(q1), ['t/q0 0 payload 0', 't/q1 1 payload 1', 't/q2 1 payload 2']);
    assert.ok(q2.messages.every((m) => !m.retain));
  });

  void it('keeps a retained message for later subscribers', async () => {
    const { host, port } = await startBroker();
    await publish({ host, port, topic: 'r/state', payload: 'online', qos: 2, retain: true });
    const late = await track(subscribe({ host, port, topics: ['r/#'], qos: 1 }));
    const m = await late.waitFor((x) => x.topic === 'r/state');
    assert.equal(m.payload, 'online');
    assert.equal(m.retain, true);
    assert.equal(m.qos, 1);
  });

  void it('refuses MQTT 5 clients (aedes speaks 3.1.1 only: the gateway must connect with protocol 4)', async () => {
    const { host, port } = await startBroker();
    await assert.rejects(
      publish({ host, port, topic: 'v5', payload: 'x', v5: true }),
      /Unsupported Protocol Version/,
    );
  });
});

void describe('embedded broker: $SYS guard and packet size', () => {
  void it('does not deliver what a client publishes to $SYS (ACL empty, no users)', async () => {
    const { host, port, logLines } = await startBroker();
    const sub = await track(subscribe({ host, port, topics: ['$SYS/#', '#'], qos: 1 }));
    await publish({ host, port, topic: '$SYS/x', payload: 'spoof', qos: 0 }).catch(() => undefined);
    await assert.rejects(publish({ host, port, topic: '$SYS/y', payload: 'spoof', qos: 1 }));
    await assert.rejects(publish({ host, port, topic: '$other', payload: 'spoof', qos: 1 }));
    await publish({ host, port, topic: 'barrier', payload: 'b', qos: 1 });
    await sub.waitFor((m) => m.topic === 'barrier');
    assert.deepEqual(
      sub.messages.filter((m) => m.payload === 'spoof'),
      [],
    );
    assert.ok(logLines.some((l) => l.includes('clients may not publish to $ topics')));
  });

  void it('drops the connection of a client sending a packet over maxPacketSize', async () => {
    const { host, port, logLines } = await startBroker({ maxPacketSize: 1024 });
    const sub = await track(subscribe({ host, port, topics: ['big/#'], qos: 1 }));
    await assert.rejects(publish({ host, port, topic: 'big/no', payload: 'x'.repeat(2000), qos: 1 }));
    await publish({ host, port, topic: 'big/yes', payload: 'y'.repeat(900), qos: 1 });
    await sub.waitFor((m) => m.topic === 'big/yes');
    assert.deepEqual(
      sub.messages.map((m) => m.topic),
      ['big/yes'],
    );
    assert.ok(logLines.some((l) => l.includes('exceeds the maximum of 1024')));
  });
});

void describe('embedded broker: users and ACL', () => {
  const alice = { username: 'alice', password: 'alice pass w0rd' };
  const bob = { username: 'bob', password: 'bob-secret' };

  void it('refuses a wrong password and anonymous clients, accepts the right password, never logs passwords', async () => {
    const { host, port, logLines } = await startBroker({ users: [alice, bob] });
    const sub = await track(subscribe({ host, port, topics: ['u/#'], qos: 1, ...alice }));
    await assert.rejects(
      publish({
        host,
        port,
        topic: 'u/x',
        payload: 'wrong',
        qos: 1,
        username: 'alice',
        password: 'nope-guess',
      }),
      /not authori[sz]ed|refused|bad user/i,
    );
    await assert.rejects(
      publish({ host, port, topic: 'u/x', payload: 'anon', qos: 1 }),
      /not authori[sz]ed|refused/i,
    );
    await assert.rejects(
      publish({
        host,
        port,
        topic: 'u/x',
        payload: 'swap',
        qos: 1,
        username: 'bob',
        password: alice.password,
      }),
    );
    await publish({ host, port, topic: 'u/x', payload: 'right', qos: 1, ...bob });
    await sub.waitFor((m) => m.payload === 'right');
    assert.deepEqual(
      sub.messages.map((m) => m.payload),
      ['right'],
    );
    const log = logLines.join('\n');
    assert.match(log, /refused a client: bad username or password/);
    assert.match(log, /refused a client: missing credentials/);
    for (const secret of ['nope-guess', alice.password, bob.password])
      assert.ok(!log.includes(secret), `log leaks ${secret}`);
  });

  void it('enforces the ACL: a denied publish is dropped, a denied subscription gets SUBACK 0x80', async () => {
    const acl = [
      { username: 'alice', publish: ['a/#', 'secret/#', PROBE], subscribe: ['a/#', PROBE] },
      { username: 'bob', publish: ['tty2mqtt-test-probe/+'], subscribe: ['a/#', PROBE] },
    ];
    const { host, port, logLines } = await startBroker({ users: [alice, bob], acl });

    // bob asks for secret/# (denied) and a/# (granted) in one SUBSCRIBE
    const bobSub = await track(subscribe({ host, port, topics: ['secret/#', 'a/#'], qos: 1, ...bob }));
    const aliceSub = await track(subscribe({ host, port, topics: ['a/#'], qos: 1, ...alice }));

    // bob may not publish to a/…: the message never reaches alice (bob is disconnected)
    await publish({ host, port, topic: 'a/from-bob', payload: 'denied', qos: 0, ...bob }).catch(
      () => undefined,
    );
    await assert.rejects(publish({ host, port, topic: 'a/from-bob', payload: 'denied', qos: 1, ...bob }));
    await publish({ host, port, topic: 'secret/x', payload: 'classified', qos: 1, ...alice });
    await publish({ host, port, topic: 'a/barrier', payload: 'barrier', qos: 1, ...alice });
    await aliceSub.waitFor((m) => m.topic === 'a/barrier');
    await bobSub.waitFor((m) => m.topic === 'a/barrier');
    assert.deepEqual(
      aliceSub.messages.map((m) => m.topic),
      ['a/barrier'],
    );
    assert.deepEqual(
      bobSub.messages.map((m) => m.topic),
      ['a/barrier'],
    );

    const suback = await grantedQos(port, 'secret/#', bob);
    assert.match(suback, /Subscribed \(mid: \d+\): 128/, suback);
    const granted = await grantedQos(port, 'a/b', bob);
    assert.match(granted, /Subscribed \(mid: \d+\): 0\b/, granted);
    assert.ok(logLines.some((l) => l.includes('refused a subscription') && l.includes('secret/#')));
    assert.ok(logLines.some((l) => l.includes('refused a publish') && l.includes('a/from-bob')));
  });
});

void describe('embedded broker: listening and stopping', () => {
  void it('listens on the configured host, on the real port when 0 was asked', async () => {
    const { broker, host, port } = await startBroker();
    assert.equal(host, '127.0.0.1');
    assert.ok(port > 0);
    assert.equal(broker.websocketAddress(), null);
    const sub = await track(subscribe({ host, port, topics: ['x'] }));
    await publish({ host, port, topic: 'x', payload: 'here' });
    await sub.waitFor((m) => m.payload === 'here');
  });

  void it('fails with BROKER_LISTEN_FAILED naming the address when the port is in use', async () => {
    const first = await startBroker();
    const second = new EmbeddedBroker({
      listen: `127.0.0.1:${first.port}`,
      websocket: null,
      users: [],
      acl: [],
      log: createLogger({ level: 'silent' }),
    });
    await assert.rejects(second.start(new AbortController().signal), (error: unknown) => {
      assert.ok(isGatewayError(error, ErrorCodes.BROKER_LISTEN_FAILED), String(error));
      assert.match(
        error.message,
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}: address in use`),
      );
      return true;
    });
    await second.stop();
    await publish({ host: first.host, port: first.port, topic: 'still', payload: 'alive', qos: 1 });
  });

  void it('rejects a start that was aborted', async () => {
    const broker = new EmbeddedBroker({
      listen: '127.0.0.1:0',
      websocket: null,
      users: [],
      acl: [],
      log: createLogger({ level: 'silent' }),
    });
    const controller = new AbortController();
    controller.abort(new Error('shutdown during start-up'));
    await assert.rejects(broker.start(controller.signal), /shutdown during start-up/);
    await broker.stop();
  });

  void it('stop() ends connected clients, frees the port and is idempotent', async () => {
    const { broker, host, port } = await startBroker();
    const sub = await track(subscribe({ host, port, topics: ['s/#'], qos: 1 }));
    const stopped = Promise.all([broker.stop(), broker.stop()]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('stop() did not finish within 5 s')), 5_000);
    });
    await Promise.race([stopped, deadline]).finally(() => clearTimeout(timer));
    await broker.stop();
    await sub.stop();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => resolve());
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // a broker started again on the same port works
    const again = await startBroker({ listen: `127.0.0.1:${port}` });
    assert.equal(again.port, port);
    assert.ok((await freePort()) > 0);
  });
});
