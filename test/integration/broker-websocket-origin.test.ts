// Browsers let any web page open a WebSocket to 127.0.0.1, and send the page's Origin with
// it (RFC 6455 §4.1, §10.2); the embedded broker's WebSocket listener refuses Origins that
// `embedded_broker.websocket_origins` does not list. Clients here are the `ws` package, which
// sends an Origin header exactly as told, and MQTT packets written by hand.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { launchChromium } from '../helpers/chromium.ts';
import { startTestBroker } from '../helpers/embedded-broker.ts';
import { runCli } from '../helpers/gateway-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-ws-origin-'));
const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** MQTT 3.1.1 §3.1 CONNECT, protocol level 4, clean session, keep-alive 60 s, client id `web`. */
const CONNECT = Buffer.from([0x10, 15, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, 3, 0x77, 0x65, 0x62]);
/** §3.2 CONNACK, session not present, return code 0. */
const CONNACK_ACCEPTED = [0x20, 2, 0, 0];

/**
 * Opens `ws://…` with the MQTT subprotocol and the given Origin (none when undefined), sends
 * CONNECT: the CONNACK bytes, or the HTTP status the upgrade was refused with.
 */
function attempt(
  port: number,
  origin: string | undefined,
): Promise<{ connack: number[] } | { status: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`, 'mqtt', origin === undefined ? {} : { origin });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no answer for Origin ${origin ?? '(none)'}`));
    }, 10_000);
    socket.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      response.resume();
      socket.terminate();
      resolve({ status: response.statusCode ?? 0 });
    });
    socket.once('open', () => socket.send(CONNECT));
    // aedes writes a packet's header and body separately: one WebSocket message each.
    const received: number[] = [];
    socket.on('message', (data: Buffer) => {
      received.push(...data);
      if (received.length < CONNACK_ACCEPTED.length) return;
      clearTimeout(timer);
      socket.close();
      resolve({ connack: received });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      if (!socket.listenerCount('unexpected-response')) reject(error);
    });
  });
}

void describe('embedded broker: WebSocket Origin allow-list', () => {
  void it('refuses a browser Origin that is not listed with 403 before any MQTT; listed and absent Origins connect', async () => {
    const { broker, logLines } = await startTestBroker(cleanups, {
      websocket: '127.0.0.1:0',
      websocketOrigins: ['http://localhost:3000'],
    });
    const port = broker.websocketAddress()?.port ?? 0;
    const evil = await attempt(port, 'http://evil.example');
    const lookalike = await attempt(port, 'http://localhost:3000.evil.example');
    const allowed = await attempt(port, 'http://localhost:3000');
    const node = await attempt(port, undefined);
    console.log(
      `evil: ${JSON.stringify(evil)}; lookalike: ${JSON.stringify(lookalike)}; allowed: ${JSON.stringify(allowed)}; no Origin: ${JSON.stringify(node)}; refusedOrigins: ${broker.stats().refusedOrigins}`,
    );
    assert.deepEqual(evil, { status: 403 });
    assert.deepEqual(lookalike, { status: 403 });
    assert.deepEqual(allowed, { connack: CONNACK_ACCEPTED });
    assert.deepEqual(node, { connack: CONNACK_ACCEPTED });
    assert.equal(broker.stats().refusedOrigins, 2);
    const refusals = logLines.filter((l) => l.includes('embedded broker refused a WebSocket'));
    assert.ok(
      refusals.some((l) => l.includes('"origin":"http://evil.example"')),
      refusals.join('\n'),
    );
  });

  void it('refuses every browser Origin by default, `null` (sandboxed pages, file://) included', async () => {
    const { broker, logLines } = await startTestBroker(cleanups, { websocket: '127.0.0.1:0' });
    // Anonymous with a WebSocket listener: said once at start, as `check` says it.
    assert.ok(
      logLines.some((l) => l.includes('embedded_broker.websocket is on without embedded_broker.users')),
    );
    const port = broker.websocketAddress()?.port ?? 0;
    assert.deepEqual(await attempt(port, 'http://localhost:3000'), { status: 403 });
    assert.deepEqual(await attempt(port, 'null'), { status: 403 });
    assert.deepEqual(await attempt(port, undefined), { connack: CONNACK_ACCEPTED });
    console.log(`default: refusedOrigins ${broker.stats().refusedOrigins}`);
    assert.equal(broker.stats().refusedOrigins, 2);
  });
});

/** A page server on 127.0.0.1: its origin is `http://127.0.0.1:<port>`. */
async function pageServer(): Promise<string> {
  const server = createServer((_request, response) =>
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>page</title>'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Run inside the page: open the broker's WebSocket, send CONNECT, say what came back. A
 * browser does not show a page the refused handshake's status: only that no socket opened.
 */
function pageAttempt(port: number): string {
  return `new Promise((resolve) => {
    const ws = new WebSocket('ws://127.0.0.1:${port}', 'mqtt');
    ws.binaryType = 'arraybuffer';
    const got = [];
    ws.onopen = () => ws.send(new Uint8Array([${[...CONNECT].join(',')}]));
    ws.onmessage = (e) => {
      got.push(...new Uint8Array(e.data));
      if (got.length >= 4) { ws.close(); resolve('connack ' + got.join(',')); }
    };
    ws.onclose = (e) => resolve('closed ' + e.code);
    setTimeout(() => resolve('timeout'), 10000);
  })`;
}

void describe('embedded broker: WebSocket Origin allow-list, from a real browser', () => {
  void it("a foreign page's WebSocket never opens; an allow-listed page's does and gets CONNACK", async () => {
    const foreign = await pageServer();
    const trusted = await pageServer();
    const { broker } = await startTestBroker(cleanups, {
      websocket: '127.0.0.1:0',
      websocketOrigins: [trusted],
    });
    const port = broker.websocketAddress()?.port ?? 0;
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.context.newPage();
    await page.goto(`${foreign}/`, { waitUntil: 'load' });
    const fromForeign = await page.evaluate(pageAttempt(port));
    await page.goto(`${trusted}/`, { waitUntil: 'load' });
    const fromTrusted = await page.evaluate(pageAttempt(port));
    console.log(
      `chromium: page ${foreign}: ${String(fromForeign)}; page ${trusted}: ${String(fromTrusted)}; refusedOrigins: ${broker.stats().refusedOrigins}`,
    );
    assert.equal(fromForeign, 'closed 1006');
    assert.equal(fromTrusted, `connack ${CONNACK_ACCEPTED.join(',')}`);
    assert.equal(broker.stats().refusedOrigins, 1);
  });
});

void describe('check: WebSocket without users', () => {
  function config(name: string, extra: string[]): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        'version: 1',
        `gateway: { id: ${name} }`,
        'embedded_broker:',
        '  websocket: 127.0.0.1:8080',
        ...extra,
        'ports:',
        '  - { name: attic, path: /dev/null, device: climate }',
      ].join('\n'),
    );
    return file;
  }

  void it('warns when the WebSocket listener is on and anyone may log in; not with users', async () => {
    const open = await runCli(['check', '-c', config('wsopen', [])]);
    console.log(`check (no users): exit ${open.code}; stderr: ${open.stderr.trim()}`);
    assert.equal(open.code, 0, open.stdout + open.stderr);
    assert.match(open.stderr, /^warning: embedded_broker\.websocket is on without embedded_broker\.users: /m);
    writeFileSync(join(dir, 'web.pw'), 'web pw', { mode: 0o600 });
    const closed = await runCli([
      'check',
      '-c',
      config('wsusers', ['  users:', '    - { username: web, password_file: web.pw }']),
    ]);
    assert.equal(closed.code, 0, closed.stdout + closed.stderr);
    assert.doesNotMatch(closed.stderr, /warning: embedded_broker\.websocket/);
  });

  void it('refuses an origin that is not scheme://host[:port]', async () => {
    const bad = await runCli([
      'check',
      '-c',
      config('wsbad', ['  websocket_origins: ["http://localhost:3000/"]']),
    ]);
    assert.equal(bad.code, 78, bad.stdout + bad.stderr);
    assert.match(
      bad.stderr,
      /embedded_broker\.websocket_origins\[0\]: "http:\/\/localhost:3000\/" must be an origin/,
    );
  });
});
