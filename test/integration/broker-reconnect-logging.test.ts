// What the log says while the broker is away: one warning when an established
// connection is lost, then one per failed attempt — each naming its cause (here a real
// Mosquitto's port after it stopped: ECONNREFUSED) and when the next attempt is — and
// nothing else at warn. The lines are journald-ready JSON with level names.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { duplicateKeys } from '../helpers/json-duplicate-keys.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { until } from '../helpers/until.ts';

interface LogLine {
  level: string;
  time: number;
  msg: string;
  service?: string;
  err?: string;
  retryInMs?: number;
  nextAttemptAt?: string;
}

const FAILED_ATTEMPTS = 3;

function logLines(gateway: GatewayProcess): LogLine[] {
  return gateway
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      assert.deepEqual(duplicateKeys(l), [], l);
      return JSON.parse(l) as LogLine;
    });
}

describe('broker reconnect logging', () => {
  let dir: string;
  let broker: Mosquitto;
  let gateway: GatewayProcess;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-reconnect-log-'));
    broker = await startMosquitto();
  });

  after(async () => {
    await gateway?.kill('SIGKILL');
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one warning for the loss, then one per failed attempt with its cause and next attempt', async () => {
    const config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      [
        'gateway: { id: reconnectgw, base_topic: reconnect/gw }',
        `mqtt: { broker: external, url: "${broker.url}" }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        'ports:',
        '  - { name: attic, path: /dev/serial/by-id/not-plugged-in, device: climate }',
        'log: { level: info }',
      ].join('\n'),
    );
    gateway = startGateway(['run', '-c', config]);
    await gateway.waitForOutput('connected to broker', 20_000);
    // Start-up's own warning (the missing port) must come before the stop, not among the lines
    // checked after it: on a loaded machine it can follow the connect. The port's own line,
    // not the configuration warning `run` logs first about the same path.
    await gateway.waitForOutput('does not exist (is the device plugged in?)', 20_000);
    const port = broker.port;
    // After every line already printed, even one of this very millisecond (the port's line can
    // share it, and the lines after the stop are taken by time).
    const stoppedAt = Math.max(Date.now(), ...logLines(gateway).map((l) => l.time + 1));
    await broker.stop(); // its port now refuses connections

    const failedLines = (): LogLine[] =>
      logLines(gateway).filter((l) => l.msg.startsWith('broker connection failed'));
    await until(
      `${FAILED_ATTEMPTS} failed attempts logged`,
      () => failedLines().length >= FAILED_ATTEMPTS,
      60_000,
      () => gateway.stdout(),
    );

    const afterStop = logLines(gateway).filter((l) => l.time >= stoppedAt);
    const loud = afterStop.filter((l) => l.level === 'warn' || l.level === 'error' || l.level === 'fatal');
    const lost = loud.filter((l) => l.msg.startsWith('broker connection lost'));
    const failed = loud.filter((l) => l.msg.startsWith('broker connection failed'));
    // Nothing but these at warn or above: no second line per attempt ("connection error").
    assert.deepEqual(
      loud.filter((l) => !lost.includes(l) && !failed.includes(l)).map((l) => l.msg),
      [],
    );
    assert.equal(lost.length, 1, JSON.stringify(lost));
    assert.ok(loud.indexOf(lost[0] as LogLine) === 0, 'the loss comes first');
    assert.equal(lost[0]?.level, 'warn');
    assert.match(lost[0]?.msg ?? '', /; retry in \d+(\.\d)? s, messages stay queued$/);

    const cause = `connect ECONNREFUSED 127.0.0.1:${port}`;
    for (const line of failed) {
      assert.equal(line.service, 'publisher');
      assert.equal(line.err, cause);
      assert.match(
        line.msg,
        new RegExp(`^broker connection failed: ${cause}; retry in \\d+(\\.\\d)? s, messages stay queued$`),
      );
      // The announced delay, in seconds in the message and as a time in the fields.
      const seconds = Number(/retry in ([\d.]+) s/.exec(line.msg)?.[1]);
      assert.ok(Math.abs(seconds * 1000 - (line.retryInMs ?? NaN)) <= 50, line.msg);
      const next = Date.parse(line.nextAttemptAt ?? '');
      assert.ok(Math.abs(next - line.time - (line.retryInMs ?? NaN)) < 1000, JSON.stringify(line));
    }
    // Each attempt comes no earlier than the previous line said (its failure is logged after it).
    for (let i = 1; i < failed.length; i += 1)
      assert.ok(
        (failed[i]?.time ?? 0) >= Date.parse(failed[i - 1]?.nextAttemptAt ?? '') - 5,
        JSON.stringify(failed.slice(i - 1, i + 1)),
      );

    assert.equal(await gateway.kill('SIGTERM'), 0);
  });
});
