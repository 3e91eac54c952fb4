// When the broker's Receive Maximum (MQTT 5 §3.2.2.3.3; Mosquitto's max_inflight_messages)
// is below queue.inflight, the log says so once per process, with the setting that widens
// it: a backlog then drains at the broker's pace (docs/performance.md). A broker whose
// window is wide enough gets no such line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';

interface LogLine {
  level: string;
  msg: string;
  brokerReceiveMaximum?: number;
  queueInflight?: number;
}

const HINT = /^the broker takes \d+ unacknowledged messages/;

function logLines(gateway: GatewayProcess): LogLine[] {
  return gateway
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

function writeConfig(dir: string, broker: Mosquitto, inflight: number): string {
  const config = join(dir, `gateway-${inflight}.yaml`);
  writeFileSync(
    config,
    [
      `gateway: { id: windowgw${inflight}, base_topic: window/gw${inflight} }`,
      `mqtt: { broker: external, url: "${broker.url}" }`,
      `queue: { path: "${join(dir, `queue-${inflight}.db`)}", inflight: ${inflight} }`,
      'ports:',
      '  - { name: attic, path: /dev/serial/by-id/not-plugged-in, device: climate }',
      'log: { level: info }',
    ].join('\n'),
  );
  return config;
}

describe('broker window hint', () => {
  let dir: string;
  let narrow: Mosquitto;
  let wide: Mosquitto;
  const gateways: GatewayProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-window-hint-'));
    narrow = await startMosquitto({ config: 'max_inflight_messages 8', logTypes: 'default' });
    wide = await startMosquitto({ config: 'max_inflight_messages 64', logTypes: 'default' });
  });

  after(async () => {
    for (const gateway of gateways) await gateway.kill('SIGKILL');
    await narrow?.stop();
    await wide?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says once per process that a Receive Maximum of 8 caps queue.inflight 32', async () => {
    const gateway = startGateway(['run', '-c', writeConfig(dir, narrow, 32)]);
    gateways.push(gateway);
    await gateway.waitForOutput('connected to broker', 20_000);
    await narrow.restart();
    const connects = (): number => logLines(gateway).filter((l) => l.msg === 'connected to broker').length;
    const deadline = Date.now() + 30_000;
    while (connects() < 2) {
      if (Date.now() > deadline) assert.fail(`no reconnect within 30 s\n${gateway.stdout()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const hints = logLines(gateway).filter((l) => HINT.test(l.msg));
    assert.equal(hints.length, 1, JSON.stringify(hints));
    const [hint] = hints;
    assert.equal(hint?.level, 'info');
    assert.equal(hint?.brokerReceiveMaximum, 8);
    assert.equal(hint?.queueInflight, 32);
    assert.match(hint?.msg ?? '', /fewer than queue\.inflight \(32\).*max_inflight_messages/);
    assert.equal(await gateway.kill('SIGTERM'), 0);
  });

  it('says nothing when the broker takes as many as queue.inflight', async () => {
    const gateway = startGateway(['run', '-c', writeConfig(dir, wide, 64)]);
    gateways.push(gateway);
    await gateway.waitForOutput('connected to broker', 20_000);
    assert.equal(await gateway.kill('SIGTERM'), 0); // after the exit, every line is out
    assert.deepEqual(
      logLines(gateway).filter((l) => HINT.test(l.msg)),
      [],
    );
  });
});
