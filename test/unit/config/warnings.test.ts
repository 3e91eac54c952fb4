// One list of a valid configuration's warnings for `check` and `run` (src/config/warnings.ts):
// every source is in it, in check's order, and only the loader's carry a position.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadedConfig } from '../../../src/config/load.ts';
import { configurationWarnings } from '../../../src/config/warnings.ts';

type Input = Parameters<typeof configurationWarnings>[0];

function loaded(broker: 'embedded' | 'external'): Input {
  // Only what the three checks read; the rest of a real LoadedConfig does not matter here.
  return {
    warnings: [
      {
        file: '/etc/tty2mqtt/gateway.yaml',
        line: 7,
        col: 11,
        path: 'ports[0].path',
        message: 'port "meter": /dev/ttyACM9 does not exist (a board may be unplugged)',
        severity: 'warning',
      },
    ],
    config: {
      mqtt: { broker },
      embedded_broker: { websocket: { port: 9001 }, users: [] },
      ports: [{ name: 'meter', device: 'every3s', idle_timeout: 2000 }],
    },
    profiles: new Map([['every3s', { id: 'every3s', statedIntervalMs: 3000 }]]),
  } as unknown as Pick<LoadedConfig, 'config' | 'profiles' | 'warnings'>;
}

void describe('configurationWarnings', () => {
  void it('lists the loader’s, the embedded broker’s and the port timing’s, in that order', () => {
    const list = configurationWarnings(loaded('embedded'));
    assert.deepEqual(
      list.map((w) => w.from),
      ['file', 'embedded_broker', 'port_timing'],
    );
    assert.deepEqual(list[0]?.at, {
      file: '/etc/tty2mqtt/gateway.yaml',
      line: 7,
      col: 11,
      path: 'ports[0].path',
    });
    assert.match(list[0]?.message ?? '', /ttyACM9 does not exist/);
    assert.match(list[1]?.message ?? '', /websocket is on without embedded_broker\.users/);
    assert.match(
      list[2]?.message ?? '',
      /idle_timeout 2 ?s is shorter than the interval of profile "every3s"/,
    );
    assert.equal(list[1]?.at, undefined);
    assert.equal(list[2]?.at, undefined);
  });

  void it('has no broker warning for an external broker', () => {
    assert.deepEqual(
      configurationWarnings(loaded('external')).map((w) => w.from),
      ['file', 'port_timing'],
    );
  });
});
