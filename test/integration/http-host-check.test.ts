// DNS rebinding against http.listen, with the real daemon: a page on
// http://rebind.attacker.example:<port>/ whose name is re-pointed at 127.0.0.1 reaches the
// gateway as a same-origin request, but its Host header still names the attacker's domain.
// Every endpoint refuses such a Host (421), counts it and logs it; the listen address, the
// localhost names and `http.allowed_hosts` entries are served as before.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { freePort } from '../helpers/ports.ts';

const PATHS = ['/', '/status.json', '/events', '/metrics', '/healthz', '/nope'];

/** One GET to 127.0.0.1:port with an explicit Host header; SSE streams are cut after the head. */
function get(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        resolve({ status: res.statusCode ?? 0, body: '' });
        req.destroy();
        return;
      }
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} (Host ${host}) timed out`)));
    req.on('error', reject);
    req.end();
  });
}

describe('http.listen refuses foreign Host headers (DNS rebinding)', () => {
  let dir: string;
  let broker: Mosquitto;
  let gateway: GatewayProcess;
  let port: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-host-'));
    broker = await startMosquitto();
    port = await freePort();
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'gateway: { id: hostgw, base_topic: iot/host }',
        `mqtt: { broker: external, url: "${broker.url}" }`,
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        `http: { listen: "127.0.0.1:${port}", allowed_hosts: [gw.example.test] }`,
        'ports:',
        '  - { name: attic, path: /dev/serial/by-id/not-plugged-in, device: climate }',
      ].join('\n'),
    );
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')]);
    await gateway.waitForOutput('"msg":"tty2mqtt running', 30_000);
  });

  after(async () => {
    await gateway?.kill('SIGKILL');
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 421 on every path for Host: rebind.attacker.example', async () => {
    for (const host of ['rebind.attacker.example', `rebind.attacker.example:${port}`]) {
      for (const path of PATHS) {
        const { status, body } = await get(port, path, host);
        assert.equal(status, 421, `${path} with Host ${host}`);
        assert.match(body, /misdirected request/);
      }
    }
    await gateway.waitForOutput('http request for a foreign host refused', 5000);
  });

  it('serves the listen address, localhost names and allow-listed names', async () => {
    const accepted = [
      `127.0.0.1:${port}`,
      '127.0.0.1',
      `localhost:${port}`,
      'localhost',
      'LocalHost',
      `[::1]:${port}`,
      'gw.example.test',
      `gw.example.test:${port}`,
    ];
    for (const host of accepted) {
      for (const path of PATHS) {
        const { status } = await get(port, path, host);
        assert.notEqual(status, 421, `${path} with Host ${host}`);
        assert.equal(
          status,
          path === '/nope' ? 404 : path === '/healthz' ? status : 200,
          `${path} with Host ${host}`,
        );
      }
    }
  });

  it('counts the refusals on /metrics', async () => {
    const text = (await get(port, '/metrics', `127.0.0.1:${port}`)).body;
    const line = text.split('\n').find((l) => l.startsWith('tty2mqtt_http_refused_hosts_total'));
    assert.equal(line, `tty2mqtt_http_refused_hosts_total ${PATHS.length * 2}`);
    console.log(`http host check: ${line}`);
  });
});
