// device-commands/command-pacer.ts, the one home of what line and MySensors commands share:
// the refusals every `…/set` gets, the time to live, one write at a time `gap` apart, a
// failed write put back in front, and the `…/result` events (none for a label that is not
// made of plain topic levels).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { LoadedProfile } from '../../../src/config/load.ts';
import { profileSchema } from '../../../src/config/schema.ts';
import { CommandPacer, newCommandCounters } from '../../../src/device-commands/command-pacer.ts';
import type { PacedCommand } from '../../../src/device-commands/command-pacer.ts';
import type { InboundMessage } from '../../../src/mqtt/subscriptions.ts';
import type { OutMessage } from '../../../src/queue/outbox.ts';

function profile(): LoadedProfile {
  const p = profileSchema.parse({
    id: 'dev',
    line: { format: 'kv' },
    command_options: { gap: 20, ttl: 5000, max_pending: 2 },
  });
  return {
    ...p,
    file: 'x',
    dir: 'x',
    topicTemplate: '{port}/{field}',
    availabilityTimeoutMs: 1,
    statedIntervalMs: null,
  };
}

function message(fields: Partial<InboundMessage> = {}): InboundMessage {
  return { topic: 'b/dev/x/set', payload: Buffer.from('1'), qos: 1, retain: false, ...fields };
}

function rig(writeFails = false) {
  const now = 1000;
  const written: string[] = [];
  const results: OutMessage[] = [];
  const counters = newCommandCounters();
  const pacer: CommandPacer<PacedCommand> = new CommandPacer<PacedCommand>(
    {
      port: 'dev',
      base: 'b',
      gatewayId: 'gw',
      profile: profile(),
      write: (line) => {
        written.push(line);
        return writeFails ? Promise.reject(new Error('closed')) : Promise.resolve();
      },
      isOpen: () => true,
      subscribe: () => () => undefined,
      submit: (messages) => {
        results.push(...messages);
        return Promise.resolve();
      },
      log: pino({ level: 'silent' }),
      now: () => now,
    },
    counters,
    {
      writing: () => undefined,
      written: (p) => {
        pacer.result(p, 'written');
        pacer.pause();
      },
      notWritten: () => undefined,
      notWrittenMessage: 'not written',
      outcomeMessage: (p, status) => `${p.label} ${status}`,
    },
  );
  return { pacer, written, results, counters };
}

void describe('CommandPacer', () => {
  void it('refuses retained messages, expiry 0 and more than max_pending, with the reasons users see', () => {
    const { pacer } = rig();
    assert.equal(
      pacer.retainedRefusal(message({ retain: true })),
      'retained command ignored (command_options.accept_retained: false)',
    );
    assert.equal(pacer.retainedRefusal(message()), undefined);
    assert.equal(pacer.expiredOnArrival(message({ expirySeconds: 0 })), 'message expiry interval 0');
    assert.equal(pacer.expiredOnArrival(message({ expirySeconds: 1 })), undefined);
    assert.equal(pacer.fullRefusal(1), undefined);
    assert.equal(pacer.fullRefusal(2), '2 commands already waiting for this port');
  });

  void it('gives the time to live, shortened by the message expiry, and ids from correlation data', () => {
    const { pacer, counters } = rig();
    assert.equal(pacer.deadline(message()), 1000 + 5000);
    assert.equal(pacer.deadline(message({ expirySeconds: 2 })), 1000 + 2000);
    assert.equal(pacer.deadline(message(), 60_000), 1000 + 60_000);
    assert.equal(pacer.received(message({ correlationData: Buffer.from('abc') })), 'abc');
    assert.equal(pacer.received(message()), 'gw-dev-1');
    assert.equal(counters.received, 2);
  });

  void it('writes one command at a time, gap apart, and reports each on …/result', async () => {
    const { pacer, written, results } = rig();
    pacer.push(
      { id: '1', label: 'x', line: 'A', deadline: 1e9 },
      { id: '2', label: 'x', line: 'B', deadline: 1e9 },
    );
    assert.deepEqual(written, ['A']);
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(written, ['A'], 'the gap holds the second write');
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(written, ['A', 'B']);
    pacer.stop();
    assert.deepEqual(
      results.map((m) => [m.topic, JSON.parse(m.payload.toString()) as unknown]),
      [
        ['b/dev/x/result', { id: '1', command: 'x', status: 'written' }],
        ['b/dev/x/result', { id: '2', command: 'x', status: 'written' }],
      ],
    );
  });

  void it('puts a command whose write failed back in front, and expires it when stopped', async () => {
    const { pacer, written, results, counters } = rig(true);
    pacer.push({ id: '1', label: 'x', line: 'A', deadline: 1e9 });
    await new Promise((r) => setTimeout(r, 1));
    pacer.stop();
    assert.deepEqual(written, ['A']);
    assert.equal(pacer.queue.length, 1);
    pacer.expireAll('gateway stopping');
    assert.equal(counters.expired, 1);
    assert.deepEqual(JSON.parse(results[0]?.payload.toString() ?? ''), {
      id: '1',
      command: 'x',
      status: 'expired',
      reason: 'gateway stopping',
    });
  });

  void it('counts but publishes no result for a label that is not plain topic levels', () => {
    const { pacer, results, counters } = rig();
    pacer.result({ id: '1', label: 'a/+/b', line: '', deadline: 0 }, 'rejected', 'bad');
    assert.equal(counters.rejected, 1);
    assert.deepEqual(results, []);
  });
});
