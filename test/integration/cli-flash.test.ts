// `tty2mqtt flash` against the real daemon on the real embedded broker, with the optiboot
// model (test/helpers/fake-optiboot.ts) on the device end of a socat pty as the board: the
// CLI checks the image, the daemon holds the port, programs it with the built-in STK500v1
// programmer and reopens it. Who may ask is the embedded broker's ACL (docs/firmware.md
// "Who may flash"): a login without publish rights on gateway/request/flash is refused and
// nothing touches the port.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseIntelHex } from '../../src/firmware/intel-hex.ts';
import { REPO_ROOT, runCli, startGateway } from '../helpers/gateway-process.ts';
import type { GatewayProcess } from '../helpers/gateway-process.ts';
import { serveFakeOptiboot } from '../helpers/fake-optiboot.ts';
import type { FakeOnPty } from '../helpers/fake-optiboot.ts';
import { freePort } from '../helpers/ports.ts';
import { createPtyPair } from '../helpers/socat.ts';
import type { PtyPair } from '../helpers/socat.ts';

const HEX = join(REPO_ROOT, 'test', 'fixtures', 'firmware', 'soil-csv.hex');
const ELF = join(REPO_ROOT, 'test', 'fixtures', 'firmware', 'soil-csv.elf');

void describe('tty2mqtt flash through the daemon on the embedded broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-cli-flash-'));
  const config = join(dir, 'gateway.yaml');
  let pair: PtyPair;
  let board: FakeOnPty;
  let gateway: GatewayProcess;

  const flash = (args: string[], timeoutMs = 60_000) =>
    runCli(['flash', ...args, '-c', config], { timeoutMs });

  before(async () => {
    pair = await createPtyPair(dir, { device: 'board', gateway: 'port' });
    board = serveFakeOptiboot(pair.devicePath);
    const port = await freePort();
    for (const [user, password] of [
      ['admin', 'admin pass'],
      ['viewer', 'viewer pass'],
    ] as const) {
      writeFileSync(join(dir, `${user}.secret`), `${password}\n`);
      chmodSync(join(dir, `${user}.secret`), 0o600);
    }
    writeFileSync(
      config,
      [
        'version: 1',
        'gateway: { id: bench, base_topic: lab }',
        'mqtt: { broker: embedded }',
        `embedded_broker:`,
        `  listen: 127.0.0.1:${port}`,
        '  users: [{ username: admin, password_file: admin.secret }, { username: viewer, password_file: viewer.secret }]',
        '  acl:',
        '    - { username: admin, publish: ["lab/#"], subscribe: ["lab/#"] }',
        '    - { username: viewer, publish: [], subscribe: ["lab/#"] }',
        `queue: { path: "${join(dir, 'queue.db')}" }`,
        'flash: { allow: true, programmer: builtin }',
        'ports:',
        `  - { name: bench, path: "${pair.gatewayPath}", device: soil-csv, idle_timeout: 0 }`,
        '',
      ].join('\n'),
    );
    gateway = startGateway(['run', '-c', config]);
    await gateway.waitForOutput('tty2mqtt running', 20_000);
    await gateway.waitForOutput(`port bench: opened ${pair.gatewayPath}`, 20_000);
  });

  after(async () => {
    await gateway?.kill('SIGKILL');
    await board?.close();
    await pair?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('a login the ACL does not let publish the request is refused; the port is not touched', async () => {
    const result = await flash([
      'bench',
      HEX,
      '--username',
      'viewer',
      '--password-file',
      join(dir, 'viewer.secret'),
    ]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      /^tty2mqtt: TTY2MQTT_REQUEST_FAILED: the broker closed the connection: may this login publish on lab\/gateway\/request\/flash\? \(its ACL\)$/m,
    );
    assert.doesNotMatch(gateway.stdout() + gateway.stderr(), /flashing|held|closed until released/);
    assert.deepEqual(board.fake.commands, [], 'the board heard nothing');
  });

  void it('an image that does not fit is refused by the CLI before anything is sent', async () => {
    const big = join(dir, 'big.hex');
    // One data record at 0x7E00: the first byte of the bootloader.
    writeFileSync(big, ':017E00008100\n:00000001FF\n');
    const result = await flash([
      'bench',
      big,
      '--username',
      'admin',
      '--password-file',
      join(dir, 'admin.secret'),
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /0x7E00, 1 byte past the application area/);
    assert.doesNotMatch(result.stdout, /sending/);
  });

  void it('the admin flashes the ELF: written, verified, the port read again', async () => {
    const result = await flash([
      'bench',
      ELF,
      '--username',
      'admin',
      '--password-file',
      join(dir, 'admin.secret'),
    ]);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}\n${gateway.stdout()}`);
    const image = parseIntelHex(readFileSync(HEX));
    assert.match(
      result.stdout,
      new RegExp(
        `^flashed ${image.size} bytes to port bench \\(atmega328p, signature 1E 95 0F\\) in [\\d.]+ s with builtin stk500v1, verified$`,
        'm',
      ),
    );
    assert.match(result.stdout, /^port bench was closed for [\d.]+ s and is read again$/m);
    // The model's flash holds the image the ELF loads (the same as its HEX).
    for (const segment of image.segments)
      assert.deepEqual(
        board.fake.flash.subarray(segment.address, segment.address + segment.bytes.length),
        segment.bytes,
      );
    await gateway.waitForOutput(`port bench: released; reopening ${pair.gatewayPath}`);
    await gateway.waitForOutput(
      /port bench: opened .* at 115200 baud[^]*port bench: opened .* at 115200 baud/,
    );
  });
});
