// `tty2mqtt try` as a child process on the shipped profiles: what it prints for accepted,
// dropped-field and refused lines, --json from stdin, and its exit codes (0, 2, 1, 78).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/gateway-process.ts';

describe('tty2mqtt try', () => {
  it('climate: accepted lines exit 0 with every topic, payload, QoS and retain', async () => {
    const result = await runCli([
      'try',
      'climate',
      'temp=23.5,hum=40.2*52',
      '--port',
      'livingroom',
      '--base',
      'iot/home1',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /publish {2}iot\/home1\/livingroom\/temperature {2}23\.5 {2}\(qos 1, retained\)\n/,
    );
    assert.match(
      result.stdout,
      /publish {2}iot\/home1\/livingroom\/humidity {2}40\.2 {2}\(qos 1, retained\)\n/,
    );
    assert.match(result.stderr, /nothing is opened or published/);
  });

  it('soil-csv: a dropped field is shown, a refused line names its reason, and the exit code is 2', async () => {
    const result = await runCli(['try', 'devices/soil-csv', '41.7,2000,3.9', '41.7;612']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stdout, /"raw": "2000" {2}DROPPED: 2000 is above max 1023\n/);
    assert.match(result.stdout, /= accepted: 2 messages, 1 field dropped\n/);
    assert.match(
      result.stdout,
      /> 41\.7;612\n {2}= REFUSED: parse_error: expected 3 values separated by ",", got 1\n/,
    );
    assert.match(result.stderr, /TTY2MQTT_LINES_REFUSED: 1 of 2 lines would be refused/);
  });

  it('power-meter --json from stdin: ACK, a resend not published twice, NAK on a bad checksum', async () => {
    const line = '#3 {"power":5}*';
    const sum = [...Buffer.from('#3 {"power":5}')]
      .reduce((x, b) => x ^ b, 0)
      .toString(16)
      .toUpperCase()
      .padStart(2, '0');
    const input = `${line}${sum}\n${line}${sum}\n#4 {"power":5}*00\n`;
    const result = await runCli(['try', 'power-meter', '--json'], { stdin: input });
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => [l['seq'], l['outcome'], l['replies']]),
      [
        [3, 'published', ['ACK 3']],
        [3, 'duplicate', ['ACK 3']],
        [4, 'refused', ['NAK 4 checksum']],
      ],
    );
  });

  it('usage errors exit 1 (MQTT-SN profile, no profile); an unknown profile exits 78', async () => {
    const sn = await runCli(['try', 'sn-weather', 'x']);
    assert.equal(sn.code, 1);
    assert.match(sn.stderr, /MQTT-SN .*try takes text lines/);
    assert.equal((await runCli(['try'])).code, 1);
    const unknown = await runCli(['try', 'nope', 'x']);
    assert.equal(unknown.code, 78);
    assert.match(unknown.stderr, /no device profile "nope"/);
  });
});
