// `tty2mqtt simulate` on a real pty pair: runSimulate() opens one socat end with the real
// serialport bindings, the test reads the other end as the gateway would, answers ACKs, and
// checks every line goes through the gateway's own envelope, decoder and validation.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { profileSchema, type DeviceProfile } from '../../src/config/schema.ts';
import { ErrorCodes, isGatewayError } from '../../src/errors.ts';
import { createDecoder } from '../../src/line/decoder.ts';
import { parseEnvelope } from '../../src/line/envelope.ts';
import { compileFields, validateValues } from '../../src/pipeline/validate.ts';
import { runSimulate } from '../../src/sim/simulate-command.ts';
import { createPtyPair, openDeviceEnd, type DeviceEnd, type PtyPair } from '../helpers/socat.ts';

const DEVICES = join(import.meta.dirname, '..', '..', 'devices');

async function loadProfile(id: string): Promise<DeviceProfile> {
  return profileSchema.parse(parse(await readFile(join(DEVICES, id, 'profile.yaml'), 'utf8')));
}

/** Asserts that one line is a complete, valid reading for the profile; returns its seq. */
function assertReading(profile: DeviceProfile, line: string): number | null {
  const spec = profile.line!;
  const envelope = parseEnvelope(line, spec);
  assert.ok(envelope.ok, `${line}: ${envelope.ok ? '' : envelope.detail}`);
  const decoded = createDecoder(spec)(envelope.body);
  assert.equal(decoded.ok, true, `${line}: ${JSON.stringify(decoded)}`);
  if (decoded.ok !== true) return null;
  const result = validateValues(compileFields(profile.fields), decoded.values);
  assert.deepEqual(result.rejected, [], line);
  assert.deepEqual(result.unknownKeys, [], line);
  return envelope.seq;
}

function linesOf(end: DeviceEnd): string[] {
  return end.received().toString('utf8').split('\n').slice(0, -1);
}

void describe('runSimulate on a socat pty pair', { timeout: 60_000 }, () => {
  let dir: string;
  let pair: PtyPair;
  let gateway: DeviceEnd;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tty2mqtt-sim-'));
    pair = await createPtyPair(dir);
    gateway = await openDeviceEnd(pair.gatewayPath);
  });

  after(async () => {
    await gateway?.close();
    await pair?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  void it('climate: a warm-up line, then `count` kv readings with checksums, then it returns', async () => {
    const profile = await loadProfile('climate');
    const out: string[] = [];
    const start = gateway.received().length;
    await runSimulate({
      profile,
      path: pair.devicePath,
      baudRate: 115200,
      intervalMs: 50,
      count: 3,
      signal: new AbortController().signal,
      out: (line) => out.push(line),
    });
    // runSimulate drained its writes before closing; wait (generously) for the reader side.
    const received = (): string[] =>
      gateway.received().subarray(start).toString('utf8').split('\n').slice(0, -1);
    for (let i = 0; received().length < 4; i++) {
      assert.ok(i < 500, `only ${JSON.stringify(received())} within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const lines = received();
    assert.equal(lines[0], '# tty2mqtt simulator climate');
    assert.equal(lines.length, 4, JSON.stringify(lines));
    for (const line of lines.slice(1)) {
      assert.match(line, /\*[0-9A-F]{2}$/);
      assertReading(profile, line);
    }
    assert.deepEqual(
      out,
      lines.map((line) => `> ${line}`),
    );
  });

  void it('power-meter: resends until ACK, moves to the next seq, returns once all are acknowledged', async () => {
    const profile = await loadProfile('power-meter');
    const out: string[] = [];
    const start = linesOf(gateway).length;
    const run = runSimulate({
      profile,
      path: pair.devicePath,
      baudRate: 115200,
      intervalMs: 50,
      count: 2,
      signal: new AbortController().signal,
      out: (line) => out.push(line),
    });
    // seq 0: let it go unanswered until the device resends it (2 s), then ACK it.
    const seq0 = (): string[] =>
      linesOf(gateway)
        .slice(start)
        .filter((l) => l.startsWith('#0 '));
    for (let i = 0; seq0().length < 2; i++) {
      assert.ok(i < 500, 'no resend of #0 within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [first, resent] = seq0();
    assert.equal(resent, first, 'the resend is byte for byte the same line');
    assert.equal(assertReading(profile, first!), 0);
    await gateway.write('ACK 0\n');
    await gateway.waitFor('\n#1 ', 10_000);
    const line1 = linesOf(gateway).find((l) => l.startsWith('#1 '))!;
    assert.equal(assertReading(profile, line1), 1);
    await gateway.write('ACK 1\n');
    await run;
    assert.ok(out.includes('< ACK 0') && out.includes('< ACK 1'), JSON.stringify(out));
    assert.ok(out.includes(`> ${line1}`));
  });

  void it('stops when the signal aborts', async () => {
    const profile = await loadProfile('mysensors-gateway');
    const controller = new AbortController();
    const out: string[] = [];
    const run = runSimulate({
      profile,
      path: pair.devicePath,
      baudRate: 115200,
      intervalMs: 20,
      nodeIds: [12, 13],
      signal: controller.signal,
      out: (line) => {
        out.push(line);
        // 1 startup line, 2 × 6 presentation lines, then readings: stop after a few.
        if (out.length === 25) controller.abort();
      },
    });
    await run;
    assert.ok(out.length >= 25);
    assert.equal(out[0], '> 0;255;3;0;14;Gateway startup complete.');
    // Controller mode without fixed fields: the static nodes present first (node, sketch
    // name and version, children 1-3), then report those children; the node without an id
    // asks for one (no controller answers here).
    assert.equal(out[1], '> 12;255;0;0;17;2.3.2');
    assert.ok(out.includes('> 12;1;0;0;6;Temperature'), out.join(' | '));
    const readings = out.slice(1).filter((l) => / 1[23];[123];1;0;/.test(l));
    assert.ok(readings.length > 0, out.join(' | '));
    for (const line of out.slice(1).filter((l) => l !== '> 255;255;3;0;3;')) {
      assert.match(line, /^> 1[23];(255;[03];0;(17|11|12);|[123];0;0;[367];|[123];1;0;[012];-?\d)/);
      if (readings.includes(line)) assert.equal(createDecoder(profile.line!)(line.slice(2)).ok, true, line);
    }
  });

  void it('a missing tty is a clear PORT_OPEN_FAILED error', async () => {
    const path = join(dir, 'no-such-tty');
    await assert.rejects(
      runSimulate({
        profile: await loadProfile('climate'),
        path,
        baudRate: 115200,
        signal: new AbortController().signal,
        out: () => undefined,
      }),
      (error: unknown) => isGatewayError(error, ErrorCodes.PORT_OPEN_FAILED) && error.message.includes(path),
    );
  });
});
