// `check` says everything in one run (docs/contract.md §1): a broken profile's type errors,
// cross-key rules, folder name, placeholders and Home Assistant classes together, in position
// order; a broken profile hides nothing in another one or in gateway.yaml; two ports on one
// device are an error; a port path that is not there is a warning.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.ts';
import type { LoadedConfig } from '../../../src/config/load.ts';
import { ConfigError, formatProblem } from '../../../src/errors.ts';
import { BROKEN_METER_PROFILE } from '../../helpers/broken-profile.ts';

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tty2mqtt-one-run-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function write(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
}

function load(dir: string): Promise<LoadedConfig> {
  return loadConfig({
    file: 'gateway.yaml',
    cwd: dir,
    env: {},
    shippedDevicesDir: join(dir, 'none'),
    hostname: 'h',
  });
}

/** The ConfigError's problems and warnings as `check` prints them. */
async function refused(dir: string): Promise<{ problems: string[]; warnings: string[] }> {
  try {
    await load(dir);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return { problems: e.problems.map(formatProblem), warnings: e.warnings.map(formatProblem) };
  }
  assert.fail('the configuration loaded, but problems were expected');
}

const gateway = (ports: string[]): string =>
  ['version: 1', 'devices_dir: ./devices', 'ports:', ...ports].join('\n') + '\n';

void describe('one run of check', () => {
  void it('reports a type error, min > max, a wrong id, a misspelt placeholder and a Home Assistant class typo of one profile together, in position order', async () => {
    await withDir(async (dir) => {
      await write(dir, {
        'gateway.yaml': gateway([`  - { name: a, path: ${dir}, device: meter }`]),
        'devices/meter/profile.yaml': BROKEN_METER_PROFILE,
      });
      const { problems } = await refused(dir);
      assert.deepEqual(problems, [
        'devices/meter/profile.yaml:1:5: id: "metre" must equal the profile\'s folder name "meter"',
        'devices/meter/profile.yaml:4:17: fields.temp.type: expected one of "number", "integer", "boolean", "string", "enum", got "numbr" (did you mean "number"?)',
        'devices/meter/profile.yaml:5:29: fields.hum.min: 100 must not exceed max (0)',
        'devices/meter/profile.yaml:6:40: fields.power.device_class: "powr" is not a Home Assistant device class (did you mean "power"?)',
        'devices/meter/profile.yaml:8:10: publish.topic: "{port}/{feild}" must contain {field} with mode per_field (one topic per field)',
        'devices/meter/profile.yaml:8:10: publish.topic: {feild} is not a placeholder (did you mean {field}?); the gateway fills in {port} {field} {gateway}, any other name must be in the vars of every port using the profile',
      ]);
    });
  });

  void it('a broken profile hides nothing in another profile or in gateway.yaml', async () => {
    await withDir(async (dir) => {
      await write(dir, {
        'gateway.yaml': [
          'version: 1',
          'devices_dir: ./devices',
          'mqtt: { keepalive: fast, broker: external }',
          'ports:',
          `  - { name: a, baud_rate: quick, path: ${dir}, device: one }`,
          `  - { name: b, path: ${join(dir, 'devices')}, device: two }`,
          '',
        ].join('\n'),
        'devices/one/profile.yaml': 'id: one\nline: { format: kv }\nfields: { t: { type: numbr } }\n',
        'devices/two/profile.yaml':
          'id: two\nline: { format: kv }\nfields: { t: { type: number, state_class: measurment } }\ncommands:\n  led: { payload: { type: integer }, write: "LED {valeu}" }\n',
      });
      const { problems } = await refused(dir);
      assert.deepEqual(
        problems.map((p) => p.replace(/: .*?: /, ': ').split(' (')[0]),
        [
          'gateway.yaml:3:7: is required when broker is external',
          'gateway.yaml:3:20: "fast" is not a duration',
          'gateway.yaml:5:27: expected a number, got "quick"',
          'devices/one/profile.yaml:3:22: expected one of "number", "integer", "boolean", "string", "enum", got "numbr"',
          'devices/two/profile.yaml:3:43: expected one of "measurement", "measurement_angle", "total", "total_increasing", got "measurment"',
          'devices/two/profile.yaml:5:45: {valeu} is not a placeholder',
        ],
      );
      assert.match(problems[4] ?? '', /\(did you mean "measurement"\?\)$/);
      assert.match(problems[5] ?? '', /\(did you mean \{value\}\?\); it would be written as it is$/);
    });
  });

  void it('two ports on one serial device are an error naming both, also through a symlink', async () => {
    await withDir(async (dir) => {
      const tty = join(dir, 'ttyACM0');
      await writeFile(tty, '');
      await symlink(tty, join(dir, 'by-id-arduino'));
      await write(dir, {
        'gateway.yaml': gateway([
          `  - { name: a, path: ${tty}, device: t }`,
          `  - { name: b, path: ${tty}, device: t }`,
          `  - { name: c, path: ${join(dir, 'by-id-arduino')}, device: t }`,
        ]),
        'devices/t/profile.yaml': 'id: t\nline: { format: kv }\nfields: { v: { type: number } }\n',
      });
      const { problems } = await refused(dir);
      assert.deepEqual(problems, [
        `gateway.yaml:5:22: ports[1].path: port "b": ${tty} is also the path of port "a" (ports[0].path at gateway.yaml:4:22); two ports cannot share one serial device`,
        `gateway.yaml:6:22: ports[2].path: port "c": ${join(dir, 'by-id-arduino')} is the same device as ${tty} of port "a" (ports[0].path at gateway.yaml:4:22); two ports cannot share one serial device`,
      ]);
    });
  });

  void it('a port path that does not exist is a warning, and the configuration loads', async () => {
    await withDir(async (dir) => {
      await write(dir, {
        'gateway.yaml': gateway([
          `  - { name: here, path: ${dir}, device: t }`,
          '  - { name: gone, path: /dev/ttyUSB9-tty2mqtt-test, device: t }',
        ]),
        'devices/t/profile.yaml': 'id: t\nline: { format: kv }\nfields: { v: { type: number } }\n',
      });
      const loaded = await load(dir);
      assert.deepEqual(loaded.warnings.map(formatProblem), [
        'warning: gateway.yaml:5:25: ports[1].path: port "gone": /dev/ttyUSB9-tty2mqtt-test does not exist (a board may be unplugged)',
      ]);
    });
  });

  void it('the warnings of a refused configuration come with its problems', async () => {
    await withDir(async (dir) => {
      await write(dir, {
        'gateway.yaml': gateway([
          '  - { name: gone, path: /dev/ttyUSB9-tty2mqtt-test, device: t, baud_rate: x }',
        ]),
        'devices/t/profile.yaml':
          'id: t\nline: { format: kv }\nfields: { v: { type: number, device_class: sparkle } }\n',
      });
      const { problems, warnings } = await refused(dir);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.deepEqual(
        warnings.map((w) => w.split(': ').slice(0, 3).join(': ')),
        [
          'warning: gateway.yaml:4:25: ports[0].path',
          'warning: devices/t/profile.yaml:3:44: fields.v.device_class',
        ],
      );
    });
  });

  void it('the profile-wide rules still run next to a field whose type is wrong', async () => {
    await withDir(async (dir) => {
      await write(dir, {
        'gateway.yaml': gateway([`  - { name: a, path: ${dir}, device: t }`]),
        'devices/t/profile.yaml': 'id: t\nline: { format: csv }\nfields: { v: { type: numbr } }\n',
      });
      const { problems } = await refused(dir);
      assert.deepEqual(
        problems.map((p) => p.split(': ').slice(0, 3).join(': ')),
        [
          'devices/t/profile.yaml:2:7: line.columns: is required when format is csv',
          'devices/t/profile.yaml:3:22: fields.v.type: expected one of "number", "integer", "boolean", "string", "enum", got "numbr" (did you mean "number"?)',
        ],
      );
    });
  });

  void it("a port var missing under the template's spelling names the one the port has", async () => {
    await withDir(async (dir) => {
      await write(dir, {
        'gateway.yaml': gateway([`  - { name: a, path: ${dir}, device: t, vars: { rooom: kitchen } }`]),
        'devices/t/profile.yaml':
          'id: t\nline: { format: kv }\nfields: { v: { type: number } }\npublish: { topic: "{port}/{room}/{field}" }\n',
      });
      const { problems } = await refused(dir);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(
        problems[0] ?? '',
        /add room to this port's vars \(it has rooom: did you mean \{rooom\}\?\)$/,
      );
    });
  });
});
