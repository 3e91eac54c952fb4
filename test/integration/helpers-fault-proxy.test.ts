// The fault proxy with plain net sockets against a loopback echo server: forwarding, cut
// (closed, then refused), blackhole (open but silent, nothing buffered), restore.
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import type { FaultProxy } from '../helpers/fault-proxy.ts';
import { until } from '../helpers/until.ts';

const WAIT_MS = 3000;

interface Client {
  socket: Socket;
  received(): string;
  closed: Promise<void>;
  isClosed(): boolean;
  waitFor(text: string): Promise<void>;
}

function open(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let got = '';
    let isClosed = false;
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const closed = new Promise<void>((r) =>
      socket.once('close', () => {
        isClosed = true;
        r();
      }),
    );
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve({
        socket,
        received: () => got,
        closed,
        isClosed: () => isClosed,
        waitFor: (text) =>
          until(`echo of ${JSON.stringify(text)}; got ${got.length} bytes`, () => got.includes(text)),
      });
    });
  });
}

function connectError(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('fault proxy', () => {
  let echo: Server;
  let echoPort: number;
  let proxy: FaultProxy;
  const echoSockets = new Set<Socket>();

  before(async () => {
    echo = createServer((s) => {
      echoSockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => echoSockets.delete(s));
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen({ host: '127.0.0.1', port: 0 }, r));
    echoPort = (echo.address() as AddressInfo).port;
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: echoPort } });
  });

  after(async () => {
    await proxy?.close();
    for (const s of echoSockets) s.destroy();
    await new Promise<void>((r) => echo?.close(() => r()));
  });

  it('forwards both ways and counts the bytes', async () => {
    assert.equal(proxy.url, `mqtt://127.0.0.1:${proxy.port}`);
    const c = await open(proxy.port);
    c.socket.write('hello');
    await c.waitFor('hello');
    // A large transfer goes through intact (backpressure, no loss).
    const big = 'x'.repeat(2 * 1024 * 1024);
    c.socket.write(big);
    await until('the 2 MiB echo', () => c.received().length === 5 + big.length);
    const s = proxy.stats();
    assert.equal(s.mode, 'forward');
    assert.equal(s.bytesToTarget, 5 + big.length);
    assert.equal(s.bytesToClient, 5 + big.length);
    assert.equal(s.active, 1);
    c.socket.destroy();
    await until('the link to close', () => proxy.stats().active === 0);
  });

  it('cut() closes open connections and refuses new ones; restore() accepts again', async () => {
    const c = await open(proxy.port);
    c.socket.write('a');
    await c.waitFor('a');
    await proxy.cut();
    await Promise.race([c.closed, sleep(WAIT_MS).then(() => assert.fail('connection not closed by cut()'))]);
    assert.equal(await connectError(proxy.port), 'ECONNREFUSED');
    assert.equal(proxy.stats().active, 0);
    await proxy.restore();
    const d = await open(proxy.port);
    d.socket.write('back');
    await d.waitFor('back');
    d.socket.destroy();
  });

  it('blackhole() keeps connections open but silent, drops bytes without buffering them', async () => {
    const c = await open(proxy.port);
    c.socket.write('before');
    await c.waitFor('before');
    await proxy.blackhole();
    const droppedBefore = proxy.stats().bytesDropped;
    const toTargetBefore = proxy.stats().bytesToTarget;
    // 8 MiB into the hole: all of it is read (the sender never stalls) and none arrives.
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    let flushed = 0;
    for (let i = 0; i < 128; i++) c.socket.write(chunk, () => (flushed += 1));
    await until('the writes to flush (the proxy must keep reading)', () => flushed === 128, 10_000);
    await until(
      'bytes to be dropped',
      () => proxy.stats().bytesDropped - droppedBefore === 128 * chunk.length,
    );
    assert.equal(proxy.stats().bytesToTarget, toTargetBefore, 'nothing reached the target');
    await sleep(200);
    assert.equal(c.received(), 'before', 'nothing came back');
    assert.equal(c.isClosed(), false, 'the connection stays open');
    // New connections are accepted, and just as silent.
    const d = await open(proxy.port);
    d.socket.write('anyone?');
    await sleep(200);
    assert.equal(d.received(), '');
    assert.equal(d.isClosed(), false);
    assert.equal(proxy.stats().active, 2);
    // restore(): the blackholed ones are destroyed, new ones forward.
    await proxy.restore();
    await Promise.race([
      Promise.all([c.closed, d.closed]),
      sleep(WAIT_MS).then(() => assert.fail('blackholed connections survived restore()')),
    ]);
    const e = await open(proxy.port);
    e.socket.write('alive');
    await e.waitFor('alive');
    e.socket.destroy();
  });

  it('blackhole() after cut() listens again and accepts silently', async () => {
    await proxy.cut();
    assert.equal(await connectError(proxy.port), 'ECONNREFUSED');
    await proxy.blackhole();
    const c = await open(proxy.port);
    c.socket.write('x');
    await sleep(200);
    assert.equal(c.received(), '');
    await proxy.restore();
    await c.closed;
  });

  it('closes the client side when the target refuses or goes away', async () => {
    const dead = await startFaultProxy({ target: { host: '127.0.0.1', port: await unusedPort() } });
    try {
      const c = await open(dead.port);
      await Promise.race([c.closed, sleep(WAIT_MS).then(() => assert.fail('client not closed'))]);
    } finally {
      await dead.close();
    }
    const c = await open(proxy.port);
    c.socket.write('y');
    await c.waitFor('y');
    for (const s of echoSockets) s.destroy();
    await Promise.race([c.closed, sleep(WAIT_MS).then(() => assert.fail('client not closed'))]);
  });

  it('close() releases the port', async () => {
    const p = await startFaultProxy({ target: { host: '127.0.0.1', port: echoPort } });
    const c = await open(p.port);
    await p.close();
    await c.closed;
    assert.equal(await connectError(p.port), 'ECONNREFUSED');
    await p.close();
  });

  it('refuses a non-loopback target', async () => {
    await assert.rejects(startFaultProxy({ target: { host: '10.0.0.1', port: 1883 } }), /loopback only/);
  });
});

async function unusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen({ host: '127.0.0.1', port: 0 }, r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
