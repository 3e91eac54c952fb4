// `tty2mqtt try` through tryCommand with a fake CommandContext: lines from arguments or stdin,
// the human and --json forms, a profile by id or by path, and the verdict (LINES_REFUSED → exit 2).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import type { CommandContext } from '../../../src/cli/context.ts';
import { tryCommand } from '../../../src/cli/try.ts';
import { ErrorCodes, isGatewayError } from '../../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'tty2mqtt-try-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Ran {
  /** 0, or the code of the GatewayError the command threw. */
  result: number | string;
  out: string;
  err: string;
}

async function run(
  positionals: string[],
  args: CommandContext['args'] = {},
  stdinText?: string,
): Promise<Ran> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  stdin.end(stdinText ?? '');
  let result: number | string;
  try {
    result = await tryCommand({
      args,
      positionals,
      cwd: dir,
      env: {},
      stdin,
      stdout,
      stderr,
      isTTY: false,
      pid: process.pid,
      node: { path: process.execPath, version: process.version },
      signal: new AbortController().signal,
    });
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    result = error.code;
    err += error.message;
  }
  return { result, out, err };
}

describe('tty2mqtt try', () => {
  it('all lines accepted: 0, every field and message shown with QoS and retain', async () => {
    const { result, out } = await run(['climate', 'temp=23.5,hum=40.2*52'], {
      port: 'livingroom',
      base: 'iot/home1',
    });
    assert.equal(result, 0);
    assert.equal(
      out,
      '> temp=23.5,hum=40.2*52\n' +
        '  field    temperature  "temp": "23.5" → 23.5\n' +
        '  field    humidity     "hum": "40.2" → 40.2\n' +
        '  publish  iot/home1/livingroom/temperature  23.5  (qos 1, retained)\n' +
        '  publish  iot/home1/livingroom/humidity  40.2  (qos 1, retained)\n' +
        '  = accepted: 2 messages\n',
    );
  });

  it('a dropped field is shown with its reason and does not refuse the line', async () => {
    const { result, out } = await run(['climate', 'temp=99,hum=40']);
    assert.equal(result, 0);
    assert.match(out, /field {4}temperature {2}"temp": "99" {2}DROPPED: 99 is above max 85\n/);
    assert.match(out, /publish {2}tty2mqtt\/try\/humidity {2}40 {2}\(qos 1, retained\)\n/);
    assert.match(out, /= accepted: 1 message, 1 field dropped\n/);
  });

  it('a refused line: its reason, every line still reported, then LINES_REFUSED (exit 2)', async () => {
    const { result, out } = await run(['climate', 'hello', 'temp=20']);
    assert.equal(result, ErrorCodes.LINES_REFUSED);
    assert.match(out, /> hello\n {2}= REFUSED: parse_error: "hello" is not a key=value pair\n/);
    assert.match(out, /> temp=20\n[^]*= accepted: 1 message\n/);
  });

  it('--json: one object per line with outcome, reason, fields (raw and value) and messages', async () => {
    const { result, out } = await run(['soil-csv', '41.7,2000,3.9', 'x'], { json: true, port: 'garden' });
    assert.equal(result, ErrorCodes.LINES_REFUSED);
    const lines = out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[0], {
      line: '41.7,2000,3.9',
      bytes: 13,
      seq: null,
      outcome: 'published',
      accepted: true,
      reason: null,
      detail: null,
      fields: [
        {
          field: 'moisture',
          key: 'moisture',
          status: 'ok',
          raw: '41.7',
          value: 41.7,
          reason: null,
          steps: [],
        },
        {
          field: 'raw',
          key: 'raw',
          status: 'dropped',
          raw: '2000',
          value: null,
          reason: '2000 is above max 1023',
          steps: [],
        },
        { field: 'battery', key: 'battery', status: 'ok', raw: '3.9', value: 3.9, reason: null, steps: [] },
      ],
      unknown_keys: [],
      messages: [
        { topic: 'tty2mqtt/garden/moisture', payload: '41.7', qos: 0, retain: true },
        { topic: 'tty2mqtt/garden/battery', payload: '3.9', qos: 0, retain: true },
      ],
      replies: [],
    });
    assert.equal(lines[1]?.['accepted'], false);
    assert.equal(lines[1]?.['reason'], 'parse_error');
  });

  it('no LINE arguments: lines are read from stdin, one per line', async () => {
    const { result, out } = await run(['soil-csv'], { json: true }, '41.7,612,3.91\n40,600,3.8\n');
    assert.equal(result, 0);
    const lines = out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: string; outcome: string });
    assert.deepEqual(
      lines.map((l) => [l.line, l.outcome]),
      [
        ['41.7,612,3.91', 'published'],
        ['40,600,3.8', 'published'],
      ],
    );
  });

  it('a profile by path (profile.yaml or its folder); an MQTT-SN profile is a usage error', async () => {
    const profileDir = join(dir, 'mine', 'thermo');
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(
      join(profileDir, 'profile.yaml'),
      'id: thermo\nline: { format: regex, pattern: "^T(?<t>-?\\\\d+)$" }\nfields:\n  t: { type: integer, min: -50, max: 50 }\npublish: { topic: "{port}/{gateway}/{field}", qos: 0, retain: false }\n',
    );
    for (const path of ['mine/thermo', './mine/thermo/profile.yaml']) {
      const { result, out, err } = await run([path, 'T21'], { gateway: 'pi' });
      assert.equal(result, 0, err);
      assert.match(out, /publish {2}tty2mqtt\/try\/pi\/t {2}21 {2}\(qos 0\)\n/);
    }
    const sn = await run(['sn-weather', 'x']);
    assert.equal(sn.result, ErrorCodes.USAGE);
  });

  it('a field with transform steps: each step with the value it gave, in both forms', async () => {
    const profileDir = join(dir, 'mine', 'fahrenheit');
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(
      join(profileDir, 'profile.yaml'),
      [
        'id: fahrenheit',
        'line: { format: csv, columns: [t] }',
        'fields:',
        '  t: { type: number, number_format: lenient, min: -40, max: 60, unit: "°C",',
        '       transform: [{ convert: { from: "°F", to: "°C" } }, { round: 1 }] }',
        'publish: { topic: "{port}/{field}", qos: 0, retain: false }',
      ].join('\n'),
    );
    const { result, out, err } = await run(['mine/fahrenheit', '+ 70.7 °F', '200 °F']);
    assert.equal(result, ErrorCodes.LINES_REFUSED, err);
    // 70.7 °F = 21.5 °C; 200 °F = 93.3 °C is above max 60 and the field (the line) is refused.
    assert.match(out, /"t": "\+ 70\.7 °F" → 21\.5\n +convert °F → °C → 21\.5\d*\n +round 1 → 21\.5\n/);
    assert.match(
      out,
      /"t": "200 °F" {2}DROPPED: .*above max 60.*\n +convert °F → °C → 93\.3\d*\n +round 1 → 93\.3\n/,
    );
    const json = await run(['mine/fahrenheit', '70.7 °F'], { json: true });
    const line = JSON.parse(json.out.trim()) as { fields: { steps: { step: string; value: number }[] }[] };
    assert.deepEqual(
      line.fields[0]?.steps.map((s) => s.step),
      ['convert °F → °C', 'round 1'],
    );
    assert.equal(line.fields[0]?.steps[1]?.value, 21.5);
  });

  it('an unknown profile id is a configuration error naming the available ones', async () => {
    const { result, err } = await run(['nope', 'x']);
    assert.equal(result, ErrorCodes.CONFIG_INVALID);
    assert.match(err, /no device profile "nope".*available: .*climate/);
  });
});
