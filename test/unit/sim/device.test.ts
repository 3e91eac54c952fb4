import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../helpers/fake-clock.ts';
import { profileSchema, type DeviceProfile } from '../../../src/config/schema.ts';
import { ACK_TIMEOUT_MS, MAX_BACKOFF_MS, MAX_INPUT_LINE, SimulatedDevice } from '../../../src/sim/device.ts';

const INTERVAL = 10_000;

const climate: DeviceProfile = profileSchema.parse({
  id: 'climate',
  interval: '10s',
  line: { format: 'kv', checksum: 'optional' },
  fields: {
    temperature: { key: 'temp', type: 'number', min: -40, max: 85 },
    humidity: { key: 'hum', type: 'number', min: 0, max: 100 },
  },
});

const meter: DeviceProfile = profileSchema.parse({
  id: 'meter',
  interval: '10s',
  line: { format: 'json', checksum: 'required', ack: true },
  fields: { power: { type: 'number', min: 0, max: 4000 } },
});

function setup(profile: DeviceProfile, extra: { nodeIds?: number[] } = {}) {
  const clock = new FakeClock();
  const sent: string[] = [];
  const written: string[] = [];
  const device = new SimulatedDevice({
    profile,
    write: (data) => {
      written.push(data);
    },
    scheduler: clock,
    rng: () => 0.5,
    onSend: (line) => sent.push(line),
    ...extra,
  });
  return { clock, sent, written, device };
}

const seqOf = (line: string | undefined): number => Number(/^#(\d+) /.exec(line ?? '')?.[1]);

void describe('SimulatedDevice', () => {
  void it('sends a warm-up line, a reading at once, then one per interval', async () => {
    const { clock, sent, written, device } = setup(climate);
    device.start();
    assert.equal(sent[0], '# tty2mqtt simulator climate');
    assert.match(sent[1] ?? '', /^temp=-?\d+(\.\d+)?,hum=\d+(\.\d+)?\*[0-9A-F]{2}$/);
    clock.advance(INTERVAL - 1);
    assert.equal(sent.length, 2);
    clock.advance(1);
    assert.equal(sent.length, 3);
    clock.advance(3 * INTERVAL);
    assert.equal(device.stats.readings, 5);
    await device.stop();
    assert.deepEqual(
      written,
      sent.map((line) => `${line}\n`),
      'writes are whole lines, in order',
    );
    assert.equal(clock.pending, 0, 'stop() clears every timer');
  });

  void it('counts command lines such as "LED on", split across chunks', () => {
    const { device } = setup(climate);
    device.onInput(Buffer.from('LED o'));
    device.onInput(Buffer.from('n\r\nLED off\n'));
    assert.equal(device.stats.commands, 2);
    assert.equal(device.lastCommand, 'LED off');
  });

  void it("answers a command the way the firmware does, so the profile's reply pattern acks it", async () => {
    const withLed = profileSchema.parse({
      ...climate,
      commands: {
        led: {
          payload: { type: 'enum', values: ['on', 'off'] },
          write: 'LED {value}',
          reply: { ok: '^OK LED (on|off)$' },
        },
      },
    });
    const { sent, device } = setup(withLed);
    device.onInput('LED on\nBOGUS\n');
    await device.stop();
    assert.ok(sent.includes('OK LED on'), sent.join(' | '));
    assert.ok(!sent.some((l) => l.includes('BOGUS')), 'an unknown command gets no OK');
  });

  void it(`drops an input line longer than ${MAX_INPUT_LINE} characters up to its newline`, () => {
    const { device } = setup(climate);
    device.onInput('x'.repeat(10_000));
    device.onInput('yyy\nLED on\n');
    assert.equal(device.stats.inputDiscarded, 1);
    assert.equal(device.stats.commands, 1);
    assert.equal(device.lastCommand, 'LED on');
  });

  void describe('ack profiles (at-least-once, like power-meter.ino)', () => {
    void it('starts at seq 0, resends the same line every 2 s until ACK, then moves to seq 1', () => {
      const { clock, sent, device } = setup(meter);
      device.start();
      const first = sent[1] ?? '';
      assert.match(first, /^#0 \{"power":[\d.]+\}\*[0-9A-F]{2}$/);
      clock.advance(ACK_TIMEOUT_MS - 1);
      assert.equal(sent.length, 2);
      clock.advance(1);
      assert.equal(sent[2], first, 'resent byte for byte');
      clock.advance(ACK_TIMEOUT_MS);
      assert.equal(sent[3], first);
      assert.equal(device.stats.resends, 2);
      device.onInput('ACK 0\n');
      assert.equal(device.stats.acked, 1);
      assert.ok(device.settled);
      clock.advance(INTERVAL);
      assert.equal(seqOf(sent.at(-1)), 1);
    });

    void it('takes no new reading while a line is unacknowledged', () => {
      const { clock, sent, device } = setup(meter);
      device.start();
      clock.advance(5 * INTERVAL);
      assert.equal(device.stats.readings, 1);
      assert.ok(sent.slice(1).every((line) => seqOf(line) === 0));
    });

    void it('ignores an ACK for another seq and a malformed ACK', () => {
      const { device } = setup(meter);
      device.start();
      device.onInput('ACK 5\nACK 0 extra\nACK\n');
      assert.equal(device.stats.acked, 0);
      assert.ok(!device.settled);
    });

    void it('NAK full: backs off (4, 8, 16, 30, 30 s) and resends; ACK resets the delay', () => {
      const { clock, sent, device } = setup(meter);
      device.start();
      const expected = [4000, 8000, 16_000, MAX_BACKOFF_MS, MAX_BACKOFF_MS];
      for (const delay of expected) {
        device.onInput('NAK 0 full\n');
        const before = sent.length;
        clock.advance(delay - 1);
        assert.equal(sent.length, before, `nothing before ${delay} ms`);
        clock.advance(1);
        assert.equal(sent.length, before + 1, `resent after ${delay} ms`);
        assert.equal(seqOf(sent.at(-1)), 0);
      }
      assert.equal(device.stats.nakFull, 5);
      device.onInput('ACK 0\n');
      clock.advance(INTERVAL); // next reading, seq 1
      const before = sent.length;
      clock.advance(ACK_TIMEOUT_MS);
      assert.equal(sent.length, before + 1, 'back to the 2 s resend');
    });

    void it('NAK with another reason: drops the line, the next reading gets the next seq', () => {
      const { clock, sent, device } = setup(meter);
      device.start();
      device.onInput('NAK 0 checksum\n');
      assert.equal(device.stats.nakDropped, 1);
      assert.ok(device.settled);
      clock.advance(ACK_TIMEOUT_MS * 3);
      assert.equal(sent.length, 2, 'a dropped line is never resent');
      clock.advance(INTERVAL);
      assert.equal(seqOf(sent.at(-1)), 1);
    });

    void it('wraps from 65535 to 1, never to 0', () => {
      const { clock, sent, device } = setup(meter);
      device.start();
      for (let seq = 0; seq <= 65535; seq++) {
        assert.equal(seqOf(sent.at(-1)), seq);
        device.onInput(`ACK ${seq}\n`);
        clock.advance(INTERVAL);
      }
      assert.equal(seqOf(sent.at(-1)), 1);
    });

    void it('mysensors readings go out one line at a time, each with its own seq', () => {
      const radio = profileSchema.parse({
        id: 'radio',
        line: { format: 'mysensors', ack: true },
        fields: { t: { key: '1/V_TEMP', type: 'number' }, h: { key: '2/V_HUM', type: 'number' } },
      });
      const { sent, device } = setup(radio, { nodeIds: [12, 13] });
      device.start();
      assert.equal(sent[0], '0;255;3;0;14;Gateway startup complete.');
      const lines: string[] = [];
      for (let seq = 0; seq < 4; seq++) {
        const line = sent.at(-1) ?? '';
        assert.equal(seqOf(line), seq);
        lines.push(line.replace(/^#\d+ /, ''));
        device.onInput(`ACK ${seq}\n`);
      }
      assert.ok(device.settled);
      assert.deepEqual(
        lines.map((l) => l.split(';').slice(0, 5).join(';')),
        ['12;1;1;0;0', '12;2;1;0;1', '13;1;1;0;0', '13;2;1;0;1'],
      );
    });
  });

  void it('mysensors controller mode without fixed fields: static nodes present, report, re-present and obey', () => {
    const radio = profileSchema.parse({
      id: 'radio',
      interval: '10s',
      line: { format: 'mysensors' },
      mysensors: { controller: true },
    });
    const { clock, sent, device } = setup(radio, { nodeIds: [12, 13] });
    device.start();
    const presentation = [
      '12;255;0;0;17;2.3.2',
      '12;255;3;0;11;Room Node',
      '12;255;3;0;12;1.0',
      '12;1;0;0;6;Temperature',
      '12;2;0;0;7;Humidity',
      '12;3;0;0;3;Light',
    ];
    assert.deepEqual(sent.slice(0, 7), ['0;255;3;0;14;Gateway startup complete.', ...presentation]);
    assert.ok(sent.includes('13;3;0;0;3;Light'));
    // A reading of every presented child of both nodes, then the auto node's id request.
    const reports = (from: number): string[] =>
      sent.slice(from).filter((l) => /^1[23];[123];1;0;[012];/.test(l));
    assert.deepEqual(
      reports(0).map((l) => l.split(';').slice(0, 5).join(';')),
      ['12;1;1;0;0', '12;2;1;0;1', '12;3;1;0;2', '13;1;1;0;0', '13;2;1;0;1', '13;3;1;0;2'],
    );
    assert.ok(
      reports(0).every((l) => /;-?\d+(\.\d)?$/.test(l)),
      reports(0).join(' | '),
    );
    // The controller asks node 13 to present again (I_PRESENTATION): only node 13 does.
    let from = sent.length;
    device.onInput('13;255;3;0;19;\n');
    assert.deepEqual(
      sent.slice(from),
      presentation.map((l) => l.replace(/^12;/, '13;')),
    );
    // A generic command to node 12's light: the echo (ack 1), then the new state.
    from = sent.length;
    device.onInput('12;3;1;1;2;1\n');
    assert.deepEqual(sent.slice(from), ['12;3;1;1;2;1', '12;3;1;0;2;1']);
    assert.equal(device.roomNodes[0]?.state, '1');
    from = sent.length;
    clock.advance(INTERVAL);
    assert.ok(reports(from).includes('12;3;1;0;2;1') && reports(from).includes('13;3;1;0;2;0'));
    console.log(`# ${sent.length} lines, e.g. ${reports(0)[0] ?? ''}`);
  });

  void it('refuses a profile it cannot play', () => {
    const regex = profileSchema.parse({ id: 'r', line: { format: 'regex', pattern: '(?<t>\\d+)' } });
    assert.throws(
      () => new SimulatedDevice({ profile: regex, write: () => undefined }),
      /cannot be simulated/,
    );
  });
});
