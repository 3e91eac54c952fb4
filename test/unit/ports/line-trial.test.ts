// ports/line-trial.ts: lines through the daemon's steps without a port, each line's end
// reported — accepted, refused with its reason, fields dropped, checksum and #seq, MySensors.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadProfileById } from '../../../src/config/profiles.ts';
import { formatEnvelope } from '../../../src/line/envelope.ts';
import { createLineTrial } from '../../../src/ports/line-trial.ts';
import type { TrialLine } from '../../../src/ports/line-trial.ts';
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DEVICES = fileURLToPath(new URL('../../../devices', import.meta.url));

async function trialOf(id: string, port = 'den') {
  const profile = await loadProfileById(id, [DEVICES], REPO_ROOT);
  return createLineTrial({ port: { name: port, vars: {} }, profile, base: 'iot/home1', gatewayId: 'pi' });
}

async function run(id: string, input: string): Promise<TrialLine[]> {
  const trial = await trialOf(id);
  return [...(await trial.push(Buffer.from(input))), ...(await trial.end())];
}

describe('line trial', () => {
  it('an accepted kv line: each field with its wire text and value, each message with QoS and retain', async () => {
    const [line] = await run('climate', `${formatEnvelope('temp=23.5,hum=40.2', { checksum: true })}\n`);
    assert.ok(line);
    assert.equal(line.outcome, 'published');
    assert.deepEqual(line.fields, [
      { field: 'temperature', key: 'temp', status: 'ok', raw: '23.5', value: 23.5, steps: [] },
      { field: 'humidity', key: 'hum', status: 'ok', raw: '40.2', value: 40.2, steps: [] },
    ]);
    assert.deepEqual(line.messages, [
      { topic: 'iot/home1/den/temperature', payload: '23.5', qos: 1, retain: true },
      { topic: 'iot/home1/den/humidity', payload: '40.2', qos: 1, retain: true },
    ]);
    assert.deepEqual(line.replies, []);
  });

  it('a field out of range is dropped with its reason and the rest is published', async () => {
    const [line] = await run('soil-csv', '41.7,2000,3.9\n');
    assert.ok(line);
    assert.equal(line.outcome, 'published');
    assert.deepEqual(line.fields[1], {
      field: 'raw',
      key: 'raw',
      status: 'dropped',
      raw: '2000',
      reason: '2000 is above max 1023',
      steps: [],
    });
    assert.deepEqual(
      line.messages.map((m) => m.topic),
      ['iot/home1/den/moisture', 'iot/home1/den/battery'],
    );
  });

  it('a line whose every field fails is refused as no_valid_fields, naming the field', async () => {
    const [line] = await run('climate', 'temp=abc\n');
    assert.ok(line);
    assert.equal(line.outcome, 'refused');
    assert.equal(line.reason, 'no_valid_fields');
    assert.equal(line.detail, 'temperature: "abc" is not a number');
    assert.equal(line.fields[1]?.status, 'absent');
    assert.deepEqual(line.messages, []);
  });

  it('undeclared keys are listed; parse errors and bad checksums are refused with the reason', async () => {
    const lines = await run('climate', 'temp=20,wind=3\nhello\ntemp=21*00\n');
    assert.deepEqual(lines[0]?.unknownKeys, ['wind']);
    assert.equal(lines[0]?.outcome, 'published');
    assert.equal(lines[1]?.reason, 'parse_error');
    assert.equal(lines[2]?.reason, 'checksum_mismatch');
    assert.match(lines[2]?.detail ?? '', /says \*00 but its bytes give \*[0-9A-F]{2}/);
  });

  it('#seq: ACK once queued, a resend ACKed again and not published twice, NAK <seq> on a bad checksum', async () => {
    const body = '{"power":123.4,"voltage":230.1}';
    const first = formatEnvelope(body, { seq: 7, checksum: true });
    const lines = await run('power-meter', `${first}\n${first}\n#8 ${body}*00\n${body}\n`);
    assert.deepEqual(
      lines.map((l) => [l.seq, l.outcome, l.reason, l.replies]),
      [
        [7, 'published', null, ['ACK 7']],
        [7, 'duplicate', null, ['ACK 7']],
        [8, 'refused', 'checksum_mismatch', ['NAK 8 checksum']],
        [null, 'refused', 'checksum_missing', []],
      ],
    );
    assert.deepEqual(lines[0]?.messages, [
      { topic: 'iot/home1/den', payload: '{"power":123.4,"voltage":230.1}', qos: 1, retain: true },
    ]);
  });

  it("the framer's limits: an overlong line (max_bytes), an empty line; a last line without newline is taken at the end", async () => {
    const lines = await run('soil-csv', `${'1'.repeat(65)}\n\n41.7,612,3.91`);
    assert.deepEqual(
      lines.map((l) => [l.text, l.outcome, l.reason]),
      [
        [null, 'refused', 'overlong'],
        ['', 'refused', 'empty'],
        ['41.7,612,3.91', 'published', null],
      ],
    );
    assert.equal(lines[0]?.detail, '65 bytes, longer than line.max_bytes 64');
  });

  it('a line split across chunks is one line; CRLF is accepted', async () => {
    const trial = await trialOf('soil-csv');
    assert.deepEqual(await trial.push(Buffer.from('41.7,6')), []);
    const lines = await trial.push(Buffer.from('12,3.91\r\n'));
    assert.equal(lines[0]?.outcome, 'published');
    assert.equal(lines[0]?.text, '41.7,612,3.91');
  });

  it('MySensors controller: a child is published generically once presented; internal messages are ignored', async () => {
    const lines = await run('mysensors-gateway', '12;1;0;0;6;\n12;1;1;0;0;21.5\n');
    assert.deepEqual(
      lines.map((l) => l.outcome),
      ['ignored', 'published'],
    );
    assert.deepEqual(lines[1]?.messages, [
      { topic: 'iot/home1/den/12/1/V_TEMP', payload: '21.5', qos: 1, retain: true },
    ]);
  });

  it('an MQTT-SN profile is refused: it has no text lines', async () => {
    await assert.rejects(trialOf('sn-weather'), /speaks mqttsn, not text lines/);
  });
});
