// device-commands/line-runner.ts with fakes around it: the order of result events when a fast device
// answers before the write's completion has come back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { CommandRunner } from '../../../src/device-commands/line-runner.ts';
import type { LoadedProfile } from '../../../src/config/load.ts';
import { profileSchema } from '../../../src/config/schema.ts';
import type { InboundHandler } from '../../../src/mqtt/subscriptions.ts';
import type { OutMessage } from '../../../src/queue/outbox.ts';

function profile(): LoadedProfile {
  const p = profileSchema.parse({
    id: 'dev',
    line: { format: 'kv' },
    commands: {
      led: {
        payload: { type: 'enum', values: ['on', 'off'] },
        write: 'LED {value}',
        reply: { ok: '^OK LED', error: '^ERR (?<reason>.*)$', timeout: '1s' },
      },
    },
  });
  return {
    ...p,
    file: 'x',
    dir: 'x',
    topicTemplate: '{port}/{field}',
    availabilityTimeoutMs: 120_000,
    statedIntervalMs: null,
  };
}

function rig() {
  const handlers = new Map<string, InboundHandler>();
  const results: { status: string; reason?: string }[] = [];
  let finishWrite: () => void = () => undefined;
  const runner = new CommandRunner({
    port: 'dev',
    base: 'b',
    gatewayId: 'gw',
    profile: profile(),
    write: () => new Promise<void>((resolve) => (finishWrite = resolve)),
    isOpen: () => true,
    subscribe: (filter, _qos, handler) => {
      handlers.set(filter, handler);
      return () => handlers.delete(filter);
    },
    submit: (messages: OutMessage[]) => {
      for (const m of messages) results.push(JSON.parse(m.payload.toString()) as { status: string });
      return Promise.resolve();
    },
    log: pino({ level: 'silent' }),
  });
  runner.start();
  const send = (payload: string): void =>
    handlers.get('b/dev/led/set')?.({
      topic: 'b/dev/led/set',
      payload: Buffer.from(payload),
      qos: 1,
      retain: false,
    });
  return { runner, results, send, finish: () => finishWrite() };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CommandRunner', () => {
  it('an answer that arrives before the write completes is kept and reported after `written`', async () => {
    const r = rig();
    r.send('on');
    assert.equal(r.runner.onDeviceLine('ERR relay busy'), true, 'the reply is consumed, not read as data');
    r.finish();
    await settle();
    assert.deepEqual(
      r.results.map((x) => [x.status, x.reason]),
      [
        ['written', undefined],
        ['failed', 'relay busy'],
      ],
    );
    r.runner.stop();
  });

  it('lines that match no reply pattern are data', async () => {
    const r = rig();
    r.send('off');
    assert.equal(r.runner.onDeviceLine('temp=21.5'), false);
    r.finish();
    await settle();
    assert.equal(r.runner.onDeviceLine('OK LED off'), true);
    assert.deepEqual(
      r.results.map((x) => x.status),
      ['written', 'acked'],
    );
    r.runner.stop();
  });
});
