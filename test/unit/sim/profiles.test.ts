// Every shipped device profile (devices/<id>/profile.yaml) is valid against profileSchema,
// has its reference firmware beside it, and — unless it is a regex profile — can be played
// by the simulator. The firmware cross-check is static: each wire key appears in the
// sketch as it is printed (kv `temp=`, json `"power":`, mysensors V_TYPE number); the
// emulated-AVR (hil/) tests run the sketches for real.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { profileSchema, type DeviceProfile } from '../../../src/config/schema.ts';
import { compileFields, validateValues } from '../../../src/pipeline/validate.ts';
import { SimulatedDevice } from '../../../src/sim/device.ts';
import { encodeLine } from '../../../src/sim/encode.ts';
import { createValueGenerator } from '../../../src/sim/values.ts';

const DEVICES = join(import.meta.dirname, '..', '..', '..', 'devices');
const ids = readdirSync(DEVICES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

function loadProfile(id: string): DeviceProfile {
  const result = profileSchema.safeParse(parse(readFileSync(join(DEVICES, id, 'profile.yaml'), 'utf8')));
  assert.ok(result.success, `${id}: ${result.success ? '' : JSON.stringify(result.error.issues)}`);
  return result.data;
}

void describe('shipped device profiles', () => {
  void it('include the four reference devices', () => {
    for (const id of ['climate', 'power-meter', 'mysensors-gateway', 'soil-csv'])
      assert.ok(ids.includes(id), id);
  });

  for (const id of ids) {
    void describe(id, () => {
      void it('is valid against profileSchema and its id matches its folder', () => {
        assert.equal(loadProfile(id).id, id);
      });

      void it(`has reference firmware ${id}.ino that prints every wire key`, () => {
        const path = join(DEVICES, id, `${id}.ino`);
        assert.ok(existsSync(path), `${path} is missing`);
        const sketch = readFileSync(path, 'utf8');
        const profile = loadProfile(id);
        for (const [name, field] of Object.entries(profile.fields)) {
          const key = field.key ?? name;
          const printed =
            profile.line?.format === 'kv'
              ? `${key}=`
              : profile.line?.format === 'json'
                ? `\\"${key}\\":`
                : profile.line?.format === 'mysensors'
                  ? (key.split('/')[1] ?? key)
                  : key;
          assert.ok(sketch.includes(printed), `${id}.ino never prints ${printed} (field ${name})`);
        }
      });

      void it('can be simulated', () => {
        const profile = loadProfile(id);
        if (profile.line?.format === 'regex') return; // regex profiles cannot be simulated
        if (profile.protocol === 'mqttsn') {
          // simulate-mqttsn.ts publishes each generated value on its field's topic: every
          // value must pass that field's schema, as the gateway checks (PUBACK 0x03 otherwise).
          const values = createValueGenerator(profile)();
          const checked = validateValues(
            compileFields(profile.fields),
            new Map([...values].map(([k, v]) => [k, String(v)])),
          );
          assert.deepEqual(checked.rejected, []);
          assert.equal(checked.values.size, Object.keys(profile.fields).length);
          return;
        }
        if (profile.mysensors?.controller === true && Object.keys(profile.fields).length === 0) {
          // Controller mode without fixed fields: the simulated nodes present their
          // children, then report them (mysensors-room-node.ts); nothing waits for a timer.
          const sent: string[] = [];
          const device = new SimulatedDevice({
            profile,
            write: () => undefined,
            nodeIds: [12],
            onSend: (l) => sent.push(l),
            scheduler: { setTimeout: () => undefined, clearTimeout: () => undefined },
          });
          device.start();
          assert.ok(sent.includes('12;1;0;0;6;Temperature'), sent.join(' | '));
          assert.ok(
            sent.some((l) => /^12;1;1;0;0;-?\d/.test(l)),
            sent.join(' | '),
          );
          assert.ok(sent.every((l) => Buffer.byteLength(l) <= (profile.line?.max_bytes ?? 256)));
          return;
        }
        const line = encodeLine(profile, createValueGenerator(profile)(), { seq: 0 });
        assert.ok(
          line.length > 0 &&
            line.split('\n').every((l) => Buffer.byteLength(l) <= (profile.line?.max_bytes ?? 256)),
        );
      });
    });
  }
});
