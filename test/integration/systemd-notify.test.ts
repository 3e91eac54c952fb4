// sd_notify for real: the real daemon, started the way systemd starts a Type=notify
// service — $NOTIFY_SOCKET naming an AF_UNIX datagram socket, WATCHDOG_USEC set — against a
// real Mosquitto and a socat pty device. The socket's other end stands in for PID 1: a tiny
// Python receiver that, like systemd, takes each datagram and drops the file descriptor that
// systemd-notify's BARRIER=1 passes (closing it is the barrier's answer). socat's UNIX-RECV
// would keep that descriptor, so every systemd-notify would wait out its 5 s barrier timeout.
// What this cannot check: that systemd accepts messages from the systemd-notify child only
// with NotifyAccess=all (there is no systemd PID 1 here); the unit sets it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDevice } from '../helpers/device.ts';
import type { DeviceEnd } from '../helpers/device.ts';
import { startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import type { Mosquitto } from '../helpers/mosquitto.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    print(json.dumps(s.recv(65536).decode("utf-8", "replace")), flush=True)
`;

interface Datagram {
  fields: Record<string, string>;
  at: number;
  /** The daemon's output when it arrived: what had happened by then. */
  outputThen: string;
}

interface NotifySocket {
  path: string;
  datagrams: Datagram[];
  waitFor(predicate: (d: Datagram) => boolean, timeoutMs?: number, from?: number): Promise<Datagram>;
  stop(): Promise<void>;
}

async function notifySocket(path: string, output: () => string): Promise<NotifySocket> {
  const child: ChildProcess = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const datagrams: Datagram[] = [];
  const waiters = new Set<() => void>();
  const lines = createInterface({ input: child.stdout! });
  const listening = new Promise<void>((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`python3 is needed for the notify receiver: ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`notify receiver exited (${code})`)));
    lines.on('line', (line) => {
      if (line === 'listening') return resolve();
      const fields: Record<string, string> = {};
      for (const assignment of (JSON.parse(line) as string).split('\n')) {
        const eq = assignment.indexOf('=');
        fields[assignment.slice(0, eq)] = assignment.slice(eq + 1);
      }
      // systemd-notify follows each message with its own BARRIER=1 datagram: not ours.
      if (Object.keys(fields).join() === 'BARRIER') return;
      datagrams.push({ fields, at: Date.now(), outputThen: output() });
      for (const w of [...waiters]) w();
    });
  });
  await listening;
  child.removeAllListeners('exit');
  return {
    path,
    datagrams,
    waitFor(predicate, timeoutMs = 20_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = datagrams.slice(from).find(predicate);
          if (found === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no such notification within ${timeoutMs} ms; got ${JSON.stringify(datagrams.slice(from).map((d) => d.fields))}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

function gatewayYaml(url: string, ttyPath: string): string {
  return [
    'version: 1',
    'gateway: { id: notifygw, base_topic: iot/notify }',
    // A long keep-alive: a broker that stops answering stays "connected" for the whole test,
    // which is the wedge the watchdog is there for.
    `mqtt: { broker: external, url: "${url}", keepalive: 120s }`,
    'queue: { path: queue.db }',
    'ports:',
    `  - { name: livingroom, path: "${ttyPath}", device: climate, idle_timeout: 0 }`,
    'log: { level: info }',
    '',
  ].join('\n');
}

const WATCHDOG_USEC = '2000000'; // pings every 1 s; stuck after 4 s without progress

describe('systemd notifications from the real daemon', () => {
  let dir: string;
  let broker: Mosquitto;
  let pty: PtyPair;
  let device: DeviceEnd;
  let gateway: GatewayProcess;
  let notify: NotifySocket;
  let brokerStopped = false;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-notify-'));
    broker = await startMosquitto();
    pty = await createPtyPair(dir);
    writeFileSync(join(dir, 'gateway.yaml'), gatewayYaml(broker.url, pty.gatewayPath));
    let output = (): string => '';
    notify = await notifySocket(join(dir, 'notify.sock'), () => output());
    gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')], {
      env: { NOTIFY_SOCKET: notify.path, WATCHDOG_USEC },
    });
    output = () => gateway.stdout() + gateway.stderr();
    device = await openDevice(pty.devicePath);
  });

  after(async () => {
    if (brokerStopped) process.kill(broker.pid, 'SIGCONT');
    await device?.close();
    await gateway?.kill('SIGKILL');
    await notify?.stop();
    await pty?.kill();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends READY=1 only after the queue is open and the port is open, with a STATUS line', async () => {
    const ready = await notify.waitFor((d) => d.fields['READY'] === '1');
    assert.equal(notify.datagrams.indexOf(ready), 0, 'READY=1 is the first notification');
    assert.match(ready.outputThen, /tty2mqtt running: 1 port\(s\)/);
    assert.match(ready.outputThen, /port livingroom: opened/);
    assert.match(ready.fields['STATUS'] ?? '', /^1\/1 ports open, queue 0, broker (connected|disconnected)$/);
    console.log(`READY=1 with STATUS=${ready.fields['STATUS']}`);
  });

  it('keeps sending WATCHDOG=1 while the gateway makes progress', async () => {
    await device.write('boot noise\ntemp=21.5,hum=40\n');
    const from = notify.datagrams.length;
    const start = Date.now();
    for (let i = 0; i < 4; i += 1)
      await notify.waitFor((d) => d.fields['WATCHDOG'] === '1', 10_000, from + i);
    const pings = notify.datagrams.slice(from).filter((d) => d.fields['WATCHDOG'] === '1');
    assert.ok(pings.length >= 4);
    console.log(`${pings.length} WATCHDOG=1 in ${Date.now() - start} ms (interval 2 s, pinging at 1 s)`);
    await notify.waitFor((d) => d.fields['STATUS'] === '1/1 ports open, queue 0, broker connected');
  });

  it('stops pinging when the broker stops acknowledging with messages in flight, and resumes', async () => {
    // SIGSTOP: Mosquitto keeps the TCP connection but answers nothing — no PUBACK.
    process.kill(broker.pid, 'SIGSTOP');
    brokerStopped = true;
    const stoppedAt = Date.now();
    await device.write('temp=22.5,hum=41\ntemp=23.5,hum=42\n');
    await gateway.waitForOutput('withholding watchdog pings', 20_000);
    const stall = await notify.waitFor(
      (d) => (d.fields['STATUS'] ?? '').startsWith('stalled: publisher'),
      10_000,
    );
    console.log(`stall seen ${stall.at - stoppedAt} ms after SIGSTOP: STATUS=${stall.fields['STATUS']}`);
    // From the stall on: no pings at all (2.5 watchdog intervals of silence would get it restarted).
    const from = notify.datagrams.indexOf(stall);
    await sleep(5000);
    const during = notify.datagrams.slice(from).filter((d) => d.fields['WATCHDOG'] === '1');
    assert.deepEqual(during, [], 'no WATCHDOG=1 while stalled');

    process.kill(broker.pid, 'SIGCONT');
    brokerStopped = false;
    const resumedFrom = notify.datagrams.length;
    const resumed = await notify.waitFor((d) => d.fields['WATCHDOG'] === '1', 15_000, resumedFrom);
    await gateway.waitForOutput('progress again: watchdog pings resume');
    console.log(`pings resumed ${resumed.at - stall.at} ms after the stall was reported`);
  });

  it('sends STOPPING=1 on SIGTERM and nothing after it', async () => {
    const from = notify.datagrams.length;
    const code = await gateway.kill('SIGTERM');
    assert.equal(code, 0);
    const stopping = await notify.waitFor((d) => d.fields['STOPPING'] === '1', 5000, from);
    assert.equal(stopping.fields['STATUS'], 'stopping');
    const after = notify.datagrams.slice(notify.datagrams.indexOf(stopping) + 1);
    assert.deepEqual(after, []);
  });
});

describe('systemd notifications that cannot be delivered', () => {
  it('are logged once and never stop the daemon', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-notify-'));
    const broker = await startMosquitto();
    const pty = await createPtyPair(dir);
    let gateway: GatewayProcess | undefined;
    try {
      writeFileSync(join(dir, 'gateway.yaml'), gatewayYaml(broker.url, pty.gatewayPath));
      gateway = startGateway(['run', '-c', join(dir, 'gateway.yaml')], {
        // Nobody listens there: every systemd-notify fails.
        env: { NOTIFY_SOCKET: join(dir, 'nobody.sock'), WATCHDOG_USEC: '1000000' },
      });
      await gateway.waitForOutput('systemd notification failed; continuing without', 30_000);
      await gateway.waitForOutput('connected to broker', 30_000);
      await sleep(3000); // six more failed pings
      const warnings = (gateway.stdout() + gateway.stderr()).split('systemd notification failed;').length - 1;
      assert.equal(warnings, 1);
      assert.equal(await gateway.kill('SIGTERM'), 0);
    } finally {
      await gateway?.kill('SIGKILL');
      await pty.kill();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
