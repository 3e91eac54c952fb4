// `http.listen` end to end: the real daemon with a real Mosquitto and a climate
// device on a socat pty. /metrics moves with the device, the latency histogram fills, the
// broker gauge follows a Mosquitto crash and restart, and /healthz turns 503 only once
// readings wait with the broker away, and 200 again when they are delivered. Prometheus's
// own linter, `promtool check metrics`, finds nothing to say about a full scrape.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDevice } from '../helpers/device.ts';
import type { DeviceEnd } from '../helpers/device.ts';
import { runCli, startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/ports.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

function yaml(brokerUrl: string, devicePath: string, httpListen: string): string {
  return [
    'version: 1',
    'gateway: { id: httpgw, base_topic: iot/http }',
    `mqtt: { broker: external, url: "${brokerUrl}", keepalive: 5s }`,
    'ports:',
    `  - { name: livingroom, path: "${devicePath}", device: climate, idle_timeout: 0 }`,
    `http: { listen: "${httpListen}" }`,
    'log: { level: info }',
  ].join('\n');
}

/** One sample value from the Prometheus text, or undefined when the series is absent. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) have.set(l[1]!, l[2]!);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Error | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error as Error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('http.listen: /metrics and /healthz against the real daemon', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let gateway: GatewayProcess;
  let device: DeviceEnd;
  let base: string;

  const get = (path: string, init?: RequestInit): Promise<Response> => fetch(`${base}${path}`, init);
  const metricsText = async (): Promise<string> => (await get('/metrics')).text();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-http-'));
    broker = await startMosquitto();
    pty = await createPtyPair(dir, { device: 'climate-dev', gateway: 'climate-gw' });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    writeFileSync(join(dir, 'gateway.yaml'), yaml(broker.url, pty.gatewayPath, `127.0.0.1:${port}`));
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput('"msg":"tty2mqtt running', 30_000);
    device = await openDevice(pty.devicePath);
  });

  after(async () => {
    await device?.close();
    await gateway?.kill('SIGKILL');
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves only GET/HEAD on known paths', async () => {
    assert.equal((await get('/nope')).status, 404);
    const post = await get('/metrics', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const head = await get('/healthz', { method: 'HEAD' });
    assert.ok(head.status === 200 || head.status === 503);
    assert.equal(await head.text(), '');
    const page = await get('/');
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const html = await page.text();
    // Self-contained: no external URL anywhere in the document.
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i);
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('counts the device, observes publish latency and shows the broker connected', async () => {
    // Input written before the gateway has the port open would be flushed at open.
    await waitUntil('the port open', async () => {
      const status = (await (await get('/status.json')).json()) as { ports: { state: string }[] };
      return status.ports[0]?.state === 'open' ? true : undefined;
    });
    await device.write('# climate booting\n'); // first line after open: discarded
    for (let i = 0; i < 5; i++) await device.write(`temp=2${i}.5,hum=4${i}\n`);
    await device.write('temp=21.0,hum=41*00\n'); // bad checksum
    const text = await waitUntil('the readings in /metrics', async () => {
      const t = await metricsText();
      const latency = metric(t, 'tty2mqtt_publish_latency_seconds_count', { qos: '1' }) ?? 0;
      const lines = metric(t, 'tty2mqtt_port_lines_total', { port: 'livingroom', device: 'climate' }) ?? 0;
      return lines >= 6 && latency >= 10 ? t : undefined;
    });
    assert.equal(metric(text, 'tty2mqtt_port_messages_queued_total', { port: 'livingroom' }), 10);
    assert.equal(
      metric(text, 'tty2mqtt_port_discards_total', { port: 'livingroom', reason: 'checksum_mismatch' }),
      1,
    );
    assert.equal(metric(text, 'tty2mqtt_port_open', { port: 'livingroom' }), 1);
    assert.equal(metric(text, 'tty2mqtt_broker_connected'), 1);
    assert.ok((metric(text, 'tty2mqtt_queue_published_total') ?? 0) >= 10);
    assert.equal(metric(text, 'tty2mqtt_queue_depth'), 0);
    assert.equal(metric(text, 'tty2mqtt_queue_storage_ok'), 1);
    // Every delivery took some time and none took an hour.
    assert.ok((metric(text, 'tty2mqtt_publish_latency_seconds_sum', { qos: '1' }) ?? 0) > 0);
    assert.equal(
      metric(text, 'tty2mqtt_publish_latency_seconds_bucket', { qos: '1', le: '3600' }),
      metric(text, 'tty2mqtt_publish_latency_seconds_count', { qos: '1' }),
    );
    assert.notEqual(metric(text, 'nodejs_eventloop_lag_p99_seconds'), undefined);
    const health = await get('/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(((await health.json()) as { status: string }).status, 'ok');
  });

  it('passes promtool check metrics: exposition format and naming conventions', async () => {
    // After the previous case: every family has series (ports, discards, latency histogram).
    const text = await metricsText();
    for (const family of [
      'tty2mqtt_port_lines_total',
      'tty2mqtt_port_discards_total',
      'tty2mqtt_publish_latency_seconds_bucket',
      'tty2mqtt_build_info',
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
    ])
      assert.match(text, new RegExp(`^${family}[{ ]`, 'm'), `${family} in the scrape`);
    // promtool (Debian package prometheus, test/system-packages.sh) reads the scrape on stdin;
    // exit 0 and no output: no format error and no lint problem (`_total` on a gauge, a
    // missing unit, camelCase, no HELP, …). Exit 3 would list the lint problems.
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(checked.error, undefined, 'promtool runs');
    assert.equal(`${checked.stdout}${checked.stderr}`, '');
    assert.equal(checked.status, 0);
    const build = /^tty2mqtt_build_info\{version="([^"]+)",node="([^"]+)",commit="([^"]+)"\} 1$/m.exec(text);
    assert.ok(build !== null, 'tty2mqtt_build_info');
    assert.equal(build[2], process.version);
    assert.match(
      (await runCli(['--version'])).stdout,
      new RegExp(`^tty2mqtt ${(build[1] ?? '').replaceAll('.', '\\.')} `),
    );
  });

  it('goes 503 when readings wait for a crashed broker, and 200 once they are delivered', async () => {
    await broker.kill9();
    await waitUntil('broker state 0', async () =>
      metric(await metricsText(), 'tty2mqtt_broker_connected') === 0 ? true : undefined,
    );
    // Disconnected with nothing to send is not a failure: nothing is at risk.
    const idle = await get('/healthz');
    assert.equal(idle.status, 200, await idle.text());
    await device.write('temp=30.5,hum=50\n');
    const unhealthy = await waitUntil('/healthz 503 with a backlog', async () => {
      const r = await get('/healthz');
      return r.status === 503
        ? ((await r.json()) as { status: string; reasons: string[]; queue_depth: number })
        : undefined;
    });
    assert.equal(unhealthy.status, 'unhealthy');
    assert.equal(unhealthy.queue_depth, 2);
    assert.match(unhealthy.reasons.join(';'), /broker not connected with 2 message\(s\) waiting/);
    const during = await metricsText();
    assert.equal(metric(during, 'tty2mqtt_queue_depth'), 2);
    assert.ok((metric(during, 'tty2mqtt_queue_oldest_age_seconds') ?? 0) > 0);

    await broker.restart();
    // The backoff after a crash can reach a few seconds; the queue then drains.
    await waitUntil(
      '/healthz 200 after the restart',
      async () => ((await get('/healthz')).status === 200 ? true : undefined),
      60_000,
    );
    const afterText = await metricsText();
    assert.equal(metric(afterText, 'tty2mqtt_broker_connected'), 1);
    assert.equal(metric(afterText, 'tty2mqtt_queue_depth'), 0);
    assert.ok((metric(afterText, 'tty2mqtt_broker_connects_total') ?? 0) >= 2);
  });

  it('stops on SIGTERM with a status page open (its event stream does not hold the daemon)', async () => {
    const events = await get('/events');
    assert.match(events.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = events.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const decoder = new TextDecoder();
    let first = '';
    while (!/data: .*\n\n/s.test(first)) {
      const chunk = await reader.read();
      assert.equal(chunk.done, false, `stream ended after ${JSON.stringify(first)}`);
      first += decoder.decode(chunk.value);
    }
    assert.match(first, /event: status\ndata: \{"gateway":"httpgw"/);
    // An open event stream must not hold the server (and so the daemon) open: without
    // closeAllConnections the stop would wait for the browser forever.
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('still running 20 s after SIGTERM'), 20_000);
    });
    const code = await Promise.race([gateway.kill('SIGTERM'), hung]);
    clearTimeout(timer);
    assert.equal(code, 0);
    // The stream ended with the server instead of hanging.
    for (;;) if ((await reader.read()).done) break;
  });
});

describe('http.listen: a taken address', () => {
  let dir: string;
  let blocker: Server;
  let broker: Mosquitto;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-http-busy-'));
    broker = await startMosquitto();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  });

  after(async () => {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 naming the address and the key http.listen', async () => {
    const port = (blocker.address() as { port: number }).port;
    const pty = await createPtyPair(dir);
    try {
      writeFileSync(join(dir, 'gateway.yaml'), yaml(broker.url, pty.gatewayPath, `127.0.0.1:${port}`));
      const result = await runCli(['run', '-c', join(dir, 'gateway.yaml')], { timeoutMs: 30_000 });
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `TTY2MQTT_HTTP_LISTEN_FAILED: http\\.listen: cannot listen on 127\\.0\\.0\\.1:${port}: address in use`,
        ),
      );
    } finally {
      await pty.kill();
    }
  });
});
