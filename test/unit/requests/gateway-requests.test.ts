// requests/gateway-requests.ts with fakes around it: an MQTT 5 Response Topic (MQTT 5 §3.3.2.3.5,
// §4.10) is only honoured under the gateway's own `<base>/gateway/response/` namespace and
// never on a topic the gateway itself subscribes to — otherwise anyone allowed to send a
// request could make the gateway publish, under its own identity, a device command.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { GatewayRequests } from '../../../src/requests/gateway-requests.ts';
import type { InboundHandler } from '../../../src/mqtt/subscriptions.ts';
import { topicMatches } from '../../../src/topics/filter.ts';
import { FirmwareFlasher } from '../../../src/app/firmware-flash.ts';

interface Sent {
  topic: string;
  payload: string;
  correlationData?: Buffer | undefined;
}

function rig(extraFilters: string[] = [], flasher?: FirmwareFlasher) {
  const handlers = new Map<string, InboundHandler>();
  for (const filter of ['b/dev/reset/set', ...extraFilters]) handlers.set(filter, () => undefined);
  const sent: Sent[] = [];
  const warnings: { msg: string; topic?: string; reason?: string }[] = [];
  const log = pino(
    { level: 'warn' },
    {
      write: (line: string) => {
        warnings.push(JSON.parse(line) as { msg: string });
      },
    },
  );
  const requests = new GatewayRequests({
    base: 'b',
    subscribe: (filter, _qos, handler) => {
      handlers.set(filter, handler);
      return () => handlers.delete(filter);
    },
    isSubscribed: (topic) => [...handlers.keys()].some((filter) => topicMatches(filter, topic)),
    sink: {
      publishNow: (topic, payload, opts) => {
        sent.push({ topic, payload, correlationData: opts.correlationData });
        return Promise.resolve(true);
      },
    },
    health: () => ({ gateway: 'gw' }),
    ports: () => [],
    listPorts: () => Promise.resolve({ configured: [], serial: [] }),
    ...(flasher === undefined ? {} : { flash: (r, progress) => flasher.flash(r, progress) }),
    log,
  });
  requests.start();
  const request = async (responseTopic: string, id = 'c-1'): Promise<void> => {
    handlers.get('b/gateway/request/+')?.({
      topic: 'b/gateway/request/health',
      payload: Buffer.alloc(0),
      qos: 1,
      retain: false,
      correlationData: Buffer.from(id),
      responseTopic,
    });
    await new Promise((resolve) => setImmediate(resolve));
  };
  /** An MQTT 3.1.1 request: no properties, the id and answer topic in the JSON body. */
  const request311 = async (body: unknown, action = 'health', v5ResponseTopic?: string): Promise<void> => {
    handlers.get('b/gateway/request/+')?.({
      topic: `b/gateway/request/${action}`,
      payload: Buffer.from(JSON.stringify(body)),
      qos: 1,
      retain: false,
      ...(v5ResponseTopic === undefined ? {} : { responseTopic: v5ResponseTopic }),
    });
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { requests, sent, warnings, request, request311 };
}

describe('GatewayRequests: Response Topic', () => {
  const refused: [string, string][] = [
    ['b/dev/reset/set', 'outside'], // a device command: the reproduced attack
    ['$SYS/broker/x', 'dollar'],
    ['b/gateway/response/+', 'wildcard'],
    ['b/gateway/response/#', 'wildcard'],
    ['b/gateway/response/', 'outside'], // nothing after the prefix
    ['b/gateway/responses/x', 'outside'], // a look-alike of the prefix
    ['b/gateway/request/health', 'outside'], // would be a request to itself
    ['b/gateway/response/mine', 'subscribed'], // the gateway subscribes to it (below)
    [`b/gateway/response/${'x'.repeat(2000)}`, 'too_long'],
  ];

  it('refuses topics outside gateway/response/, $-topics, wildcards and its own subscriptions; answers on the default topic', async () => {
    const r = rig(['b/gateway/response/mine']);
    for (const [topic, reason] of refused) {
      const before = r.sent.length;
      await r.request(topic);
      const now = r.sent.slice(before);
      assert.deepEqual(
        now.map((s) => s.topic),
        ['b/gateway/response/health'],
        `${topic.slice(0, 60)}: only the default topic`,
      );
      assert.equal(now[0]?.correlationData?.toString(), 'c-1');
      const warning = r.warnings.at(-1);
      assert.equal(warning?.reason, reason, topic.slice(0, 60));
      assert.ok(warning?.topic !== undefined && topic.startsWith(warning.topic.replace(/…$/, '')));
    }
    const stats = r.requests.stats();
    assert.equal(stats.refusedResponseTopics, refused.length);
    console.log(
      `response topics refused: ${stats.refusedResponseTopics}, ${JSON.stringify(stats.refusedByReason)}`,
    );
  });

  it('answers an allowed Response Topic under gateway/response/ with its Correlation Data', async () => {
    const r = rig();
    await r.request('b/gateway/response/asker-1', 'c-2');
    assert.deepEqual(
      r.sent.map((s) => [s.topic, s.correlationData?.toString()]),
      [
        ['b/gateway/response/health', 'c-2'],
        ['b/gateway/response/asker-1', 'c-2'],
      ],
    );
    assert.equal(r.requests.stats().refusedResponseTopics, 0);
  });

  it('does not answer at all when even the default topic is one of its own subscriptions', async () => {
    const r = rig(['b/gateway/response/#']);
    await r.request('b/gateway/response/asker-1');
    assert.deepEqual(r.sent, []);
    assert.deepEqual(r.requests.stats().refusedByReason, { subscribed: 2 });
    assert.match(r.warnings[0]?.msg ?? '', /not answered on b\/gateway\/response\/health \(subscribed\)/);
  });

  it('logs refusals at a limited rate and counts every one', async () => {
    const r = rig();
    for (let i = 0; i < 40; i++) await r.request(`b/dev/reset/set`, `c-${i}`);
    assert.equal(r.requests.stats().refusedResponseTopics, 40);
    assert.ok(r.warnings.length <= 5, `${r.warnings.length} warnings for 40 refusals`);
    assert.equal(r.sent.length, 40, 'every request still answered on the default topic');
    console.log(`40 refusals → ${r.warnings.length} warning lines`);
  });
});

describe('GatewayRequests: MQTT 3.1.1 clients (JSON id and response_topic)', () => {
  const answer = (sent: Sent | undefined) => JSON.parse(sent?.payload ?? 'null') as Record<string, unknown>;

  it('answers on the default topic and on a response_topic under gateway/response/, with the JSON id', async () => {
    const r = rig();
    await r.request311({ id: 'q-1', response_topic: 'b/gateway/response/me' });
    assert.deepEqual(
      r.sent.map((s) => s.topic),
      ['b/gateway/response/health', 'b/gateway/response/me'],
    );
    for (const sent of r.sent) {
      assert.equal(answer(sent)['id'], 'q-1');
      assert.equal(answer(sent)['ok'], true);
      assert.equal(sent.correlationData, undefined, 'no MQTT 5 property for a 3.1.1 request');
    }
  });

  it('refuses a response_topic by the same rules as an MQTT 5 Response Topic', async () => {
    const r = rig();
    await r.request311({ id: 'q-2', response_topic: 'b/dev/reset/set' });
    await r.request311({ id: 'q-3', response_topic: 'b/gateway/response/#' });
    assert.deepEqual(
      r.sent.map((s) => s.topic),
      ['b/gateway/response/health', 'b/gateway/response/health'],
    );
    assert.deepEqual(r.requests.stats().refusedByReason, { outside: 1, wildcard: 1 });
  });

  it('refuses a response_topic that is not a string without running the action', async () => {
    const r = rig();
    await r.request311({ id: 'q-4', response_topic: ['b/gateway/response/x'], port: 'p' }, 'restart_port');
    assert.equal(r.sent.length, 1);
    assert.deepEqual(answer(r.sent[0]), {
      id: 'q-4',
      action: 'restart_port',
      ok: false,
      error: 'response_topic must be a topic name (a string)',
    });
  });

  it('lets an MQTT 5 Response Topic win over the JSON member', async () => {
    const r = rig();
    await r.request311(
      { id: 'q-5', response_topic: 'b/gateway/response/json' },
      'health',
      'b/gateway/response/v5',
    );
    assert.deepEqual(
      r.sent.map((s) => s.topic),
      ['b/gateway/response/health', 'b/gateway/response/v5'],
    );
  });
});

describe('GatewayRequests: flash', () => {
  const image = Buffer.from(':0400000001020304F2\n:00000001FF\n');
  function flasher(allow: boolean): FirmwareFlasher {
    const listeners = new Set<(chunk: Buffer) => void>();
    return new FirmwareFlasher({
      allow,
      log: pino({ level: 'silent' }),
      bannerWaitMs: 200,
      targets: () => [
        {
          name: 'shed',
          path: '/dev/null',
          mcu: 'atmega328p',
          device: 'climate',
          hold: () =>
            Promise.resolve(() =>
              setTimeout(() => listeners.forEach((l) => l(Buffer.from('hello v2\n'))), 5),
            ),
          observe: (l) => {
            listeners.add(l);
            return () => listeners.delete(l);
          },
        },
      ],
      programmer: () =>
        Promise.resolve({
          name: 'fake',
          program: (r) => {
            r.onProgress?.({ stage: 'sync' });
            for (const bytes of [0, 2, 4]) r.onProgress?.({ stage: 'writing', bytes, of: 4 });
            return Promise.resolve({
              bytesWritten: 4,
              verified: true,
              signature: '1E 95 0F',
              programmer: 'fake',
              ms: 5,
            });
          },
        }),
    });
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  it('answers progress (QoS 0) and then the result, all with the request id, on the answer topics', async () => {
    const r = rig([], flasher(true));
    // Far over the 4 KiB of other requests: a flash carries the image.
    const padded = Buffer.concat([image, Buffer.alloc(8000, 0x0a)]);
    await r.request311({ id: 'f-1', port: 'shed', image: padded.toString('base64') }, 'flash');
    await settle();
    const answers = r.sent.map((m) => JSON.parse(m.payload) as Record<string, unknown>);
    assert.ok(r.sent.every((m) => m.topic === 'b/gateway/response/flash'));
    assert.deepEqual(
      answers.map((a) =>
        a['progress'] === undefined ? `ok ${String(a['ok'])}` : JSON.stringify(a['progress']),
      ),
      [
        '{"stage":"sync"}',
        '{"stage":"writing","bytes":0,"of":4}',
        '{"stage":"writing","bytes":2,"of":4}',
        '{"stage":"writing","bytes":4,"of":4}',
        'ok true',
      ],
    );
    assert.ok(answers.every((a) => a['id'] === 'f-1' && a['action'] === 'flash'));
    const result = answers.at(-1)?.['result'] as Record<string, unknown>;
    assert.equal(result['banner'], 'hello v2');
    assert.equal(result['bytes'], 4);
    assert.deepEqual(r.requests.stats().flashes, { ok: 1 });
  });

  it('refuses when flash.allow is false, and a body that is not a flash request', async () => {
    const r = rig([], flasher(false));
    await r.request311({ id: 'f-2', port: 'shed', image: image.toString('base64') }, 'flash');
    await r.request311({ id: 'f-3', port: 'shed' }, 'flash');
    await settle();
    const answers = r.sent.map((m) => JSON.parse(m.payload) as { ok: boolean; error: string });
    assert.equal(answers.length, 2);
    assert.match(answers[0]?.error ?? '', /firmware updates are off: set `flash.allow: true`/);
    assert.match(answers[1]?.error ?? '', /^flash needs/);
    assert.deepEqual(r.requests.stats().flashes, { not_allowed: 1, bad_request: 1 }); // the metric's counts
  });

  it('other actions keep their 4 KiB bound', async () => {
    const r = rig();
    await r.request311({ id: 'x', port: 'p', pad: 'x'.repeat(5000) }, 'restart_port');
    await settle();
    const answer = JSON.parse(r.sent[0]?.payload ?? '{}') as { id: unknown; error: string };
    assert.equal(answer.id, null, 'the body was not read');
    assert.match(answer.error, /restart_port needs/);
  });
});
