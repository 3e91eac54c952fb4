// The README's request examples, typed as a user would with Mosquitto's own clients, against
// both brokers the gateway runs with: Mosquitto (external) and its embedded aedes broker,
// which speaks MQTT 3.1.1 only (decision 0004). The 3.1.1 form — the JSON `id` and
// `response_topic` — works against both; `mosquitto_rr` (MQTT 5) against Mosquitto only, and
// the embedded broker refuses it with a clear CONNACK.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { runClient, subscribedClient } from '../helpers/mosquitto-cli.ts';
import type { ClientRun } from '../helpers/mosquitto-cli.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { freePort, waitForPort } from '../helpers/ports.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

const BASE = 'iot/rr';
const REQUEST = `${BASE}/gateway/request/health`;
const MINE = `${BASE}/gateway/response/health/me`;

/** The JSON answer among mosquitto_sub's debug lines. */
function answerIn(output: string): Record<string, unknown> {
  const line = output.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line !== undefined, `no answer in:\n${output}`);
  return JSON.parse(line) as Record<string, unknown>;
}

for (const broker of ['mosquitto', 'embedded'] as const) {
  describe(`requests with Mosquitto's clients, ${broker} broker`, () => {
    let dir: string;
    let mosquitto: Mosquitto | undefined;
    let pty: PtyPair;
    let gateway: GatewayProcess;
    let at: string[];
    /** mosquitto_sub -V 311 for one message on `topic`, subscribed when this resolves. */
    const listen311 = (topic: string, seconds: number): Promise<{ done: Promise<ClientRun> }> =>
      subscribedClient([...at, '-V', '311', '-C', '1', '-W', String(seconds), '-t', topic]);

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-rr-'));
      pty = await createPtyPair(dir, { device: 'dev', gateway: 'gw' });
      mkdirSync(join(dir, 'devices', 'rr-dev'), { recursive: true });
      writeFileSync(
        join(dir, 'devices', 'rr-dev', 'profile.yaml'),
        ['id: rr-dev', 'protocol: line', 'line: { format: kv }', 'fields:', '  t: { type: number }'].join(
          '\n',
        ),
      );
      let mqttLines: string[];
      if (broker === 'mosquitto') {
        mosquitto = await startMosquitto();
        at = ['-h', mosquitto.host, '-p', String(mosquitto.port)];
        mqttLines = [`mqtt: { broker: external, url: "${mosquitto.url}" }`];
      } else {
        const port = await freePort();
        at = ['-h', '127.0.0.1', '-p', String(port)];
        mqttLines = ['mqtt: { broker: embedded }', `embedded_broker: { listen: "127.0.0.1:${port}" }`];
      }
      const config = join(dir, 'gateway.yaml');
      writeFileSync(
        config,
        [
          'version: 1',
          `gateway: { id: rrgw, base_topic: ${BASE} }`,
          ...mqttLines,
          `queue: { path: "${join(dir, 'queue.db')}" }`,
          `devices_dir: "${join(dir, 'devices')}"`,
          'ports:',
          `  - { name: dev, path: "${pty.gatewayPath}", device: rr-dev, idle_timeout: 0 }`,
        ].join('\n'),
      );
      gateway = startGateway(['run', '-c', config]);
      await gateway.waitForOutput('connected to broker', 20_000);
      if (broker === 'embedded') await waitForPort('127.0.0.1', Number(at[3]), 10_000);
      // "connected" comes before the gateway's SUBACK: ask until it answers (a request sent
      // before it subscribed reaches nobody, as MQTT says).
      for (let attempt = 0; ; attempt++) {
        const { done: answer } = await listen311(`${BASE}/gateway/response/health`, 5);
        const pub = await runClient('mosquitto_pub', [...at, '-t', REQUEST, '-m', '{"id":"ready"}']);
        assert.equal(pub.code, 0, pub.output);
        if ((await answer).code === 0) break;
        assert.ok(attempt < 6, 'the gateway never answered a request');
      }
    });

    after(async () => {
      await gateway?.kill('SIGKILL');
      await pty?.kill();
      await mosquitto?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('MQTT 3.1.1: the JSON id and response_topic, answered where asked', async () => {
      const { done: answer } = await listen311(MINE, 10);
      const sent = await runClient('mosquitto_pub', [
        ...at,
        '-V',
        '311',
        '-q',
        '1',
        '-t',
        REQUEST,
        '-m',
        JSON.stringify({ id: '1', response_topic: MINE }),
      ]);
      assert.equal(sent.code, 0, sent.output);
      const got = await answer;
      assert.equal(got.code, 0, got.output);
      const body = answerIn(got.output);
      assert.equal(body['id'], '1');
      assert.equal(body['action'], 'health');
      assert.equal(body['ok'], true);
      assert.equal((body['result'] as { gateway?: unknown })['gateway'], 'rrgw');
    });

    it('MQTT 3.1.1: a response_topic outside gateway/response/ is refused; the default topic answers', async () => {
      const { done: answer } = await listen311(`${BASE}/gateway/response/health`, 10);
      await runClient('mosquitto_pub', [
        ...at,
        '-V',
        '311',
        '-t',
        REQUEST,
        '-m',
        JSON.stringify({ id: '2', response_topic: `${BASE}/dev/reset/set` }),
      ]);
      assert.equal(answerIn((await answer).output)['id'], '2');
      await gateway.waitForOutput(/response topic iot\/rr\/dev\/reset\/set refused \(outside\)/, 10_000);
    });

    if (broker === 'mosquitto')
      it('MQTT 5: mosquitto_rr, as the README shows it', async () => {
        const rr = await runClient('mosquitto_rr', [
          ...at,
          '-t',
          REQUEST,
          '-e',
          MINE,
          '-m',
          '{"id":"3"}',
          '-W',
          '10',
        ]);
        assert.equal(rr.code, 0, rr.output);
        assert.equal(answerIn(rr.output)['id'], '3');
      });
    else
      it('MQTT 5: mosquitto_rr is refused by the embedded broker with a clear reason', async () => {
        const rr = await runClient('mosquitto_rr', [
          ...at,
          '-t',
          REQUEST,
          '-e',
          MINE,
          '-m',
          '{"id":"4"}',
          '-W',
          '5',
        ]);
        assert.notEqual(rr.code, 0);
        assert.match(rr.output, /Unsupported Protocol Version|unacceptable protocol version/i);
      });
  });
}
